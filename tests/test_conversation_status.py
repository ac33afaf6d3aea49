"""Flights and every status question by chat, end to end (HTTP API → bot → real Rasa → actions → ledger),
in English and Japanese."""
from __future__ import annotations

import datetime as dt

import pytest

from ledger.shared.clock import parse_moment
from tests.conftest import facts_of, new_user, text_of

pytestmark = pytest.mark.rasa

D = dt.date


def has_japanese(text: str) -> bool:
    return any("\u3041" <= ch <= "\u309f" for ch in text)


@pytest.fixture
def on_day(stack):
    """Set the shared test clock (Asia/Tokyo) for one test."""
    def set_clock(moment: str):
        stack.ledger.set_test_clock(parse_moment(moment))
    yield set_clock
    stack.ledger.set_test_clock(None)


def flights_of(stack, user, year=2026):
    return [f.facts() for f in stack.ledger.list_flights(user, year)]


# ---------------------------------------------------------------- logging flights

@pytest.mark.parametrize("text", ["6/8に羽田-那覇をスタンダードで搭乗", "I flew HND to OKA on Standard on June 8"])
def test_a_flight_by_route_and_fare_gets_its_pp_computed(stack, on_day, text):
    user = new_user("route")
    on_day("2026-06-09T10:00")
    logged = stack.say(user, text)
    facts = facts_of(logged, "flight_logged")
    assert facts["status"] == "done" and facts["flown_on"] == "2026-06-08"
    assert (facts["origin"], facts["destination"]) == ("HND", "OKA")
    assert facts["pp"] == 1774 and facts["ana_group"] is True       # ANA's new fares from 2026-05-19
    assert facts["pp_computed"]["segment_miles"] > 0
    assert "1,774" in text_of(logged)
    assert has_japanese(text_of(logged)) == has_japanese(text)
    assert [f["pp"] for f in flights_of(stack, user)] == [1774]


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_a_route_without_fare_asks_for_the_fare(stack, on_day, locale):
    user = new_user("fare")
    on_day("2026-06-09T10:00")
    first = stack.say(user, "I flew Haneda to Naha yesterday" if locale == "en" else "昨日羽田から那覇に搭乗した")
    assert facts_of(first, "flight_logged") == {}
    assert ("fare" in text_of(first)) if locale == "en" else ("運賃" in text_of(first))
    assert flights_of(stack, user) == [], "nothing is logged before the fare is known"
    logged = stack.say(user, "Simple" if locale == "en" else "シンプル")
    expected = stack.ledger.compute_pp("HND", "OKA", D(2026, 6, 8), "simple").pp
    facts = facts_of(logged, "flight_logged")
    assert facts["pp"] == expected and facts["flown_on"] == "2026-06-08"
    assert expected < 1774, "Simple earns less than Standard"


def test_an_unknown_fare_is_asked_again_never_guessed(stack, on_day):
    user = new_user("badfare")
    on_day("2026-06-09T10:00")
    stack.say(user, "I flew HND to OKA yesterday")
    answer = stack.say(user, "the usual one")
    assert [m["facts"].get("status") for m in answer if m.get("facts")] == ["rejected", None]   # refused, asked again
    assert facts_of(answer) == {"kind": "question", "form": "flight_form", "slot": "fare"}
    assert flights_of(stack, user) == []


@pytest.mark.parametrize("text", ["flew NH123 on June 8, 1,342 PP", "6/8にNH123に搭乗、1342PP"])
def test_a_flight_number_with_pp(stack, on_day, text):
    user = new_user("nh")
    on_day("2026-06-09T10:00")
    facts = facts_of(stack.say(user, text), "flight_logged")
    assert facts["flight_number"] == "NH123" and facts["pp"] == 1342 and facts["ana_group"] is True
    assert facts["flown_on"] == "2026-06-08"


def test_a_partner_flight_number_counts_toward_the_total_only(stack, on_day):
    user = new_user("ua")
    on_day("2026-06-09T10:00")
    facts = facts_of(stack.say(user, "flew UA837 on June 3, 2,687 PP"), "flight_logged")
    assert facts["flight_number"] == "UA837" and facts["ana_group"] is False
    to_go = stack.ledger.pp_to_go(user, "bronze", 2026).facts()
    assert to_go["pp"] == 2687 and to_go["ana_group_pp"] == 0


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_the_flights_of_the_year_are_listed(stack, on_day, locale):
    user = new_user("list")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1342, f"{user}:1", flight_number="NH123")
    stack.ledger.log_flight(user, D(2026, 5, 20), None, f"{user}:2",
                            segment={"origin": "HND", "destination": "OKA", "fare": "standard"})
    answer = stack.say(user, "show my flights" if locale == "en" else "今年の搭乗履歴を見せて")
    facts = facts_of(answer, "flights")
    assert [f["flown_on"] for f in facts["flights"]] == ["2026-05-20", "2026-06-08"]
    assert facts["year_pp"] == 1342 + facts["flights"][0]["pp"]
    assert "NH123" in text_of(answer) and has_japanese(text_of(answer)) == (locale == "ja")


