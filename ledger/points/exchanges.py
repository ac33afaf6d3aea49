"""Exchanges (ポイント交換) as a saga: the partner debit and our credit each happen exactly once.

Each step is its own transaction, and the exchange's idempotency key is used everywhere:

1. `pending` — the row (user, partner, amounts, destination, the quote the user confirmed) is
   committed before the partner is called.
2. the partner debit under the key → `debited`. The sandbox partner books its debit in the same
   transaction as this state change; an HTTP partner is called before that transaction starts,
   so no database lock is held while we wait on the network.
3. the journal credit (its idempotency key is the exchange's) and `done`, in one transaction.

The partner refuses → `failed`, nothing debited. The partner does not answer → the row stays
`pending` and the caller gets `ExchangePending` (status `pending`: "in progress, we'll finish
it"). A process that dies between steps leaves `pending` or `debited`. `recover_exchanges` finishes
those: it asks the partner (`debit_status`), then credits, re-drives the debit under the same key
(the partner answers the same key with the same result, so it never debits twice), or — when the
exchange is too old to finish — voids the key and marks it failed. A debit that cannot be credited
is refunded under `<key>:refund` and the exchange is `reversed`.

State changes are compare-and-set (`UPDATE … WHERE state = …`), so a retried request, a second
recovery job and the original process can all run at once and still credit once. When recovery
settles an exchange, a notice (通知) to the user is written in the same transaction.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError

from ledger.points.model import Quote
from ledger.points.partners import DEBITED as PARTNER_DEBITED
from ledger.points.partners import REFUNDED as PARTNER_REFUNDED
from ledger.points.partners import PartnerGateway, PartnerUnavailable
from ledger.shared.checks import checked
from ledger.shared.clock import Clock, as_utc
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PENDING, DEBITED, DONE, FAILED, REVERSED = "pending", "debited", "done", "failed", "reversed"
UNFINISHED = (PENDING, DEBITED)
RETRYABLE = frozenset({"partner_unavailable"})  # failed before reaching the partner: the same key may try again
RECOVER_AFTER = dt.timedelta(minutes=1)  # longer than any partner call (timeouts × attempts + backoff)
GIVE_UP_AFTER = dt.timedelta(hours=24)   # shorter than a partner keeps idempotency keys

Hook = Callable[[str, str], None]
"""Called as hook(step, key) between steps: "pending", "partner_debited" (the partner confirmed,
our row not yet changed) and "debited". Tests raise from it to simulate a process dying there."""


def _no_hook(step: str, key: str) -> None:
    return None


class ExchangePending(Refusal):
    """The partner did not answer in time: the exchange stays pending; retrying or recovery finishes it."""

    def __init__(self, record: "Record") -> None:
        super().__init__("exchange_pending", status="pending", partner=record.partner,
                         from_amount=record.quote.from_amount, to_amount=record.quote.to_amount)


# ---------------------------------------------------------------- the row, as plain values

NOT_STORED = ("rule_check",)   # worked out again from the rules when needed, never frozen into the row


def quote_to_json(quote: Quote) -> str:
    values = {k: v for k, v in dataclasses.asdict(quote).items() if k not in NOT_STORED}
    return json.dumps(values, default=lambda v: v.isoformat(), ensure_ascii=False, sort_keys=True)


def quote_from_json(text: str) -> Quote:
    data = json.loads(text)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Quote):
        if field.name not in data or field.name in NOT_STORED:
            continue
        value = data[field.name]
        if isinstance(value, str) and "date" in str(field.type):
            value = dt.date.fromisoformat(value)
        values[field.name] = value
    return Quote(**values)


@dataclass(frozen=True)
class Record:
    """An exchange row as plain values (what the saga carries between transactions)."""

    key: str
    user_id: str
    partner: str
    points: int
    wallet_used: int
    state: str
    attempts: int
    quote: Quote
    outcome: dict | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row) -> "Record":
        return cls(key=row.idempotency_key, user_id=row.user_id, partner=row.partner, points=row.points,
                   wallet_used=row.wallet_used, state=row.state, attempts=row.attempts,
                   quote=quote_from_json(row.quote), outcome=json.loads(row.outcome) if row.outcome else None,
                   created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))

    def refusal(self) -> Refusal:
        """What a failed or reversed exchange tells the user (again, on a replayed request)."""
        outcome = self.outcome or {"reason": "partner_refused", "details": {"partner": self.partner}}
        return Refusal(outcome["reason"], **outcome["details"])


def _outcome(refusal: Refusal) -> str:
    details = {k: v for k, v in refusal.details.items() if isinstance(v, (int, str, bool, list, type(None)))}
    return json.dumps({"reason": refusal.reason, "details": details}, ensure_ascii=False, sort_keys=True)


def _read(uow: UnitOfWork, key: str) -> Record:
    with uow:
        row = uow.exchanges.get(key)
        assert row is not None, key
        return Record.of(row)


def journal_details(quote: Quote) -> dict:
    """What the credit's journal transaction records (read back by conversion._stored_quote)."""
    return quote.facts("done") | {"quoted_on": quote.quoted_on.isoformat()}


