"""The held-out set measures understanding, not memory: it is never trained on, it covers every intent in both
languages and the ways people really write, and the figures come from the trained model itself."""
from __future__ import annotations

import re

import pytest
import yaml
from test_nlu_data import EXAMPLES

from ledger.config import REPO_ROOT, Settings
from ledger.shared.normalize import normalize
from ops.nlu_heldout import HELDOUT_FILE, evaluate_heldout, load_items, read_with_model, score
from ops.progress import Progress

ITEMS = load_items()
PAYLOAD_ONLY = {"choose_reading", "choose_schedule"}   # only ever a button's payload, never said
INTENTS = set(yaml.safe_load((REPO_ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))["intents"]) - PAYLOAD_ONLY


def _key(text: str) -> str:
    """A sentence with what does not change its meaning folded away: width, case, spaces, punctuation."""
    return re.sub(r"[\s、。,.!?！？・〜~ー-]", "", normalize(text))


def test_no_heldout_sentence_is_in_the_training_data():
    trained = {_key(text) for _, text, _ in EXAMPLES}
    assert [i["text"] for i in ITEMS if _key(i["text"]) in trained] == []


def test_the_set_covers_every_intent_in_both_languages_and_the_ways_people_write():
    assert len(ITEMS) >= 300
    for language in ("ja", "en"):
        assert {i["intent"] for i in ITEMS if i["lang"] == language} == INTENTS, language
    styles = {s for i in ITEMS for s in i.get("style") or []}
    assert {"polite", "casual", "typo", "full-width", "voice", "two-topic"} <= styles
    assert all(i.get("second_intent") in INTENTS for i in ITEMS if "two-topic" in (i.get("style") or []))


def test_the_score_counts_either_topic_of_a_two_topic_question_and_reads_amounts_as_said():
    items = [{"text": "a", "intent": "check_balance", "second_intent": "ask_status_now", "lang": "en",
              "entities": {"amount": 2000, "partner": "jal"}},
             {"text": "b", "intent": "convert_points", "lang": "ja"}]
    read = [{"text": "a", "intent": "ask_status_now", "confidence": 0.9, "ranking": [{"name": "ask_status_now"}],
             "entities": [{"entity": "amount", "value": "２，０００"}, {"entity": "partner", "value": "jal"}]},
            {"text": "b", "intent": "nlu_fallback", "confidence": 0.3,
             "ranking": [{"name": "nlu_fallback"}, {"name": "move_points"}, {"name": "convert_points"}],
             "entities": []}]
    figures = score(items, read)
    assert figures["intent_accuracy"] == 0.5 and figures["asked"] == 0.5 and figures["top3"] == 1.0
    assert figures["answered_right"] == 0.5
    assert figures["per_language"] == {"en": {"accuracy": 1.0, "sentences": 1}, "ja": {"accuracy": 0.0, "sentences": 1}}
    assert figures["entities"] == {"amount": {"found": 1.0, "said": 1}, "partner": {"found": 1.0, "said": 1}}
    assert figures["confusions"] == [{"intent": "convert_points", "read_as": "move_points", "count": 1}]
    with pytest.raises(ValueError):
        score(items, read[::-1])


@pytest.mark.rasa
def test_heldout_intent_accuracy_reaches_the_goal():
    """The issue's goal: 0.95 of sentences nobody trained on are read as the intent meant."""
    figures = evaluate_heldout(Settings.from_env(), Progress())
    assert figures["file"] == str(HELDOUT_FILE.relative_to(REPO_ROOT)) and figures["sentences"] == len(ITEMS)
    assert figures["intent_accuracy"] >= 0.95, figures["confusions"]
    assert min(v["accuracy"] for v in figures["per_language"].values()) >= 0.93, figures["per_language"]


@pytest.mark.rasa
def test_the_names_decide_between_an_exchange_a_move_and_the_way_back():
    from ops.model_cache import ensure_model

    settings = Settings.from_env()
    sentences = {"move 2,000 JAL miles to my reserved points": "convert_points",
                 "ジャルのマイルを留保ポイントに移したい": "convert_points",
                 "move 5k miles into reserved points": "convert_points",
                 "留保ポイントを笠間市に移したい": "move_points",
                 "move my reserved points to Kasama": "move_points",
                 "ポイント交換したい": "convert_points",
                 "ＮＴＴドコモのdポイントを宇都宮市のポイントに換えてもらえますか": "convert_points",
                 "宇都宮市のポイントをドコモのポイントに換えてもらえますか": "convert_back",
                 "swap my Itami points into ANA miles": "convert_back",
                 "swap 3000 ANA miles into Itami points": "convert_points",
                 "I hold 23,456 JAL miles - how many reserved points would that give?": "ask_conversion_quote",
                 "ドコモのポイント7,777だと何ポイントになる？": "ask_conversion_quote"}
    read = read_with_model(ensure_model(settings, Progress()), list(sentences), settings, Progress())
    assert {r["text"]: r["intent"] for r in read} == sentences