# ---------------------------------------------------------------- editing and deleting

@pytest.mark.parametrize("locale", ["en", "ja"])
def test_deleting_a_flight_by_date_asks_first_then_its_pp_no_longer_count(stack, on_day, locale):
    user = new_user("del")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1342, f"{user}:1")
    stack.ledger.log_flight(user, D(2026, 5, 20), 14000, f"{user}:2")
    asked = stack.say(user, "delete my flight on June 8" if locale == "en" else "6/8のフライトを削除して")
    assert facts_of(asked, "flight_deleted")["status"] == "needs_confirmation"
    assert sum(f["pp"] for f in flights_of(stack, user)) == 15342, "nothing changes before yes"
    done = stack.say(user, "/affirm")
    facts = facts_of(done, "flight_deleted")
    assert facts["status"] == "done" and facts["year_pp"] == 14000
    assert [f["flown_on"] for f in flights_of(stack, user)] == ["2026-05-20"]
    assert has_japanese(text_of(done)) == (locale == "ja")


def test_two_flights_on_one_day_are_offered_as_buttons(stack, on_day):
    user = new_user("two")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1342, f"{user}:1")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1774, f"{user}:2")
    asked = stack.say(user, "delete my flight on June 8")
    payloads = [b["payload"] for m in asked for b in m.get("buttons", [])]
    assert len(payloads) == 2
    wanted = next(f for f in flights_of(stack, user) if f["pp"] == 1774)
    confirm = stack.say(user, '/inform{"flight_id":"%d"}' % wanted["flight_id"])
    assert facts_of(confirm, "flight_deleted")["flight"]["pp"] == 1774
    stack.say(user, "/affirm")
    assert [f["pp"] for f in flights_of(stack, user)] == [1342]


def test_no_flight_on_that_day_says_so_and_offers_the_logged_ones(stack, on_day):
    user = new_user("none")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1342, f"{user}:1")
    asked = stack.say(user, "delete my flight on June 1")
    assert "June 1" in text_of(asked) or "1 Jun" in text_of(asked) or "6/1" in text_of(asked)
    assert len([b for m in asked for b in m.get("buttons", [])]) == 1
    stack.say(user, "cancel")
    assert len(flights_of(stack, user)) == 1


@pytest.mark.parametrize("text", ["change the June 8 flight to 1,500 PP", "6/8のフライトを1500PPに修正して"])
def test_editing_the_pp_of_a_flight_moves_the_status_date(stack, on_day, text):
    user = new_user("edit")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 5, 20), 28_000, f"{user}:1")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1342, f"{user}:2")
    assert stack.ledger.status_start(user, "bronze", 2026).reached is False
    asked = stack.say(user, text)
    assert facts_of(asked, "flight_edited")["status"] == "needs_confirmation"
    assert facts_of(asked, "flight_edited")["after"]["pp"] == 1500
    done = stack.say(user, "/affirm")
    assert facts_of(done, "flight_edited")["year_pp"] == 29_500
    assert sorted(f["pp"] for f in flights_of(stack, user)) == [1500, 28_000]


def test_editing_the_fare_recomputes_the_pp(stack, on_day):
    user = new_user("refare")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 6, 8), None, f"{user}:1",
                            segment={"origin": "HND", "destination": "OKA", "fare": "standard"})
    asked = stack.say(user, "6月8日の便の運賃をシンプルに直して")
    after = facts_of(asked, "flight_edited")["after"]
    assert after["pp"] == stack.ledger.compute_pp("HND", "OKA", D(2026, 6, 8), "simple").pp
    stack.say(user, "はい")
    assert [f["pp"] for f in flights_of(stack, user)] == [after["pp"]]


def test_saying_no_changes_nothing(stack, on_day):
    user = new_user("keep")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 6, 8), 1342, f"{user}:1")
    stack.say(user, "delete my flight on June 8")
    answer = stack.say(user, "/deny")
    assert facts_of(answer).get("status") == "cancelled"
    assert [f["pp"] for f in flights_of(stack, user)] == [1342]


# ---------------------------------------------------------------- status questions

@pytest.fixture
def platinum_flyer(stack, on_day):
    """50,000 PP on ANA-group flights in 2026: the crossing flight on 2026-06-08, credited on the 9th."""
    user = new_user("plat")
    on_day("2026-06-09T10:00")
    stack.ledger.log_flight(user, D(2026, 4, 10), 30_000, f"{user}:1")
    stack.ledger.log_flight(user, D(2026, 6, 8), 20_000, f"{user}:2")
    return user


@pytest.mark.parametrize("text", ["what is my status now", "今のステータスは？"])
def test_status_now_explains_the_crediting_day(stack, platinum_flyer, text):
    answer = stack.say(platinum_flyer, text)
    facts = facts_of(answer, "status_now")
    assert facts["on"] == "2026-06-09"
    assert facts["reason"] == "credited_today" and facts["next_tier"] == "platinum"
    assert facts["next_tier_from"] == "2026-06-10"
    assert facts["tier"] == "bronze", "Bronze shows since 2026-04-12, the day after its PP were credited"
    assert ("day after" in text_of(answer)) if not has_japanese(text) else ("翌日" in text_of(answer))


