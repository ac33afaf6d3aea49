"""The NLU is good enough: `rasa test nlu --cross-validation` on the current training data.

The figures come from the real run (`python -m bot.supervisor test-nlu`, which `make test` runs
before pytest); the report is cached by the model's input hash, so this test reads it when the
NLU is unchanged and runs the cross-validation itself when it is not.
"""
from __future__ import annotations

import json

import pytest

from bot.supervisor import (NLU_REPORT_COPY, Progress, Stack, evaluate_nlu, model_inputs_hash, nlu_report_dir,
                            without_run_details)
from ledger.config import Settings

pytestmark = pytest.mark.rasa

THRESHOLD = 0.95


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate_nlu(Stack(Settings.from_env(), progress=Progress()))


def test_the_report_is_for_the_current_training_data(report):
    assert report["inputs_hash"] == model_inputs_hash()
    on_disk = json.loads((nlu_report_dir(report["inputs_hash"]) / "summary.json").read_text())
    assert on_disk == report
    # the committed copy has this run's figures (it keeps its own timing when only that differs)
    assert without_run_details(json.loads(NLU_REPORT_COPY.read_text())) == without_run_details(report)
    assert report["config"]["folds"] >= 3 and report["examples"] > 500


def test_intent_accuracy_is_at_least_95_percent(report):
    assert report["intent_accuracy"] >= THRESHOLD, report["intent_errors"]


def test_entity_f1_is_at_least_95_percent(report):
    assert report["entity_f1_micro"] >= THRESHOLD, {k: v for k, v in report["entities"].items() if v["f1"] < 1}


def test_every_issue_3_intent_and_entity_is_evaluated(report):
    assert {"link_partner", "unlink_partner", "link_status", "redeem_coupon", "move_points", "set_home_municipality",
            "show_history", "best_route", "list_events", "convert_points"} <= set(report["intents"])
    assert {"partner", "amount", "municipality", "prefecture", "event", "coupon_code"} <= set(report["entities"])
