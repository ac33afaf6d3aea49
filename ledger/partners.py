"""The partner gateway: how the ledger reaches a partner program's balance and debits it.

The sandbox partner keeps its book in our database, inside the caller's unit of work, so a
sandbox exchange is one transaction. Real partners (HTTP) come behind the same interface.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from ledger.model import Refusal
from ledger.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PartnerBalance:
    points: int
    wallet: int = 0  # Saison 永久不滅ウォレット


class PartnerGateway(Protocol):
    def balance(self, uow: UnitOfWork, user_id: str, partner: str) -> PartnerBalance: ...

    def balances(self, uow: UnitOfWork, user_id: str) -> dict[str, PartnerBalance]: ...

    def debit(self, uow: UnitOfWork, user_id: str, partner: str, amount: int, *,
              idempotency_key: str, at: dt.datetime) -> None: ...


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
              idempotency_key: str, at: dt.datetime) -> None:
        if uow.sandbox.has_key(idempotency_key):
            return
        if self.balance(uow, user_id, partner).points < amount:
            raise Refusal("insufficient_balance", partner=partner, available=self.balance(uow, user_id, partner).points)
        uow.sandbox.add(user_id=user_id, partner=partner, bucket="points", amount=-amount,
                        idempotency_key=idempotency_key, created_at=at)

    def grant(self, uow: UnitOfWork, user_id: str, partner: str, amount: int, wallet: int, at: dt.datetime) -> None:
        if amount:
            uow.sandbox.add(user_id=user_id, partner=partner, bucket="points", amount=amount, created_at=at)
        if wallet:
            uow.sandbox.add(user_id=user_id, partner=partner, bucket="wallet", amount=wallet, created_at=at)
