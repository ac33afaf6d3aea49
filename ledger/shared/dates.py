"""Reading the dates people type ("2016-06-08", "June 8", "6/8", "6月8日", "昨日").

`dateparser` does the reading in English and Japanese; a date without a year is the most
recent such day on or before today (a flight that already happened).
"""
from __future__ import annotations

import datetime as dt
import unicodedata

import dateparser

from ledger.shared.refusals import Refusal


def parse_day(text: str, today: dt.date, prefer: str = "past") -> dt.date:
    """A day from what the user typed; without a year, the nearest such day before (`prefer="past"`, a flight
    flown) or after today (`"future"`, a flight being planned)."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded or len(folded) > 40:
        raise Refusal("bad_date", given=(text or "")[:40])
    try:
        return dt.date.fromisoformat(folded)
    except ValueError:
        pass
    parsed = dateparser.parse(
        folded,
        languages=["en", "ja"],
        settings={
            "PREFER_DATES_FROM": prefer,
            "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12, 0)),
            "DATE_ORDER": "MDY",
        },
    )
    if parsed is None:
        raise Refusal("bad_date", given=text[:40])
    return parsed.date()
