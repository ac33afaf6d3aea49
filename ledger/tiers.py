"""The ANA premium-status engine (プレミアムメンバー), as pure functions over flights and rules data.

Timeline of a crossing, all days in Asia/Tokyo:
flight → PP credited (ANA group: the next day; partners: 3 days to a month) → status and
advance service (事前サービス) from the day after crediting → main status from April 1 of the
next year to March 31 of the year after. Crossings from January to March get advance
service only from April (ANA's own word: mid-April).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ledger.rules import StatusRules, Tier


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
    official_advance_from: str = "mid-April"

    def facts(self) -> dict:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
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


def _crossing_day(flights: list[FlightPP], tier: Tier, rules: StatusRules, latest: bool) -> tuple[dt.date, FlightPP, int, int] | None:
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
        official_advance_from=rules.early_months_official,
    )


# ---------------------------------------------------------------- the questions around a status



def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _rank(rules: StatusRules, tier: Tier | None) -> int:
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


def _years_around(on: dt.date) -> range:
    """Earning years whose status can be held on `on`: main status of Y-2 runs until March 31 of `on`'s year."""
    return range(on.year - 2, on.year + 1)


def _best(candidates: list[Period], rules: StatusRules) -> Period | None:
    # The highest tier wins (a higher tier reached later replaces the lower one); then the latest earning year.
    return max(candidates, key=lambda p: (_rank(rules, p.tier), p.year, p.basis == "main_status"), default=None)


@dataclass(frozen=True)
class StatusNow:
    """The status held on a day (Asia/Tokyo), and why."""

    on: dt.date
    held: Period | None
    maybe: Period | None            # a higher tier whose partner crediting window covers `on`
    pending: StatusStart | None     # a higher tier already credited that starts later (one-day gap, April)
    pp: int                         # this calendar year's PP surely credited by `on`
    ana_group_pp: int
    pp_logged: int = 0              # this calendar year's PP of every flight logged up to `on`

    @property
    def tier(self) -> Tier | None:
        return self.held.tier if self.held else None

    @property
    def reason(self) -> str:
        if self.maybe is not None:
            return "partner_credit_window"
        if self.pending is not None:
            if self.pending.early_months_rule:
                return "waiting_for_april"
            return "credited_today"
        return self.held.basis if self.held else "no_status"

    def facts(self) -> dict:
        held = self.held
        facts = {
            "kind": "status_now",
            "on": self.on.isoformat(),
            "tier": held.tier.id if held else None,
            "basis": held.basis if held else None,
            "earned_year": held.year if held else None,
            "status_from": _iso(held.start_by) if held else None,
            "status_until": _iso(held.answer.main_status_until) if held else None,
            "advance_service_from": _iso(held.answer.advance_service_from) if held else None,
            "main_status_from": _iso(held.answer.main_status_from) if held else None,
            "main_status_until": _iso(held.answer.main_status_until) if held else None,
            "pp": self.pp,
            "ana_group_pp": self.ana_group_pp,
            "pp_logged": self.pp_logged,
            "reason": self.reason,
        }
        if self.maybe is not None:
            facts["maybe_tier"] = self.maybe.tier.id
            facts["pp_credited_between"] = [_iso(self.maybe.answer.pp_credited_on),
                                            _iso(self.maybe.answer.pp_credited_by)]
            facts["advance_service_between"] = [_iso(self.maybe.start), _iso(self.maybe.start_by)]
        if self.pending is not None:
            facts["next_tier"] = self.pending.tier.id
            facts["pp_credited_on"] = _iso(self.pending.pp_credited_on)
            facts["next_tier_from"] = _iso(self.pending.advance_service_from)
            if self.pending.early_months_rule:
                facts["official_advance_service_from"] = "mid-April"
        return facts


