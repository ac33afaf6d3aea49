"""Deleting and editing logged flights, and flight numbers, through the Ledger facade on a real database.

Flights stay a history (a deleted or replaced row is kept), but only live flights count: in the year's
PP, in every status answer, in the chart, in the lists. A redelivered delete or edit acts once.
"""
from __future__ import annotations

import datetime as dt

import pytest

from ledger.rules import default_rules
from ledger.shared.clock import TOKYO
from ledger.status.carriers import flight_number
from tests.conftest import refused

U = "flyer"
D = dt.date


@pytest.fixture
def on_2026_11_25(ledger):
    ledger.set_test_clock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO))
    return ledger



def bronze_year(ledger, user: str = U) -> dict[int, int]:
    """Flights that reach Bronze on June 8 (31,342 PP) plus one more in July; their flight ids by PP."""
    ids = {}
    for day, pp, key in [(D(2026, 4, 10), 15_000, "f1"), (D(2026, 5, 20), 14_000, "f2"),
                         (D(2026, 6, 8), 2_342, "f3"), (D(2026, 7, 1), 2_000, "f4")]:
        facts, _ = ledger.log_flight(user, day, pp, f"{user}:{key}")
        ids[pp] = facts["flight_id"]
    return ids


# ---------------------------------------------------------------- delete

def test_deleting_a_flight_takes_its_pp_out_of_the_year_and_moves_bronze_later(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)
    assert ledger.status_start(U, "bronze").advance_service_from == D(2026, 6, 10)

    facts = ledger.delete_flight(U, ids[2_342], "chat:del:1")

    assert facts["kind"] == "flight_deleted"
    assert facts["flight"] == {"flight_id": ids[2_342], "flown_on": "2026-06-08", "pp": 2_342, "ana_group": True,
                               "flight_number": None, "origin": None, "destination": None, "fare": None}
    assert (facts["year"], facts["year_pp"]) == (2026, 31_000)
    answer = ledger.status_start(U, "bronze")
    assert answer.pp == 31_000
    assert answer.pp_credited_on == D(2026, 7, 2) and answer.advance_service_from == D(2026, 7, 3)
    assert ledger.status_now(U, on=D(2026, 6, 20)).tier is None       # Bronze no longer held in June
    assert sum(f.premium_points for f in ledger.flights_for_year(U, 2026)) == 31_000   # the chart's data


def test_deleting_the_flight_that_reached_bronze_leaves_it_not_reached(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)
    ledger.delete_flight(U, ids[2_000], "chat:del:1")

    ledger.delete_flight(U, ids[2_342], "chat:del:2")

    answer = ledger.status_start(U, "bronze")
    assert not answer.reached and answer.pp == 29_000
    assert ledger.pp_to_go(U, "bronze").facts()["pp_missing"] == 1_000
    assert ledger.status_now(U).tier is None


def test_a_redelivered_delete_acts_once_and_gives_the_same_answer(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)

    first = ledger.delete_flight(U, ids[2_342], "chat:del:1")
    again = ledger.delete_flight(U, ids[2_342], "chat:del:1")

    assert again == first
    assert ledger.status_start(U, "bronze").pp == 31_000   # 2,342 taken out once, not twice
    # the same flight again with a new request: it is gone
    assert refused(ledger.delete_flight, U, ids[2_342], "chat:del:2").reason == "flight_not_found"
    # the same key for another flight is not a redelivery
    assert refused(ledger.delete_flight, U, ids[2_000], "chat:del:1").reason == "idempotency_key_reused"
    assert ledger.status_start(U, "bronze").pp == 31_000


def test_another_users_flight_cannot_be_deleted_or_edited(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger, "someone-else")

    assert refused(ledger.delete_flight, U, ids[2_342], "k1").details["flight_id"] == ids[2_342]
    assert refused(ledger.delete_flight, U, ids[2_342], "k1").reason == "flight_not_found"
    assert refused(ledger.edit_flight, U, ids[2_342], "k2", premium_points=10).reason == "flight_not_found"
    assert refused(ledger.delete_flight, U, 999_999, "k3").reason == "flight_not_found"
    assert ledger.status_start("someone-else", "bronze").pp == 33_342   # untouched


def test_deleted_and_replaced_flights_vanish_from_the_lists(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)
    ledger.log_flight(U, D(2025, 12, 31), 800, "old")
    ledger.delete_flight(U, ids[15_000], "del")
    edited = ledger.edit_flight(U, ids[14_000], "edit", premium_points=14_500)

    listed = [f.facts() for f in ledger.list_flights(U)]                                # this year on the clock, oldest first
    assert [(f["flown_on"], f["pp"]) for f in listed] == [("2026-05-20", 14_500), ("2026-06-08", 2_342),
                                                          ("2026-07-01", 2_000)]
    assert listed[0]["flight_id"] == edited["after"]["flight_id"] != ids[14_000]
    assert [f["pp"] for f in [f.facts() for f in ledger.list_flights(U, 2025)]] == [800]
    assert [f.facts() for f in ledger.find_flights(U, on=D(2026, 4, 10))] == []
    assert [f["pp"] for f in [f.facts() for f in ledger.find_flights(U, on=D(2026, 5, 20))]] == [14_500]
    assert [f["flown_on"] for f in [f.facts() for f in ledger.find_flights(U)]] == ["2026-07-01", "2026-06-08", "2026-05-20",
                                                               "2025-12-31"]   # any year, newest first
    # the replaced flight can no longer be changed; its replacement can
    assert refused(ledger.edit_flight, U, ids[14_000], "edit-2", premium_points=1).reason == "flight_not_found"
    assert refused(ledger.delete_flight, U, ids[15_000], "del-2").reason == "flight_not_found"


