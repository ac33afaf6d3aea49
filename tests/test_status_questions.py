"""Every status question, to the day in Asia/Tokyo: what do I hold now, when does it end, how many PP to go,
what if I fly these, which fare is cheapest per PP, when can I apply for SFC."""
from __future__ import annotations

import datetime as dt

import pytest

from ledger.rules import default_rules
from ledger.shared.clock import TOKYO
from ledger.status.answers import cheapest, pp_to_go, sfc_eligibility, status_end, status_now
from ledger.status.tiers import FlightPP, status_start
from tests.conftest import refused

RULES = default_rules().status
BRONZE, PLATINUM, DIAMOND = RULES.tier("bronze"), RULES.tier("platinum"), RULES.tier("diamond")
D = dt.date
U = "flyer"

# The design example: the 30,000th PP is credited on 2016-06-09 → Bronze from 2016-06-10.
DESIGN = [FlightPP(D(2016, 4, 10), 15_000), FlightPP(D(2016, 5, 20), 14_000), FlightPP(D(2016, 6, 8), 2_342)]


def now(flights, on):
    return status_now(flights, on, RULES).facts()


# ---------------------------------------------------------------- status now

def test_the_crediting_day_is_still_a_regular_member_and_says_why():
    facts = now(DESIGN, D(2016, 6, 9))
    assert facts["tier"] is None
    assert facts["pp"] == 31_342
    assert facts["reason"] == "credited_today"
    assert (facts["next_tier"], facts["pp_credited_on"], facts["next_tier_from"]) == ("bronze", "2016-06-09", "2016-06-10")


def test_the_day_after_crediting_advance_service_runs():
    facts = now(DESIGN, D(2016, 6, 10))
    assert (facts["tier"], facts["basis"], facts["reason"]) == ("bronze", "advance_service", "advance_service")
    assert (facts["main_status_from"], facts["main_status_until"]) == ("2017-04-01", "2018-03-31")
    assert "next_tier" not in facts


@pytest.mark.parametrize("on, tier, basis", [
    (D(2016, 6, 8), None, None),
    (D(2017, 3, 31), "bronze", "advance_service"),
    (D(2017, 4, 1), "bronze", "main_status"),
    (D(2018, 3, 31), "bronze", "main_status"),
    (D(2018, 4, 1), None, None),
])
def test_status_year_boundaries_march_31_april_1(on, tier, basis):
    facts = now(DESIGN, on)
    assert (facts["tier"], facts["basis"]) == (tier, basis)


def test_before_the_flight_and_after_the_status_year_no_status():
    assert now(DESIGN, D(2018, 4, 1))["reason"] == "no_status"
    assert now(DESIGN, D(2016, 1, 1))["reason"] == "no_status"


def test_a_higher_tier_reached_later_replaces_the_lower_one():
    flights = DESIGN + [FlightPP(D(2016, 9, 1), 20_000)]        # 51,342 PP, credited 2016-09-02
    assert now(flights, D(2016, 9, 2))["tier"] == "bronze"
    assert now(flights, D(2016, 9, 2))["reason"] == "credited_today"
    assert now(flights, D(2016, 9, 3))["tier"] == "platinum"
    assert now(flights, D(2017, 4, 1))["tier"] == "platinum"
    ended = status_end(flights, BRONZE, D(2016, 10, 1), RULES).facts()
    assert (ended["replaced_by"], ended["replaced_from"]) == ("platinum", "2016-09-03")


def test_last_years_main_status_gives_way_to_this_years_higher_advance_service():
    flights = [FlightPP(D(2016, 5, 1), 30_000), FlightPP(D(2017, 5, 1), 50_000)]
    assert now(flights, D(2017, 5, 2))["tier"] == "bronze"          # main status from 2016's PP
    facts = now(flights, D(2017, 5, 3))
    assert (facts["tier"], facts["earned_year"], facts["basis"]) == ("platinum", 2017, "advance_service")


