"""Rasa's per-turn costs removed in nlu/rasa_speedups.py, with Rasa's own results: each action server answer is
judged by a validator built once, exactly as Rasa's check judges it; stored events find their classes from a kept
table, the same classes Rasa's walk finds (and the same refusal for a name it does not know)."""
from __future__ import annotations

import json
import subprocess

from ledger.config import REPO_ROOT
from ops.rasa_cli import RASA_BIN

CHECK = r'''
import json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.utils.common import all_subclasses
stock = RemoteAction._validate_action_result
stock_resolve = Event.resolve_by_type
import nlu.channels  # installs ours, as every Rasa server the supervisor starts does
ours = RemoteAction._validate_action_result
names = sorted({cls.type_name for cls in all_subclasses(Event)})
def unknown(resolve):
    try:
        resolve("no_such_event")
    except ValueError as e:
        return str(e)
action = RemoteAction("action_x", None)
answers = [{"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "hi"}]}, {},
           {"events": "not a list"}, {"responses": "not a list"}, {"events": [{"no_event_key": 1}]}]
def verdict(check, answer):
    try:
        return check(action, answer)
    except ValidationError as e:
        return "refused: " + e.message.split(". Failed to validate")[0] + (" +hint" if "custom-actions" in e.message else "")
print(json.dumps({"classes_same": [Event.resolve_by_type(n) is stock_resolve(n) for n in names * 2],
                  "unknown": [unknown(Event.resolve_by_type), unknown(stock_resolve)],
                  "default": Event.resolve_by_type("no_such_event", UserUttered) is UserUttered,
                  "replaced": ours is not stock, "stock": [verdict(stock, a) for a in answers],
                  "ours": [verdict(ours, a) for a in answers]}))
'''


def test_rasa_judges_answers_and_reads_events_as_before():
    done = subprocess.run([str(RASA_BIN.parent / "python"), "-c", CHECK], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false"})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["replaced"], seen
    assert seen["ours"] == seen["stock"], seen
    refused = seen["ours"][2:]
    assert seen["ours"][:2] == [True, True] and all(str(v).startswith("refused") and str(v).endswith("+hint")
                                                     for v in refused), seen
    assert len(seen["classes_same"]) > 20 and all(seen["classes_same"])
    assert seen["unknown"][0] == seen["unknown"][1] and seen["default"]
