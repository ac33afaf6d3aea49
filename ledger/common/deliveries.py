"""Deliveries already handled: Telegram redelivers an update, a client retries a request; each acts once."""
from __future__ import annotations

import hashlib

from sqlalchemy.exc import IntegrityError

from ledger.shared.checks import checked
from ledger.shared.clock import Clock
from ledger.storage.unit_of_work import UnitOfWork


@checked
def stored_key(key: str) -> str:
    """A delivery key as stored: its SHA-256, so a key of any length fits the column and is compared whole."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def claim_request(key: str, *, uow: UnitOfWork, clock: Clock) -> bool:
    """True the first time `key` is seen (handle it); False for a redelivery (ignore it)."""
    now = clock.now()
    with uow:
        try:
            uow.requests.add(stored_key(key), now)
            uow.commit()
        except IntegrityError:  # the key is unique: an earlier delivery already claimed it
            return False
        return True


@checked
def release_request(key: str, *, uow: UnitOfWork) -> None:
    """Forget `key`: the delivery it named failed before it did anything (Rasa was down), so a retry may run."""
    with uow:
        uow.requests.remove(stored_key(key))
        uow.commit()
