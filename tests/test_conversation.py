"""Conversations A (points) and B (status) end to end: HTTP API → bot → real Rasa → actions → ledger."""
from __future__ import annotations

import datetime as dt

import httpx
import pytest

from ledger.shared.clock import parse_moment
from tests.conftest import facts_of, new_user, text_of

pytestmark = pytest.mark.rasa

def has_japanese(text: str) -> bool:
    """Written in Japanese: has hiragana (English replies quote terms like 留保ポイント, never hiragana)."""
    return any("\u3041" <= ch <= "\u309f" for ch in text)


@pytest.fixture
def jal_user(stack):
    """A user with a linked sandbox JAL account holding 5,000 miles."""
    user = new_user("jal")
    stack.ledger.set_test_clock(None)
    stack.ledger.sandbox_grant(user, "jal", 5000)
    stack.ledger.sandbox_link(user, "jal")
    return user


def ledger_state(stack, user):
    balance = stack.ledger.balance(user)
    return balance.reserved, balance.partners.get("jal", 0)


@pytest.mark.parametrize("text", ["convert 2000 JAL miles", "JALの2000マイルを交換したい"])
def test_conversion_is_stated_then_done_on_yes(stack, jal_user, text):
    asked = stack.say(jal_user, text)
    quote = facts_of(asked, "conversion")
    # on today's clock the scheme has ended (めいぶつチョイス closed 2020-09-30): the answer says so
    assert (quote.pop("rule_current"), quote.pop("rule_ended_on"), quote.pop("rule_confirmed_on")) == (
        False, "2020-09-30", "2020-09-30")
    assert "めいぶつチョイス" in quote.pop("rule_source")
    assert ("2020年9月30日" if has_japanese(text) else "ended on 2020-09-30") in text_of(asked)
    assert quote == {"kind": "conversion", "partner": "jal", "from_amount": 2000, "points_used": 2000, "wallet_used": 0,
                     "to": "reserved", "to_amount": 1000, "units": 1,
                     "rate": {"unit": 2000, "per_unit": 1000, "verified": True}, "campaign": None,
                     "campaign_until": None, "status": "needs_confirmation"}
    assert "2,000" in text_of(asked) and "1,000" in text_of(asked)
    assert has_japanese(text_of(asked)) == has_japanese(text)
    payloads = [b["payload"] for m in asked for b in m["buttons"]]
    assert payloads == ["/affirm", "/deny"]
    assert ledger_state(stack, jal_user) == (0, 5000), "nothing moves before the user confirms"

    done = stack.say(jal_user, "/affirm")
    assert facts_of(done, "conversion")["status"] == "done"
    assert has_japanese(text_of(done)) == has_japanese(text), "a button press keeps the conversation's language"
    assert ledger_state(stack, jal_user) == (1000, 3000)

    balance = stack.say(jal_user, "残高" if has_japanese(text) else "balance")
    assert facts_of(balance, "balance") == {"kind": "balance", "reserved": 1000, "municipal": {}, "events": {},
                                            "partners": {"jal": 3000}, "home_municipality": None}
    assert "3,000" in text_of(balance) and "1,000" in text_of(balance)


def test_pressing_yes_twice_converts_once(stack, jal_user):
    stack.say(jal_user, "convert 2000 JAL miles")
    stack.say(jal_user, "/affirm")
    again = stack.say(jal_user, "/affirm")
    assert facts_of(again, "conversion").get("status") != "done"
    assert ledger_state(stack, jal_user) == (1000, 3000)


@pytest.mark.parametrize("no", ["/deny", "no", "いいえ", "cancel"])
def test_no_changes_nothing(stack, jal_user, no):
    stack.say(jal_user, "convert 2000 JAL miles")
    answer = stack.say(jal_user, no)
    assert facts_of(answer).get("status") == "cancelled"
    assert ledger_state(stack, jal_user) == (0, 5000)


def test_missing_program_and_amount_are_asked_for(stack, jal_user):
    first = stack.say(jal_user, "convert miles")
    assert "Which program" in text_of(first)
    assert {"title": "JAL Mileage Bank", "payload": '/inform{"partner":"jal"}'} in first[-1]["buttons"]
    second = stack.say(jal_user, '/inform{"partner":"jal"}')
    assert "How many miles" in text_of(second)
    third = stack.say(jal_user, "4000")
    assert facts_of(third, "conversion")["to_amount"] == 2000
    assert facts_of(third, "conversion")["status"] == "needs_confirmation"
    stack.say(jal_user, "/affirm")
    assert ledger_state(stack, jal_user) == (2000, 1000)


def test_japanese_missing_amount_is_asked_in_japanese(stack, jal_user):
    asked = stack.say(jal_user, "日本航空のマイルを交換したい")
    assert "いくつ交換しますか" in text_of(asked)
    quoted = stack.say(jal_user, "２，０００")
    assert facts_of(quoted, "conversion")["from_amount"] == 2000
    assert has_japanese(text_of(quoted))