def test_a_lower_tier_this_year_does_not_shorten_last_years_higher_status():
    flights = [FlightPP(D(2016, 5, 1), 50_000), FlightPP(D(2017, 5, 1), 30_000)]
    assert now(flights, D(2017, 5, 3))["tier"] == "platinum"
    assert now(flights, D(2018, 3, 31))["tier"] == "platinum"
    assert now(flights, D(2018, 4, 1))["tier"] == "bronze"
    assert status_end(flights, PLATINUM, D(2017, 6, 1), RULES).facts()["main_status_until"] == "2018-03-31"
    assert status_end(flights, BRONZE, D(2017, 6, 1), RULES).facts()["main_status_until"] == "2019-03-31"


def test_december_31_flight_credited_january_1_status_from_january_2():
    flights = [FlightPP(D(2016, 5, 1), 29_000), FlightPP(D(2016, 12, 31), 2_000)]
    jan1 = now(flights, D(2017, 1, 1))
    assert (jan1["tier"], jan1["reason"], jan1["next_tier_from"]) == (None, "credited_today", "2017-01-02")
    assert jan1["pp"] == 0                           # the new calendar year starts from zero
    jan2 = now(flights, D(2017, 1, 2))
    assert (jan2["tier"], jan2["earned_year"], jan2["status_until"]) == ("bronze", 2016, "2018-03-31")
    assert now(flights, D(2016, 12, 31))["pp"] == 29_000   # the Dec 31 flight is not credited yet


def test_january_to_march_crossing_waits_for_april_and_says_mid_april_officially():
    flights = [FlightPP(D(2017, 1, 15), 15_000), FlightPP(D(2017, 2, 20), 15_000)]
    for day in (D(2017, 2, 21), D(2017, 2, 22), D(2017, 3, 31)):
        facts = now(flights, day)
        assert facts["tier"] is None
        assert facts["reason"] == "waiting_for_april"
        assert facts["next_tier_from"] == "2017-04-01"
        assert facts["official_advance_service_from"] == "mid-April"
    assert now(flights, D(2017, 4, 1))["tier"] == "bronze"
    start = status_start(flights, BRONZE, 2017, RULES).facts()
    assert start["official_advance_service_from"] == "mid-April"
    assert "early_months_april" in start["reasons"]


def test_partner_crossing_is_a_window_while_it_may_or_may_not_be_credited():
    flights = [FlightPP(D(2016, 5, 1), 16_000), FlightPP(D(2016, 6, 1), 15_000, ana_group=False)]
    during = now(flights, D(2016, 6, 20))
    assert during["tier"] is None
    assert during["reason"] == "partner_credit_window"
    assert during["maybe_tier"] == "bronze"
    assert during["pp_credited_between"] == ["2016-06-04", "2016-07-01"]
    assert during["advance_service_between"] == ["2016-06-05", "2016-07-02"]
    assert during["pp"] == 16_000                    # the partner PP may not be there yet
    assert during["pp_logged"] == 31_000
    assert now(flights, D(2016, 6, 4))["reason"] == "partner_credit_window"
    assert now(flights, D(2016, 7, 1))["tier"] is None
    assert now(flights, D(2016, 7, 2))["tier"] == "bronze"


def test_partner_window_in_the_start_answer_is_never_a_single_date():
    flights = [FlightPP(D(2016, 5, 1), 16_000), FlightPP(D(2016, 6, 1), 15_000, ana_group=False)]
    facts = status_start(flights, BRONZE, 2016, RULES).facts()
    assert facts["pp_credited_between"] == ["2016-06-04", "2016-07-01"]
    assert facts["advance_service_between"] == ["2016-06-05", "2016-07-02"]
    assert facts["card_expected_between"] == ["2016-06-19", "2016-07-23"]
    assert "partner_credit_window" in facts["reasons"]


# ---------------------------------------------------------------- leap years

def test_leap_day_flight_2024():
    flights = [FlightPP(D(2024, 1, 10), 20_000), FlightPP(D(2024, 2, 29), 10_000)]
    answer = status_start(flights, BRONZE, 2024, RULES)
    assert answer.pp_credited_on == D(2024, 3, 1)
    assert answer.advance_service_from == D(2024, 4, 1)
    assert now(flights, D(2024, 3, 31))["reason"] == "waiting_for_april"
    assert now(flights, D(2024, 4, 1))["tier"] == "bronze"
    assert now(flights, D(2026, 3, 31))["tier"] == "bronze"
    assert now(flights, D(2026, 4, 1))["tier"] is None


