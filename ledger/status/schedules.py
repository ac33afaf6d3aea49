"""Schedules said in words, as dated flights (搭乗予定): 「毎週土曜に」, "every weekend in December", "every Saturday
until March"; and the ones that leave the days open — "twice a month until March", "3 round trips",
「年末までに5回」 — as a choice between readings, each with its days, so that no date is ever assumed silently.

Pure: text and today in, days out. A weekend is read as its Saturday (one trip per weekend), and said so.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MAX_TRIPS = 60

_WEEKDAYS_EN = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAYS_JA = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_COUNTS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10}

_EVERY_EN = re.compile(r"every\s+(mon|tue|wed|thu|fri|sat|sun)[a-z]*|every\s+(weekend)|(?:on\s+)?(mon|tue|wed|thu|fri|sat|sun)"
                       r"[a-z]*days\b", re.I)
_EVERY_JA = re.compile(r"毎週([月火水木金土日])曜?|毎週末|週末ごと|毎週の?([月火水木金土日])")
_IN_MONTH_EN = re.compile(r"\bin\s+(" + "|".join(_MONTHS) + r")[a-z]*", re.I)
_UNTIL_MONTH_EN = re.compile(r"\b(?:until|till|through|to|by)\s+(?:the\s+end\s+of\s+)?(" + "|".join(_MONTHS) + r")[a-z]*",
                             re.I)
_IN_MONTH_JA = re.compile(r"(1[0-2]|[1-9])月(?:中|に|の)")
_UNTIL_MONTH_JA = re.compile(r"(1[0-2]|[1-9])月(?:末)?まで")
_YEAR_END = re.compile(r"年末まで|年内|今年中|(?:until|by|before)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?year|year[- ]end)",
                       re.I)
_PER_MONTH = re.compile(r"(twice|once|thrice|\d+\s*times?|\w+\s+times?)\s+a\s+month|月に?\s*(\d+)\s*回", re.I)
_N_TRIPS = re.compile(r"(?<![\d,])(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:more\s+)?"
                      r"(?:[a-z]{3}[-–][a-z]{3}\s+)?(?:round[- ]?trips?|trips?|times?|flights?)"
                      r"|(?<![\d,])(\d+)\s*(?:回|往復)", re.I)


@dataclass(frozen=True)
class Schedule:
    """The days of the trips, and how they were read (for the answer): e.g. ("weekly", 5 = Saturday)."""

    days: tuple[dt.date, ...]
    reading: str                 # "weekly" | "weekends" | "next" | "spread" | "monthly"
    weekday: int | None = None


@dataclass(frozen=True)
class ScheduleChoice:
    """A schedule whose days are open: the readings to choose from, each with its days."""

    options: tuple[Schedule, ...]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _next_month_named(month: int, today: dt.date) -> tuple[int, int]:
    """The year of the next `month` (this one when it has not ended)."""
    return (today.year, month) if month >= today.month else (today.year + 1, month)


def _window(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days a schedule runs in: "in December" / 12月に (that month), "until March" / 3月まで, 年末まで."""
    start = today + dt.timedelta(days=1)
    found = _IN_MONTH_EN.search(text)
    month = _MONTHS.index(found.group(1).lower()[:3]) + 1 if found else None
    if month is None and (ja := _IN_MONTH_JA.search(text)) and not _UNTIL_MONTH_JA.search(text):
        month = int(ja.group(1))
    if month is not None:
        year, month = _next_month_named(month, today)
        return max(start, dt.date(year, month, 1)), _month_end(year, month)
    until = _UNTIL_MONTH_EN.search(text)
    month = _MONTHS.index(until.group(1).lower()[:3]) + 1 if until else None
    if month is None and (ja := _UNTIL_MONTH_JA.search(text)):
        month = int(ja.group(1))
    if month is not None:
        year, month = _next_month_named(month, today)
        return start, _month_end(year, month)
    if _YEAR_END.search(text):
        return start, dt.date(today.year, 12, 31)
    return None


def _weekdays(weekday: int, first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    days = []
    while day <= last and len(days) < MAX_TRIPS:
        days.append(day)
        day += dt.timedelta(days=7)
    return tuple(days)


def _count(word: str) -> int:
    word = word.lower().replace("times", "").replace("time", "").strip()
    return int(word) if word.isdigit() else _COUNTS.get(word, 0)


def read_schedule(text: str, today: dt.date) -> Schedule | ScheduleChoice | None:
    """The schedule a what-if or a plan names, read from the day after `today`; None when it names none."""
    text = text or ""
    window = _window(text, today)
    every = _EVERY_EN.search(text) or _EVERY_JA.search(text)
    if every:
        groups = [g for g in every.groups() if g]
        name = groups[0].lower() if groups else "weekend"
        weekend = name in ("weekend",) or "末" in every.group(0)
        weekday = 5 if weekend else (_WEEKDAYS_JA.get(name) if name in _WEEKDAYS_JA else _WEEKDAYS_EN[name[:3]])
        first, last = window or (today + dt.timedelta(days=1), dt.date(today.year, 12, 31))
        return Schedule(_weekdays(weekday, first, last), "weekends" if weekend else "weekly", weekday)
    per_month = _PER_MONTH.search(text)
    if per_month:
        n = _count(per_month.group(1)) if per_month.group(1) else int(per_month.group(2))
        first, last = window or (today + dt.timedelta(days=1), dt.date(today.year, 12, 31))
        return _choice_monthly(min(max(n, 1), 4), first, last)
    trips = _N_TRIPS.search(text)
    if trips:
        n = min(_count(trips.group(1)) if trips.group(1) else int(trips.group(2)), MAX_TRIPS)
        if n <= 0:
            return None
        first, last = window or (today + dt.timedelta(days=1), dt.date(today.year, 12, 31))
        return _choice_n(n, first, last)
    return None


def _choice_monthly(n: int, first: dt.date, last: dt.date) -> ScheduleChoice:
    """"twice a month": the 1st and 3rd Saturdays, or the 2nd and 4th (n Saturdays a month, from the first or
    the second of the month)."""
    options = []
    for offset in (0, 1):
        days = []
        month = dt.date(first.year, first.month, 1)
        while month <= last:
            saturdays = _weekdays(5, month, _month_end(month.year, month.month))
            picked = [saturdays[i] for i in range(offset, len(saturdays), max(1, 4 // n))][:n]
            days += [d for d in picked if first <= d <= last]
            month = _month_end(month.year, month.month) + dt.timedelta(days=1)
        options.append(Schedule(tuple(days[:MAX_TRIPS]), "monthly", offset))
    return ScheduleChoice(tuple(options))


def _choice_n(n: int, first: dt.date, last: dt.date) -> ScheduleChoice:
    """"3 round trips": the next n Saturdays, or n days spread evenly until the end of the window."""
    saturdays = _weekdays(5, first, last)[:n]
    span = (last - first).days
    spread = tuple(first + dt.timedelta(days=round(i * span / max(n - 1, 1))) for i in range(n)) if n > 1 else (first,)
    options = [Schedule(saturdays, "next", 5)] if len(saturdays) == n else []
    options.append(Schedule(spread, "spread"))
    return ScheduleChoice(tuple(options))
