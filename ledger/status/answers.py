"""The questions around a status, as pure functions over flights and rules data (プレミアムメンバー):
what do I hold on a day, when does a tier end, how many PP to go, what if I flew these, which fare gives PP
cheapest, and from when can I apply for SFC. Built on the crossing engine in `tiers`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ledger.shared.clock import iso
from ledger.shared.provenance import RuleCheck, rule_facts
from ledger.status.rules import StatusRules, Tier
from ledger.status.tiers import (
    FlightPP,
    Period,
    StatusStart,
    best_period,
    credit_window,
    periods,
    rank,
    status_start,
    year_flights,
    years_around,
)
from ledger.status.trips import PlannedFlight


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

    rule_check: RuleCheck | None = None   # whether the rules it leans on still hold for its day

    def facts(self) -> dict:
        return self._answer_facts() | rule_facts(self.rule_check)

    def _answer_facts(self) -> dict:
        held = self.held
        facts = {
            "kind": "status_now",
            "on": self.on.isoformat(),
            "tier": held.tier.id if held else None,
            "basis": held.basis if held else None,
            "earned_year": held.year if held else None,
            "status_from": iso(held.start_by) if held else None,
            "status_until": iso(held.answer.main_status_until) if held else None,
            "advance_service_from": iso(held.answer.advance_service_from) if held else None,
            "main_status_from": iso(held.answer.main_status_from) if held else None,
            "main_status_until": iso(held.answer.main_status_until) if held else None,
            "pp": self.pp,
            "ana_group_pp": self.ana_group_pp,
            "pp_logged": self.pp_logged,
            "reason": self.reason,
        }
        if self.maybe is not None:
            facts["maybe_tier"] = self.maybe.tier.id
            facts["pp_credited_between"] = [iso(self.maybe.answer.pp_credited_on),
                                            iso(self.maybe.answer.pp_credited_by)]
            facts["advance_service_between"] = [iso(self.maybe.start), iso(self.maybe.start_by)]
        if self.pending is not None:
            facts["next_tier"] = self.pending.tier.id
            facts["pp_credited_on"] = iso(self.pending.pp_credited_on)
            facts["next_tier_from"] = iso(self.pending.advance_service_from)
            if self.pending.early_months_rule:
                facts["official_advance_service_from"] = self.pending.official_advance_from
        return facts


def status_now(flights: Iterable[FlightPP], on: dt.date, rules: StatusRules) -> StatusNow:
    """The tier held on `on`: advance service from the day after crediting until March 31, then the main status
    from April 1 of the next year to March 31 of the year after; the highest tier held wins."""
    flights = list(flights)
    found = periods(flights, years_around(on), rules)
    held = best_period([p for p in found if p.holds(on)], rules)
    held_rank = rank(rules, held.tier if held else None)
    # A higher tier whose PP are (or may be) credited by `on` but which does not show yet: the crediting day
    # (one-day gap), a Jan–Mar crossing waiting for April, or a partner crediting window.
    coming = [p for p in found if p.basis == "advance_service" and rank(rules, p.tier) > held_rank
              and p.answer.pp_credited_on <= on < p.start_by]
    settled = lambda p: p.start == p.start_by or p.answer.pp_credited_by == p.answer.pp_credited_on  # noqa: E731
    maybe = best_period([p for p in coming if not settled(p)], rules)
    best = best_period([p for p in coming if settled(p)], rules) if maybe is None else None
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

    rule_check: RuleCheck | None = None   # whether the rules it leans on still hold for its day

    def facts(self) -> dict:
        return self._answer_facts() | rule_facts(self.rule_check)

    def _answer_facts(self) -> dict:
        a = self.answer
        facts = {
            "kind": "status_end",
            "tier": self.tier.id,
            "on": self.on.isoformat(),
            "reached": self.reached,
            "earned_year": a.year if a else None,
            "advance_service_from": iso(a.advance_service_from) if a else None,
            "main_status_from": iso(a.main_status_from) if a else None,
            "main_status_until": iso(a.main_status_until) if a else None,
            "ended": bool(a and a.main_status_until < self.on),
        }
        if self.replaced_by is not None:
            facts["replaced_by"] = self.replaced_by.tier.id
            facts["replaced_from"] = iso(self.replaced_by.advance_service_from)
        return facts


def status_end(flights: Iterable[FlightPP], tier: Tier, on: dt.date, rules: StatusRules) -> StatusEnd:
    flights = list(flights)
    latest = None
    for year in years_around(on):
        answer = status_start(flights, tier, year, rules)
        if answer.reached:
            latest = answer
    replaced = None
    if latest is not None:
        higher = [status_start(flights, t, latest.year, rules) for t in rules.tiers if rank(rules, t) > rank(rules, tier)]
        higher = [h for h in higher if h.reached]
        replaced = min(higher, key=lambda h: h.advance_service_from, default=None)
    return StatusEnd(tier=tier, on=on, answer=latest, replaced_by=replaced)


@dataclass(frozen=True)
class PpToGo:
    """PP still missing for a tier in a calendar year: in total, and of those on ANA-group flights (partner PP
    count toward the total only)."""

    tier: Tier
    year: int
    answer: StatusStart

    @property
    def reached(self) -> bool:
        return self.answer.reached

    @property
    def pp_missing_on_ana_group_only(self) -> int:
        """Flying only ANA group, this many PP do it."""
        return max(self.answer.pp_missing, self.answer.ana_group_pp_missing)

    @property
    def partner_pp_may_cover(self) -> int:
        """Of the PP still needed, how many partner flights may give."""
        return self.pp_missing_on_ana_group_only - self.answer.ana_group_pp_missing

    rule_check: RuleCheck | None = None   # whether the rules it leans on still hold for its day

    def facts(self) -> dict:
        return self._answer_facts() | rule_facts(self.rule_check)

    def _answer_facts(self) -> dict:
        answer = self.answer
        return {
            "kind": "pp_to_go",
            "tier": self.tier.id,
            "year": self.year,
            "reached": answer.reached,
            "pp": answer.pp,
            "ana_group_pp": answer.ana_group_pp,
            "pp_needed": self.tier.pp,
            "ana_group_pp_needed": self.tier.ana_group_pp,
            "pp_missing": answer.pp_missing,
            "ana_group_pp_missing": answer.ana_group_pp_missing,
            "pp_missing_on_ana_group_only": self.pp_missing_on_ana_group_only,
            "partner_pp_may_cover": self.partner_pp_may_cover,
            "advance_service_from": iso(answer.advance_service_from),
            "main_status_from": iso(answer.main_status_from),
            "main_status_until": iso(answer.main_status_until),
        }


def pp_to_go(flights: Iterable[FlightPP], tier: Tier, year: int, rules: StatusRules) -> PpToGo:
    """PP still missing for `tier` in `year`."""
    return PpToGo(tier=tier, year=year, answer=status_start(flights, tier, year, rules))


@dataclass(frozen=True)
class PpEarned:
    """Premium Points (プレミアムポイント) earned in a calendar year, by month and by flight: never points on the
    MyKey Platform, and never a balance."""

    year: int
    month: int | None                 # the month asked about (今月, "in March"), else None
    flights: tuple[FlightPP, ...]     # the year's flights, oldest first

    @property
    def total(self) -> int:
        return sum(f.premium_points for f in self.flights)

    @property
    def ana_group_total(self) -> int:
        return sum(f.premium_points for f in self.flights if f.ana_group)

    @property
    def by_month(self) -> dict[int, int]:
        months: dict[int, int] = {}
        for f in self.flights:
            months[f.flown_on.month] = months.get(f.flown_on.month, 0) + f.premium_points
        return months

    @property
    def month_total(self) -> int | None:
        return None if self.month is None else self.by_month.get(self.month, 0)

    def facts(self) -> dict:
        return {
            "kind": "pp_earned", "year": self.year, "pp": self.total, "ana_group_pp": self.ana_group_total,
            "month": self.month, "month_pp": self.month_total, "flights": len(self.flights),
            "by_month": {str(m): n for m, n in sorted(self.by_month.items())},
            "per_flight": [{"flown_on": iso(f.flown_on), "pp": f.premium_points, "ana_group": f.ana_group}
                           for f in self.flights],
        }


def pp_earned(flights: Iterable[FlightPP], year: int, month: int | None = None) -> PpEarned:
    """The PP of the flights flown in `year` (and the one month asked about)."""
    return PpEarned(year=year, month=month,
                    flights=tuple(sorted((f for f in flights if f.flown_on.year == year), key=lambda f: f.flown_on)))


@dataclass(frozen=True)
class WhatIf:
    """The answers as if `flights` were flown too (nothing is stored)."""

    tier: Tier
    year: int
    before: StatusStart
    after: StatusStart
    flights: tuple[PlannedFlight, ...] = ()

    @property
    def added_pp(self) -> int:
        return sum(f.pp for f in self.flights)

    rule_check: RuleCheck | None = None   # whether the rules it leans on still hold for its day

    def facts(self) -> dict:
        return self._answer_facts() | rule_facts(self.rule_check)

    def _answer_facts(self) -> dict:
        facts = self.after.facts()
        facts.update({
            "kind": "what_if",
            "pp_before": self.before.pp,
            "reached_before": self.before.reached,
            "advance_service_from_before": iso(self.before.advance_service_from),
            "flights": [f.facts() for f in self.flights],
        })
        return facts


def what_if(flights: Iterable[FlightPP], extra: Iterable[FlightPP | PlannedFlight], tier: Tier, year: int,
            rules: StatusRules) -> WhatIf:
    """The status answer for `year` with the `extra` flights added; the planned ones are kept for the answer."""
    flights = list(flights)
    extra_pp = [FlightPP(f.flown_on, f.pp, f.ana_group) if isinstance(f, PlannedFlight) else f for f in extra]
    return WhatIf(tier=tier, year=year, before=status_start(flights, tier, year, rules),
                  after=status_start(flights + extra_pp, tier, year, rules),
                  flights=tuple(f for f in extra if isinstance(f, PlannedFlight)))


@dataclass(frozen=True)
class FareOption:
    """One fare to compare: its label (the fare id when computed from a route, else as the user said it), the PP
    it gives and its price in yen."""

    label: str
    pp: int
    yen: int
    fare: str | None = None     # the fare id, when the PP were computed from a route and fare

    def facts(self) -> dict:
        return {"label": self.label, "pp": self.pp, "yen": self.yen, "yen_per_pp": round(self.yen / self.pp, 2),
                "pp_per_1000_yen": round(self.pp * 1000 / self.yen, 2)}


@dataclass(frozen=True)
class CheapestFares:
    """Fares ranked by yen per PP, cheapest first; with the route and day when they were computed for one."""

    options: tuple[FareOption, ...]
    origin: str | None = None
    destination: str | None = None
    flown_on: dt.date | None = None

    @property
    def best(self) -> FareOption | None:
        return self.options[0] if self.options else None

    def facts(self) -> dict:
        facts = {"kind": "cheapest", "best": self.best.label if self.best else None,
                 "options": [o.facts() for o in self.options]}
        if self.origin:
            facts |= {"origin": self.origin, "destination": self.destination, "flown_on": iso(self.flown_on)}
        return facts


def cheapest(options: Iterable[FareOption | tuple[str, int, int]], *, origin: str | None = None,
             destination: str | None = None, flown_on: dt.date | None = None) -> CheapestFares:
    """Fares (label, PP, yen) ranked by yen per PP, cheapest first (ties keep the given order)."""
    given = [o if isinstance(o, FareOption) else FareOption(*o) for o in options]
    ranked = sorted(enumerate(given), key=lambda io: (io[1].yen * 10**6 // io[1].pp, io[0]))
    return CheapestFares(options=tuple(o for _, o in ranked), origin=origin, destination=destination,
                         flown_on=flown_on)


@dataclass(frozen=True)
class SfcEligibility:
    """SFC (スーパーフライヤーズカード) can be applied for while holding Platinum or Diamond, advance service included."""

    on: dt.date
    from_tier: Tier
    period: Period | None        # the earliest stretch of Platinum+ still running or to come
    to_go: PpToGo                # PP to go for the SFC tier this year, when not reached

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
            "sfc_from": iso(p.start) if p else None,
            "sfc_until": iso(p.answer.main_status_until) if p else None,   # advance service runs on into main status
            "main_status_until": iso(p.answer.main_status_until) if p else None,
        }
        if p and p.start != p.start_by:
            facts["sfc_from_between"] = [iso(p.start), iso(p.start_by)]
        if p is None:
            to_go = self.to_go.facts()
            facts.update({k: to_go[k] for k in ("pp", "ana_group_pp", "pp_missing", "ana_group_pp_missing")})
        return facts


def sfc_eligibility(flights: Iterable[FlightPP], on: dt.date, rules: StatusRules,
                    from_tier: str | None = None) -> SfcEligibility:
    flights = list(flights)
    tier = rules.tier(from_tier or rules.sfc_from_tier)  # SFC from Platinum (advance service counts)
    qualifying = [p for p in periods(flights, years_around(on), rules)
                  if rank(rules, p.tier) >= rank(rules, tier) and p.until >= on]
    first = min(qualifying, key=lambda p: (not p.holds(on), p.start), default=None)
    return SfcEligibility(on=on, from_tier=tier, period=first, to_go=pp_to_go(flights, tier, on.year, rules))