# ---------------------------------------------------------------- edit

def test_editing_the_pp_moves_the_status_date(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)

    facts = ledger.edit_flight(U, ids[2_342], "chat:edit:1", premium_points=500)

    assert facts["kind"] == "flight_edited"
    assert (facts["before"]["pp"], facts["after"]["pp"]) == (2_342, 500)
    assert facts["before"]["flown_on"] == facts["after"]["flown_on"] == "2026-06-08"
    assert (facts["year"], facts["year_pp"]) == (2026, 31_500)
    answer = ledger.status_start(U, "bronze")
    assert answer.pp == 31_500 and answer.advance_service_from == D(2026, 7, 3)   # was June 10


def test_editing_the_date_moves_the_status_date(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)

    facts = ledger.edit_flight(U, ids[2_342], "chat:edit:1", flown_on=D(2026, 8, 15))

    assert facts["after"]["flown_on"] == "2026-08-15" and facts["after"]["pp"] == 2_342
    assert ledger.status_start(U, "bronze").advance_service_from == D(2026, 7, 3)   # July's flight crosses now


def test_a_redelivered_edit_acts_once_and_gives_the_same_answer(on_2026_11_25):
    ledger = on_2026_11_25
    ids = bronze_year(ledger)

    first = ledger.edit_flight(U, ids[2_342], "chat:edit:1", premium_points=3_000)
    again = ledger.edit_flight(U, ids[2_342], "chat:edit:1", premium_points=3_000)

    assert again == first
    assert ledger.status_start(U, "bronze").pp == 34_000
    assert len([f.facts() for f in ledger.list_flights(U)]) == 4
    assert refused(ledger.edit_flight, U, ids[2_000], "chat:edit:1", premium_points=1).reason == \
        "idempotency_key_reused"


def test_a_new_fare_recomputes_the_pp_from_the_route(on_2026_11_25):
    ledger = on_2026_11_25
    logged, _ = ledger.log_flight(U, D(2026, 5, 19), None, "seg",
                                  segment={"origin": "羽田", "destination": "那覇", "fare": "スタンダード"})
    assert (logged["pp"], logged["origin"], logged["destination"], logged["fare"]) == (1_774, "HND", "OKA", "standard")

    simple = ledger.edit_flight(U, logged["flight_id"], "e1", fare="シンプル")
    assert simple["after"]["pp"] == 1_477                        # floor(984 × 70% × 2) + 100
    assert simple["after"]["fare"] == "simple" and simple["year_pp"] == 1_477
    assert simple["pp_computed"]["rate"] == 70

    # ANA VALUE was sold until 2026-05-18: on the 19th it is not a fare; moved to the 18th it is
    refusal = refused(ledger.edit_flight, U, simple["after"]["flight_id"], "e2", fare="value")
    assert refusal.reason == "fare_not_valid_on" and refusal.details["changed_on"] == "2026-05-19"
    value = ledger.edit_flight(U, simple["after"]["flight_id"], "e3", fare="value", flown_on=D(2026, 5, 18))
    assert value["after"]["pp"] == 1_876                         # floor(984 × 75% × 2) + 400 (old fare 5)
    assert refused(ledger.edit_flight, U, value["after"]["flight_id"], "e4", fare="first-class-ish").reason == \
        "unknown_fare"
    assert [f["pp"] for f in [f.facts() for f in ledger.list_flights(U)]] == [1_876]


def test_a_fare_change_without_a_route_is_refused(on_2026_11_25):
    ledger = on_2026_11_25
    facts, _ = ledger.log_flight(U, D(2026, 6, 8), 1_342, "f1")

    refusal = refused(ledger.edit_flight, U, facts["flight_id"], "e1", fare="standard")

    assert refusal.reason == "route_unknown" and refusal.details["fare"] == "standard"
    assert [f["pp"] for f in [f.facts() for f in ledger.list_flights(U)]] == [1_342]


