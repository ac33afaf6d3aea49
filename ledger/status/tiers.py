"""The ANA premium-status engine (プレミアムメンバー), as pure functions over flights and rules data.

Timeline of a crossing, all days in Asia/Tokyo:
flight → PP credited (ANA group: the next day; partners: 3 days to a month) → status and
advance service (事前サービス) from the day after crediting → main status from April 1 of the
next year to March 31 of the year after. Crossings from January to March get advance
service only from April (ANA's own word for when is in the rules data).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ledger.shared.clock import iso
from ledger.shared.provenance import RuleCheck, rule_facts
from ledger.status.rules import StatusRules, Tier


@dataclass(frozen=True)
class FlightPP:
    flown_on: dt.date
    premium_points: int
    ana_group: bool = True


@dataclass(frozen=True)
class Crossing:
    """When a tier is reached in a calendar year, with the day range where crediting is uncertain."""

    tier: Tier
    year: int
    credited_on: dt.date           # earliest day the crossing PP can be credited
    credited_by: dt.date           # latest day (same as credited_on for ANA-group flights)
    flight_on: dt.date             # the flight whose PP cross the line
    pp_total: int                  # year total once that flight is credited
    ana_group_pp: int

    def status_from(self, rules: StatusRules) -> dt.date:
        return self.credited_on + dt.timedelta(days=rules.days_after_crediting)

    def status_by(self, rules: StatusRules) -> dt.date:
        return self.credited_by + dt.timedelta(days=rules.days_after_crediting)


@dataclass(frozen=True)
class StatusStart:
    """Everything the assistant says about when a tier starts, as facts."""

    tier: Tier
    year: int
    reached: bool
    pp: int
    ana_group_pp: int
    pp_missing: int
    ana_group_pp_missing: int
    flight_on: dt.date | None = None
    pp_credited_on: dt.date | None = None
    pp_credited_by: dt.date | None = None
    advance_service_from: dt.date | None = None
    advance_service_by: dt.date | None = None
    advance_service_until: dt.date | None = None
    early_months_rule: bool = False
    main_status_from: dt.date | None = None
    main_status_until: dt.date | None = None
    card_expected: tuple[dt.date, dt.date] | None = None
    card_observed: tuple[dt.date, dt.date] | None = None
    official_advance_from: str = ""          # ANA's own word, from the rules data ("mid-April")

    rule_check: RuleCheck | None = None   # whether the rules it leans on still hold for its day

    def facts(self) -> dict:
        return self._answer_facts() | rule_facts(self.rule_check)

    def _answer_facts(self) -> dict:
        facts = {
            "kind": "status_start",
            "tier": self.tier.id,
            "year": self.year,
            "reached": self.reached,
            "pp": self.pp,
            "ana_group_pp": self.ana_group_pp,
            "pp_needed": self.tier.pp,
            "pp_missing": self.pp_missing,
            "ana_group_pp_missing": self.ana_group_pp_missing,
            "flight_on": iso(self.flight_on),
            "pp_credited_on": iso(self.pp_credited_on),
            "advance_service_from": iso(self.advance_service_from),
            "advance_service_until": iso(self.advance_service_until),
            "main_status_from": iso(self.main_status_from),
            "main_status_until": iso(self.main_status_until),
        }
        if self.pp_credited_by and self.pp_credited_by != self.pp_credited_on:
            # A partner flight crossed the line: crediting is a window, never a false single date.
            facts["pp_credited_by"] = iso(self.pp_credited_by)
            facts["advance_service_by"] = iso(self.advance_service_by)
            facts["pp_credited_between"] = [iso(self.pp_credited_on), iso(self.pp_credited_by)]
            facts["advance_service_between"] = [iso(self.advance_service_from), iso(self.advance_service_by)]
        if self.card_expected:
            facts["card_expected_from"], facts["card_expected_by"] = map(iso, self.card_expected)
            facts["card_expected_between"] = [iso(self.card_expected[0]), iso(self.card_expected[1])]
        if self.card_observed:
            facts["card_observed_between"] = [iso(self.card_observed[0]), iso(self.card_observed[1])]
        if self.early_months_rule:
            facts["early_months_rule"] = True
            facts["official_advance_service_from"] = self.official_advance_from  # ANA: 4月中旬から
        facts["reasons"] = self.reasons()
        return facts

    def reasons(self) -> list[str]:
        """Stable codes for why the dates are what they are (the answer explains itself)."""
        if not self.reached:
            codes = []
            if self.pp_missing:
                codes.append("pp_missing")
            if self.ana_group_pp_missing:
                codes.append("ana_group_pp_missing")
            return codes
        codes = ["partner_credit_window" if self.pp_credited_by != self.pp_credited_on else "credited_day_after_flight",
                 "status_day_after_crediting"]
        if self.early_months_rule:
            codes.append("early_months_april")
        if self.pp_credited_on and self.pp_credited_on.year > self.year:
            codes.append("credited_next_year")
        codes.append("main_status_next_april")
        return codes


def credit_window(flight: FlightPP, rules: StatusRules) -> tuple[dt.date, dt.date]:
    """The first and last day the flight's PP can show in the account."""
    if flight.ana_group:
        day = flight.flown_on + dt.timedelta(days=rules.ana_group_credit_days)
        return day, day
    first, last = rules.partner_credit_days
    return flight.flown_on + dt.timedelta(days=first), flight.flown_on + dt.timedelta(days=last)


def year_flights(flights: Iterable[FlightPP], year: int) -> list[FlightPP]:
    """PP count for the calendar year of the flight (PP reset every January 1)."""
    return sorted((f for f in flights if f.flown_on.year == year), key=lambda f: f.flown_on)


