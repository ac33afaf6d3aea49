"""Premium Points for one flight (プレミアムポイント): pure functions over the rules data, no database.

    PP = floor(segment miles 区間基本マイレージ × fare rate 積算率 × route multiplier 路線倍率) + boarding points 搭乗ポイント

The segment-miles table (`rules/segments.yml`) and the fare tables by flight date (`rules/fares.yml`) carry their
sources. Anything not in them — an unknown route, an unknown fare, a fare not sold on the flight date — is a
`Refusal` that asks for what is missing; nothing is guessed.
"""
from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ledger.model import Refusal

if TYPE_CHECKING:  # pragma: no cover
    from ledger.rules import Rules

DOMESTIC = "domestic"
INTERNATIONAL = "international"
JAPAN = "japan"


def _norm(text: str) -> str:
    """NFKC, lower case, no spaces: "ＨＮＤ", " hnd " and "Hnd" are the same; "ANA FLEX" = "anaflex"."""
    return "".join(unicodedata.normalize("NFKC", str(text)).lower().split())


def _date(value) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# ---------------------------------------------------------------------------------------------- data

@dataclass(frozen=True)
class Airport:
    code: str
    names: dict[str, str]
    region: str  # "japan", "asia", "oceania", "vladivostok", "north_america", "europe"
    aliases: tuple[str, ...]

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]


@dataclass(frozen=True)
class Segment:
    """A route's one-way segment miles; the same in both directions."""

    a: str
    b: str
    miles: int
    sources: tuple[str, ...]
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class SegmentTable:
    airports: dict[str, Airport]
    segments: dict[frozenset, Segment]
    sources: dict[str, str]

    def find_airport(self, text: str | None) -> Airport | None:
        if not text:
            return None
        wanted = _norm(text)
        if wanted.upper() in self.airports:
            return self.airports[wanted.upper()]
        return next((a for a in self.airports.values() if wanted in a.aliases), None)

    def segment(self, a: str, b: str) -> Segment | None:
        return self.segments.get(frozenset((a, b)))

    def source_text(self, segment: Segment) -> str:
        return " ; ".join(self.sources.get(s, s) for s in segment.sources)


@dataclass(frozen=True)
class Accrual:
    rate: int        # percent
    boarding: int    # boarding points (搭乗ポイント)


@dataclass(frozen=True)
class Fare:
    id: str
    names: dict[str, str]
    aliases: tuple[str, ...]
    cabins: dict[str, Accrual]  # "first"/"economy" for domestic; "any" for international booking classes

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]


@dataclass(frozen=True)
class FareTable:
    id: str
    scope: str  # "domestic" or "international"
    valid_from: dt.date | None
    valid_until: dt.date | None
    source: str
    verified: bool
    fares: tuple[Fare, ...]

    def applies_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)

    def find(self, text: str) -> Fare | None:
        wanted = _norm(text)
        return next((f for f in self.fares if wanted == _norm(f.id) or wanted in f.aliases), None)


@dataclass(frozen=True)
class FareRules:
    tables: tuple[FareTable, ...]
    route_multipliers: dict[str, Fraction]
    multiplier_source: str
    partner_multiplier: Fraction
    partner_boarding_points: int
    partner_boarding_min_rate: int
    partner_source: str
    partner_verified: bool
    cabin_aliases: dict[str, tuple[str, ...]]
    cabin_names: dict[str, dict[str, str]]
    formula_source: str
    rounding: str = "floor"

    def fare_name(self, fare_id: str, flown_on: dt.date | str, locale: str) -> str:
        """A fare's name in `locale` (スタンダード / Standard) as the table sold on `flown_on` calls it; the id
        itself (or a partner's accrual rate like "125%") when no table has it."""
        day = dt.date.fromisoformat(flown_on) if isinstance(flown_on, str) else flown_on
        for table in self.tables:
            fare = next((f for f in table.fares if f.id == fare_id), None) if table.applies_on(day) else None
            if fare:
                return fare.name(locale)
        return fare_id

    def find_cabin(self, text: str | None) -> str | None:
        if not text:
            return None
        wanted = _norm(text)
        return next((cid for cid, aliases in self.cabin_aliases.items() if wanted == cid or wanted in aliases), None)


def _fraction(value) -> Fraction:
    return Fraction(Decimal(str(value)))


def _accrual(raw: dict) -> Accrual:
    return Accrual(rate=int(raw["rate"]), boarding=int(raw["boarding"]))


