"""Changing the subject while a form asks a question, and asking to convert back — by chat, end to end.

While a form asks (how many miles? which prefecture? which code?), a message with a clearly different
intent is never taken as the answer:
* a question (balance, linkage status, history, support events, status start, help, hello) is answered
  and the form asks its question again — the user carries on where they were;
* a new task (link, unlink, coupon, move, home municipality, route advice, convert, log a flight,
  convert back, goodbye) leaves the form — saying so, with nothing changed — and is done instead.
A real answer (a number, 「二千」, "2k", a program name, yes/no) still fills the question, and an
unreadable one ("lots") still gets the clear refusal.

Conversions are one-way: "convert my Kasama points back to JAL miles" is answered with what the user can
do instead, and changes nothing.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import facts_of, new_user, text_of
from tests.test_conversation import has_japanese, jal_user  # noqa: F401 - fixture
from tests.test_conversation_points import EN, JA, buttons_of, said, with_reserved

pytestmark = pytest.mark.rasa

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
HOW_MANY_JAL = {EN: "How many miles from JAL Mileage Bank", JA: "JALマイレージバンクをいくつ交換しますか"}
START_JAL = {EN: "exchange my JAL miles", JA: "JALのマイルを交換したい"}


def state(stack, user) -> tuple:
    """Everything a user could lose: balances of every kind, linkages and the history."""
    balance = stack.ledger.balance(user)
    return (balance.reserved, balance.municipal, balance.events, balance.partners,
            {p: s.status for p, s in stack.ledger.link_statuses(user).items()}, len(stack.ledger.history(user)))


def ask_jal_amount(stack, user, locale) -> None:
    asked = stack.say(user, START_JAL[locale])
    assert HOW_MANY_JAL[locale] in said(asked, locale)


def refusals(messages: list[dict]) -> list[str]:
    return [m["facts"]["reason"] for m in messages if (m.get("facts") or {}).get("status") == "rejected"]


# ---------------------------------------------------------------- a question in the middle: answered, then resumed

@pytest.mark.parametrize("locale", [EN, JA])
def test_link_status_mid_conversion_is_answered_and_the_amount_asked_again(stack, jal_user, locale):
    before = state(stack, jal_user)
    ask_jal_amount(stack, jal_user, locale)

    answer = stack.say(jal_user, "which accounts are linked" if locale == EN else "連携状況")
    assert facts_of(answer, "link_status")["links"]["jal"]["status"] == "active"
    assert refusals(answer) == [], "the question is not read as an amount"
    assert HOW_MANY_JAL[locale] in said(answer, locale), "the conversion carries on"

    quoted = stack.say(jal_user, "2k" if locale == EN else "二千")
    quote = facts_of(quoted, "conversion")
    assert (quote["from_amount"], quote["to_amount"], quote["status"]) == (2000, 1000, "needs_confirmation")
    stack.say(jal_user, "no" if locale == EN else "いいえ")
    assert state(stack, jal_user) == before


@pytest.mark.parametrize("locale", [EN, JA])
def test_balance_mid_conversion_is_answered_and_a_bad_amount_still_refused(stack, jal_user, locale):
    ask_jal_amount(stack, jal_user, locale)

    answer = stack.say(jal_user, "balance" if locale == EN else "残高")
    assert facts_of(answer, "balance")["partners"] == {"jal": 5000}
    assert refusals(answer) == []
    assert HOW_MANY_JAL[locale] in said(answer, locale)

    unreadable = stack.say(jal_user, "lots" if locale == EN else "たくさん")
    assert refusals(unreadable) == ["not_a_number"]
    assert HOW_MANY_JAL[locale] in text_of(unreadable)

    quoted = stack.say(jal_user, "２，０００" if locale == JA else "2,000")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    done = stack.say(jal_user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(jal_user).partners == {"jal": 3000}


@pytest.mark.parametrize("start, question, switch, kind", [
    ("add a flight", "On which date did you fly", "which accounts are linked", "link_status"),
    ("link an account", "Which account do you want to link", "balance", "balance"),
    ("ID連携したい", "どの提携先のIDを連携しますか", "残高", "balance"),
    ("unlink a partner", "Which account do you want to unlink", "which accounts are linked", "link_status"),
    ("クーポンコードを登録したい", "クーポンコードを入力してください", "残高", "balance"),
    ("I want to redeem a coupon", "Please type the coupon code", "show my history", "history"),
    ("留保ポイントを自治体に移したい", "移行先の自治体はどの都道府県ですか", "連携状況", "link_status"),
    ("change my home municipality", "Which prefecture is your home municipality", "which support events are open",
     "events"),
    ("what is the best way to use my Saison points", "How many points from Saison", "balance", "balance"),
    ("留保ポイントを自治体に移したい", "移行先の自治体はどの都道府県ですか", "ブロンズはいつから？", "status_start"),
])
def test_every_form_answers_a_question_in_the_middle_and_asks_again(stack, start, question, switch, kind):
    user = new_user("resume")
    with_reserved(stack, user, 2000)  # JAL linked, 1,000 reserved points: every form has something to ask
    before = state(stack, user)
    assert question in text_of(stack.say(user, start))

    answer = stack.say(user, switch)
    assert facts_of(answer, kind), f"{switch!r} was not answered: {text_of(answer)}"
    assert refusals(answer) == [], f"{switch!r} was read as an answer: {text_of(answer)}"
    assert question in text_of(answer), "the form asks its question again"
    assert has_japanese(text_of(answer)) == bool(JAPANESE.search(switch)), "answered in the language of the question"

    stack.say(user, "cancel")
    assert state(stack, user) == before


def test_help_and_hello_mid_form_are_answered_and_the_form_goes_on(stack, jal_user):
    ask_jal_amount(stack, jal_user, EN)
    helped = stack.say(jal_user, "help")
    assert "Here is what I can do" in text_of(helped) and HOW_MANY_JAL[EN] in text_of(helped)
    greeted = stack.say(jal_user, "hello")
    assert "Hello" in text_of(greeted) and HOW_MANY_JAL[EN] in text_of(greeted)
    quoted = stack.say(jal_user, "4000")
    assert facts_of(quoted, "conversion")["from_amount"] == 4000
    stack.say(jal_user, "no")


def test_yes_where_a_number_is_asked_gets_one_answer_and_the_question_again(stack, jal_user):
    ask_jal_amount(stack, jal_user, EN)
    answer = stack.say(jal_user, "yes")
    assert len(answer) <= 2, f"answered {len(answer)} times: {text_of(answer)}"
    assert HOW_MANY_JAL[EN] in text_of(answer)
    assert facts_of(stack.say(jal_user, "2000"), "conversion")["status"] == "needs_confirmation"
    stack.say(jal_user, "no")


@pytest.mark.parametrize("no", ["no", "いいえ"])
def test_no_where_a_number_is_asked_stops_the_form(stack, jal_user, no):
    ask_jal_amount(stack, jal_user, EN)
    stopped = stack.say(jal_user, no)
    assert facts_of(stopped) == {"kind": "cancelled", "status": "cancelled"}
    assert HOW_MANY_JAL[EN] not in text_of(stopped)
    assert facts_of(stack.say(jal_user, "2000"), "conversion") == {}
    assert stack.ledger.balance(jal_user).partners == {"jal": 5000}


# ---------------------------------------------------------------- a new task in the middle: the form is left

@pytest.mark.parametrize("locale", [EN, JA])
def test_coupon_mid_conversion_leaves_the_conversion_and_redeems(stack, jal_user, locale):
    code = stack.ledger.sandbox_issue_coupon("ponta", 2000).facts()["code"]
    ask_jal_amount(stack, jal_user, locale)

    answer = stack.say(jal_user, f"redeem coupon {code}" if locale == EN else f"クーポン{code}を使いたい")
    assert facts_of(answer, "form_left") == {"kind": "form_left", "form": "conversion_form", "status": "cancelled"}
    assert facts_of(answer, "coupon")["status"] == "done"
    assert refusals(answer) == []
    said(answer, locale)
    assert (stack.ledger.balance(jal_user).reserved, stack.ledger.balance(jal_user).partners) == (2000, {"jal": 5000})

    after = stack.say(jal_user, "2000")
    assert facts_of(after, "conversion") == {}, "the conversion was left: a number is no longer its answer"
    assert stack.ledger.balance(jal_user).partners == {"jal": 5000}


@pytest.mark.parametrize("locale", [EN, JA])
def test_link_mid_conversion_leaves_the_conversion_and_links(stack, clock, locale):
    user = new_user("relink")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_grant(user, "jal", 5000)  # not linked yet: the conversion could not go ahead anyway
    ask_jal_amount(stack, user, locale)

    answer = stack.say(user, "link my JAL account" if locale == EN else "JALのIDを連携して")
    assert refusals(answer) == [], f"read as an amount: {text_of(answer)}"
    assert facts_of(answer, "link")["status"] == "needs_confirmation"
    assert facts_of(answer, "form_left")["form"] == "conversion_form"
    linked = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(linked, "link")["status"] == "pending" and facts_of(linked, "link")["active_from"] == "2018-06-08"
    said(linked, locale)

    status = stack.say(user, "which accounts are linked" if locale == EN else "連携状況")
    assert facts_of(status, "link_status")["links"]["jal"]["status"] == "pending"
    assert HOW_MANY_JAL[locale] not in text_of(status), "nothing asks for the amount any more"
    assert stack.ledger.balance(user).partners == {"jal": 5000}


def test_a_conversion_mid_move_leaves_the_move_and_the_move_starts_afresh_later(stack, clock):
    user = new_user("move-convert")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 2000)
    stack.ledger.sandbox_grant(user, "jal", 4000)
    assert "Which prefecture" in text_of(stack.say(user, "move my reserved points"))
    assert '/inform{"municipality":"kasama"}' in [b["payload"] for b in buttons_of(stack.say(user, "Ibaraki"))]

    quoted = stack.say(user, "convert 2000 JAL miles")
    assert facts_of(quoted, "form_left")["form"] == "move_form"
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    stack.say(user, "no")

    again = stack.say(user, "move my reserved points")
    assert "Which prefecture" in text_of(again), "the left move kept nothing (no prefecture)"
    stack.say(user, "cancel")
    assert stack.ledger.balance(user).reserved == 1000


def test_home_municipality_mid_link_leaves_the_linkage_in_japanese(stack):
    user = new_user("home-link")
    assert "どの提携先のIDを連携しますか" in text_of(stack.say(user, "ID連携したい"))
    answer = stack.say(user, "基本自治体を笠間市にして")
    assert facts_of(answer, "form_left")["form"] == "link_form"
    assert facts_of(answer, "home_municipality")["municipality"] == "kasama"
    assert "どの提携先のIDを連携しますか" not in text_of(answer)
    assert all(s.status == "not_linked" for s in stack.ledger.link_statuses(user).values())


def test_goodbye_mid_form_leaves_it(stack, jal_user):
    ask_jal_amount(stack, jal_user, JA)
    answer = stack.say(jal_user, "さようなら")
    assert facts_of(answer, "form_left")["form"] == "conversion_form"
    assert "ご利用ありがとうございました" in text_of(answer) and HOW_MANY_JAL[JA] not in text_of(answer)
    assert facts_of(stack.say(jal_user, "2000"), "conversion") == {}


# ---------------------------------------------------------------- converting back: one-way

@pytest.mark.parametrize("text, locale", [
    ("convert my Kasama points back to JAL miles", EN),
    ("can I turn my reserved points back into miles?", EN),
    ("笠間応援ポイントをマイルに戻したい", JA),
    ("留保ポイントをセゾンのポイントに戻せますか", JA),
])
def test_converting_back_is_refused_as_one_way_and_changes_nothing(stack, clock, text, locale):
    user = new_user("back")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 4000)  # 2,000 reserved points
    stack.ledger.move_reserved(user, "kasama", 500, f"m:{user}")
    before = state(stack, user)

    answer = stack.say(user, text)
    assert facts_of(answer, "conversion") == {"kind": "conversion", "status": "rejected", "reason": "one_way"}
    words = said(answer, locale)
    assert ("one-way" if locale == EN else "一方向") in words
    assert ("move" if locale == EN else "移") in words, "says what they can do instead"
    assert "/move_points" in [b["payload"] for b in buttons_of(answer)], "a button to move reserved points"
    assert state(stack, user) == before


def test_converting_back_mid_conversion_is_refused_and_leaves_the_form(stack, jal_user):
    ask_jal_amount(stack, jal_user, JA)
    answer = stack.say(jal_user, "笠間応援ポイントをマイルに戻したい")
    assert refusals(answer) == ["one_way"], text_of(answer)
    assert has_japanese(text_of(answer))
    assert facts_of(stack.say(jal_user, "2000"), "conversion") == {}
    assert stack.ledger.balance(jal_user).partners == {"jal": 5000}