@pytest.mark.parametrize("text, reason", [
    ("convert -5 JAL miles", "not_positive"),
    ("convert 99999999999 JAL miles", "too_large"),
    ("convert 1e9 JAL miles", "not_a_number"),
    ("convert 3000 JAL miles", "not_whole_units"),
    ("convert 8000 JAL miles", "insufficient_balance"),
])
def test_bad_amounts_get_a_clear_answer_and_change_nothing(stack, jal_user, text, reason):
    answer = stack.say(jal_user, text)
    facts = facts_of(answer, "conversion")
    assert facts["status"] == "rejected" and facts["reason"] == reason
    assert ledger_state(stack, jal_user) == (0, 5000)
    stack.say(jal_user, "cancel")


def test_full_width_amount_is_understood(stack, jal_user):
    answer = stack.say(jal_user, "convert ２，０００ JAL miles")
    assert facts_of(answer, "conversion")["from_amount"] == 2000
    stack.say(jal_user, "no")
    assert ledger_state(stack, jal_user) == (0, 5000)


def test_unknown_program_is_named_and_nothing_changes(stack, jal_user):
    asked = stack.say(jal_user, "convert 2000 Rakuten points")
    assert "Which program" in text_of(asked)
    refused = stack.say(jal_user, "Rakuten")
    assert facts_of(refused, "conversion")["reason"] == "unknown_partner"
    assert "Rakuten" in text_of(refused)
    stack.say(jal_user, "cancel")
    assert ledger_state(stack, jal_user) == (0, 5000)


def test_unlinked_account_is_refused_with_the_reason(stack):
    user = new_user("nolink")
    stack.ledger.sandbox_grant(user, "jal", 5000)
    answer = stack.say(user, "convert 2000 JAL miles")
    assert facts_of(answer, "conversion")["reason"] == "not_linked"
    assert stack.ledger.balance(user).partners == {"jal": 5000}


def test_noise_is_answered_and_changes_nothing(stack, jal_user):
    noise = ("xq9!" * 1250)[:5000]
    answer = stack.say(jal_user, noise)
    assert facts_of(answer)["reason"] == "text_too_long"
    assert "too long" in text_of(answer)
    garbage = stack.say(jal_user, "zzkq wpx vvv")
    assert text_of(garbage)
    assert ledger_state(stack, jal_user) == (0, 5000)


def test_a_user_never_sees_another_users_accounts(stack, jal_user):
    stack.say(jal_user, "convert 2000 JAL miles")
    stack.say(jal_user, "/affirm")
    other = new_user("other")
    seen = facts_of(stack.say(other, "balance"), "balance")
    assert seen == {"kind": "balance", "reserved": 0, "municipal": {}, "events": {}, "partners": {},
                    "home_municipality": None}
    tried = stack.say(other, "convert 2000 JAL miles")
    assert facts_of(tried, "conversion")["status"] == "rejected"
    assert ledger_state(stack, jal_user) == (1000, 3000)


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_status_start_to_the_day(stack, locale):
    user = new_user("flyer")
    stack.ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    try:
        if locale == "en":
            stack.say(user, "I flew on 2016-03-10 and earned 15000 premium points")
            stack.say(user, "flew on 2016-05-20, 14000 PP")
            stack.say(user, "I flew on 2016-06-08 and earned 1000 premium points")
            logged = stack.say(user, "I flew on 2016-06-08 and earned 1342 premium points")
            answer = stack.say(user, "when does my bronze status start")
        else:
            stack.say(user, "2016年3月10日に搭乗して15000プレミアムポイントを獲得しました")
            stack.say(user, "2016年5月20日に14000PPのフライト")
            stack.say(user, "2016年6月8日に搭乗して1000プレミアムポイントを獲得しました")
            logged = stack.say(user, "2016年6月8日に搭乗して1342プレミアムポイントを獲得しました")
            answer = stack.say(user, "ブロンズはいつから？")
    finally:
        stack.ledger.set_test_clock(None)
    assert facts_of(logged, "flight_logged")["year_pp"] == 31342
    facts = facts_of(answer, "status_start")
    assert facts["tier"] == "bronze" and facts["reached"] is True and facts["pp"] == 31342
    assert facts["pp_credited_on"] == "2016-06-09"
    assert facts["advance_service_from"] == "2016-06-10"
    assert facts["main_status_from"] == "2017-04-01" and facts["main_status_until"] == "2018-03-31"
    text = text_of(answer)
    if locale == "en":
        assert "2016-06-10" in text and "day after" in text and "2016-06-09" in text
    else:
        assert "2016年6月10日" in text and "翌日" in text and "2016年6月9日" in text


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_the_seeds_second_timeline_platinum_from_july_12(stack, locale):
    """Seed 004: the 50,000 PP flight on 2016-07-10, 50,974 PP credited on 2016-07-11, Platinum from 2016-07-12 —
    and on the 11th the user still holds Bronze."""
    user = new_user("seed-platinum")
    stack.ledger.set_test_clock(parse_moment("2016-07-11T10:00"))
    try:
        for day, pp in (("2016-04-10", 15_000), ("2016-05-20", 14_000), ("2016-06-08", 2_342)):
            stack.ledger.log_flight(user, dt.date.fromisoformat(day), pp, f"seed:{user}:{day}")
        if locale == "en":
            logged = stack.say(user, "I flew on 2016-07-10 and earned 19632 premium points")
            answer = stack.say(user, "when does platinum start?")
            today = stack.say(user, "what is my status now?")
        else:
            logged = stack.say(user, "2016年7月10日に搭乗して19632PPを獲得しました")
            answer = stack.say(user, "プラチナはいつから？")
            today = stack.say(user, "今のステータスは？")
    finally:
        stack.ledger.set_test_clock(None)
    assert facts_of(logged, "flight_logged")["year_pp"] == 50_974
    facts = facts_of(answer, "status_start")
    assert (facts["tier"], facts["pp"], facts["pp_credited_on"], facts["advance_service_from"]) == (
        "platinum", 50_974, "2016-07-11", "2016-07-12"), text_of(answer)
    assert ("2016-07-12" if locale == "en" else "2016年7月12日") in text_of(answer)
    assert facts_of(today, "status_now")["tier"] == "bronze", text_of(today)


