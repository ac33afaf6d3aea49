"""Logging flights and asking when a status starts, through the Ledger facade on a real database."""
from __future__ import annotations

import datetime as dt

import pytest

from ledger.shared.clock import TOKYO
from tests.conftest import refused

U = "flyer"
D = dt.date


@pytest.fixture
def on_2016_06_09(ledger):
    ledger.set_test_clock(dt.datetime(2016, 6, 9, 10, 0, tzinfo=TOKYO))
    return ledger



def test_design_example_through_the_services(on_2016_06_09):
    ledger = on_2016_06_09
    ledger.log_flight(U, D(2016, 4, 10), 15_000, "f1")
    ledger.log_flight(U, D(2016, 5, 20), 14_000, "f2")
    facts, created = ledger.log_flight(U, D(2016, 6, 8), 2_342, "f3")

    assert created is True
    assert facts["year_pp"] == 31_342
    answer = ledger.status_start(U, "bronze")          # year from the test clock
    assert answer.year == 2016
    assert answer.pp_credited_on == D(2016, 6, 9)
    assert answer.advance_service_from == D(2016, 6, 10)
    assert answer.main_status_from == D(2017, 4, 1)


def test_flight_after_today_is_refused(on_2016_06_09):
    ledger = on_2016_06_09

    refusal = refused(ledger.log_flight, U, D(2016, 6, 10), 1_000, "f1")

    assert refusal.reason == "flight_in_future"
    assert refusal.details["today"] == "2016-06-09"
    assert ledger.status_start(U, "bronze").pp == 0
    # a flight flown today is fine
    assert ledger.log_flight(U, D(2016, 6, 9), 1_000, "f2")[1] is True


def test_flight_before_the_pp_rules_is_refused(on_2016_06_09):
    assert refused(on_2016_06_09.log_flight, U, D(2007, 12, 31), 1_000, "f1").reason == "flight_too_old"


@pytest.mark.parametrize("pp", [0, -1, 100_001])
def test_impossible_pp_for_one_flight_are_refused(on_2016_06_09, pp):
    ledger = on_2016_06_09

    refusal = refused(ledger.log_flight, U, D(2016, 6, 1), pp, "f1")

    assert refusal.reason == "pp_out_of_range"
    assert refusal.details["maximum"] == 100_000
    assert ledger.status_start(U, "bronze").pp == 0


def test_largest_possible_pp_is_accepted(on_2016_06_09):
    facts, created = on_2016_06_09.log_flight(U, D(2016, 6, 1), 100_000, "f1")
    assert created and facts["year_pp"] == 100_000


def test_same_key_logs_the_flight_once(on_2016_06_09):
    ledger = on_2016_06_09

    first, first_new = ledger.log_flight(U, D(2016, 6, 1), 1_342, "tg-update-7")
    again, again_new = ledger.log_flight(U, D(2016, 6, 1), 1_342, "tg-update-7")

    assert (first_new, again_new) == (True, False)
    assert again["year_pp"] == first["year_pp"] == 1_342
    assert ledger.status_start(U, "bronze").pp == 1_342


def test_partner_flight_is_recorded_as_such(on_2016_06_09):
    ledger = on_2016_06_09
    ledger.log_flight(U, D(2016, 5, 1), 16_000, "f1")
    ledger.log_flight(U, D(2016, 6, 1), 15_000, "f2", ana_group=False)

    answer = ledger.status_start(U, "bronze")

    assert answer.ana_group_pp == 16_000
    assert (answer.pp_credited_on, answer.pp_credited_by) == (D(2016, 6, 4), D(2016, 7, 1))


def test_flights_of_other_users_do_not_count(on_2016_06_09):
    ledger = on_2016_06_09
    ledger.log_flight("someone-else", D(2016, 5, 1), 40_000, "f1")
    assert ledger.status_start(U, "bronze").pp == 0
    assert not ledger.status_start(U, "bronze").reached


def test_status_start_for_another_year(on_2016_06_09):
    ledger = on_2016_06_09
    ledger.log_flight(U, D(2015, 11, 1), 30_000, "f1")
    assert ledger.status_start(U, "bronze").pp == 0                 # 2016: reset
    assert ledger.status_start(U, "bronze", year=2015).reached


def test_unknown_tier_is_refused_with_the_known_ones(ledger):
    refusal = refused(ledger.status_start, U, "gold")
    assert refusal.reason == "unknown_tier"
    assert refusal.details["known"] == ["bronze", "platinum", "diamond"]


def test_a_flight_logged_by_route_and_fare_gets_its_pp_computed(ledger):
    from ledger.shared.clock import parse_moment

    ledger.set_test_clock(parse_moment("2026-06-09T10:00"))
    facts, created = ledger.log_flight("pp-user", dt.date(2026, 6, 8), None, "seg-1",
                                       segment={"origin": "羽田", "destination": "那覇", "fare": "スタンダード"})
    assert created and facts["pp"] == 1_774 and facts["ana_group"] is True  # floor(984 × 0.80 × 2) + 200
    assert facts["pp_computed"]["segment_miles"] == 984
    assert refused(ledger.log_flight, "pp-user", dt.date(2026, 6, 8), None, "seg-2",
                   segment={"origin": "羽田", "destination": "Atlantis", "fare": "standard"}).reason == "unknown_route"
    assert ledger.status_start("pp-user", "bronze").pp == 1_774


# ---------------------------------------------------------------- what-if trips, cheapest fares, fares on sale

@pytest.fixture
def on_2026_11_25(ledger):
    ledger.set_test_clock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO))
    return ledger


