"""Premium Points for one flight (プレミアムポイント): pure functions over the rules data, no database.

    PP = floor(segment miles 区間基本マイレージ × fare rate 積算率 × route multiplier 路線倍率) + boarding points 搭乗ポイント

The segment-miles table (`rules/segments.yml`) and the fare tables by flight date (`rules/fares.yml`) carry their
sources. Anything not in them — an unknown route, an unknown fare, a fare not sold on the flight date — is a
`Refusal` that asks for what is missing; nothing is guessed.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.shared.checks import checked
from ledger.shared.refusals import Refusal
from ledger.status.fares import DOMESTIC, INTERNATIONAL, JAPAN, Airport, Fare, FareRules, FareTable, Segment, SegmentTable
from ledger.status.rules import PremiumRules


@dataclass(frozen=True)
class PPResult:
    """One flight's PP and why: the numbers that went in and where they come from."""

    pp: int
    segment_miles: int
    rate: int                   # percent (積算率)
    multiplier: Decimal         # route multiplier (路線倍率): 2, 1.5, 1
    boarding_points: int
    fare_id: str
    table_id: str
    source: str                 # fare table source ; segment-miles source
    verified: bool              # False when the fare table or the segment miles are low-confidence
    origin: str = ""
    destination: str = ""
    cabin: str | None = None
    carrier: str = "ana"
    scope: str = DOMESTIC       # "domestic" or "international"
    region: str = JAPAN

    def facts(self) -> dict[str, Any]:
        """Machine-readable, JSON-ready."""
        return {
            "kind": "pp_computed", "pp": self.pp, "origin": self.origin, "destination": self.destination,
            "segment_miles": self.segment_miles, "rate": self.rate, "multiplier": str(self.multiplier),
            "boarding_points": self.boarding_points, "fare_id": self.fare_id, "table_id": self.table_id,
            "cabin": self.cabin, "carrier": self.carrier, "scope": self.scope, "region": self.region,
            "verified": self.verified, "source": self.source,
        }


def pp_formula(miles: int, rate: int, multiplier: Fraction, boarding: int) -> int:
    """floor(miles × rate% × multiplier) + boarding, in exact arithmetic (no float rounding surprises)."""
    return math.floor(Fraction(miles) * Fraction(rate, 100) * Fraction(multiplier)) + boarding


def _route(segments: SegmentTable, origin: str, destination: str) -> tuple[Airport, Airport, Segment]:
    a, b = segments.find_airport(origin), segments.find_airport(destination)
    seg = segments.segment(a.code, b.code) if a and b and a.code != b.code else None
    if seg is None:
        raise Refusal("unknown_route", origin=str(origin), destination=str(destination),
                      known_origin=bool(a), known_destination=bool(b))
    return a, b, seg


def find_fare(fares: FareRules, scope: str, flown_on: dt.date, fare: str | None) -> tuple[FareTable, Fare]:
    """The fare meant by `fare` in the table for `scope` that applies on `flown_on`, or a Refusal.

    No table for that day (ANA's domestic fares before 2018-06-25, 運賃1–13, are not sourced): the refusal says
    so and asks for the PP ANA credited instead."""
    if not fares.tables_on(flown_on, scope):
        starts = [t.valid_from for t in fares.tables if t.scope == scope and t.valid_from]
        raise Refusal("no_fare_table", flown_on=flown_on.isoformat(), scope=scope,
                      first_from=min(starts).isoformat() if starts else None)
    if fare:
        for table in fares.tables_on(flown_on, scope):
            found = table.find(fare)
            if found:
                return table, found
        for table in fares.tables:
            if table.scope == scope and table.find(fare):
                # the day the tables changed between the flight and that fare's period
                if table.valid_from and flown_on < table.valid_from:
                    changed_on = table.valid_from
                else:
                    changed_on = table.valid_until + dt.timedelta(days=1)
                raise Refusal("fare_not_valid_on", fare=str(fare), flown_on=flown_on.isoformat(),
                              valid_from=table.valid_from.isoformat() if table.valid_from else None,
                              valid_until=table.valid_until.isoformat() if table.valid_until else None,
                              changed_on=changed_on.isoformat())
    on_sale = fares.fares_on(flown_on, scope)
    known, known_ja = [f.name("en") for f in on_sale], [f.name("ja") for f in on_sale]
    raise Refusal("unknown_fare", given=str(fare or ""), known=known, known_ja=known_ja,
                  flown_on=flown_on.isoformat(), scope=scope)


