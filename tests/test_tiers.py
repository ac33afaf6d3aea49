"""The ANA premium-status engine: when a tier starts, from the flights and the rules data."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules import default_rules
from ledger.status.answers import sfc_eligibility, status_now
from ledger.status.tiers import FlightPP, status_start

RULES = default_rules().status
BRONZE = RULES.tier("bronze")
PLATINUM = RULES.tier("platinum")
D = dt.date


def bronze(flights, year):
    return status_start(flights, BRONZE, year, RULES)


def test_design_example_bronze_from_the_day_after_crediting():
    flights = [FlightPP(D(2016, 4, 10), 15_000), FlightPP(D(2016, 5, 20), 14_000), FlightPP(D(2016, 6, 8), 2_342)]

    answer = bronze(flights, 2016)

    assert answer.reached
    assert answer.pp == 31_342
    assert answer.flight_on == D(2016, 6, 8)
    assert answer.pp_credited_on == D(2016, 6, 9)
    assert answer.pp_credited_by == D(2016, 6, 9)       # ANA group: no uncertainty
    assert answer.advance_service_from == D(2016, 6, 10)
    assert answer.advance_service_until == D(2017, 3, 31)
    assert answer.early_months_rule is False
    assert (answer.main_status_from, answer.main_status_until) == (D(2017, 4, 1), D(2018, 3, 31))
    facts = answer.facts()
    assert facts["kind"] == "status_start"
    assert facts["tier"] == "bronze"
    assert facts["advance_service_from"] == "2016-06-10"
    assert facts["main_status_from"] == "2017-04-01"
    assert "pp_credited_by" not in facts                 # only shown when crediting is a window


def test_one_day_gap_between_crediting_and_status():
    """Holding 30,000 PP on the crediting day is still a regular member for that day."""
    answer = bronze([FlightPP(D(2016, 5, 1), 28_000), FlightPP(D(2016, 6, 8), 2_000)], 2016)
    assert answer.pp_credited_on == D(2016, 6, 9)
    assert answer.advance_service_from == D(2016, 6, 10)


def test_december_31_flight_counts_for_its_own_year_though_credited_january_1():
    flights = [FlightPP(D(2016, 5, 1), 29_000), FlightPP(D(2016, 12, 31), 2_000)]

    earned_2016 = bronze(flights, 2016)
    assert earned_2016.reached
    assert earned_2016.pp == 31_000
    assert earned_2016.pp_credited_on == D(2017, 1, 1)
    assert (earned_2016.main_status_from, earned_2016.main_status_until) == (D(2017, 4, 1), D(2018, 3, 31))
    # A 2016 crossing: advance service from the day after crediting, up to the main status year.
    assert earned_2016.advance_service_from == D(2017, 1, 2)
    assert earned_2016.advance_service_from <= earned_2016.advance_service_until == D(2017, 3, 31)
    assert earned_2016.early_months_rule is False

    earned_2017 = bronze(flights, 2017)
    assert not earned_2017.reached
    assert earned_2017.pp == 0


def test_late_december_partner_flight_window_runs_into_january_without_waiting_for_april():
    flights = [FlightPP(D(2016, 5, 1), 16_000), FlightPP(D(2016, 12, 20), 15_000, ana_group=False)]

    answer = bronze(flights, 2016)

    assert (answer.pp_credited_on, answer.pp_credited_by) == (D(2016, 12, 23), D(2017, 1, 19))
    assert (answer.advance_service_from, answer.advance_service_by) == (D(2016, 12, 24), D(2017, 1, 20))
    assert answer.advance_service_by <= answer.advance_service_until == D(2017, 3, 31)


def test_crossing_in_january_to_march_gets_advance_service_from_april():
    flights = [FlightPP(D(2017, 1, 15), 15_000), FlightPP(D(2017, 2, 20), 15_000)]

    answer = bronze(flights, 2017)

    assert answer.pp_credited_on == D(2017, 2, 21)
    assert answer.advance_service_from == D(2017, 4, 1)
    assert answer.early_months_rule is True
    assert answer.advance_service_until == D(2018, 3, 31)
    assert answer.main_status_from == D(2018, 4, 1)


def test_march_30_flight_credited_march_31_status_from_april_1():
    answer = bronze([FlightPP(D(2017, 1, 5), 20_000), FlightPP(D(2017, 3, 30), 10_000)], 2017)
    assert answer.pp_credited_on == D(2017, 3, 31)
    assert answer.advance_service_from == D(2017, 4, 1)


def test_march_31_flight_credited_april_1_status_from_april_2():
    answer = bronze([FlightPP(D(2017, 1, 5), 20_000), FlightPP(D(2017, 3, 31), 10_000)], 2017)
    assert answer.pp_credited_on == D(2017, 4, 1)
    assert answer.advance_service_from == D(2017, 4, 2)
    assert answer.early_months_rule is False


def test_partner_pp_alone_do_not_reach_bronze_without_ana_group_minimum():
    flights = [FlightPP(D(2016, 3, 1), 20_000, ana_group=False), FlightPP(D(2016, 4, 1), 10_000)]

    answer = bronze(flights, 2016)

    assert answer.pp == 30_000
    assert not answer.reached
    assert answer.pp_missing == 0
    assert answer.ana_group_pp == 10_000
    assert answer.ana_group_pp_missing == 5_000
    assert answer.advance_service_from is None


def test_ana_group_minimum_met_later_is_the_crossing():
    """The total crosses first on partner PP; the tier starts only once the ANA-group PP are there too."""
    flights = [
        FlightPP(D(2016, 3, 1), 25_000, ana_group=False),
        FlightPP(D(2016, 5, 1), 10_000),
        FlightPP(D(2016, 7, 1), 5_000),
    ]
    answer = bronze(flights, 2016)
    assert answer.flight_on == D(2016, 7, 1)
    assert answer.advance_service_from == D(2016, 7, 3)


def test_partner_flight_crossing_gives_a_crediting_window():
    flights = [FlightPP(D(2016, 5, 1), 16_000), FlightPP(D(2016, 6, 1), 15_000, ana_group=False)]

    answer = bronze(flights, 2016)

    assert answer.reached
    assert answer.pp_credited_on == D(2016, 6, 4)        # 3 days after at the earliest
    assert answer.pp_credited_by == D(2016, 7, 1)        # a month after at the latest
    assert answer.advance_service_from == D(2016, 6, 5)
    assert answer.advance_service_by == D(2016, 7, 2)
    facts = answer.facts()
    assert facts["pp_credited_by"] == "2016-07-01"
    assert facts["advance_service_by"] == "2016-07-02"


def test_pp_reset_every_calendar_year():
    flights = [FlightPP(D(2016, 11, 1), 25_000), FlightPP(D(2017, 2, 1), 10_000)]

    answer = bronze(flights, 2017)

    assert not answer.reached
    assert answer.pp == 10_000
    assert answer.pp_missing == 20_000


def test_leap_day_crediting():
    answer = bronze([FlightPP(D(2024, 1, 10), 20_000), FlightPP(D(2024, 2, 28), 10_000)], 2024)
    assert answer.pp_credited_on == D(2024, 2, 29)
    assert answer.advance_service_from == D(2024, 4, 1)   # a Jan–Mar crossing
    assert answer.early_months_rule is True


def test_lower_tier_reached_higher_not_yet():
    flights = [FlightPP(D(2016, 5, 1), 40_000)]
    assert bronze(flights, 2016).reached
    platinum = status_start(flights, PLATINUM, 2016, RULES)
    assert not platinum.reached
    assert platinum.pp_missing == 10_000
    assert platinum.ana_group_pp_missing == 0


# ---------------------------------------------------------------- property

YEAR = 2016
_days = st.dates(min_value=D(YEAR, 1, 1), max_value=D(YEAR, 12, 31))
_flights = st.builds(FlightPP, flown_on=_days, premium_points=st.integers(1, 20_000), ana_group=st.booleans())


@settings(max_examples=300, deadline=None)
@given(flights=st.lists(_flights, max_size=12), extra=_flights, tier_id=st.sampled_from(["bronze", "platinum"]))
def test_adding_a_flight_never_delays_or_undoes_a_tier(flights, extra, tier_id):
    tier = RULES.tier(tier_id)
    before = status_start(flights, tier, YEAR, RULES)
    after = status_start(flights + [extra], tier, YEAR, RULES)

    if before.reached:
        assert after.reached
        assert after.advance_service_from <= before.advance_service_from
        assert after.pp_credited_on <= before.pp_credited_on
    assert after.pp >= before.pp
    assert after.pp_missing <= before.pp_missing


# Flights around the turn of the year, half of them on partners (crediting windows run into January).
_late_and_early = st.dates(min_value=D(YEAR, 10, 1), max_value=D(YEAR + 1, 4, 30))
_any_flights = st.builds(FlightPP, flown_on=_late_and_early | _days, premium_points=st.integers(1, 40_000),
                         ana_group=st.booleans())
RANK = {None: -1, "bronze": 0, "platinum": 1, "diamond": 2}


@settings(max_examples=300, deadline=None)
@given(flights=st.lists(_any_flights, max_size=10), extra=_any_flights,
       tier_id=st.sampled_from(["bronze", "platinum", "diamond"]), year=st.sampled_from([YEAR, YEAR + 1]))
def test_adding_a_partner_or_year_end_flight_never_delays_the_window(flights, extra, tier_id, year):
    tier = RULES.tier(tier_id)
    before = status_start(flights, tier, year, RULES)
    after = status_start(flights + [extra], tier, year, RULES)
    if before.reached:
        assert after.reached
        assert after.pp_credited_on <= before.pp_credited_on
        assert after.pp_credited_by <= before.pp_credited_by
        assert after.advance_service_from <= before.advance_service_from
        assert after.advance_service_by <= before.advance_service_by
        assert after.card_expected[1] <= before.card_expected[1]


@settings(max_examples=300, deadline=None)
@given(flights=st.lists(_any_flights, max_size=10), extra=_any_flights,
       on=st.dates(min_value=D(YEAR, 1, 1), max_value=D(YEAR + 3, 4, 30)))
def test_adding_a_flight_never_lowers_the_status_held_on_any_day(flights, extra, on):
    before = status_now(flights, on, RULES)
    after = status_now(flights + [extra], on, RULES)
    held = lambda answer: RANK[answer.tier.id if answer.tier else None]  # noqa: E731
    assert held(after) >= held(before)
    if sfc_eligibility(flights, on, RULES).eligible_now:
        assert sfc_eligibility(flights + [extra], on, RULES).eligible_now
