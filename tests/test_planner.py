"""A plan to a status (修行の計画), the pure planner: trips per fare, the cheapest mix, the day a schedule gives.
Properties with hypothesis: more trips never delay the status; never fewer trips than the PP require; the
cheapest mix always reaches the PP and costs no more than any single fare."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules import default_rules
from ledger.status.planner import cheapest_mix, plan, trips_needed
from ledger.status.tiers import FlightPP, status_start

RULES = default_rules().status
PLATINUM = RULES.tier("platinum")
BRONZE = RULES.tier("bronze")


def test_platinum_from_nothing_on_hnd_oka_round_trips():
    # seed 004's question: 50,000 PP of which 25,000 on ANA group; Standard HND-OKA-HND is 3,548 PP
    pp = {"standard": 3_548, "simple": 2_954}
    planned = plan([], PLATINUM, 2026, RULES, [("standard", pp["standard"], 30_000), ("simple", pp["simple"], 23_000)])
    assert planned.pp_needed == 50_000
    assert {o.fare: o.trips for o in planned.options} == {"standard": 15, "simple": 17}
    assert planned.options[0].fare == "standard"                        # fewest trips first
    assert sum(pp[fare] * n for fare, n in planned.mix) >= 50_000
    assert planned.mix_yen <= min(o.total_yen for o in planned.options)


def test_partner_pp_count_toward_the_total_but_not_the_ana_group_minimum():
    partner_heavy = [FlightPP(dt.date(2026, 5, 1), 45_000, False)]
    planned = plan(partner_heavy, PLATINUM, 2026, RULES, [("standard", 3_548, None)])
    assert (planned.before.pp_missing, planned.before.ana_group_pp_missing) == (5_000, 25_000)
    assert planned.options[0].trips == trips_needed(25_000, 3_548) == 8   # the ANA-group minimum decides


def test_a_schedule_gives_the_day_the_status_starts_and_uses_only_the_trips_needed():
    saturdays = [dt.date(2026, 1, 3) + dt.timedelta(weeks=n) for n in range(30)]
    planned = plan([], BRONZE, 2026, RULES, [("standard", 3_548, None)], saturdays)
    assert planned.options[0].trips == 9 and len(planned.scheduled) == 9
    assert planned.after.reached and planned.after.flight_on == saturdays[8]
    assert planned.facts()["advance_service_from"] == planned.after.advance_service_from.isoformat()


def test_already_reached_needs_no_trips():
    done = [FlightPP(dt.date(2026, 3, 1), 60_000, True)]
    planned = plan(done, PLATINUM, 2026, RULES, [("standard", 3_548, 30_000)])
    assert planned.options[0].trips == 0 and planned.mix == () and planned.mix_yen == 0


per_trip_pp = st.integers(min_value=400, max_value=8_000)


@settings(max_examples=60, deadline=None)
@given(logged=st.lists(st.integers(min_value=100, max_value=5_000), max_size=8), pp=per_trip_pp,
       extra=st.integers(min_value=1, max_value=5))
def test_more_trips_never_delay_the_status(logged, pp, extra):
    flights = [FlightPP(dt.date(2026, 1, 5) + dt.timedelta(days=3 * i), p, True) for i, p in enumerate(logged)]
    days = [dt.date(2026, 2, 1) + dt.timedelta(days=7 * n) for n in range(40)]
    planned = plan(flights, BRONZE, 2026, RULES, [("fare", pp, None)], days)
    if not planned.after or not planned.after.reached:
        return
    more = days[:len(planned.scheduled) + extra]
    with_more = status_start(flights + [FlightPP(d, pp, True) for d in more], BRONZE, 2026, RULES)
    assert with_more.reached and with_more.advance_service_from <= planned.after.advance_service_from


@settings(max_examples=100, deadline=None)
@given(needed=st.integers(min_value=0, max_value=100_000), pp=per_trip_pp)
def test_never_fewer_trips_than_the_pp_require_and_never_one_too_many(needed, pp):
    n = trips_needed(needed, pp)
    assert n * pp >= needed
    assert n == 0 or (n - 1) * pp < needed


@settings(max_examples=60, deadline=None)
@given(needed=st.integers(min_value=1, max_value=30_000),
       options=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), per_trip_pp,
                                  st.integers(min_value=1_000, max_value=80_000)),
                        min_size=1, max_size=4, unique_by=lambda o: o[0]))
def test_the_cheapest_mix_reaches_the_pp_and_beats_every_single_fare(needed, options):
    mix, yen = cheapest_mix(needed, options)
    by_fare = {f: (pp, price) for f, pp, price in options}
    assert sum(by_fare[f][0] * n for f, n in mix) >= needed
    assert yen == sum(by_fare[f][1] * n for f, n in mix)
    assert all(yen <= price * trips_needed(needed, pp) for _, pp, price in options)
