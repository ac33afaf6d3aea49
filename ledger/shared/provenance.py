"""When a rule was last confirmed (確認日), and whether an answer for a given day can still lean on it.

Every rate, campaign, minimum, delay, fare table and status rule in `ledger/rules/*.yml` carries its
source's date (`confirmed_on`) and, where the source gives one, an end (`ends_on`): the 地域経済応援ポイント
scheme itself ended when めいぶつチョイス closed on 2020-09-30. An answer computed for a day after the end, or
more than `STALE_AFTER` after the last confirmation, says plainly that the rule may no longer hold; its
facts carry `rule_confirmed_on` and `rule_current: false`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ledger.shared.names import rules_date

STALE_AFTER = dt.timedelta(days=365)   # "more than a year after the last confirmation"


@dataclass(frozen=True)
class Confirmed:
    """A rule's provenance: the day its source last confirmed it, and the end its source gives (if any)."""

    on: dt.date
    ends_on: dt.date | None = None
    source: str = ""

    def ended_on(self, day: dt.date) -> bool:
        return self.ends_on is not None and day > self.ends_on

    def current_on(self, day: dt.date) -> bool:
        return not self.ended_on(day) and day - self.on <= STALE_AFTER


def confirmed(raw: dict, what: str, *, source: str | None = None) -> Confirmed:
    """`confirmed_on` (required: a rule without its source's date does not load) and `ends_on` from a rules entry."""
    if not raw.get("confirmed_on"):
        raise ValueError(f"rules: {what} has no confirmed_on (the date its source last confirmed it)")
    return Confirmed(on=rules_date(raw["confirmed_on"]), ends_on=rules_date(raw.get("ends_on")),
                     source=str(source if source is not None else raw.get("source", "")))


@dataclass(frozen=True)
class RuleCheck:
    """What an answer for `day` leans on: current, or the oldest rule that may no longer hold."""

    day: dt.date
    current: bool
    confirmed_on: dt.date
    ends_on: dt.date | None = None
    source: str = ""

    def facts(self) -> dict:
        facts = {"rule_confirmed_on": self.confirmed_on.isoformat(), "rule_current": self.current}
        if not self.current:
            facts["rule_source"] = self.source
            if self.ends_on is not None:
                facts["rule_ended_on"] = self.ends_on.isoformat()
        return facts


def check_rules(day: dt.date, rules: Iterable[Confirmed | None]) -> RuleCheck:
    """The answer's standing on `day`: a rule that ended, else the oldest stale rule, else the oldest rule."""
    dated = [r for r in rules if r is not None]
    if not dated:
        raise ValueError("check_rules needs at least one dated rule")
    ended = [r for r in dated if r.ended_on(day)]
    stale = ended or [r for r in dated if not r.current_on(day)]
    worst = min(stale or dated, key=lambda r: r.on)
    return RuleCheck(day=day, current=not stale, confirmed_on=worst.on,
                     ends_on=worst.ends_on if worst.ended_on(day) else None, source=worst.source)


def rule_facts(check: RuleCheck | None) -> dict:
    return check.facts() if check is not None else {}