def test_leap_day_partner_flight_2028_window_inside_march_still_april():
    flights = [FlightPP(D(2028, 1, 10), 16_000), FlightPP(D(2028, 2, 29), 15_000, ana_group=False)]
    answer = status_start(flights, BRONZE, 2028, RULES)
    assert (answer.pp_credited_on, answer.pp_credited_by) == (D(2028, 3, 3), D(2028, 3, 30))
    assert answer.advance_service_from == answer.advance_service_by == D(2028, 4, 1)


def test_crediting_on_feb_29_of_a_non_crossing_day_in_2028():
    answer = status_start([FlightPP(D(2028, 2, 28), 30_000)], BRONZE, 2028, RULES)
    assert answer.pp_credited_on == D(2028, 2, 29)
    assert (answer.main_status_from, answer.main_status_until) == (D(2029, 4, 1), D(2030, 3, 31))


# ---------------------------------------------------------------- status end, PP to go, card

def test_status_end_names_the_main_status_year():
    facts = status_end(DESIGN, BRONZE, D(2016, 7, 1), RULES).facts()
    assert (facts["reached"], facts["ended"]) == (True, False)
    assert (facts["main_status_from"], facts["main_status_until"]) == ("2017-04-01", "2018-03-31")
    assert status_end(DESIGN, BRONZE, D(2018, 4, 1), RULES).facts()["ended"] is True
    not_reached = status_end(DESIGN, PLATINUM, D(2016, 7, 1), RULES).facts()
    assert not_reached["reached"] is False and not_reached["main_status_until"] is None


def test_pp_to_go_partner_pp_count_toward_the_total_only():
    flights = [FlightPP(D(2016, 3, 1), 20_000, ana_group=False), FlightPP(D(2016, 4, 1), 10_000)]
    bronze = pp_to_go(flights, BRONZE, 2016, RULES).facts()
    assert (bronze["pp_missing"], bronze["ana_group_pp_missing"]) == (0, 5_000)
    assert bronze["pp_missing_on_ana_group_only"] == 5_000
    platinum = pp_to_go(flights, PLATINUM, 2016, RULES).facts()
    assert (platinum["pp_missing"], platinum["ana_group_pp_missing"]) == (20_000, 15_000)
    assert platinum["partner_pp_may_cover"] == 5_000
    assert pp_to_go(flights, PLATINUM, 2017, RULES).facts()["pp_missing"] == 50_000    # calendar-year reset


def test_card_expected_two_to_three_weeks_after_the_status_change():
    facts = status_start(DESIGN, BRONZE, 2016, RULES).facts()
    assert facts["card_expected_between"] == ["2016-06-24", "2016-07-01"]
    assert facts["card_observed_between"] == ["2016-06-20", "2016-06-24"]
    april = status_start([FlightPP(D(2017, 2, 20), 30_000)], BRONZE, 2017, RULES).facts()
    assert april["card_expected_between"] == ["2017-04-15", "2017-04-22"]   # after the status shows in April


# ---------------------------------------------------------------- cheapest, SFC

def test_cheapest_ranks_by_yen_per_pp():
    facts = cheapest([("HND-OKA Flex", 2_368, 45_000), ("HND-OKA Standard", 1_774, 20_000), ("same", 1_774, 20_000)]).facts()
    assert facts["best"] == "HND-OKA Standard"
    assert [o["label"] for o in facts["options"]] == ["HND-OKA Standard", "same", "HND-OKA Flex"]
    assert facts["options"][0]["yen_per_pp"] == 11.27


def test_sfc_from_platinum_advance_service():
    flights = DESIGN + [FlightPP(D(2016, 9, 1), 20_000)]
    before = sfc_eligibility(flights, D(2016, 8, 1), RULES).facts()
    assert (before["eligible_now"], before["sfc_from"], before["sfc_until"]) == (False, "2016-09-03", "2018-03-31")
    after = sfc_eligibility(flights, D(2016, 9, 3), RULES).facts()
    assert after["eligible_now"] is True and after["tier"] == "platinum"
    assert sfc_eligibility(flights, D(2018, 4, 1), RULES).facts()["eligible_now"] is False


