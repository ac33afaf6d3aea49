"""Which way an exchange goes, and whether it is an exchange or a move, from the names in the sentence.

The rules (nlu/exchange_rules.py, data in ledger/rules/lexicon.yml) run after the classifier in the Rasa pipeline;
here they run on their own, with the partner entities found by the lexicon's own pattern, so a sentence whose
words could go either way gets the reading its particles and prepositions say.
"""
from __future__ import annotations

import re

import pytest

from ledger.shared.normalize import fold
from nlu.exchange_rules import decide_all, direction, load_lexicon
from ops.lexicon import pattern, program_names

LEXICON = load_lexicon()
PARTNER = re.compile(pattern([n for names in program_names(LEXICON).values() for n in names]), re.IGNORECASE)
PLACES = re.compile("川崎市|宇都宮|笠間市|伊丹市|kasama|kawasaki|itami|utsunomiya", re.IGNORECASE)


def entities(text: str) -> list[dict]:
    return ([{"entity": "partner", "start": m.start(), "end": m.end()} for m in PARTNER.finditer(text)]
            + [{"entity": "municipality", "start": m.start(), "end": m.end()} for m in PLACES.finditer(text)])


def way(text: str) -> str | None:
    text = fold(text)
    rule = LEXICON["direction_decides"]
    platform = [str(w) for words in LEXICON["platform_points_words"].values() for w in words]
    return direction(entities(text), text, rule, LEXICON["program_decides"]["program_words"], platform)


@pytest.mark.parametrize("text", [
    "ドコモのポイントを宇都宮で使えるポイントに変換お願いします",
    "NTTドコモのdポイントを川崎市のポイントに換えてもらえますか",
    "自治体ポイントにJALマイルを交換したい",
    "ＪＡＬマイルから笠間市のポイントへ",
    "turn some miles into town points for me",
    "send 5000 JAL miles to Kasama",
    "convert saison points into kawasaki points",
    "move 2,000 JAL miles to my reserved points",
    "JALマイルを交換したい",
])
def test_points_into_the_platform_are_an_exchange(text):
    assert way(text) == "exchange"


@pytest.mark.parametrize("text", [
    "川崎市のポイントをマイルに換えたい",
    "留保ポイントを日本航空のマイルにしたい",
    "留保ポイントをdポイントに換え直したい",
    "交換したマイルを返却してください",
    "change my Kasama points into JAL miles",
    "cash my reserved points out into d points",
    "i want to undo that saison exchange",
    "give me my d points back",
])
def test_points_out_of_the_platform_are_the_way_back(text):
    assert way(text) == "back"


@pytest.mark.parametrize("text", [
    "how many municipal points would I get for 2000 JAL miles",
    "how many points would I get back for 3000 miles",
])
def test_without_a_destination_the_classifier_decides(text):
    assert way(text) is None


def reading(intent: str, text: str) -> str:
    ranking = [{"name": intent, "confidence": 0.6}, {"name": "check_balance", "confidence": 0.3},
               {"name": {"convert_points": "convert_back", "convert_back": "convert_points"}.get(intent, "move_points"),
                "confidence": 0.1}]
    decided = decide_all(ranking[0], ranking, entities(fold(text)), fold(text), LEXICON)
    return decided[0]["name"] if decided else intent


def test_a_misread_way_back_becomes_an_exchange_with_the_confidence_of_both():
    text = "NTTドコモのdポイントを川崎市のポイントに換えてもらえますか"
    ranking = [{"name": "convert_back", "confidence": 0.52}, {"name": "convert_points", "confidence": 0.4},
               {"name": "check_balance", "confidence": 0.08}]
    intent, new_ranking = decide_all(ranking[0], ranking, entities(text), text, LEXICON)
    assert intent == {"name": "convert_points", "confidence": pytest.approx(0.92)}
    assert [r["name"] for r in new_ranking] == ["convert_points", "check_balance", "convert_back"]


def test_the_rules_touch_only_the_readings_they_choose_between():
    assert reading("convert_back", "change my Kasama points into JAL miles") == "convert_back"
    assert reading("convert_points", "change my Kasama points into JAL miles") == "convert_back"
    assert reading("convert_back", "send 5000 JAL miles to Kasama") == "convert_points"
    assert reading("move_points", "move 2,000 JAL miles to my reserved points") == "convert_points"
    assert reading("check_balance", "change my Kasama points into JAL miles") == "check_balance"
    assert reading("move_points", "留保ポイントを笠間市に移したい") == "move_points"