def status_now(flights: Iterable[FlightPP], on: dt.date, rules: StatusRules) -> StatusNow:
    """The tier held on `on`: advance service from the day after crediting until March 31, then the main status
    from April 1 of the next year to March 31 of the year after; the highest tier held wins."""
    flights = list(flights)
    found = periods(flights, _years_around(on), rules)
    held = _best([p for p in found if p.holds(on)], rules)
    rank = _rank(rules, held.tier if held else None)
    # A higher tier whose PP are (or may be) credited by `on` but which does not show yet: the crediting day
    # (one-day gap), a Jan–Mar crossing waiting for April, or a partner crediting window.
    coming = [p for p in found if p.basis == "advance_service" and _rank(rules, p.tier) > rank
              and p.answer.pp_credited_on <= on < p.start_by]
    settled = lambda p: p.start == p.start_by or p.answer.pp_credited_by == p.answer.pp_credited_on  # noqa: E731
    maybe = _best([p for p in coming if not settled(p)], rules)
    best = _best([p for p in coming if settled(p)], rules) if maybe is None else None
    pending = best.answer if best else None
    this_year = year_flights(flights, on.year)
    return StatusNow(on=on, held=held, maybe=maybe, pending=pending,
                     pp=sum(f.premium_points for f in this_year if credit_window(f, rules)[1] <= on),
                     ana_group_pp=sum(f.premium_points for f in this_year
                                      if f.ana_group and credit_window(f, rules)[1] <= on),
                     pp_logged=sum(f.premium_points for f in this_year if f.flown_on <= on))


@dataclass(frozen=True)
class StatusEnd:
    """When a tier ends: the main status of the latest year it was reached runs until March 31 of the year after."""

    tier: Tier
    on: dt.date
    answer: StatusStart | None          # the latest year's crossing, None when not reached in the years that count
    replaced_by: StatusStart | None     # a higher tier of the same earning year that takes over earlier

    @property
    def reached(self) -> bool:
        return self.answer is not None

    def facts(self) -> dict:
        a = self.answer
        facts = {
            "kind": "status_end",
            "tier": self.tier.id,
            "on": self.on.isoformat(),
            "reached": self.reached,
            "earned_year": a.year if a else None,
            "advance_service_from": _iso(a.advance_service_from) if a else None,
            "main_status_from": _iso(a.main_status_from) if a else None,
            "main_status_until": _iso(a.main_status_until) if a else None,
            "ended": bool(a and a.main_status_until < self.on),
        }
        if self.replaced_by is not None:
            facts["replaced_by"] = self.replaced_by.tier.id
            facts["replaced_from"] = _iso(self.replaced_by.advance_service_from)
        return facts


def status_end(flights: Iterable[FlightPP], tier: Tier, on: dt.date, rules: StatusRules) -> StatusEnd:
    flights = list(flights)
    latest = None
    for year in _years_around(on):
        answer = status_start(flights, tier, year, rules)
        if answer.reached:
            latest = answer
    replaced = None
    if latest is not None:
        higher = [status_start(flights, t, latest.year, rules) for t in rules.tiers if _rank(rules, t) > _rank(rules, tier)]
        higher = [h for h in higher if h.reached]
        replaced = min(higher, key=lambda h: h.advance_service_from, default=None)
    return StatusEnd(tier=tier, on=on, answer=latest, replaced_by=replaced)


def pp_to_go(flights: Iterable[FlightPP], tier: Tier, year: int, rules: StatusRules) -> dict:
    """PP still missing for `tier` in `year`: in total, and of those on ANA-group flights (partner PP count
    toward the total only)."""
    answer = status_start(flights, tier, year, rules)
    missing = max(answer.pp_missing, answer.ana_group_pp_missing)
    return {
        "kind": "pp_to_go",
        "tier": tier.id,
        "year": year,
        "reached": answer.reached,
        "pp": answer.pp,
        "ana_group_pp": answer.ana_group_pp,
        "pp_needed": tier.pp,
        "ana_group_pp_needed": tier.ana_group_pp,
        "pp_missing": answer.pp_missing,
        "ana_group_pp_missing": answer.ana_group_pp_missing,
        # Flying only ANA group, this many PP do it; of any more needed, partners may give this many.
        "pp_missing_on_ana_group_only": missing,
        "partner_pp_may_cover": missing - answer.ana_group_pp_missing,
        "advance_service_from": _iso(answer.advance_service_from),
        "main_status_from": _iso(answer.main_status_from),
        "main_status_until": _iso(answer.main_status_until),
    }


