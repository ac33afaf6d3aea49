"""The words of the status side as the actions read and say them: airports, tiers, amounts and prices said,
days said, and dates shown. Shared by the status, flight and plan actions."""
from __future__ import annotations

import datetime as dt
import re

from rasa_sdk import Tracker

from actions.forms import entity_values
from actions.runtime import ledger
from i18n import fmt_date
from ledger.shared.amounts import parse_amount, parse_yen
from ledger.shared.dates import parse_day
from ledger.shared.refusals import Refusal

ROUND_TRIP = re.compile(r"往復|round[- ]?trip|(?<![a-z])and back(?![a-z])|there and back|return flight", re.I)


def airports_of(tracker: Tracker) -> list[str]:
    """IATA codes of the airports named, in the order said (origin first)."""
    segments = ledger().rules.segments
    found = [segments.find_airport(value) for value in entity_values(tracker, "airport")]
    return [airport.code for airport in found if airport is not None]


def airport_name(code: str, locale: str) -> str:
    """羽田 / Tokyo Haneda for "HND" (the code itself when the rules do not know it)."""
    airport = ledger().rules.segments.airports.get(code)
    return airport.name(locale) if airport else code


def tier_of(tracker: Tracker) -> str | None:
    values = entity_values(tracker, "tier")
    return (values[0] if values else tracker.get_slot("tier") or "").lower() or None


def tier_name(tier_id: str | None, locale: str) -> str:
    return ledger().rules.status.tier(tier_id).name(locale) if tier_id else "—"


def _readable(tracker: Tracker, entity: str, read) -> list[int]:
    """The values of `entity` in the latest message that `read` accepts, in order; the others are skipped."""
    found = []
    for value in entity_values(tracker, entity):
        try:
            found.append(read(value))
        except Refusal:
            continue
    return found


def amounts_said(tracker: Tracker) -> list[int]:
    return _readable(tracker, "amount", parse_amount)


def yen_said(tracker: Tracker) -> list[int]:
    """Prices said in yen ("23,000円", "¥23,000", "2万3000円", "3万円")."""
    return _readable(tracker, "yen", parse_yen)


def days_said(tracker: Tracker, today: dt.date) -> list[dt.date]:
    """The days said, in order, a date without a year being the next such day (a flight being planned);
    today when none was said."""
    return [parse_day(value, today, prefer="future") for value in entity_values(tracker, "date")] or [today]


def day_text(day: str | dt.date | None, locale: str) -> str:
    return fmt_date(day, locale) if day else "—"


