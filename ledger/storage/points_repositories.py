"""Repositories of the points side: the journal, ID links, the sandbox partner's book, coupons, exchanges and
the quotes shown. The only code that builds these queries; services see plain values."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ledger.shared.clock import as_utc
from ledger.storage import orm


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

    def account_entries(self, user_id: str, account: str) -> list[tuple[int, dt.datetime, int]]:
        """(transaction id, when, signed amount) of every entry on one account, oldest first."""
        rows = self.session.execute(
            select(orm.LedgerTransaction.id, orm.LedgerTransaction.created_at, orm.JournalEntry.amount)
            .join(orm.JournalEntry.transaction)
            .where(orm.JournalEntry.user_id == user_id, orm.JournalEntry.account == account)
            .order_by(orm.LedgerTransaction.created_at, orm.LedgerTransaction.id)
        )
        return [(tid, as_utc(at), int(amount)) for tid, at, amount in rows]

    def users_with_balance(self, account: str) -> list[str]:
        rows = self.session.execute(
            select(orm.JournalEntry.user_id)
            .where(orm.JournalEntry.account == account)
            .group_by(orm.JournalEntry.user_id)
            .having(func.sum(orm.JournalEntry.amount) > 0)
        )
        return [user for (user,) in rows]

    def of_kind(self, kind: str) -> list[orm.LedgerTransaction]:
        """Every transaction of one kind (e.g. "conversion"), with its entries."""
        return list(self.session.scalars(select(orm.LedgerTransaction).where(orm.LedgerTransaction.kind == kind)
                                         .order_by(orm.LedgerTransaction.id)))

    def negative_balances(self) -> list[tuple[str, str, int]]:
        """(user, account, balance) of every account below zero: never, in a sound ledger."""
        rows = self.session.execute(
            select(orm.JournalEntry.user_id, orm.JournalEntry.account, func.sum(orm.JournalEntry.amount))
            .group_by(orm.JournalEntry.user_id, orm.JournalEntry.account)
            .having(func.sum(orm.JournalEntry.amount) < 0))
        return [(user, account, int(total)) for user, account, total in rows]

    def latest_entries(self, user_id: str, account_kind: str, limit: int) -> list[orm.JournalEntry]:
        """One kind of account's entries, newest first: "reserved", or every "municipal:…" / "event:…" account."""
        where = (orm.JournalEntry.account == account_kind if account_kind == "reserved"
                 else orm.JournalEntry.account.startswith(f"{account_kind}:", autoescape=True))
        return list(self.session.scalars(
            select(orm.JournalEntry).join(orm.JournalEntry.transaction)
            .where(orm.JournalEntry.user_id == user_id, where)
            .order_by(orm.LedgerTransaction.created_at.desc(), orm.JournalEntry.id.desc()).limit(limit)))

    def history(self, user_id: str, limit: int) -> list[orm.LedgerTransaction]:
        return list(self.session.scalars(
            select(orm.LedgerTransaction).where(orm.LedgerTransaction.user_id == user_id)
            .order_by(orm.LedgerTransaction.created_at.desc(), orm.LedgerTransaction.id.desc()).limit(limit)
        ))

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

    def entry(self, idempotency_key: str) -> orm.SandboxPartnerEntry | None:
        return self.session.scalar(
            select(orm.SandboxPartnerEntry).where(orm.SandboxPartnerEntry.idempotency_key == idempotency_key)
        )

    def add(self, **fields) -> None:
        self.session.add(orm.SandboxPartnerEntry(**fields))
        self.session.flush()

    def keyed_entries(self) -> list[orm.SandboxPartnerEntry]:
        """Every entry written under an idempotency key (debits, their wallet part and refunds), oldest first."""
        return list(self.session.scalars(select(orm.SandboxPartnerEntry)
                                         .where(orm.SandboxPartnerEntry.idempotency_key.is_not(None))
                                         .order_by(orm.SandboxPartnerEntry.id)))


class CouponRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **fields) -> orm.Coupon:
        coupon = orm.Coupon(**fields)
        self.session.add(coupon)
        self.session.flush()
        return coupon

    def get(self, code: str) -> orm.Coupon | None:
        return self.session.scalar(select(orm.Coupon).where(orm.Coupon.code == code))

    def claim(self, code: str, user_id: str, at: dt.datetime) -> bool:
        """Mark the coupon redeemed by `user_id` unless someone already did (one UPDATE: safe under concurrency)."""
        result = self.session.execute(
            update(orm.Coupon).where(orm.Coupon.code == code, orm.Coupon.redeemed_by.is_(None))
            .values(redeemed_by=user_id, redeemed_at=at)
        )
        return result.rowcount == 1

    def record_attempt(self, user_id: str, at: dt.datetime, ok: bool) -> None:
        self.session.add(orm.CouponAttempt(user_id=user_id, at=at, ok=ok))
        self.session.flush()

    def recent_attempts(self, user_id: str, since: dt.datetime) -> list[tuple[dt.datetime, bool]]:
        """Attempts since `since`, newest first."""
        rows = self.session.execute(
            select(orm.CouponAttempt.at, orm.CouponAttempt.ok)
            .where(orm.CouponAttempt.user_id == user_id, orm.CouponAttempt.at >= since)
            .order_by(orm.CouponAttempt.at.desc(), orm.CouponAttempt.id.desc())
        )
        return [(as_utc(at), ok) for at, ok in rows]


class ExchangeRepository:
    """Exchange saga rows (ledger.points.exchanges). State changes are compare-and-set: one UPDATE … WHERE state."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, idempotency_key: str) -> orm.Exchange | None:
        return self.session.scalar(select(orm.Exchange).where(orm.Exchange.idempotency_key == idempotency_key))

    def add(self, **fields) -> orm.Exchange:
        row = orm.Exchange(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def move(self, idempotency_key: str, from_states: tuple[str, ...], to_state: str, at: dt.datetime,
             **changes) -> bool:
        """Move the row to `to_state` only if it is in one of `from_states`; False if someone else moved it."""
        result = self.session.execute(
            update(orm.Exchange)
            .where(orm.Exchange.idempotency_key == idempotency_key, orm.Exchange.state.in_(from_states))
            .values(state=to_state, updated_at=at, **changes)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def note_attempt(self, idempotency_key: str, at: dt.datetime, error: str) -> None:
        self.session.execute(
            update(orm.Exchange).where(orm.Exchange.idempotency_key == idempotency_key)
            .values(attempts=orm.Exchange.attempts + 1, last_error=error[:2000], updated_at=at)
            .execution_options(synchronize_session=False)
        )

    def unfinished(self, untouched_since: dt.datetime, limit: int) -> list[orm.Exchange]:
        """Pending or debited rows nobody has touched since `untouched_since`, oldest first."""
        return list(self.session.scalars(
            select(orm.Exchange)
            .where(orm.Exchange.state.in_(("pending", "debited")), orm.Exchange.updated_at <= untouched_since)
            .order_by(orm.Exchange.updated_at, orm.Exchange.id).limit(limit)
        ))

    def all(self) -> list[orm.Exchange]:
        return list(self.session.scalars(select(orm.Exchange).order_by(orm.Exchange.id)))

    def count_by_state(self) -> dict[str, int]:
        rows = self.session.execute(select(orm.Exchange.state, func.count()).group_by(orm.Exchange.state))
        return {state: int(n) for state, n in rows}


class QuoteRepository:
    """Quotes shown to a user, under the key of the confirmation that will carry them out (pending_quotes)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, *, quote_key: str, user_id: str, quote: str, at: dt.datetime, expires_at: dt.datetime) -> None:
        row = self.session.scalar(select(orm.PendingQuote).where(orm.PendingQuote.quote_key == quote_key))
        if row is None:
            self.session.add(orm.PendingQuote(quote_key=quote_key, user_id=user_id, quote=quote, created_at=at,
                                              expires_at=expires_at))
        else:
            row.user_id, row.quote, row.created_at, row.expires_at = user_id, quote, at, expires_at
        self.session.flush()

    def get(self, quote_key: str) -> orm.PendingQuote | None:
        return self.session.scalar(select(orm.PendingQuote).where(orm.PendingQuote.quote_key == quote_key))

    def purge(self, before: dt.datetime) -> None:
        """Forget quotes that expired before `before`."""
        self.session.execute(delete(orm.PendingQuote).where(orm.PendingQuote.expires_at < before))
