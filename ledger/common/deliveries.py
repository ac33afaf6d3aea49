"""Deliveries already handled: Telegram redelivers an update, a client retries a request; each acts once."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ledger.shared.clock import Clock
from ledger.storage.unit_of_work import UnitOfWork


def claim_request(key: str, *, uow: UnitOfWork, clock: Clock) -> bool:
    """True the first time `key` is seen (handle it); False for a redelivery (ignore it)."""
    now = clock.now()
    with uow:
        try:
            uow.requests.add(key, now)
            uow.commit()
        except IntegrityError:  # the key is unique: an earlier delivery already claimed it
            return False
        return True
