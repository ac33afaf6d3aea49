"""Changes on the MyKey Platform need a logged-in session (by My Number card or MyKey ID + password) in production:
exchanges, ID linkage, moves of reserved points and coupon redemption. In sandbox a user who never logged in has a
sandbox MyKey account from first use, so the sandbox conversations and CLI work as before."""
from __future__ import annotations

import datetime as dt

from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork


def require_login(uow: UnitOfWork, user_id: str, now: dt.datetime, sandbox: bool) -> None:
    """Refuse with `login_required` unless the user has a live session (or this is the sandbox)."""
    if sandbox:
        return
    if uow.card_logins.live_session(user_id, now) is None:
        raise Refusal("login_required")