def _notify(uow: UnitOfWork, record: Record, at: dt.datetime, status: str, reason: str | None = None) -> None:
    """Tell the user, through the notices outbox, how an exchange they were waiting for ended."""
    quote = record.quote
    uow.notices.add_once(
        user_id=record.user_id, kind=f"exchange_{status}", dedupe_key=f"exchange:{record.key}", due_at=at, at=at,
        payload={"partner": record.partner, "from_amount": quote.from_amount, "to": quote.to,
                 "to_amount": quote.to_amount, "status": status, "reason": reason},
    )


# ---------------------------------------------------------------- the steps

def _begin(quote: Quote, key: str, *, uow: UnitOfWork, clock: Clock) -> Record:
    """Step 1: commit the pending row, or find the exchange an earlier call with this key started."""
    now = clock.now()
    with uow:
        row = uow.exchanges.get(key)
        if row is None:
            if uow.journal.find(key) is not None:  # the key already moved points for something else
                raise Refusal("idempotency_key_reused")
            try:
                uow.exchanges.add(
                    idempotency_key=key, user_id=quote.user_id, partner=quote.partner, points=quote.points_debited,
                    wallet_used=quote.wallet_used, destination=quote.to, to_amount=quote.to_amount,
                    quote=quote_to_json(quote), state=PENDING, attempts=0, created_at=now, updated_at=now,
                )
                uow.commit()
            except IntegrityError:  # a concurrent call with the same key wrote it first
                uow.rollback()
            row = uow.exchanges.get(key)
        record = Record.of(row)
        if record.user_id != quote.user_id:
            raise Refusal("idempotency_key_reused")
        if record.state == FAILED and record.outcome and record.outcome["reason"] in RETRYABLE:
            if uow.exchanges.move(key, (FAILED,), PENDING, now, outcome=None):
                uow.commit()
                record = dataclasses.replace(record, state=PENDING, outcome=None)
        return record


def _fail(record: Record, refusal: Refusal, *, uow: UnitOfWork, clock: Clock, notify: bool = False) -> Record:
    now = clock.now()
    with uow:
        if uow.exchanges.move(record.key, (PENDING,), FAILED, now, outcome=_outcome(refusal)):
            if notify:
                _notify(uow, record, now, "failed", refusal.reason)
            uow.commit()
    return _read(uow, record.key)


