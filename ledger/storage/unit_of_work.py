"""The unit of work: one session per operation, rolled back unless committed (cosmicpython's shape)."""
from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.storage import flight_repositories, points_repositories, repositories

Service = TypeVar("Service", bound=Callable)


def reads_only(service: Service) -> Service:
    """Marks a service that only reads: the composition root hands it a read-only unit of work (on SQLite a
    plain BEGIN, never the write lock), so it neither waits for writers nor holds them up."""
    service.reads_only = True
    return service


class UnitOfWork:
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self.journal = points_repositories.JournalRepository(self.session)
        self.links = points_repositories.LinkRepository(self.session)
        self.flights = flight_repositories.FlightRepository(self.session)
        self.sandbox = points_repositories.SandboxPartnerRepository(self.session)
        self.clock = repositories.ClockRepository(self.session)
        self.requests = repositories.RequestRepository(self.session)
        self.coupons = points_repositories.CouponRepository(self.session)
        self.profiles = repositories.ProfileRepository(self.session)
        self.notices = repositories.NoticeRepository(self.session)
        self.send_budgets = repositories.SendBudgetRepository(self.session)
        self.exchanges = points_repositories.ExchangeRepository(self.session)
        self.quotes = points_repositories.QuoteRepository(self.session)
        self.installation = repositories.InstallationRepository(self.session)
        self.card_logins = repositories.CardLoginRepository(self.session)
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        self.session.rollback()
        self.session.close()
        self.session = None

    def lock_user(self, user_id: str) -> None:
        """Serialize writers on one user's accounts until this unit of work ends.

        SQLite already serializes every writer (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped
        advisory lock keyed by the user, so two exchanges cannot both pass the same balance check.
        """
        assert self.session is not None
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:user_id))"), {"user_id": user_id})

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