@pytest.mark.parametrize("text", ["when does my platinum end", "プラチナはいつまで？"])
def test_status_end(stack, platinum_flyer, text):
    facts = facts_of(stack.say(platinum_flyer, text), "status_end")
    assert facts["tier"] == "platinum" and facts["main_status_until"] == "2028-03-31"
    assert facts["main_status_from"] == "2027-04-01"


@pytest.mark.parametrize("text", ["how many PP to diamond", "ダイヤモンドまであと何PP？"])
def test_pp_to_go(stack, platinum_flyer, text):
    answer = stack.say(platinum_flyer, text)
    facts = facts_of(answer, "pp_to_go")
    assert facts["tier"] == "diamond" and facts["pp_missing"] == 50_000
    assert "50,000" in text_of(answer)


@pytest.mark.parametrize("text", ["what if I fly HND-OKA Standard on 12/10", "12/10に羽田-那覇をスタンダードで飛んだら？"])
def test_what_if_adds_nothing_to_the_log(stack, on_day, text):
    user = new_user("whatif")
    on_day("2026-11-25T10:00")
    stack.ledger.log_flight(user, D(2026, 11, 1), 29_000, f"{user}:1")
    answer = stack.say(user, text)
    facts = facts_of(answer, "what_if")
    assert facts["flights"][0]["flown_on"] == "2026-12-10" and facts["flights"][0]["pp"] == 1774
    assert facts["tier"] == "bronze" and facts["reached"] is True and facts["reached_before"] is False
    assert facts["pp_credited_on"] == "2026-12-11" and facts["advance_service_from"] == "2026-12-12"
    assert [f["pp"] for f in flights_of(stack, user)] == [29_000], "a what-if stores nothing"


def test_what_if_several_segments_each_with_its_fare_and_day(stack, on_day):
    user = new_user("legs")
    on_day("2026-11-25T10:00")
    answer = stack.say(user, "what if I fly HND-OKA Standard on 12/10 and OKA-HND Simple on 12/12")
    flights = facts_of(answer, "what_if")["flights"]
    assert [(f["origin"], f["destination"], f["fare"], f["flown_on"]) for f in flights] == [
        ("HND", "OKA", "standard", "2026-12-10"), ("OKA", "HND", "simple", "2026-12-12")]
    assert flights[0]["pp"] == 1774 and flights[1]["pp"] < 1774
    assert facts_of(answer, "what_if")["pp"] == flights[0]["pp"] + flights[1]["pp"]


def test_what_if_a_round_trip_counts_both_ways(stack, on_day):
    user = new_user("round")
    on_day("2026-11-25T10:00")
    answer = stack.say(user, "12/10に羽田-那覇をスタンダードで往復したら？")
    flights = facts_of(answer, "what_if")["flights"]
    assert [(f["origin"], f["destination"], f["pp"]) for f in flights] == [("HND", "OKA", 1774), ("OKA", "HND", 1774)]


@pytest.mark.parametrize("text", [
    "HND-OKA Simple 23,000 yen or Standard 30,000 yen, which is cheaper per PP?",
    "羽田-那覇、シンプル23,000円とスタンダード30,000円ならPP単価はどっちが安い？",
])
def test_cheapest_fare_per_pp(stack, on_day, text):
    user = new_user("cheap")
    on_day("2026-11-25T10:00")
    answer = stack.say(user, text)
    facts = facts_of(answer, "cheapest")
    by_yen = {row["yen"]: row for row in facts["options"]}
    assert set(by_yen) == {23_000, 30_000}
    assert by_yen[30_000]["pp"] == 1774
    simple_pp = stack.ledger.compute_pp("HND", "OKA", D(2026, 11, 25), "simple").pp
    assert by_yen[23_000]["pp"] == simple_pp
    best = min(facts["options"], key=lambda row: row["yen"] / row["pp"])
    assert facts["best"] == best["label"] and facts["options"][0] == best


@pytest.mark.parametrize("text", ["when can I apply for SFC", "SFCはいつから申し込める？"])
def test_sfc_from_platinum(stack, platinum_flyer, text):
    facts = facts_of(stack.say(platinum_flyer, text), "sfc")
    assert facts["eligible_now"] is False and facts["sfc_from"] == "2026-06-10"
    assert facts["tier"] == "platinum"


def test_a_status_question_mid_form_is_answered_and_the_form_goes_on(stack, platinum_flyer):
    asked = stack.say(platinum_flyer, "add a flight")
    assert "which date" in text_of(asked)
    answered = stack.say(platinum_flyer, "how many PP to diamond")
    assert facts_of(answered, "pp_to_go")["pp_missing"] == 50_000
    assert "which date" in text_of(answered), "the form asks its question again"
