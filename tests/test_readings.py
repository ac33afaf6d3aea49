"""Unsure what a message means, the assistant asks which reading was meant, carries on with the one chosen, and
keeps the choice for a person to review — never learning from it by itself (actions/readings.py)."""
from __future__ import annotations

import stat

import pytest
import yaml
from test_actions import facts, run, tracker, words

from actions.readings import ActionDisambiguate, ActionTakeReading

RANKING = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "move_points", "confidence": 0.41},
           {"name": "convert_points", "confidence": 0.33}, {"name": "inform", "confidence": 0.15},
           {"name": "check_balance", "confidence": 0.06}, {"name": "greet", "confidence": 0.01}]


def unsure_tracker(text: str, locale: str, entities: list[dict] | None = None):
    the_tracker = tracker(text, "nlu_fallback", entities=entities, locale=locale)
    the_tracker.latest_message["intent_ranking"] = RANKING
    return the_tracker


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POINTSBOT_VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("locale, question, first", [("en", "Which of these did you mean?", "Move reserved points"),
                                                     ("ja", "次のどれのことでしょうか", "留保ポイントを自治体に移す")])
async def test_an_unsure_reading_offers_the_likely_ones_as_buttons_in_the_users_language(locale, question, first):
    text = "JALで2000" if locale == "ja" else "2000 JAL to Kasama"
    entities = [{"entity": "partner", "value": "jal", "start": 0, "end": 3}]
    messages, events = await run(ActionDisambiguate(), unsure_tracker(text, locale, entities))
    assert question in words(messages) and "didn't understand" not in words(messages)
    buttons = messages[-1]["buttons"]
    assert [b["payload"] for b in buttons] == ['/choose_reading{"reading":"move_points"}',
                                               '/choose_reading{"reading":"convert_points"}',
                                               '/choose_reading{"reading":"check_balance"}',
                                               '/choose_reading{"reading":"none"}']
    assert buttons[0]["title"].startswith(first)
    assert facts(messages, "unsure") == {"kind": "unsure", "readings": ["move_points", "convert_points", "check_balance"]}
    kept = next(e["value"] for e in events if e.get("name") == "unsure")
    assert kept["text"] == text and kept["entities"] == entities


async def test_the_chosen_reading_is_replayed_with_what_was_said_and_kept_for_review(var_dir):
    entities = [{"entity": "partner", "value": "jal", "start": 0, "end": 3},
                {"entity": "amount", "value": "2000", "start": 4, "end": 8}]
    _, events = await run(ActionDisambiguate(), unsure_tracker("JALで2000", "ja", entities))
    kept = next(e["value"] for e in events if e.get("name") == "unsure")
    choice = tracker('/choose_reading{"reading":"convert_points"}', "choose_reading",
                     entities=[{"entity": "reading", "value": "convert_points"}], slots={"unsure": kept}, locale="ja")
    messages, events = await run(ActionTakeReading(), choice)
    assert messages == []
    replay = events[-1]
    assert replay["event"] == "user" and replay["text"] == "JALで2000"
    assert replay["parse_data"]["intent"] == {"name": "convert_points", "confidence": 1.0}
    assert replay["parse_data"]["entities"] == entities, "the program and the amount said still count"
    assert {"event": "slot", "name": "unsure", "value": None, "timestamp": None} in events
    candidates = var_dir / "nlu-candidates.yml"
    assert stat.S_IMODE(candidates.stat().st_mode) == 0o600
    [entry] = yaml.safe_load(candidates.read_text(encoding="utf-8"))
    assert {k: entry[k] for k in ("text", "chose", "offered", "locale")} == {
        "text": "JALで2000", "chose": "convert_points", "locale": "ja",
        "offered": ["move_points", "convert_points", "check_balance"]}
    assert "user" not in entry and "ja" in entry["locale"]


async def test_something_else_asks_for_other_words_and_is_kept_as_none(var_dir):
    kept = {"text": "hmm", "entities": [], "readings": ["help"], "metadata": {}}
    choice = tracker('/choose_reading{"reading":"none"}', "choose_reading",
                     entities=[{"entity": "reading", "value": "none"}], slots={"unsure": kept})
    messages, events = await run(ActionTakeReading(), choice)
    assert "another way" in words(messages) and all(e.get("event") != "user" for e in events)
    assert yaml.safe_load((var_dir / "nlu-candidates.yml").read_text(encoding="utf-8"))[0]["chose"] == "none"


@pytest.mark.parametrize("kept", [None, {"text": "hmm", "entities": [], "readings": ["help"], "metadata": {}}])
async def test_a_stale_or_forged_choice_changes_nothing_and_is_not_kept(var_dir, kept):
    choice = tracker('/choose_reading{"reading":"move_points"}', "choose_reading",
                     entities=[{"entity": "reading", "value": "move_points"}], slots={"unsure": kept})
    messages, events = await run(ActionTakeReading(), choice)
    assert "another way" in words(messages) and all(e.get("event") != "user" for e in events)
    assert not (var_dir / "nlu-candidates.yml").exists()


async def test_noise_with_no_likely_reading_asks_for_other_words():
    the_tracker = tracker("zzkq wpx", "nlu_fallback")
    the_tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.45},
                                                    {"name": "inform", "confidence": 0.3}]
    messages, _ = await run(ActionDisambiguate(), the_tracker)
    assert "another way" in words(messages) and not messages[-1].get("buttons")


def test_a_forms_question_carries_question_facts_through_the_action_server():
    """Clients (voice, tests) learn what is asked: a form's question says its form and slot, and a message that
    has its own facts (a refusal) keeps them."""
    from rasa_sdk.executor import ActionExecutorRunResult

    from actions.server import with_question_facts

    result = ActionExecutorRunResult(events=[], responses=[{"text": "Which program?"}])
    with_question_facts({"next_action": "action_ask_conversion_form_partner"}, result)
    assert result.responses[0]["custom"]["facts"] == {"kind": "question", "form": "conversion_form", "slot": "partner"}
    asked_again = {"responses": [{"text": "no", "custom": {"facts": {"kind": "flight_logged", "status": "rejected"}}},
                                 {"text": "Which fare?"}]}
    with_question_facts({"next_action": "validate_flight_form", "tracker": {"slots": {"requested_slot": "fare"}}},
                        asked_again)
    assert [m["custom"]["facts"].get("kind") for m in asked_again["responses"]] == ["flight_logged", "question"]
    untouched = {"responses": [{"text": "Done."}]}
    assert with_question_facts({"next_action": "action_convert_points"}, untouched) == {"responses": [{"text": "Done."}]}


def test_every_reading_that_can_be_offered_has_a_label_in_both_languages():
    """An intent added to the domain must be offerable as a button (the held-out run once crashed on one without)."""
    from pathlib import Path

    import yaml

    from actions.readings import NOT_OFFERED
    from i18n import CATALOG

    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "nlu" / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    missing = [f"reading.{i}" for i in sorted(intents - NOT_OFFERED)
               if not {"en", "ja"} <= set(CATALOG.get(f"reading.{i}", {}))]
    assert missing == []
