"""Conversations that go where people take them (issue 12), in English and Japanese, written as a person talks,
through the whole assistant (HTTP API → bot → real Rasa → actions → ledger), asserting the facts at each turn.

- A question gets an answer, not a commitment: a quote in whole units with what stays, and no form left open.
- "all", "half", "everything but 1,000", 全部, 半分: whole units of what the user holds, stated before confirming.
- A question inside a confirmation gets the numbers for the pending exchange, then the question again.
- Premium Points are never confused with points.
- After something was done, 「やっぱりやめる」 / "undo" says what can and cannot be undone, with the nearest step.
"""
from __future__ import annotations

import pytest

from tests.conftest import facts_of, new_user, text_of
from tests.test_conversation import has_japanese

pytestmark = pytest.mark.rasa

EN, JA = "en", "ja"


def in_language(messages: list[dict], locale: str) -> str:
    text = text_of(messages)
    assert has_japanese(text) == (locale == JA), f"answer not in {locale}: {text}"
    return text


def kinds(messages: list[dict]) -> list[str]:
    return [(m.get("facts") or {}).get("kind") for m in messages if m.get("facts")]


def jal_user(stack, miles: int) -> str:
    user = new_user("follow")
    stack.ledger.sandbox_grant(user, "jal", miles)
    stack.ledger.sandbox_link(user, "jal")
    return user


def press(stack, user: str, messages: list[dict], index: int = 0) -> list[dict]:
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert buttons, f"no buttons in {messages}"
    return stack.say(user, buttons[index]["payload"])


# ---------------------------------------------------------------- a question gets an answer, not a commitment

@pytest.mark.parametrize("locale, question", [
    (EN, "I have 12,345 JAL miles, how many municipal points would I get?"),
    (JA, "JALマイル12,345マイルだと何ポイントになりますか？"),
])
def test_a_quote_question_gets_units_and_what_stays_then_an_offer(stack, locale, question):
    user = jal_user(stack, 20_000)
    quote = stack.say(user, question)
    facts = facts_of(quote, "conversion_quote")
    assert (facts["units"], facts["used"], facts["stays"], facts["to_amount"]) == (6, 12_000, 345, 6_000)
    text = in_language(quote, locale)
    assert "12,000" in text and "345" in text and "6,000" in text
    assert stack.ledger.balance(user).partners == {"jal": 20_000}          # nothing converted

    # no form was left open: the next question is answered as itself
    balance = stack.say(user, "what's my balance?" if locale == EN else "残高は？")
    assert kinds(balance) == ["balance"]

    # the offer converts exactly the whole units quoted, after the usual confirmation
    confirm = press(stack, user, quote)
    assert facts_of(confirm, "conversion")["status"] == "needs_confirmation"
    assert facts_of(confirm, "conversion")["from_amount"] == 12_000
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).partners == {"jal": 8_000} and stack.ledger.balance(user).reserved == 6_000


@pytest.mark.parametrize("locale, question", [
    (EN, "what if I converted 5000 miles?"), (JA, "5000マイルだと何ポイント？")])
def test_without_a_program_named_the_only_one_held_is_quoted(stack, locale, question):
    user = jal_user(stack, 9_000)
    quote = stack.say(user, question)
    facts = facts_of(quote, "conversion_quote")
    assert (facts["partner"], facts["used"], facts["stays"], facts["to_amount"]) == ("jal", 4_000, 1_000, 2_000)
    in_language(quote, locale)


# ---------------------------------------------------------------- all, half, everything but

@pytest.mark.parametrize("locale, request_, used, stays", [
    (EN, "convert all my JAL miles", 12_000, 345),
    (JA, "JALのマイルを全部交換したい", 12_000, 345),
    (EN, "convert half my JAL miles", 6_000, 172),
    (JA, "JALマイルを半分だけ交換して", 6_000, 172),
    (EN, "convert all my JAL miles except 1,000", 10_000, 1_345),
])
def test_a_share_is_whole_units_of_what_is_held_stated_before_confirming(stack, locale, request_, used, stays):
    user = jal_user(stack, 12_345)
    asked = stack.say(user, request_)
    confirm = facts_of(asked, "conversion")
    assert (confirm["status"], confirm["from_amount"]) == ("needs_confirmation", used), text_of(asked)
    text = in_language(asked, locale)
    assert "12,345" in text and f"{used:,}" in text and f"{stays:,}" in text
    assert stack.ledger.balance(user).partners == {"jal": 12_345}
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).partners == {"jal": 12_345 - used}