@dataclass(frozen=True)
class WhatIf:
    """The answers as if `extra` flights were flown (nothing is stored)."""

    tier: Tier
    year: int
    before: StatusStart
    after: StatusStart

    def facts(self) -> dict:
        facts = self.after.facts()
        facts.update({
            "kind": "what_if",
            "pp_before": self.before.pp,
            "reached_before": self.before.reached,
            "advance_service_from_before": _iso(self.before.advance_service_from),
        })
        return facts


def what_if(flights: Iterable[FlightPP], extra: Iterable[FlightPP], tier: Tier, year: int,
            rules: StatusRules) -> WhatIf:
    flights, extra = list(flights), list(extra)
    return WhatIf(tier=tier, year=year, before=status_start(flights, tier, year, rules),
                  after=status_start(flights + extra, tier, year, rules))


def cheapest(options: Iterable[tuple[str, int, int]]) -> dict:
    """Fares ranked by yen per PP, cheapest first (ties keep the given order). Plain integers in, facts out."""
    ranked = sorted(enumerate(options), key=lambda io: (io[1][2] * 10**6 // io[1][1], io[0]))
    rows = [{"label": label, "pp": pp, "yen": yen, "yen_per_pp": round(yen / pp, 2),
             "pp_per_1000_yen": round(pp * 1000 / yen, 2)} for _, (label, pp, yen) in ranked]
    return {"kind": "cheapest", "best": rows[0]["label"] if rows else None, "options": rows}


@dataclass(frozen=True)
class SfcEligibility:
    """SFC (スーパーフライヤーズカード) can be applied for while holding Platinum or Diamond, advance service included."""

    on: dt.date
    from_tier: Tier
    period: Period | None        # the earliest stretch of Platinum+ still running or to come
    to_go: dict                  # pp_to_go for the SFC tier this year, when not reached

    @property
    def eligible_now(self) -> bool:
        return self.period is not None and self.period.holds(self.on)

    def facts(self) -> dict:
        p = self.period
        facts = {
            "kind": "sfc",
            "on": self.on.isoformat(),
            "from_tier": self.from_tier.id,
            "eligible_now": self.eligible_now,
            "tier": p.tier.id if p else None,
            "sfc_from": _iso(p.start) if p else None,
            "sfc_until": _iso(p.answer.main_status_until) if p else None,   # advance service runs on into main status
            "main_status_until": _iso(p.answer.main_status_until) if p else None,
        }
        if p and p.start != p.start_by:
            facts["sfc_from_between"] = [_iso(p.start), _iso(p.start_by)]
        if p is None:
            facts.update({k: self.to_go[k] for k in ("pp", "ana_group_pp", "pp_missing", "ana_group_pp_missing")})
        return facts


def sfc_eligibility(flights: Iterable[FlightPP], on: dt.date, rules: StatusRules,
                    from_tier: str | None = None) -> SfcEligibility:
    flights = list(flights)
    tier = rules.tier(from_tier or rules.sfc_from_tier)  # SFC from Platinum (advance service counts)
    qualifying = [p for p in periods(flights, _years_around(on), rules)
                  if _rank(rules, p.tier) >= _rank(rules, tier) and p.until >= on]
    first = min(qualifying, key=lambda p: (not p.holds(on), p.start), default=None)
    return SfcEligibility(on=on, from_tier=tier, period=first, to_go=pp_to_go(flights, tier, on.year, rules))
