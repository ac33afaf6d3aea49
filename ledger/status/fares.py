"""Fare tables and segment miles (運賃表・区間基本マイレージ) as data: `rules/fares.yml` and `rules/segments.yml`,
each table with its dates and source. Which fares were on sale on a day, what an airport is called, how many
miles a route is: no computation here (`ledger.status.pp` computes PP from these).
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ledger.shared.names import rules_date
from ledger.shared.provenance import Confirmed, confirmed

DOMESTIC = "domestic"
INTERNATIONAL = "international"
JAPAN = "japan"


def norm(text: str) -> str:
    """NFKC, lower case, no spaces: "ＨＮＤ", " hnd " and "Hnd" are the same; "ANA FLEX" = "anaflex"."""
    return "".join(unicodedata.normalize("NFKC", str(text)).lower().split())


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
        wanted = norm(text)
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
    confirmed: Confirmed | None = None   # the day its source last confirmed it (ledger.shared.provenance)

    def applies_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)

    def find(self, text: str) -> Fare | None:
        wanted = norm(text)
        return next((f for f in self.fares if wanted == norm(f.id) or wanted in f.aliases), None)


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

    def tables_on(self, day: dt.date, scope: str = DOMESTIC) -> list[FareTable]:
        """The fare tables of `scope` in force on `day` (domestic fares changed on 2026-05-19)."""
        return [table for table in self.tables if table.scope == scope and table.applies_on(day)]

    def fares_on(self, day: dt.date, scope: str = DOMESTIC) -> tuple[Fare, ...]:
        """The fares of `scope` on sale on `day`, in the tables' order."""
        return tuple(f for table in self.tables_on(day, scope) for f in table.fares)

    def find_cabin(self, text: str | None) -> str | None:
        if not text:
            return None
        wanted = norm(text)
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
                aliases=tuple(norm(a) for a in [*f.get("aliases", []), *f["names"].values()]),
                cabins={cabin: _accrual(f[cabin]) for cabin in ("first", "economy", "any") if cabin in f},
            )
            for f in t["fares"]
        )
        tables.append(FareTable(
            id=t["id"], scope=t["scope"], valid_from=rules_date(t.get("valid_from")),
            valid_until=rules_date(t.get("valid_until")),
            source=" ".join(str(t["source"]).split()), verified=bool(t["verified"]), fares=fares,
            confirmed=confirmed(t, f"fare table {t['id']}"),
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
        cabin_aliases={cid: tuple(norm(a) for a in [*c["aliases"], *c["names"].values()]) for cid, c in cabins.items()},
        cabin_names={cid: dict(c["names"]) for cid, c in cabins.items()},
        formula_source=" ".join(str(raw["formula_source"]).split()),
        rounding=str(raw.get("rounding", "floor")),
    )


def parse_segments(raw: dict) -> SegmentTable:
    """`rules/segments.yml` → SegmentTable (called by `ledger.rules.load_rules`)."""
    airports = {
        code: Airport(code=code, names={k: str(v) for k, v in a["names"].items()}, region=a["region"],
                      aliases=tuple(norm(x) for x in [*a.get("aliases", []), *a["names"].values(), code]))
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
