"""The status side's records: a logged flight (搭乗記録) as services return it, with its `facts()`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledger.shared.refusals import Refusal

MAX_PP_PER_FLIGHT = 100_000


def check_pp_era(flown_on: dt.date, pp_since: dt.date) -> None:
    """A flight in the PP era: the formula in use since `pp_since` (rules data: January 2008)."""
    if flown_on < pp_since:
        raise Refusal("flight_too_old", flown_on=flown_on.isoformat(), first_year=pp_since.year)


def check_flown_on(flown_on: dt.date, today: dt.date, pp_since: dt.date) -> None:
    """A flight already flown, and in the PP era."""
    if flown_on > today:
        raise Refusal("flight_in_future", flown_on=flown_on.isoformat(), today=today.isoformat())
    check_pp_era(flown_on, pp_since)


def check_pp(premium_points: int) -> None:
    """A whole number of PP one flight can earn."""
    if isinstance(premium_points, bool) or not isinstance(premium_points, int) \
            or not 0 < premium_points <= MAX_PP_PER_FLIGHT:
        raise Refusal("pp_out_of_range", given=premium_points, maximum=MAX_PP_PER_FLIGHT)


@dataclass(frozen=True)
class Flight:
    """A flight the user logged, with its premium points (PP); the route, fare and number when known."""

    flight_id: int
    flown_on: dt.date
    pp: int
    ana_group: bool
    flight_number: str | None = None    # normalized: NH123
    origin: str | None = None           # IATA code when known
    destination: str | None = None
    fare: str | None = None             # the fare id PP were computed with (or as given; a partner's "125%")

    @classmethod
    def of(cls, row: Any) -> "Flight":
        """From a stored row (`ledger.storage.orm.Flight`)."""
        return cls(flight_id=row.id, flown_on=row.flown_on, pp=row.premium_points, ana_group=row.ana_group,
                   flight_number=row.flight_number, origin=row.origin, destination=row.destination, fare=row.fare)

    def facts(self) -> dict[str, Any]:
        return {"flight_id": self.flight_id, "flown_on": self.flown_on.isoformat(), "pp": self.pp,
                "ana_group": self.ana_group, "flight_number": self.flight_number, "origin": self.origin,
                "destination": self.destination, "fare": self.fare}