def test_flight_form_asks_for_what_is_missing(stack):
    user = new_user("ask")
    stack.ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    try:
        assert "which date" in text_of(stack.say(user, "add a flight"))
        assert "premium points" in text_of(stack.say(user, "yesterday"))
        logged = stack.say(user, "1342")
    finally:
        stack.ledger.set_test_clock(None)
    facts = facts_of(logged, "flight_logged")
    assert {k: facts[k] for k in ("kind", "flown_on", "pp", "ana_group", "year", "year_pp", "status")} == {
        "kind": "flight_logged", "flown_on": "2016-06-08", "pp": 1342, "ana_group": True, "year": 2016,
        "year_pp": 1342, "status": "done"}
    assert facts["flight_number"] is None and facts["origin"] is None


def test_future_flight_is_refused(stack):
    user = new_user("future")
    stack.ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    try:
        answer = stack.say(user, "I flew on 2016-07-01 and earned 1342 premium points")
    finally:
        stack.ledger.set_test_clock(None)
    assert facts_of(answer)["reason"] == "flight_in_future"
    assert stack.ledger.status_start(user, "bronze", year=2016).pp == 0


# ---------------------------------------------------------------- HTTP API contract

def test_healthz_names_every_component(stack):
    response = httpx.get(f"{stack.base_url}/healthz")
    assert response.status_code == 200
    assert response.json()["components"] == {"bot": True, "nlu": True, "actions": True, "database": True}


def test_api_needs_the_bearer_token(stack):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": stack.token}):
        response = httpx.post(f"{stack.base_url}/v1/messages", json={"user_id": "x", "text": "balance"}, headers=headers)
        assert response.status_code == 401


@pytest.mark.parametrize("body, reason", [
    ({"user_id": "", "text": "hi"}, "bad_user_id"),
    ({"user_id": "a b", "text": "hi"}, "bad_user_id"),
    ({"user_id": "a", "text": 5}, "bad_text"),
    ({"user_id": "a", "text": "hi", "locale": 3}, "bad_locale"),
    ([1, 2], "bad_json"),
])
def test_api_rejects_malformed_requests(stack, body, reason):
    with stack.client() as client:
        response = client.post("/v1/messages", json=body)
    assert response.status_code == 400 and response.json()["error"]["reason"] == reason


def test_voice_answer_is_speakable(stack, jal_user):
    with stack.client() as client:
        response = client.post("/v1/voice", json={"user_id": jal_user, "text": "残高"})
    body = response.json()
    assert response.status_code == 200
    assert "留保ポイント" in body["speech"] and "•" not in body["speech"]
    assert body["ssml"].startswith('<speak version="1.1"') and body["end_session"] is True


def test_locale_hint_is_used_for_neutral_text(stack, jal_user):
    answer = stack.say(jal_user, "/check_balance", locale="ja")
    assert "残高" in text_of(answer)


def test_a_replayed_api_request_is_not_acted_on_twice(stack):
    user = new_user("replay")
    flown = (dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date() - dt.timedelta(days=1)).isoformat()
    body = {"user_id": user, "text": f"I flew on {flown} and earned 1342 premium points", "request_id": "r-1"}
    with stack.client() as client:
        first = client.post("/v1/messages", json=body).json()["messages"]
        again = client.post("/v1/messages", json=body).json()["messages"]
        japanese = client.post("/v1/messages", json=body | {"text": "残高"}).json()["messages"]
        other_user = client.post("/v1/messages", json=body | {"user_id": new_user("other")}).json()["messages"]
    assert facts_of(first, "flight_logged")["pp"] == 1342
    assert facts_of(again)["reason"] == "replayed_request" and "already handled" in text_of(again)
    assert "処理済み" in text_of(japanese)
    assert facts_of(other_user, "flight_logged")["pp"] == 1342, "request ids are per user"
    assert stack.ledger.status_start(user, "bronze", year=int(flown[:4])).pp == 1342
