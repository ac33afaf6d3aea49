"""Rule values in words, from the rules data: no message writes a delay, a day or a year of its own.

"14 days", "up to a week", "3 days to a month", "the day after", "mid-April", "2–3 weeks", "March 31" and
"2008" are what `ledger/rules/*.yml` says today; change a rule file and every message says the new value.
`rule_words(rules, locale)` gives the values every message may use; `link_delay(...)` says one partner's
linkage delay as its source states it (or that no source states it).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
_PARTS = {"early": {"en": "early {m}", "ja": "{n}月上旬"}, "mid": {"en": "mid-{m}", "ja": "{n}月中旬"},
          "late": {"en": "late {m}", "ja": "{n}月下旬"}}


def fmt_span(days: int, locale: str) -> str:
    """A delay in days as people say it: 7 → "a week" / "1週間", 30 → "a month" / "1か月", 14 → "14 days"."""
    if days == 0:
        return "no time" if locale == "en" else "0日"
    if days == 7:
        return "a week" if locale == "en" else "1週間"
    if days in (30, 31):
        return "a month" if locale == "en" else "1か月"
    if locale == "en":
        return "a day" if days == 1 else f"{days} days"
    return f"{days}日"


def fmt_span_range(low: int, high: int, locale: str) -> str:
    """3, 30 → "3 days to a month" / "3日〜1か月"."""
    return f"{fmt_span(low, locale)} to {fmt_span(high, locale)}" if locale == "en" else \
        f"{fmt_span(low, locale)}〜{fmt_span(high, locale)}"


def fmt_weeks(low: int, high: int, locale: str) -> str:
    """2, 3 → "2–3 weeks" / "2〜3週間"."""
    if low == high:
        return (f"{low} week" + ("s" if low != 1 else "")) if locale == "en" else f"{low}週間"
    return f"{low}–{high} weeks" if locale == "en" else f"{low}〜{high}週間"


def fmt_month_day(month: int, day: int, locale: str) -> str:
    """3, 31 → "March 31" / "3月31日"."""
    return f"{_MONTHS_EN[month - 1]} {day}" if locale == "en" else f"{month}月{day}日"


def fmt_month(month: int, locale: str) -> str:
    return _MONTHS_EN[month - 1] if locale == "en" else f"{month}月"


def fmt_month_part(month: int, part: str, locale: str) -> str:
    """4, "mid" → "mid-April" / "4月中旬" (ANA's 「4月中旬」)."""
    return _PARTS[part][locale].format(m=_MONTHS_EN[month - 1], n=month)


def fmt_days_after(days: int, locale: str) -> str:
    """1 → "the day after" / "翌日"; 2 → "2 days after" / "2日後"."""
    if days == 1:
        return "the day after" if locale == "en" else "翌日"
    if days == 0:
        return "the same day as" if locale == "en" else "当日"
    return f"{days} days after" if locale == "en" else f"{days}日後"


def _months_before(month: int, locale: str) -> str:
    """The months before `month` in a year: 4 → "January to March" / "1〜3月"."""
    last = month - 1
    if last <= 1:
        return fmt_month(1, locale)
    return f"{_MONTHS_EN[0]} to {_MONTHS_EN[last - 1]}" if locale == "en" else f"1〜{last}月"


def rule_words(rules: Any, locale: str) -> dict[str, str]:
    """Every rule value a message may say, in `locale`, from `rules` (a `ledger.rules.Rules`)."""
    values: dict[str, str] = {}
    reserved = getattr(rules, "reserved", None)
    if reserved is not None:
        values["move_after"] = fmt_span(reserved.auto_move_after_days, locale)
    status = getattr(rules, "status", None)
    if status is not None:
        values["ana_credit_after"] = fmt_days_after(status.ana_group_credit_days, locale)
        values["partner_credit"] = fmt_span_range(*status.partner_credit_days, locale)
        values["status_after"] = fmt_days_after(status.days_after_crediting, locale)
        advance_month, advance_day = status.early_months_advance_from
        values["early_months"] = _months_before(advance_month, locale)
        values["advance_month"] = fmt_month(advance_month, locale)
        values["official_advance"] = fmt_month_part(*status.early_months_official, locale)
        values["observed_advance"] = fmt_month_day(*status.early_months_observed, locale)
        values["card_time"] = fmt_weeks(*status.card_weeks, locale)
        values["main_from_day"] = fmt_month_day(*status.main_status_from, locale)
        values["main_until_day"] = fmt_month_day(*status.main_status_until, locale)
        values["first_pp_year"] = str(status.pp_formula_since.year)
    return values


_CACHE: dict[tuple[int, str], tuple[Any, dict[str, str]]] = {}


def cached_rule_words(rules: Any, locale: str) -> dict[str, str]:
    """`rule_words`, worked out once per rules object and locale (rules are immutable values)."""
    key = (id(rules), locale)
    found = _CACHE.get(key)
    if found is None or found[0] is not rules:
        found = _CACHE[key] = (rules, rule_words(rules, locale))
    return found[1]


def link_delay(linkage: Any, partner_name: str, locale: str, active_from: dt.date | None = None) -> str:
    """One partner's linkage delay as its source states it — or that no source does, and what is assumed."""
    from i18n import fmt_date, t  # the catalogue imports this module

    if linkage is None:
        return ""
    span = fmt_span(linkage.activation_days, locale)
    if not linkage.verified:
        key = "link_delay.assumed"
    elif linkage.activation_days == 0:
        key = "link_delay.at_once_set" if linkage.shows_set else "link_delay.at_once"
    else:
        key = "link_delay.up_to"
    return t(key, locale, partner=partner_name, span=span, active_from=fmt_date(active_from, locale))
