"""Rasa's conversations are kept in SQL (so a restart keeps a form) and pruned by a stated policy: a
conversation idle for 30 days is deleted, so the store stays bounded."""
from __future__ import annotations

import sqlite3
import time

from ledger.config import Settings
from ops.tracker_store import prune_conversations, tracker_store_config, tracker_store_url


def test_the_tracker_store_is_its_own_sqlite_file_or_the_ledgers_postgresql(tmp_path):
    sqlite = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path)})
    assert tracker_store_config(sqlite) == {"type": "SQL", "dialect": "sqlite",
                                            "db": str(tmp_path / "rasa-trackers.sqlite3")}
    assert (tmp_path / "rasa-trackers.sqlite3").stat().st_mode & 0o777 == 0o600
    pg = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path),
                            "POINTSBOT_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1:5433/points"})
    assert tracker_store_url(pg) == "postgresql://u:p@127.0.0.1:5433/points"
    assert tracker_store_config(pg) == {"type": "SQL", "host": "postgresql://u:p@127.0.0.1:5433/points"}


def test_conversations_idle_for_30_days_are_deleted(tmp_path):
    settings = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path)})
    assert prune_conversations(settings) == 0   # no store yet
    db = sqlite3.connect(tmp_path / "rasa-trackers.sqlite3")
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
               "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
               "action_name VARCHAR(255), data TEXT)")
    now = time.time()
    rows = [("gone", now - 40 * 86_400), ("gone", now - 31 * 86_400), ("kept", now - 40 * 86_400),
            ("kept", now - 60), ("new", now)]
    db.executemany("INSERT INTO events (sender_id, type_name, timestamp) VALUES (?, 'user', ?)", rows)
    db.commit()
    assert prune_conversations(settings) == 1
    assert sorted({s for (s,) in db.execute("SELECT sender_id FROM events")}) == ["kept", "new"]
    db.close()
