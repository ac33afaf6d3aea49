"""Time, in Asia/Tokyo. In sandbox mode a test clock stored in the database is shared by every process."""
from __future__ import annotations

import datetime as dt
from typing import Callable
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without a zone; we always store UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def parse_moment(text: str) -> dt.datetime:
    """An ISO-8601 date or time; without a zone it is read as Tokyo time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        moment = dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(12, 0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    return moment


def iso(day: dt.date | None) -> str | None:
    """A day as the facts carry it (ISO 8601), or None."""
    return day.isoformat() if day else None


class Clock:
    """Now and today. `frozen` reads the sandbox test clock (None when it is not set)."""

    def __init__(self, frozen: Callable[[], dt.datetime | None] | None = None,
                 real: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> None:
        self._frozen = frozen
        self._real = real

    def now(self) -> dt.datetime:
        moment = self._frozen() if self._frozen else None
        return as_utc(moment if moment is not None else self._real())

    def with_wall(self, real: Callable[[], dt.datetime]) -> "Clock":
        """The same test clock over another real time (tests move real time to pass leases and backoffs)."""
        return Clock(self._frozen, real)

    def wall(self) -> dt.datetime:
        """Real time, even under the test clock: leases, backoff and send rates run on it."""
        return as_utc(self._real())

    def today(self) -> dt.date:
        return self.now().astimezone(TOKYO).date()

    def is_test_clock(self) -> bool:
        return bool(self._frozen and self._frozen() is not None)