def test_what_if_trips_chains_pairs_and_round_trips(on_2026_11_25):
    ledger = on_2026_11_25
    day = [D(2026, 12, 10)]
    one_way = ledger.what_if_trip(U, ["HND", "OKA"], day, ["standard"])
    assert [(f.computed.origin, f.computed.destination, f.pp) for f in one_way.flights] == [("HND", "OKA", 1_774)]
    chain = ledger.what_if_trip(U, ["HND", "OKA", "ISG"], day, ["standard"])
    assert [(f.computed.origin, f.computed.destination) for f in chain.flights] == [("HND", "OKA"), ("OKA", "ISG")]
    pairs = ledger.what_if_trip(U, ["HND", "OKA", "OKA", "HND"], [D(2026, 12, 10), D(2026, 12, 12)],
                                ["standard", "simple"])
    assert [(f.computed.fare_id, f.flown_on) for f in pairs.flights] == [("standard", D(2026, 12, 10)),
                                                                          ("simple", D(2026, 12, 12))]
    round_trip = ledger.what_if_trip(U, ["HND", "OKA"], day, ["standard"], round_trip=True)
    assert [(f.computed.origin, f.pp) for f in round_trip.flights] == [("HND", 1_774), ("OKA", 1_774)]
    assert round_trip.facts()["pp"] == 3_548 and round_trip.added_pp == 3_548
    assert ledger.what_if_trip(U, ["HND"], day, ["standard"]) is None            # not a trip
    assert refused(ledger.what_if_trip, U, ["HND", "OKA"], day, []).reason == "fare_needed"
    assert refused(ledger.what_if_trip, U, ["HND", "XXX"], day, ["standard"]).reason == "unknown_route"
    assert ledger.list_flights(U, 2026) == []                                   # nothing stored


def test_cheapest_fares_on_a_route_are_ranked_by_yen_per_pp(on_2026_11_25):
    ledger = on_2026_11_25
    ranked = ledger.cheapest_fares("羽田", "那覇", D(2026, 11, 25), [("シンプル", 23_000), ("スタンダード", 30_000)])
    facts = ranked.facts()
    assert (facts["origin"], facts["destination"], facts["flown_on"]) == ("HND", "OKA", "2026-11-25")
    assert {o["label"]: o["pp"] for o in facts["options"]}["standard"] == 1_774
    per_pp = [o["yen"] / o["pp"] for o in facts["options"]]
    assert per_pp == sorted(per_pp) and facts["best"] == facts["options"][0]["label"]
    assert refused(ledger.cheapest_fares, "HND", "OKA", D(2026, 11, 25), [("standard", 0)]).reason == "yen_out_of_range"
    assert refused(ledger.cheapest_fares, "HND", "OKA", D(2026, 11, 25), [("value", 9_000)]).reason == "fare_not_valid_on"


def test_the_fares_on_sale_change_on_2026_05_19(ledger):
    before = {f.id for f in ledger.fares_on_sale(D(2026, 5, 18))}
    after = {f.id for f in ledger.fares_on_sale(D(2026, 5, 19))}
    assert {"simple", "standard"} <= after and "simple" not in before
    assert "old_fare5" in before and "old_fare5" not in after                   # バリュー until 2026-05-18


def test_the_seeds_second_timeline_platinum_the_day_after_crediting(ledger):
    """Seed 004: 2016/7/10 the 50,000 PP flight; 7/11 PP credited, 50,974; 7/12 Platinum (the web shows it).
    On 7/11 the user already holds 50,974 PP yet is still Bronze (ANA's Bronze desk answered)."""
    ledger.set_test_clock(dt.datetime(2016, 7, 11, 10, 0, tzinfo=TOKYO))
    ledger.log_flight(U, D(2016, 4, 10), 15_000, "f1")
    ledger.log_flight(U, D(2016, 5, 20), 14_000, "f2")
    ledger.log_flight(U, D(2016, 6, 8), 2_342, "f3")        # 31,342 PP: Bronze from 2016-06-10
    facts, _ = ledger.log_flight(U, D(2016, 7, 10), 19_632, "f4")
    assert facts["year_pp"] == 50_974

    platinum = ledger.status_start(U, "platinum")
    assert (platinum.flight_on, platinum.pp_credited_on, platinum.advance_service_from) == (
        D(2016, 7, 10), D(2016, 7, 11), D(2016, 7, 12))
    assert platinum.pp == 50_974 and platinum.main_status_from == D(2017, 4, 1)
    assert ledger.status_now(U).tier.id == "bronze", "credited today, Platinum only from tomorrow"
    assert ledger.status_now(U, D(2016, 7, 12)).tier.id == "platinum"


@pytest.mark.parametrize("fare", ["運賃3", "旅割", "flex"])
def test_a_2016_flight_by_route_and_fare_is_refused_and_says_why(ledger, fare):
    """Seed 004's own flights are of 2016: ANA's domestic fare table before 2018-06-25 (運賃1–13) has no source
    to rely on, so the refusal names the first table and asks for the PP credited."""
    ledger.set_test_clock(dt.datetime(2016, 7, 11, 10, 0, tzinfo=TOKYO))
    refusal = refused(ledger.log_flight, U, D(2016, 7, 10), None, "f1",
                      segment={"origin": "HND", "destination": "OKA", "fare": fare})
    assert (refusal.reason, refusal.details["first_from"]) == ("no_fare_table", "2018-06-25")
    assert ledger.list_flights(U, 2016) == [], "nothing logged"