def test_an_edit_is_checked_like_a_new_flight(on_2026_11_25):
    ledger = on_2026_11_25
    facts, _ = ledger.log_flight(U, D(2026, 6, 8), 1_342, "f1")
    flight_id = facts["flight_id"]

    assert refused(ledger.edit_flight, U, flight_id, "e1").reason == "nothing_to_change"
    assert refused(ledger.edit_flight, U, flight_id, "e2", premium_points=1_342).reason == "nothing_to_change"
    assert refused(ledger.edit_flight, U, flight_id, "e3", flown_on=D(2026, 11, 26)).reason == "flight_in_future"
    assert refused(ledger.edit_flight, U, flight_id, "e4", flown_on=D(2007, 12, 31)).reason == "flight_too_old"
    assert refused(ledger.edit_flight, U, flight_id, "e5", premium_points=0).reason == "pp_out_of_range"
    assert refused(ledger.edit_flight, U, flight_id, "e6", premium_points=100_001).reason == "pp_out_of_range"
    assert [f.facts() for f in ledger.list_flights(U)] == [facts_flight(facts)]
    # across the turn of the year: the year's PP are the new year's
    moved = ledger.edit_flight(U, flight_id, "e7", flown_on=D(2025, 12, 31))
    assert (moved["year"], moved["year_pp"]) == (2025, 1_342)
    assert [f.facts() for f in ledger.list_flights(U)] == [] and ledger.status_start(U, "bronze", year=2025).pp == 1_342


def facts_flight(facts: dict) -> dict:
    keys = ("flight_id", "flown_on", "pp", "ana_group", "flight_number", "origin", "destination", "fare")
    return {k: facts[k] for k in keys}


# ---------------------------------------------------------------- flight numbers

@pytest.mark.parametrize("text, expected", [
    ("NH123", ("NH123", "ana")), ("nh 123", ("NH123", "ana")), ("ANA123", ("NH123", "ana")),
    ("ANA 0123", ("NH123", "ana")), ("ＮＨ１２３", ("NH123", "ana")), ("NH-123便", ("NH123", "ana")),
    ("UA837", ("UA837", "partner")), ("ual 837", ("UA837", "partner")), ("A3 601", ("A3601", "partner")),
    ("lh0716", ("LH716", "partner")), ("BR 197", ("BR197", "partner")),
])
def test_flight_numbers_are_normalized_with_their_carrier(text, expected):
    assert flight_number(text, default_rules().carriers) == expected


@pytest.mark.parametrize("text, reason", [
    ("NH", "bad_flight_number"), ("123", "bad_flight_number"), ("NH0", "bad_flight_number"),
    ("NH12345", "bad_flight_number"), ("羽田123", "bad_flight_number"), ("", "bad_flight_number"),
    ("JL123", "unknown_carrier"), ("HD55", "unknown_carrier"),     # AIRDO under its own code: not ANA group
    ("XYZ12", "unknown_carrier"),
])
def test_not_a_flight_number_or_no_pp_carrier_is_refused(text, reason):
    assert refused(flight_number, text, default_rules().carriers).reason == reason


def test_a_flight_number_decides_ana_group_or_partner(on_2026_11_25):
    ledger = on_2026_11_25
    partner, _ = ledger.log_flight(U, D(2026, 6, 1), 15_000, "f1", flight_number="ＵＡ８３７")   # ana_group=True ignored
    ana, _ = ledger.log_flight(U, D(2026, 6, 2), 16_000, "f2", ana_group=False, flight_number="ana 0123")

    assert (partner["flight_number"], partner["ana_group"]) == ("UA837", False)
    assert (ana["flight_number"], ana["ana_group"]) == ("NH123", True)
    answer = ledger.status_start(U, "bronze")
    assert answer.reached and answer.ana_group_pp == 16_000
    assert [f["pp"] for f in [f.facts() for f in ledger.find_flights(U, flight_number="nh123")]] == [16_000]
    assert [f["pp"] for f in [f.facts() for f in ledger.find_flights(U, on=D(2026, 6, 1), flight_number="UA 837")]] == [15_000]
    assert [f.facts() for f in ledger.find_flights(U, on=D(2026, 6, 2), flight_number="UA837")] == []


def test_a_bad_or_unknown_flight_number_logs_nothing(on_2026_11_25):
    ledger = on_2026_11_25
    assert refused(ledger.log_flight, U, D(2026, 6, 1), 1_000, "f1", flight_number="JL5").reason == "unknown_carrier"
    assert refused(ledger.log_flight, U, D(2026, 6, 1), 1_000, "f2", flight_number="5").reason == "bad_flight_number"
    # a partner flight number with a route but neither PP nor the fare's accrual rate: asked for, as before
    refusal = refused(ledger.log_flight, U, D(2026, 6, 1), None, "f3", flight_number="UA 837",
                      segment={"origin": "NRT", "destination": "SFO"})
    assert refusal.reason == "partner_rate_needed"
    assert [f.facts() for f in ledger.list_flights(U)] == []


def test_a_partner_flight_by_number_and_route_gets_its_pp_from_the_accrual_rate(on_2026_11_25):
    ledger = on_2026_11_25
    facts, _ = ledger.log_flight(U, D(2026, 6, 1), None, "f1", flight_number="LH 715",
                                 segment={"origin": "HND", "destination": "OKA", "partner_rate": 100})
    assert facts["ana_group"] is False and facts["pp"] == 984 + 400     # × 100 % × 1 + 400 boarding points
    assert facts["fare"] == "100%"
    edited = ledger.edit_flight(U, facts["flight_id"], "e1", fare="50%")
    assert edited["after"]["pp"] == 492                                # no boarding points below 100 %
