"""The flights repository of the status side: flights are a history, and only live rows count."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.storage import orm


class FlightRepository:
    """Flights are a history: only live rows (not deleted, not replaced by an edit) count or are listed."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _live(user_id: str):
        return (orm.Flight.user_id == user_id, orm.Flight.deleted_at.is_(None))

    def for_user(self, user_id: str) -> list[orm.Flight]:
        """The user's live flights, oldest first."""
        return list(self.session.scalars(
            select(orm.Flight).where(*self._live(user_id)).order_by(orm.Flight.flown_on, orm.Flight.id)
        ))

    def in_year(self, user_id: str, year: int) -> list[orm.Flight]:
        """Live flights flown in calendar `year`, oldest first."""
        return list(self.session.scalars(
            select(orm.Flight).where(*self._live(user_id), orm.Flight.flown_on >= dt.date(year, 1, 1),
                                     orm.Flight.flown_on <= dt.date(year, 12, 31))
            .order_by(orm.Flight.flown_on, orm.Flight.id)
        ))

    def matching(self, user_id: str, on: dt.date | None = None, flight_number: str | None = None) -> list[orm.Flight]:
        """Live flights flown on `on` and/or with `flight_number` (any year), newest first."""
        query = select(orm.Flight).where(*self._live(user_id))
        if on is not None:
            query = query.where(orm.Flight.flown_on == on)
        if flight_number is not None:
            query = query.where(orm.Flight.flight_number == flight_number)
        return list(self.session.scalars(query.order_by(orm.Flight.flown_on.desc(), orm.Flight.id.desc())))

    def live(self, user_id: str, flight_id: int) -> orm.Flight | None:
        """The user's flight `flight_id` if it is still live."""
        return self.session.scalar(select(orm.Flight).where(*self._live(user_id), orm.Flight.id == flight_id))

    def find(self, idempotency_key: str) -> orm.Flight | None:
        """The flight logged (or written by an edit) with this key, live or not."""
        return self.session.scalar(select(orm.Flight).where(orm.Flight.idempotency_key == idempotency_key))

    def find_deleted(self, deleted_key: str) -> orm.Flight | None:
        """The flight a delete with this key retired."""
        return self.session.scalar(select(orm.Flight).where(orm.Flight.deleted_key == deleted_key))

    def replaced(self, flight_id: int) -> orm.Flight | None:
        """The flight an edit replaced with `flight_id`."""
        return self.session.scalar(select(orm.Flight).where(orm.Flight.replaced_by == flight_id))

    def year_total(self, user_id: str, year: int) -> int:
        """PP of the user's live flights flown in calendar `year` (one SUM, not every flight read back)."""
        return int(self.session.scalar(
            select(func.coalesce(func.sum(orm.Flight.premium_points), 0))
            .where(*self._live(user_id), orm.Flight.flown_on >= dt.date(year, 1, 1),
                   orm.Flight.flown_on <= dt.date(year, 12, 31))
        ))

    def add(self, **fields) -> orm.Flight:
        flight = orm.Flight(**fields)
        self.session.add(flight)
        self.session.flush()
        return flight

    def retire(self, flight: orm.Flight, at: dt.datetime, *, deleted_key: str | None = None,
               replaced_by: int | None = None) -> None:
        """Take a flight out of every count: deleted (with the delete's key) or replaced by an edit."""
        flight.deleted_at, flight.deleted_key, flight.replaced_by = at, deleted_key, replaced_by
        self.session.flush()