def _debit(record: Record, *, uow: UnitOfWork, gateway: PartnerGateway, clock: Clock, hook: Hook,
           notify: bool = False) -> Record:
    """Step 2: the partner debit under the exchange's key, and `debited`."""
    now = clock.now()
    moved = False
    try:
        with uow:
            gateway.debit(uow, record.user_id, record.partner, record.points, wallet=record.wallet_used,
                          idempotency_key=record.key, at=now)
            hook("partner_debited", record.key)
            moved = uow.exchanges.move(record.key, (PENDING,), DEBITED, now, attempts=record.attempts + 1)
            if moved:
                uow.commit()  # the sandbox partner's debit commits here too
    except Refusal as refusal:  # the partner refused: nothing was debited under this key
        return _fail(record, refusal, uow=uow, clock=clock, notify=notify)
    except PartnerUnavailable as exc:
        if not exc.maybe_debited:  # no request reached the partner
            return _fail(record, Refusal("partner_unavailable", partner=record.partner), uow=uow, clock=clock,
                         notify=notify)
        log.warning("exchange %s: partner %s did not answer (%s); left pending", record.key, record.partner, exc)
        with uow:
            uow.exchanges.note_attempt(record.key, clock.now(), str(exc) or type(exc).__name__)
            uow.commit()
        return dataclasses.replace(record, state=PENDING, attempts=record.attempts + 1)
    except IntegrityError:  # a concurrent debit with the same key booked first (sandbox on PostgreSQL)
        pass
    if moved:
        hook("debited", record.key)
        return dataclasses.replace(record, state=DEBITED, attempts=record.attempts + 1)
    current = _read(uow, record.key)
    if current.state in (FAILED, REVERSED):
        # Someone settled it while our debit was on its way: make sure the partner keeps nothing.
        with uow:
            gateway.refund(uow, record.key, at=clock.now())
            uow.commit()
    return current


def _credit(record: Record, *, uow: UnitOfWork, gateway: PartnerGateway, clock: Clock,
            notify: bool = False) -> tuple[Record, bool]:
    """Step 3: the journal credit and `done`, in one transaction. True if this call credited."""
    now = clock.now()
    try:
        with uow:
            existing = uow.journal.find(record.key)
            if existing is not None and (existing.user_id != record.user_id or existing.kind != "conversion"):
                raise Refusal("idempotency_key_reused")
            if existing is None:
                uow.journal.add(user_id=record.user_id, kind="conversion", idempotency_key=record.key, at=now,
                                details=journal_details(record.quote), entries=record.quote.entries())
            if uow.exchanges.move(record.key, (DEBITED,), DONE, now):
                if notify:
                    _notify(uow, record, now, "done")
                uow.commit()
                return dataclasses.replace(record, state=DONE), True
    except Refusal as refusal:  # debited but it cannot be credited: give the partner's points back
        return _reverse(record, refusal, uow=uow, gateway=gateway, clock=clock, notify=notify), False
    except IntegrityError:  # a concurrent credit with the same key committed first
        pass
    return _read(uow, record.key), False


def _reverse(record: Record, refusal: Refusal, *, uow: UnitOfWork, gateway: PartnerGateway,
             clock: Clock, notify: bool = False) -> Record:
    log.warning("exchange %s: cannot credit (%s); refunding at %s", record.key, refusal.reason, record.partner)
    now = clock.now()
    try:
        with uow:
            gateway.refund(uow, record.key, at=now)
            reversal = Refusal("exchange_reversed", partner=record.partner, from_amount=record.quote.from_amount,
                               cause=refusal.reason)
            if uow.exchanges.move(record.key, (DEBITED,), REVERSED, now, outcome=_outcome(reversal)):
                if notify:
                    _notify(uow, record, now, "failed", reversal.reason)
                uow.commit()
    except PartnerUnavailable as exc:  # stays debited; recovery tries again
        with uow:
            uow.exchanges.note_attempt(record.key, clock.now(), f"refund: {exc}")
            uow.commit()
    return _read(uow, record.key)


def _settle(record: Record, *, uow: UnitOfWork, gateway: PartnerGateway, clock: Clock,
            hook: Hook) -> tuple[Record, bool]:
    """Take the exchange as far as it goes now: done, failed, reversed, or still pending."""
    if record.state == PENDING:
        record = _debit(record, uow=uow, gateway=gateway, clock=clock, hook=hook)
    if record.state == DEBITED:
        return _credit(record, uow=uow, gateway=gateway, clock=clock)
    return record, False


# ---------------------------------------------------------------- entry points

