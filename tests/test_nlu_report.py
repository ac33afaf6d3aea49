"""The NLU is good enough: `rasa test nlu --cross-validation` on the current training data.

The figures come from a real run on the current inputs (`pointsbot nlu test`, which `make test` runs before
pytest): the report under var/ is cached by the model's input hash, so this test reads it when that run
was for these inputs and runs the cross-validation itself when it was not. No committed copy is read.

What cross-validation measures changed with issue 11. Until then the training data was templates, and a fold's
test third was made of sentences like those in its training two thirds: 0.968 measured memory. Now 1,900 of the
3,440 examples are single phrasings written by people ("detach chubu electric", 「連携いつ終わる？」), and a fold
tests each of those without ever having seen it: cross-validation reads 0.907, a floor for regressions, not the
goal. The goal, intent accuracy ≥ 0.95 on sentences nobody trained on, is tests/test_nlu_heldout.py.
"""
from __future__ import annotations

import json

import pytest

from ledger.config import Settings
from ops.model_cache import model_inputs_hash
from ops.nlu_report import evaluate_nlu, nlu_report_dir
from ops.progress import Progress

pytestmark = pytest.mark.rasa

THRESHOLD = 0.95       # entities: names and amounts are found by patterns, phrasing or not
INTENT_FLOOR = 0.88    # intents: 0.907 when set (3 folds); a drop below says the training data got worse


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate_nlu(Settings.from_env(), Progress())


def test_the_report_is_for_the_current_training_data(report):
    assert report["inputs_hash"] == model_inputs_hash()
    on_disk = json.loads((nlu_report_dir(report["inputs_hash"]) / "summary.json").read_text())
    assert on_disk == report
    assert report["config"]["folds"] >= 3 and report["examples"] > 500


def test_cross_validated_intent_accuracy_stays_above_its_floor(report):
    assert report["intent_accuracy"] >= INTENT_FLOOR, report["intent_errors"]


def test_entity_f1_is_at_least_95_percent(report):
    assert report["entity_f1_micro"] >= THRESHOLD, {k: v for k, v in report["entities"].items() if v["f1"] < 1}


def test_every_issue_3_intent_and_entity_is_evaluated(report):
    assert {"link_partner", "unlink_partner", "link_status", "redeem_coupon", "move_points", "set_home_municipality",
            "show_history", "best_route", "list_events", "convert_points"} <= set(report["intents"])
    assert {"partner", "amount", "municipality", "prefecture", "event", "coupon_code"} <= set(report["entities"])
