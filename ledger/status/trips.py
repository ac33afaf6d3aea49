"""Planned trips for what-if questions (搭乗予定): segments from the airports in the order said, round trips,
and each segment's PP from the fare table of its own day. Pure: rules data in, planned flights out."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledger.shared.refusals import Refusal
from ledger.status.pp import PPResult, compute_pp
from ledger.status.rules import PremiumRules


@dataclass(frozen=True)
class PlannedFlight:
    """A flight in a what-if question: by route and fare (PP computed), or just PP."""

    flown_on: dt.date
    pp: int
    ana_group: bool = True
    computed: PPResult | None = None

    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"flown_on": self.flown_on.isoformat(), "pp": self.pp, "ana_group": self.ana_group}
        if self.computed is not None:
            facts |= {"origin": self.computed.origin, "destination": self.computed.destination,
                      "fare": self.computed.fare_id, "pp_computed": self.computed.facts()}
        return facts


def legs(airports: list[str], round_trip: bool = False) -> list[tuple[str, str]]:
    """Segments from the airports in the order said: "HND-OKA" one, "HND-OKA-ISG" a chain of two,
    "HND-OKA, OKA-HND" (an even count of four or more) pairs; a round trip adds the way back of each."""
    if len(airports) >= 4 and len(airports) % 2 == 0:
        pairs = list(zip(airports[0::2], airports[1::2]))
    else:
        pairs = list(zip(airports, airports[1:]))
    pairs = [(a, b) for a, b in pairs if a != b]
    if round_trip:
        pairs += [(b, a) for a, b in reversed(pairs)]
    return pairs


def planned_flights(airports: list[str], days: list[dt.date], fares: list[str], *, rules: PremiumRules,
                    round_trip: bool = False, cabin: str | None = None) -> list[PlannedFlight]:
    """The segments of a trip with their PP: the n-th segment takes the n-th fare and the n-th day said (or the
    last one said). No segment (fewer than two airports) → []; segments but no fare → Refusal("fare_needed")."""
    segments = legs(airports, round_trip)
    if not segments:
        return []
    if not fares:
        raise Refusal("fare_needed", origin=segments[0][0], destination=segments[0][1])
    if not days:
        raise Refusal("bad_date", given="")
    flights = []
    for n, (origin, destination) in enumerate(segments):
        day = days[min(n, len(days) - 1)]
        computed = compute_pp(origin, destination, day, fares[min(n, len(fares) - 1)], cabin=cabin, rules=rules)
        flights.append(PlannedFlight(flown_on=day, pp=computed.pp, computed=computed))
    return flights
