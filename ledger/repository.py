"""Repositories: the only code that builds queries. Services see plain values."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import orm
from ledger.clock import as_utc


class JournalRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def balances(self, user_id: str) -> dict[str, int]:
        rows = self.session.execute(
            select(orm.JournalEntry.account, func.sum(orm.JournalEntry.amount))
            .where(orm.JournalEntry.user_id == user_id)
            .group_by(orm.JournalEntry.account)
        )
        return {account: int(total) for account, total in rows if total}

    def find(self, idempotency_key: str) -> orm.LedgerTransaction | None:
        return self.session.scalar(
            select(orm.LedgerTransaction).where(orm.LedgerTransaction.idempotency_key == idempotency_key)
        )

    def add(self, *, user_id: str, kind: str, idempotency_key: str, at: dt.datetime,
            details: dict, entries: list[tuple[str, int]]) -> orm.LedgerTransaction:
        txn = orm.LedgerTransaction(
            user_id=user_id, kind=kind, idempotency_key=idempotency_key, created_at=at,
            details=json.dumps(details, ensure_ascii=False, sort_keys=True),
        )
        self.session.add(txn)
        for account, amount in entries:
            txn.entries.append(orm.JournalEntry(user_id=user_id, account=account, amount=int(amount)))
        self.session.flush()
        return txn


class LinkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: str, partner: str) -> orm.PartnerLink | None:
        return self.session.scalar(
            select(orm.PartnerLink).where(orm.PartnerLink.user_id == user_id, orm.PartnerLink.partner == partner)
        )

    def upsert(self, user_id: str, partner: str, requested_at: dt.datetime, active_from: dt.datetime) -> orm.PartnerLink:
        link = self.get(user_id, partner)
        if link is None:
            link = orm.PartnerLink(user_id=user_id, partner=partner, requested_at=requested_at, active_from=active_from)
            self.session.add(link)
        else:
            link.requested_at, link.active_from, link.unlinked_at = requested_at, active_from, None
        self.session.flush()
        return link

    def for_user(self, user_id: str) -> list[orm.PartnerLink]:
        return list(self.session.scalars(select(orm.PartnerLink).where(orm.PartnerLink.user_id == user_id)))

    @staticmethod
    def active_from(link: orm.PartnerLink | None) -> dt.datetime | None:
        if link is None or link.unlinked_at is not None:
            return None
        return as_utc(link.active_from)


class FlightRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_user(self, user_id: str) -> list[orm.Flight]:
        return list(self.session.scalars(
            select(orm.Flight).where(orm.Flight.user_id == user_id).order_by(orm.Flight.flown_on, orm.Flight.id)
        ))

    def find(self, idempotency_key: str) -> orm.Flight | None:
        return self.session.scalar(select(orm.Flight).where(orm.Flight.idempotency_key == idempotency_key))

    def add(self, **fields) -> orm.Flight:
        flight = orm.Flight(**fields)
        self.session.add(flight)
        self.session.flush()
        return flight


class SandboxPartnerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def balances(self, user_id: str) -> dict[str, dict[str, int]]:
        rows = self.session.execute(
            select(orm.SandboxPartnerEntry.partner, orm.SandboxPartnerEntry.bucket, func.sum(orm.SandboxPartnerEntry.amount))
            .where(orm.SandboxPartnerEntry.user_id == user_id)
            .group_by(orm.SandboxPartnerEntry.partner, orm.SandboxPartnerEntry.bucket)
        )
        result: dict[str, dict[str, int]] = defaultdict(dict)
        for partner, bucket, total in rows:
            result[partner][bucket] = int(total or 0)
        return dict(result)

    def has_key(self, idempotency_key: str) -> bool:
        return self.session.scalar(
            select(func.count()).select_from(orm.SandboxPartnerEntry)
            .where(orm.SandboxPartnerEntry.idempotency_key == idempotency_key)
        ) > 0

    def add(self, **fields) -> None:
        self.session.add(orm.SandboxPartnerEntry(**fields))
        self.session.flush()


class ClockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def frozen_at(self) -> dt.datetime | None:
        row = self.session.get(orm.TestClock, 1)
        return as_utc(row.frozen_at) if row and row.frozen_at else None

    def set(self, moment: dt.datetime | None) -> None:
        row = self.session.get(orm.TestClock, 1)
        if row is None:
            row = orm.TestClock(id=1)
            self.session.add(row)
        row.frozen_at = as_utc(moment) if moment else None
        self.session.flush()


class RequestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: str, at: dt.datetime) -> None:
        self.session.add(orm.ProcessedRequest(key=key, created_at=at))
        self.session.flush()
