"""A plan to a status (修行の計画): how many trips of a route, on each fare, take a year's PP to a tier; with
prices, the cheapest mix of fares; with a schedule, the day the status would start by the credit rules.

"プラチナまであと何回沖縄往復？" is the central planning question of SFC修行 (seed 004). Pure: the user's flights,
the tier and the PP of one trip on each fare in, the plan out. The ANA-group minimum is respected: trips on the
route are ANA-group flights, so they count toward both totals, and the trips needed are the larger of the two.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Iterable

from ledger.shared.clock import iso
from ledger.status.rules import StatusRules, Tier
from ledger.status.tiers import FlightPP, StatusStart, status_start

MAX_TRIPS = 500      # a plan needing more trips than this is no plan: said as such, never computed further


@dataclass(frozen=True)
class TripOption:
    """One fare for the trip: the PP one trip earns, its price if known, and how many trips reach the tier."""

    fare: str
    pp: int                     # PP per trip (a round trip: both ways)
    yen: int | None
    trips: int

    @property
    def total_yen(self) -> int | None:
        return None if self.yen is None else self.yen * self.trips

    def facts(self) -> dict:
        return {"fare": self.fare, "pp_per_trip": self.pp, "yen_per_trip": self.yen, "trips": self.trips,
                "total_yen": self.total_yen}


@dataclass(frozen=True)
class StatusPlan:
    tier: Tier
    year: int
    before: StatusStart
    options: tuple[TripOption, ...]            # fewest trips first
    mix: tuple[tuple[str, int], ...] = ()      # the cheapest mix (fare, trips) when every option has a price
    mix_yen: int | None = None
    scheduled: tuple[dt.date, ...] = ()        # the trips' days, when a schedule was given
    after: StatusStart | None = None           # the answer with the scheduled trips of the fewest-trips fare

    @property
    def pp_needed(self) -> int:
        """The PP the trips must bring: the larger of the total and the ANA-group shortfalls."""
        return max(self.before.pp_missing, self.before.ana_group_pp_missing)

    def facts(self) -> dict:
        return {
            "kind": "status_plan", "tier": self.tier.id, "year": self.year, "reached": self.before.reached,
            "pp": self.before.pp, "pp_missing": self.before.pp_missing,
            "ana_group_pp_missing": self.before.ana_group_pp_missing, "pp_needed": self.pp_needed,
            "options": [o.facts() for o in self.options],
            "cheapest_mix": [{"fare": f, "trips": n} for f, n in self.mix], "cheapest_mix_yen": self.mix_yen,
            "scheduled": [iso(d) for d in self.scheduled],
            "advance_service_from": iso(self.after.advance_service_from) if self.after else None,
            "status_reached_with_schedule": self.after.reached if self.after else None,
        }


def trips_needed(pp_needed: int, pp_per_trip: int) -> int:
    """The fewest trips whose PP reach `pp_needed` (0 when nothing is needed)."""
    if pp_needed <= 0:
        return 0
    return -(-pp_needed // pp_per_trip)


def cheapest_mix(pp_needed: int, options: Iterable[tuple[str, int, int]]) -> tuple[tuple[tuple[str, int], ...], int]:
    """The cheapest trips (fare, count) whose PP reach `pp_needed`, from options (fare, PP per trip, yen per trip):
    a covering knapsack solved exactly over the PP still needed."""
    options = [(f, pp, yen) for f, pp, yen in options if pp > 0]
    if pp_needed <= 0 or not options:
        return (), 0
    step = math.gcd(*(pp for _, pp, _ in options))    # PP of fares often share a factor: fewer states
    need = -(-pp_needed // step)
    best: list[int] = [0] + [0] * need
    choice: list[int] = [-1] * (need + 1)
    for p in range(1, need + 1):
        best[p], choice[p] = min((yen + best[max(0, p - pp // step)], i) for i, (_, pp, yen) in enumerate(options))
    counts: dict[str, int] = {}
    p = need
    while p > 0:
        fare, pp, _ = options[choice[p]]
        counts[fare] = counts.get(fare, 0) + 1
        p = max(0, p - pp // step)
    return tuple(sorted(counts.items())), best[need]


def plan(flights: Iterable[FlightPP], tier: Tier, year: int, rules: StatusRules,
         per_trip: Iterable[tuple[str, int, int | None]], schedule: Iterable[dt.date] = ()) -> StatusPlan:
    """The plan to `tier` in `year` over the `per_trip` options (fare, PP per trip, yen or None).

    With a `schedule` (one day per trip), the trips of the fewest-trips fare are added on those days, in order,
    and the status answer says when the tier would start; days beyond the trips needed are not used, nor days of
    another year (PP count toward the calendar year of the flight)."""
    flights = list(flights)
    before = status_start(flights, tier, year, rules)
    needed = max(before.pp_missing, before.ana_group_pp_missing)
    options = tuple(sorted((TripOption(fare, pp, yen, trips_needed(needed, pp)) for fare, pp, yen in per_trip),
                           key=lambda o: (o.trips, o.yen or 0, o.fare)))
    priced = [(o.fare, o.pp, o.yen) for o in options if o.yen is not None]
    mix, mix_yen = ((), None)
    if priced and len(priced) == len(options) and needed <= MAX_TRIPS * max(pp for _, pp, _ in priced):
        mix, mix_yen = cheapest_mix(needed, priced)
    days = tuple(sorted(d for d in schedule if d.year == year))   # PP count in the year flown: later days never help
    after = None
    if days and options:
        first = options[0]
        used = days[:max(first.trips, 1)] if first.trips else ()
        after = status_start(flights + [FlightPP(d, first.pp, True) for d in used], tier, year, rules)
        days = used
    return StatusPlan(tier=tier, year=year, before=before, options=options, mix=mix, mix_yen=mix_yen,
                      scheduled=days, after=after)