def quoted(intent: str, text: str) -> str:
    text = fold(text)
    found = entities(text) + [{"entity": "amount", "start": m.start(), "end": m.end()}
                              for m in re.finditer(r"\d[\d,]*", text)]
    ranking = [{"name": intent, "confidence": 0.7}, {"name": "ask_conversion_quote", "confidence": 0.2},
               {"name": "check_balance", "confidence": 0.1}]
    decided = decide_all(ranking[0], ranking, found, text, LEXICON)
    return decided[0]["name"] if decided else intent


@pytest.mark.parametrize("intent, text", [
    ("convert_points", "I have 12,345 JAL miles, how many municipal points would I get?"),
    ("convert_points", "JALマイル12,345マイルだと何ポイントになりますか？"),
    ("convert_points", "what if I converted 5000 miles?"),
    ("convert_back", "how many points would I get back for 3000 miles"),
    ("move_points", "5000マイル移したらいくつになる？"),
    ("convert_points", "全部交換したら何ポイント？"),
])
def test_an_exchange_asked_as_a_question_with_an_amount_is_a_quote(intent, text):
    assert quoted(intent, text) == "ask_conversion_quote"


@pytest.mark.parametrize("intent, text", [
    ("convert_points", "convert 2000 JAL miles"),
    ("convert_points", "how do I exchange JAL miles?"),          # no amount: a request, asked what is missing
    ("check_balance", "how many points do I have for 2000 miles"),  # not a reading the rule changes
])
def test_requests_and_other_readings_stay_as_read(intent, text):
    assert quoted(intent, text) == intent


@pytest.mark.parametrize("intent, text, planned", [
    ("ask_what_if", "How many HND-OKA round trips on Standard to Platinum?", True),
    ("ask_cheapest", "how many HND-OKA round trips to platinum with Standard 30,000 yen or Simple 23,000 yen?", True),
    ("ask_what_if", "プラチナまであと何回沖縄往復が必要？", True),
    ("ask_what_if", "what if I fly HND-OKA on Standard tomorrow", False),     # a what-if, not a count of trips
    ("ask_what_if", "how many round trips do I need for platinum", False),   # no route: the PP to go as read
])
def test_a_number_of_trips_of_a_route_asked_for_is_a_plan(intent, text, planned):
    text = fold(text)
    airports = [{"entity": "airport", "start": m.start(), "end": m.end()}
                for m in re.finditer(r"HND|OKA|沖縄", text)]
    ranking = [{"name": intent, "confidence": 0.45}, {"name": "ask_pp_to_go", "confidence": 0.4},
               {"name": "check_balance", "confidence": 0.15}]
    decided = decide_all(ranking[0], ranking, airports, text, LEXICON)
    assert (decided[0] if decided else ranking[0])["name"] == ("ask_pp_to_go" if planned else intent)
    if planned:
        assert decided[0]["confidence"] == pytest.approx(0.85)


@pytest.mark.parametrize("text, greeting", [
    ("hey whats up", True), ("Hey, what's up?", True), ("hello there!", True), ("こんにちは！", True),
    ("おはようございます", True), ("hey what's my balance", False), ("こんにちは、残高を見せて", False),
])
def test_a_message_that_is_only_a_greeting_is_a_greeting(text, greeting):
    ranking = [{"name": "check_balance", "confidence": 0.16}, {"name": "help", "confidence": 0.1}]
    decided = decide_all(ranking[0], ranking, [], fold(text), LEXICON)
    assert (decided is not None and decided[0] == {"name": "greet", "confidence": 1.0}) == greeting


def test_without_an_amount_a_quote_reading_with_a_direction_is_the_request():
    text = "宇都宮市のポイントをドコモのポイントに換えてもらえますか"
    ranking = [{"name": "ask_conversion_quote", "confidence": 0.49}, {"name": "move_points", "confidence": 0.16},
               {"name": "convert_back", "confidence": 0.14}]
    found = entities(text) + [{"entity": "municipality", "start": 0, "end": 4}]
    intent, _ = decide_all(ranking[0], ranking, found, text, LEXICON)
    assert intent == {"name": "convert_back", "confidence": pytest.approx(0.63)}
    with_amount = found + [{"entity": "amount", "start": 20, "end": 24}]
    assert decide_all(ranking[0], ranking, with_amount, text, LEXICON) is None   # "…5000だと？" stays a quote