@pytest.mark.parametrize("locale", [EN, JA])
def test_all_when_holding_less_than_a_unit_says_so_and_leaves_no_form(stack, locale):
    user = jal_user(stack, 1_500)
    asked = stack.say(user, "convert all my JAL miles" if locale == EN else "JALマイルを全部交換して")
    facts = facts_of(asked, "conversion_quote")
    assert (facts["units"], facts["held"]) == (0, 1_500)
    in_language(asked, locale)
    after = stack.say(user, "what's my balance?" if locale == EN else "残高は？")
    assert kinds(after) == ["balance"]


# ---------------------------------------------------------------- a question inside a confirmation

@pytest.mark.parametrize("locale, question", [
    (EN, "how many miles would I have left?"), (JA, "交換したら残りは何マイル？")])
def test_a_question_in_a_confirmation_gets_the_pending_numbers_then_the_question_again(stack, locale, question):
    user = jal_user(stack, 5_000)
    stack.say(user, "convert 2000 JAL miles" if locale == EN else "JALの2000マイルを交換したい")
    answer = stack.say(user, question)
    after = facts_of(answer, "balance")["after_pending_conversion"]
    assert (after["partner_after"], after["reserved_after"]) == (3_000, 1_000)
    assert facts_of(answer, "conversion")["status"] == "needs_confirmation"    # asked again, once
    assert kinds(answer).count("conversion") == 1 and kinds(answer).count("balance") == 1
    in_language(answer, locale)
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).partners == {"jal": 3_000}


# ---------------------------------------------------------------- PP are never points

@pytest.mark.parametrize("locale, questions", [
    (EN, ["How many PP do I have?", "how many PP did I earn this month?"]),
    (JA, ["今年のPPは？", "今月何PP稼いだ？"]),
])
def test_a_pp_question_gets_premium_points_never_the_balance(stack, locale, questions):
    user = jal_user(stack, 5_000)
    logged = stack.say(user, "I flew HND to OKA today on Value" if locale == EN else "今日羽田から那覇にバリューで乗った")
    pp = facts_of(logged, "flight_logged")["pp"]
    year = stack.say(user, questions[0])
    assert kinds(year) == ["pp_earned"], text_of(year)
    assert facts_of(year, "pp_earned")["pp"] == pp and facts_of(year, "pp_earned")["month"] is None
    month = stack.say(user, questions[1])
    facts = facts_of(month, "pp_earned")
    assert facts["month"] is not None and facts["month_pp"] == pp
    in_language(month, locale)
    balance = stack.say(user, "what's my balance?" if locale == EN else "ポイント残高は？")
    assert kinds(balance) == ["balance"]


# ---------------------------------------------------------------- undo after an action

@pytest.mark.parametrize("locale", [EN, JA])
def test_calling_off_an_exchange_just_done_explains_it_is_one_way(stack, locale):
    user = jal_user(stack, 5_000)
    stack.say(user, "convert 2000 JAL miles" if locale == EN else "JALの2000マイルを交換したい")
    stack.say(user, "yes" if locale == EN else "はい")
    undo = stack.say(user, "undo that" if locale == EN else "やっぱりやめる")
    facts = facts_of(undo, "conversion")
    assert (facts["status"], facts["reason"]) == ("rejected", "one_way"), text_of(undo)
    assert any("/move_points" in b["payload"] for m in undo for b in m.get("buttons") or [])
    in_language(undo, locale)
    assert stack.ledger.balance(user).reserved == 1_000


@pytest.mark.parametrize("locale", [EN, JA])
def test_calling_off_a_flight_just_logged_offers_to_delete_it(stack, locale):
    user = new_user("undo-flight")
    logged = stack.say(user, "I flew HND to OKA today on Value" if locale == EN else "今日羽田から那覇にバリューで乗った")
    flight_id = facts_of(logged, "flight_logged")["flight_id"]
    undo = stack.say(user, "cancel that" if locale == EN else "取り消して")
    facts = facts_of(undo, "undo")
    assert (facts["last"], facts["possible"], facts["flight_id"]) == ("flight", True, flight_id), text_of(undo)
    in_language(undo, locale)
    confirm = press(stack, user, undo)
    assert "delete" in text_of(confirm).lower() or "削除" in text_of(confirm)
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done)["kind"] == "flight_deleted", text_of(done)
    assert stack.ledger.list_flights(user) == []


@pytest.mark.parametrize("locale", [EN, JA])
def test_calling_off_with_nothing_done_changes_nothing(stack, locale):
    user = new_user("undo-nothing")
    undo = stack.say(user, "cancel" if locale == EN else "やっぱりやめる", locale=locale)
    assert facts_of(undo, "undo") == {"kind": "undo", "last": None, "possible": False}
    in_language(undo, locale)