def run_exchange(quote: Quote, key: str, *, uow: UnitOfWork, gateway: PartnerGateway, clock: Clock,
                 hook: Hook | None = None) -> tuple[Quote, bool]:
    """Carry out a confirmed quote once per idempotency key. Returns the quote and whether this call credited it.

    A key seen before continues (or reports) that exchange, whatever `quote` says now. Raises the
    partner's Refusal when it refused, `ExchangePending` when it did not answer, and
    Refusal("exchange_reversed") when a debit could not be credited and was refunded.
    """
    hook = hook or _no_hook
    record = _begin(quote, key, uow=uow, clock=clock)
    if record.state == PENDING:
        hook("pending", key)
    record, credited = _settle(record, uow=uow, gateway=gateway, clock=clock, hook=hook)
    if record.state == DONE:
        return record.quote, credited
    if record.state in UNFINISHED:
        raise ExchangePending(record)
    raise record.refusal()


def find_exchange(key: str, *, uow: UnitOfWork) -> Record | None:
    with uow:
        row = uow.exchanges.get(key)
        return Record.of(row) if row is not None else None


@dataclass(frozen=True)
class Recovery:
    """What one recovery run did."""

    done: int = 0
    failed: int = 0
    reversed: int = 0
    still_pending: int = 0
    waiting: int = 0   # unfinished, but touched too recently to be taken over

    def facts(self) -> dict[str, Any]:
        return {"kind": "exchange_recovery", **dataclasses.asdict(self)}


def _recover_pending(record: Record, *, uow: UnitOfWork, gateway: PartnerGateway, clock: Clock,
                     give_up_after: dt.timedelta, hook: Hook) -> Record:
    now = clock.now()
    with uow:
        status = gateway.debit_status(uow, record.key)
        if status == PARTNER_DEBITED and uow.exchanges.move(record.key, (PENDING,), DEBITED, now,
                                                            attempts=record.attempts + 1):
            uow.commit()
    if status == PARTNER_DEBITED:
        return _read(uow, record.key)
    if status == PARTNER_REFUNDED:
        return _fail(record, Refusal("partner_refused", partner=record.partner), uow=uow, clock=clock, notify=True)
    if now - record.created_at <= give_up_after:
        # Not debited yet: re-drive it under the same key; a late copy of the first request changes nothing.
        return _debit(record, uow=uow, gateway=gateway, clock=clock, hook=hook, notify=True)
    with uow:  # too old to finish: make sure the key never debits, then fail it
        gateway.refund(uow, record.key, at=now)
        uow.commit()
    return _fail(record, Refusal("exchange_expired", partner=record.partner), uow=uow, clock=clock, notify=True)


@checked
def recover_exchanges(*, uow: UnitOfWork, gateway: PartnerGateway, clock: Clock,
                      older_than: dt.timedelta = RECOVER_AFTER, give_up_after: dt.timedelta = GIVE_UP_AFTER,
                      limit: int = 500, hook: Hook | None = None) -> Recovery:
    """Finish or reverse exchanges left pending or debited (a partner timeout, a process that died).

    Takes over only rows nobody touched for `older_than`, so it never races a request in flight.
    Safe to run from several processes at once.
    """
    hook = hook or _no_hook
    now = clock.now()
    with uow:
        records = [Record.of(row) for row in uow.exchanges.unfinished(now - older_than, limit)]
        unfinished = sum(n for state, n in uow.exchanges.count_by_state().items() if state in UNFINISHED)
    outcomes: Counter[str] = Counter()
    for record in records:
        try:
            if record.state == PENDING:
                record = _recover_pending(record, uow=uow, gateway=gateway, clock=clock,
                                          give_up_after=give_up_after, hook=hook)
            if record.state == DEBITED:
                record, _ = _credit(record, uow=uow, gateway=gateway, clock=clock, notify=True)
        except PartnerUnavailable as exc:
            log.warning("recovery of exchange %s: partner %s did not answer (%s)", record.key, record.partner, exc)
            with uow:
                uow.exchanges.note_attempt(record.key, clock.now(), str(exc) or type(exc).__name__)
                uow.commit()
        outcomes[record.state] += 1
    return Recovery(done=outcomes[DONE], failed=outcomes[FAILED], reversed=outcomes[REVERSED],
                    still_pending=outcomes[PENDING] + outcomes[DEBITED], waiting=max(0, unfinished - len(records)))