def _crossing_day(flights: list[FlightPP], tier: Tier, rules: StatusRules,
                  latest: bool) -> tuple[dt.date, FlightPP, int, int] | None:
    """The day both thresholds hold if every flight credits at its earliest (or latest) day."""
    credits = sorted(
        ((credit_window(f, rules)[1 if latest else 0], f) for f in flights),
        key=lambda pair: (pair[0], pair[1].flown_on),
    )
    total = group = 0
    for day, flight in credits:
        total += flight.premium_points
        if flight.ana_group:
            group += flight.premium_points
        if total >= tier.pp and group >= tier.ana_group_pp:
            return day, flight, total, group
    return None


def find_crossing(flights: Iterable[FlightPP], tier: Tier, year: int, rules: StatusRules) -> Crossing | None:
    flown = year_flights(flights, year)
    earliest = _crossing_day(flown, tier, rules, latest=False)
    if earliest is None:
        return None
    latest = _crossing_day(flown, tier, rules, latest=True)
    day, flight, total, group = earliest
    return Crossing(
        tier=tier,
        year=year,
        credited_on=day,
        credited_by=latest[0] if latest else day,
        flight_on=flight.flown_on,
        pp_total=total,
        ana_group_pp=group,
    )


def _advance_from(status_from: dt.date, year: int, rules: StatusRules) -> tuple[dt.date, bool]:
    month, day = rules.early_months_advance_from
    april = dt.date(status_from.year, month, day)
    # Only a crossing within the earning year waits for April; PP of a late-December flight
    # credited in January start at once, for the rest of that status year (until March 31).
    if status_from.year == year and status_from < april:
        return april, True
    return status_from, False


def status_start(flights: Iterable[FlightPP], tier: Tier, year: int, rules: StatusRules) -> StatusStart:
    """When `tier` starts for PP earned in `year`, or how far away it is."""
    flown = year_flights(flights, year)
    pp = sum(f.premium_points for f in flown)
    group = sum(f.premium_points for f in flown if f.ana_group)
    crossing = find_crossing(flown, tier, year, rules)
    main_from = dt.date(year + 1, *rules.main_status_from)
    main_until = dt.date(year + 2, *rules.main_status_until)
    if crossing is None:
        return StatusStart(
            tier=tier,
            year=year,
            reached=False,
            pp=pp,
            ana_group_pp=group,
            pp_missing=max(0, tier.pp - pp),
            ana_group_pp_missing=max(0, tier.ana_group_pp - group),
        )
    advance_from, early = _advance_from(crossing.status_from(rules), year, rules)
    advance_by, _ = _advance_from(crossing.status_by(rules), year, rules)
    first_week, last_week = rules.card_weeks
    return StatusStart(
        tier=tier,
        year=year,
        reached=True,
        pp=pp,
        ana_group_pp=group,
        pp_missing=0,
        ana_group_pp_missing=0,
        flight_on=crossing.flight_on,
        pp_credited_on=crossing.credited_on,
        pp_credited_by=crossing.credited_by,
        advance_service_from=advance_from,
        advance_service_by=advance_by,
        advance_service_until=dt.date(year + 1, *rules.main_status_until),
        early_months_rule=early,
        main_status_from=main_from,
        main_status_until=main_until,
        # The card follows the status change (for Jan–Mar crossings: April), 2–3 weeks (observed 10–14 days).
        card_expected=(
            advance_from + dt.timedelta(weeks=first_week),
            advance_by + dt.timedelta(weeks=last_week),
        ),
        card_observed=(
            advance_from + dt.timedelta(days=rules.card_observed_days[0]),
            advance_by + dt.timedelta(days=rules.card_observed_days[1]),
        ),
        official_advance_from=rules.official_advance_en,
    )


def rank(rules: StatusRules, tier: Tier | None) -> int:
    return -1 if tier is None else [t.id for t in rules.tiers].index(tier.id)


@dataclass(frozen=True)
class Period:
    """One stretch of a tier: advance service (事前サービス) or main status, from PP earned in `year`."""

    tier: Tier
    year: int
    basis: str                      # "advance_service" | "main_status"
    start: dt.date                  # earliest possible first day
    start_by: dt.date               # latest possible first day (a partner crediting window)
    until: dt.date                  # last day
    answer: StatusStart

    def holds(self, on: dt.date) -> bool:
        return self.start_by <= on <= self.until


def periods(flights: Iterable[FlightPP], years: Iterable[int], rules: StatusRules) -> list[Period]:
    flights = list(flights)
    found = []
    for year in years:
        for tier in rules.tiers:
            answer = status_start(flights, tier, year, rules)
            if not answer.reached:
                continue
            if answer.advance_service_from <= answer.advance_service_until:
                found.append(Period(tier, year, "advance_service", answer.advance_service_from,
                                    answer.advance_service_by, answer.advance_service_until, answer))
            found.append(Period(tier, year, "main_status", answer.main_status_from, answer.main_status_from,
                                answer.main_status_until, answer))
    return found


def years_around(on: dt.date) -> range:
    """Earning years whose status can be held on `on`: main status of Y-2 runs until March 31 of `on`'s year."""
    return range(on.year - 2, on.year + 1)


def best_period(candidates: list[Period], rules: StatusRules) -> Period | None:
    # The highest tier wins (a higher tier reached later replaces the lower one); then the latest earning year.
    return max(candidates, key=lambda p: (rank(rules, p.tier), p.year, p.basis == "main_status"), default=None)
