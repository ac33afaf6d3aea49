"""Where Rasa keeps its conversations: a SQL tracker store, so a restart in the middle of a form keeps the form.

Its own SQLite file (`var/rasa-trackers.sqlite3`, 0600) by default, or the ledger's PostgreSQL database (Rasa's
one table, `events`) when the ledger is on PostgreSQL. Conversations idle for `POINTSBOT_CONVERSATION_DAYS`
(30 by default) are deleted by `prune_conversations`, which the supervisor runs every hour, so the store stays
bounded: a user who comes back after that starts a new conversation (their ledger is untouched).
"""
from __future__ import annotations

import os
import time

from sqlalchemy import bindparam, create_engine, inspect, text

from ledger.config import Settings, private_file

STORE = "nlu.tracker_store.RecentSQLTrackerStore"   # Rasa's SQL store reading only a long session's recent part
CONVERSATION_DAYS = int(os.environ.get("POINTSBOT_CONVERSATION_DAYS") or 30)


def tracker_store_url(settings: Settings) -> str:
    """The store's SQLAlchemy URL as Rasa (SQLAlchemy 1.4, psycopg2) reads it."""
    url = settings.database_url
    if url.startswith(("postgresql", "postgres:")):
        return "postgresql://" + url.split("://", 1)[1]
    return f"sqlite:///{settings.var_dir / 'rasa-trackers.sqlite3'}"


def tracker_store_config(settings: Settings) -> dict:
    """The `tracker_store` section of Rasa's endpoints.yml."""
    url = tracker_store_url(settings)
    if url.startswith("sqlite"):
        private_file(settings.var_dir / "rasa-trackers.sqlite3")   # owner-only before Rasa opens it
        return {"type": STORE, "dialect": "sqlite", "db": url.removeprefix("sqlite:///")}
    return {"type": STORE, "url": url}   # Rasa passes `url` on as the store's host, which may be a whole URL


def prune_conversations(settings: Settings, idle_days: int = CONVERSATION_DAYS) -> int:
    """Delete the conversations whose last event is older than `idle_days`; how many conversations went."""
    url = tracker_store_url(settings)
    if url.startswith("postgresql"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        cutoff = time.time() - idle_days * 86_400
        with engine.begin() as conn:
            idle = [row[0] for row in conn.execute(text(
                "SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :cutoff"), {"cutoff": cutoff})]
            for start in range(0, len(idle), 500):
                conn.execute(text("DELETE FROM events WHERE sender_id IN :ids").bindparams(
                    bindparam("ids", expanding=True)), {"ids": idle[start:start + 500]})
        return len(idle)
    finally:
        engine.dispose()
