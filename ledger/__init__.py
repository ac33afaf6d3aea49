"""The ledger: accounts, the append-only points journal, flights, rules data and services.

Nothing here opens a database at import time; `ledger.bootstrap` is the composition root.
"""