def test_sfc_not_reached_says_how_far_and_bronze_does_not_count():
    facts = sfc_eligibility(DESIGN, D(2016, 7, 1), RULES).facts()
    assert facts["sfc_from"] is None
    assert (facts["pp_missing"], facts["ana_group_pp_missing"]) == (18_658, 0)


def test_sfc_from_diamond_and_from_a_partner_window():
    diamond = sfc_eligibility([FlightPP(D(2016, 5, 1), 100_000)], D(2016, 5, 1), RULES).facts()
    assert diamond["sfc_from"] == "2016-05-03"
    window = sfc_eligibility([FlightPP(D(2016, 5, 1), 30_000), FlightPP(D(2016, 6, 1), 20_000, ana_group=False)],
                             D(2016, 6, 1), RULES).facts()
    assert window["sfc_from_between"] == ["2016-06-05", "2016-07-02"]


# ---------------------------------------------------------------- through the facade, on the real database

@pytest.fixture
def flyer(ledger):
    ledger.set_test_clock(dt.datetime(2016, 6, 9, 10, 0, tzinfo=TOKYO))
    for i, f in enumerate(DESIGN):
        ledger.log_flight(U, f.flown_on, f.premium_points, f"f{i}")
    return ledger



def test_status_now_through_the_facade_uses_the_tokyo_day(flyer):
    assert flyer.status_now(U).facts()["reason"] == "credited_today"
    flyer.set_test_clock(dt.datetime(2016, 6, 9, 15, 0, tzinfo=dt.timezone.utc))   # 00:00 on June 10 in Tokyo
    assert flyer.status_now(U).facts()["tier"] == "bronze"
    assert flyer.status_now(U, on=D(2018, 4, 1)).tier is None


def test_status_end_and_pp_to_go_through_the_facade(flyer):
    assert flyer.status_end(U, "bronze").facts()["main_status_until"] == "2018-03-31"
    assert flyer.status_end(U).facts()["tier"] == "bronze"
    facts = flyer.pp_to_go(U, "platinum").facts()
    assert (facts["kind"], facts["pp_missing"], facts["year"]) == ("pp_to_go", 18_658, 2016)
    assert flyer.pp_to_go(U).facts()["tier"] == "platinum"          # the next tier not yet reached
    assert refused(flyer.pp_to_go, U, "gold").reason == "unknown_tier"
    assert refused(flyer.status_end, U, "gold").reason == "unknown_tier"


def test_what_if_answers_without_storing(flyer):
    answer = flyer.what_if(U, [(D(2016, 8, 1), 10_000, True), (D(2016, 8, 20), 9_000, False)], "platinum")
    facts = answer.facts()
    assert (facts["kind"], facts["reached"], facts["reached_before"]) == ("what_if", True, False)
    assert facts["pp"] == 50_342 and facts["pp_before"] == 31_342
    assert facts["pp_credited_between"] == ["2016-08-23", "2016-09-19"]
    assert facts["advance_service_between"] == ["2016-08-24", "2016-09-20"]
    assert flyer.status_start(U, "platinum").pp == 31_342        # nothing stored
    assert flyer.what_if(U, [(D(2016, 8, 1), 30_000, True)]).tier.id == "platinum"


@pytest.mark.parametrize("flights, reason", [
    ([], "no_flights_given"),
    ([(D(2016, 8, 1), 0, True)], "pp_out_of_range"),
    ([(D(2007, 8, 1), 1_000, True)], "flight_too_old"),
])
def test_what_if_refusals(flyer, flights, reason):
    assert refused(flyer.what_if, U, flights).reason == reason


def test_cheapest_and_its_refusals(flyer):
    assert flyer.cheapest([("a", 1_000, 30_000), ("b", 1_000, 20_000)]).facts()["best"] == "b"
    assert refused(flyer.cheapest, []).reason == "no_fares_given"
    assert refused(flyer.cheapest, [("a", 1_000, 0)]).reason == "yen_out_of_range"
    assert refused(flyer.cheapest, [("a", -5, 1_000)]).reason == "pp_out_of_range"


def test_sfc_through_the_facade(flyer):
    facts = flyer.sfc_eligible_from(U).facts()
    assert (facts["kind"], facts["eligible_now"], facts["pp_missing"]) == ("sfc", False, 18_658)
