"""The ledger: the two domains, what they share, and where they keep their data.

- `points/`  municipal points on the MyKey Platform (マイキープラットフォーム)
- `status/`  ANA premium status (プレミアムメンバー)
- `common/`  services both front ends use: the notices outbox, a user's language, deliveries, the test clock
- `shared/`  refusals, the clock (Asia/Tokyo), amounts, dates, names — no storage, no domain
- `storage/` engines, migrations, tables, repositories, the unit of work
- `rules.py` + `rules/*.yml`  both domains' rules as data; `config.py` settings from the environment
- `bootstrap.py`  the one composition root: `bootstrap()` → `Ledger`, every service with its dependencies

Nothing here opens a database at import time, and `points` and `status` never import each other.
"""
