"""Rasa custom actions (rasa_sdk): thin adapters from slots to `ledger` services."""