@checked
def compute_pp(origin: str, destination: str, flown_on: dt.date, fare: str | None = None, *,
               cabin: str | None = None, carrier: str = "ana", partner_rate: int | None = None,
               rules: PremiumRules) -> PPResult:
    """PP for one flight, one way.

    - `origin`/`destination`: IATA code or a name in either language (羽田, Haneda, 那覇…); routes are symmetric.
    - `fare`: a fare name (スタンダード, standard, スーパーバリュー…) or an international booking class (Y, M…);
      which table applies is decided by `flown_on` (domestic fares changed on 2026-05-19).
    - `cabin`: "first"/"economy" or a name (ファースト, プレミアムクラス, エコノミー…); for a domestic fare sold in both
      cabins, None means economy. Ignored for international booking classes (the class implies the cabin).
    - `carrier="partner"`: a Star Alliance / Connecting Partner flight: multiplier 1, `partner_rate` (percent,
      told by the user), boarding points 400 when that rate is at least 100 %, else 0. `fare` is not used.
    """
    fares, segments = rules.fares, rules.segments
    if isinstance(flown_on, str):
        flown_on = dt.date.fromisoformat(flown_on)
    a, b, seg = _route(segments, origin, destination)
    domestic = a.region == JAPAN and b.region == JAPAN
    scope = DOMESTIC if domestic else INTERNATIONAL
    region = JAPAN if domestic else (b.region if a.region == JAPAN else a.region)
    seg_source = segments.source_text(seg)
    common = dict(segment_miles=seg.miles, origin=a.code, destination=b.code, scope=scope, region=region)

    if carrier == "partner":
        rate = _partner_rate(partner_rate)
        boarding = fares.partner_boarding_points if rate >= fares.partner_boarding_min_rate else 0
        mult = fares.partner_multiplier
        return PPResult(
            pp=pp_formula(seg.miles, rate, mult, boarding), rate=rate, multiplier=_dec(mult),
            boarding_points=boarding, fare_id="partner", table_id="star_alliance_partner",
            source=f"{fares.partner_source} ; {seg_source}", verified=fares.partner_verified and seg.verified,
            cabin=None, carrier="partner", **common)
    if carrier != "ana":
        raise Refusal("unknown_carrier", given=str(carrier), known=["ana", "partner"])

    table, found = find_fare(fares, scope, flown_on, fare)
    if "any" in found.cabins:
        cabin_id, accrual = None, found.cabins["any"]
    else:
        cabin_id = fares.find_cabin(cabin) if cabin else "economy"
        if cabin and cabin_id is None:
            raise Refusal("unknown_cabin", given=str(cabin), known=list(fares.cabin_aliases))
        if cabin_id not in found.cabins:
            if cabin is None and len(found.cabins) == 1:
                cabin_id = next(iter(found.cabins))
            else:
                raise Refusal("fare_not_in_cabin", fare=found.name("en"), fare_ja=found.name("ja"),
                              cabin=cabin_id, cabins=list(found.cabins))
        accrual = found.cabins[cabin_id]
    mult = fares.route_multipliers.get("domestic" if domestic else region)
    if mult is None:
        raise Refusal("unknown_route", origin=str(origin), destination=str(destination),
                      known_origin=True, known_destination=True)
    return PPResult(
        pp=pp_formula(seg.miles, accrual.rate, mult, accrual.boarding), rate=accrual.rate, multiplier=_dec(mult),
        boarding_points=accrual.boarding, fare_id=found.id, table_id=table.id,
        source=f"{table.source} ; {seg_source}", verified=table.verified and seg.verified,
        cabin=cabin_id, carrier="ana", **common)


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _partner_rate(value) -> int:
    """The partner fare's accrual rate in percent, as the user said it (e.g. 125)."""
    if value is None or value == "":
        raise Refusal("partner_rate_needed")
    if isinstance(value, bool):
        raise Refusal("bad_partner_rate", given=str(value))
    try:
        number = Fraction(str(value).strip().rstrip("%％"))
    except (ValueError, ZeroDivisionError):
        raise Refusal("bad_partner_rate", given=str(value)) from None
    if number.denominator != 1 or not 0 <= number <= 300:
        raise Refusal("bad_partner_rate", given=str(value))
    return int(number)