def parse_fares(raw: dict) -> FareRules:
    """`rules/fares.yml` → FareRules (called by `ledger.rules.load_rules`)."""
    tables = []
    for t in raw["tables"]:
        fares = tuple(
            Fare(
                id=f["id"],
                names={k: str(v) for k, v in f["names"].items()},
                aliases=tuple(_norm(a) for a in [*f.get("aliases", []), *f["names"].values()]),
                cabins={cabin: _accrual(f[cabin]) for cabin in ("first", "economy", "any") if cabin in f},
            )
            for f in t["fares"]
        )
        tables.append(FareTable(
            id=t["id"], scope=t["scope"], valid_from=_date(t.get("valid_from")), valid_until=_date(t.get("valid_until")),
            source=" ".join(str(t["source"]).split()), verified=bool(t["verified"]), fares=fares,
        ))
    multipliers = {k: _fraction(v) for k, v in raw["route_multipliers"].items() if k != "source"}
    partner = raw["partner"]
    cabins = raw["cabins"]
    return FareRules(
        tables=tuple(tables),
        route_multipliers=multipliers,
        multiplier_source=str(raw["route_multipliers"]["source"]),
        partner_multiplier=_fraction(partner["multiplier"]),
        partner_boarding_points=int(partner["boarding_points"]),
        partner_boarding_min_rate=int(partner["boarding_points_min_rate"]),
        partner_source=" ".join(str(partner["source"]).split()),
        partner_verified=bool(partner["verified"]),
        cabin_aliases={cid: tuple(_norm(a) for a in [*c["aliases"], *c["names"].values()]) for cid, c in cabins.items()},
        cabin_names={cid: dict(c["names"]) for cid, c in cabins.items()},
        formula_source=" ".join(str(raw["formula_source"]).split()),
        rounding=str(raw.get("rounding", "floor")),
    )


def parse_segments(raw: dict) -> SegmentTable:
    """`rules/segments.yml` → SegmentTable (called by `ledger.rules.load_rules`)."""
    airports = {
        code: Airport(code=code, names={k: str(v) for k, v in a["names"].items()}, region=a["region"],
                      aliases=tuple(_norm(x) for x in [*a.get("aliases", []), *a["names"].values(), code]))
        for code, a in raw["airports"].items()
    }
    segments: dict[frozenset, Segment] = {}

    def add(a: str, b: str, miles, sources, verified=True, note=""):
        for code in (a, b):
            if code not in airports:
                raise ValueError(f"segments.yml: route {a}-{b} names an unknown airport {code}")
        for s in sources:
            if s not in raw["sources"]:
                raise ValueError(f"segments.yml: route {a}-{b} cites an unknown source {s}")
        key = frozenset((a, b))
        if key in segments:
            raise ValueError(f"segments.yml: route {a}-{b} listed twice")
        segments[key] = Segment(a=a, b=b, miles=int(miles), sources=tuple(sources),
                                verified=bool(verified) and bool(sources), note=str(note))

    for r in raw["routes"]:
        if isinstance(r, list):
            add(r[0], r[1], r[2], r[3])
        elif "between" in r:
            add(*r["between"], r["miles"], r["sources"], r.get("verified", True), r.get("note", ""))
        else:
            for origin in r["from_both"]:
                add(origin, r["to"], r["miles"], r["sources"], r.get("verified", True), r.get("note", ""))
    sources = {k: " ".join(str(v).split()) for k, v in raw["sources"].items()}
    return SegmentTable(airports=airports, segments=segments, sources=sources)


# ---------------------------------------------------------------------------------------------- result

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


# ---------------------------------------------------------------------------------------------- compute

def _route(segments: SegmentTable, origin: str, destination: str) -> tuple[Airport, Airport, Segment]:
    a, b = segments.find_airport(origin), segments.find_airport(destination)
    seg = segments.segment(a.code, b.code) if a and b and a.code != b.code else None
    if seg is None:
        raise Refusal("unknown_route", origin=str(origin), destination=str(destination),
                      known_origin=bool(a), known_destination=bool(b))
    return a, b, seg


def find_fare(fares: FareRules, scope: str, flown_on: dt.date, fare: str | None) -> tuple[FareTable, Fare]:
    """The fare meant by `fare` in the table for `scope` that applies on `flown_on`, or a Refusal."""
    valid = [t for t in fares.tables if t.scope == scope and t.applies_on(flown_on)]
    if fare:
        for table in valid:
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
    known = [f.name("en") for t in valid for f in t.fares]
    known_ja = "、".join(f.name("ja") for t in valid for f in t.fares)
    raise Refusal("unknown_fare", given=str(fare or ""), known=known, known_ja=known_ja,
                  flown_on=flown_on.isoformat(), scope=scope)


def compute_pp(origin: str, destination: str, flown_on: dt.date, fare: str | None = None, *,
               cabin: str | None = None, carrier: str = "ana", partner_rate: int | None = None,
               rules: "Rules | None" = None) -> PPResult:
    """PP for one flight, one way.

    - `origin`/`destination`: IATA code or a name in either language (羽田, Haneda, 那覇…); routes are symmetric.
    - `fare`: a fare name (スタンダード, standard, スーパーバリュー…) or an international booking class (Y, M…);
      which table applies is decided by `flown_on` (domestic fares changed on 2026-05-19).
    - `cabin`: "first"/"economy" or a name (ファースト, プレミアムクラス, エコノミー…); for a domestic fare sold in both
      cabins, None means economy. Ignored for international booking classes (the class implies the cabin).
    - `carrier="partner"`: a Star Alliance / Connecting Partner flight: multiplier 1, `partner_rate` (percent,
      told by the user), boarding points 400 when that rate is at least 100 %, else 0. `fare` is not used.
    """
    if rules is None:
        from ledger.rules import default_rules
        rules = default_rules()
    fares, segments = rules.fares, rules.segments
    if fares is None or segments is None:
        raise RuntimeError("rules have no fare tables or segment miles loaded")
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
