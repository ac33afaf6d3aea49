"""The partner gateway: how the ledger reaches a partner program's balance and debits it.

The sandbox partner keeps its book in our database, inside the caller's unit of work, so its
debit commits together with the exchange's state. Real partners (HTTP, `ledger.points.http_partner`)
come behind the same interface and leave the unit of work alone. Every debit carries an
idempotency key; the exchange saga (`ledger.points.exchanges`) asks `debit_status` when it cannot tell
whether a debit happened, and `refund` gives a debit back under the key `<key>:refund`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PartnerBalance:
    points: int
    wallet: int = 0  # Saison 永久不滅ウォレット


DEBITED, REFUNDED, NOT_FOUND = "debited", "refunded", "not_found"  # what debit_status answers


class PartnerUnavailable(Exception):
    """The partner did not answer (timeout, connection error, 5xx after retries).

    `maybe_debited` is False only when no request reached the partner (no connection was made),
    so a debit surely did not happen; otherwise its outcome is unknown (結果不明).
    """

    def __init__(self, message: str, *, maybe_debited: bool = True) -> None:
        super().__init__(message)
        self.maybe_debited = maybe_debited


class PartnerGateway(Protocol):
    def balance(self, uow: UnitOfWork, user_id: str, partner: str) -> PartnerBalance: ...

    def balances(self, uow: UnitOfWork, user_id: str) -> dict[str, PartnerBalance]: ...

    def debit(self, uow: UnitOfWork, user_id: str, partner: str, amount: int, *,
              idempotency_key: str, at: dt.datetime, wallet: int = 0) -> None:
        """Once per key. Raises Refusal if the partner refuses, PartnerUnavailable if it cannot tell."""

    def debit_status(self, uow: UnitOfWork, idempotency_key: str) -> str:
        """DEBITED, REFUNDED or NOT_FOUND for the debit made (or not) under this key."""

    def refund(self, uow: UnitOfWork, idempotency_key: str, *, at: dt.datetime) -> None:
        """Give back what the key debited, once (key `<key>:refund`); nothing for a key never debited."""


class SandboxPartnerGateway:
    """Sandbox partner accounts (`pointsbot sandbox grant`), kept in the sandbox_partner_entries book."""

    def balances(self, uow: UnitOfWork, user_id: str) -> dict[str, PartnerBalance]:
        return {
            partner: PartnerBalance(points=buckets.get("points", 0), wallet=buckets.get("wallet", 0))
            for partner, buckets in uow.sandbox.balances(user_id).items()
        }

    def balance(self, uow: UnitOfWork, user_id: str, partner: str) -> PartnerBalance:
        return self.balances(uow, user_id).get(partner, PartnerBalance(points=0))

    def debit(self, uow: UnitOfWork, user_id: str, partner: str, amount: int, *,
              idempotency_key: str, at: dt.datetime, wallet: int = 0) -> None:
        """Take `amount` points and `wallet` from the 永久不滅ウォレット (Saison), once per idempotency key."""
        uow.lock_user(user_id)  # one balance check at a time per user (PostgreSQL; SQLite serializes writers)
        if uow.sandbox.has_key(idempotency_key) or uow.sandbox.has_key(f"{idempotency_key}:wallet"):
            return
        held = self.balance(uow, user_id, partner)
        if held.points < amount or held.wallet < wallet:
            raise Refusal("insufficient_balance", partner=partner, available=held.points, given=amount)
        if amount:
            uow.sandbox.add(user_id=user_id, partner=partner, bucket="points", amount=-amount,
                            idempotency_key=idempotency_key, created_at=at)
        if wallet:
            uow.sandbox.add(user_id=user_id, partner=partner, bucket="wallet", amount=-wallet,
                            idempotency_key=f"{idempotency_key}:wallet", created_at=at)

    def debit_status(self, uow: UnitOfWork, idempotency_key: str) -> str:
        if uow.sandbox.has_key(f"{idempotency_key}:refund"):
            return REFUNDED
        debited = uow.sandbox.has_key(idempotency_key) or uow.sandbox.has_key(f"{idempotency_key}:wallet")
        return DEBITED if debited else NOT_FOUND

    def refund(self, uow: UnitOfWork, idempotency_key: str, *, at: dt.datetime) -> None:
        """The opposite entries, under `<key>:refund` (points, the marker) and `<key>:refund:wallet`."""
        refund_key = f"{idempotency_key}:refund"
        points, wallet = uow.sandbox.entry(idempotency_key), uow.sandbox.entry(f"{idempotency_key}:wallet")
        if uow.sandbox.has_key(refund_key) or (points is None and wallet is None):
            return
        owner = points or wallet
        uow.sandbox.add(user_id=owner.user_id, partner=owner.partner, bucket="points",
                        amount=-points.amount if points else 0, idempotency_key=refund_key, created_at=at)
        if wallet is not None:
            uow.sandbox.add(user_id=owner.user_id, partner=owner.partner, bucket="wallet", amount=-wallet.amount,
                            idempotency_key=f"{refund_key}:wallet", created_at=at)

    def grant(self, uow: UnitOfWork, user_id: str, partner: str, amount: int, wallet: int, at: dt.datetime) -> None:
        if amount:
            uow.sandbox.add(user_id=user_id, partner=partner, bucket="points", amount=amount, created_at=at)
        if wallet:
            uow.sandbox.add(user_id=user_id, partner=partner, bucket="wallet", amount=wallet, created_at=at)
