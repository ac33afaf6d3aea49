"""Rasa's conversations are kept in SQL (so a restart keeps a form) and pruned by a stated policy: a
conversation idle for 30 days is deleted, so the store stays bounded."""
from __future__ import annotations

import sqlite3
import time

from ledger.config import Settings
from ops.tracker_store import STORE, prune_conversations, tracker_store_config, tracker_store_url


def test_the_tracker_store_is_its_own_sqlite_file_or_the_ledgers_postgresql(tmp_path):
    sqlite = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path)})
    assert tracker_store_config(sqlite) == {"type": STORE, "dialect": "sqlite",
                                            "db": str(tmp_path / "rasa-trackers.sqlite3")}
    assert (tmp_path / "rasa-trackers.sqlite3").stat().st_mode & 0o777 == 0o600
    pg = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path),
                            "POINTSBOT_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1:5433/points"})
    assert tracker_store_url(pg) == "postgresql://u:p@127.0.0.1:5433/points"
    assert tracker_store_config(pg) == {"type": STORE, "url": "postgresql://u:p@127.0.0.1:5433/points"}


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


RECENT_STORE_CHECK = r'''
import asyncio, json, sqlite3, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, Restarted, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from nlu.tracker_store import RecentSQLTrackerStore

db = sys.argv[1]
domain = Domain.from_dict({"intents": ["greet"], "forms": {"f": {"required_slots": ["a"]}},
                           "slots": {name: {"type": "any", "mappings": [{"type": "custom"}]} for name in "abcd"}})
store = RecentSQLTrackerStore(domain, dialect="sqlite", db=db, recent_events=100)

async def main():
    first = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
             SlotSet("c", "before-restart"), Restarted(), SlotSet("b", "early"), ActiveLoop("f")]
    tracker = DialogueStateTracker.from_events("long", first + sum(
        ([UserUttered(f"turn {n}"), SlotSet("a", n), BotUttered(f"answer {n}"), ActionExecuted("action_listen")]
         for n in range(300)), []), domain.slots)
    await store.save(tracker)
    recent = await store.retrieve("long")
    full = await store.retrieve_full_tracker("long")
    stored = sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0]
    recent.update(UserUttered("one more"))
    recent.update(SlotSet("d", "new"))
    await store.save(recent)
    again = await store.retrieve("long")
    after = sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone()[0]
    print(json.dumps({"recent_events": len(recent.events) - 2, "full_events": len(full.events),
                      "recent_slots": {k: recent.get_slot(k) for k in "abc"}, "full_slots": {k: full.get_slot(k) for k in "abc"},
                      "recent_loop": recent.active_loop_name, "full_loop": full.active_loop_name,
                      "stored": stored, "added": after - stored, "again_d": again.get_slot("d"),
                      "again_last": again.latest_message.text}))

asyncio.run(main())
'''


def test_a_long_conversation_is_read_from_its_recent_part(tmp_path):
    """Rasa reads at most the last 100 (here) events of a 1,207-event session, with the slots and the form the
    session had before them: the same state as reading it all (a slot set before a restart stays forgotten);
    what the turn adds is stored once, and nothing stored is lost."""
    import json
    import subprocess

    from ledger.config import REPO_ROOT
    from ops.rasa_cli import RASA_BIN

    done = subprocess.run([str(RASA_BIN.parent / "python"), "-c", RECENT_STORE_CHECK, str(tmp_path / "t.db")],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false"})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["full_events"] == seen["stored"] == 7 + 4 * 300
    assert seen["recent_events"] <= 100 + 3, seen
    assert seen["recent_slots"] == seen["full_slots"] == {"a": 299, "b": "early", "c": None}
    assert seen["recent_loop"] == seen["full_loop"] == "f"
    assert seen["added"] == 2 and seen["again_d"] == "new" and seen["again_last"] == "one more"
