"""The notices outbox (通知): rows written in the same transaction as the change that causes them, handed to a
dispatcher (Telegram) or to a client that pulls them (HTTP API), each once. Worded by the front ends."""
from __future__ import annotations

import datetime as dt
import json

from ledger.shared.checks import checked
from ledger.shared.clock import Clock, as_utc
from ledger.storage.unit_of_work import UnitOfWork, reads_only


def _notice(n, locale: str | None) -> dict:
    return {"id": n.id, "user_id": n.user_id, "kind": n.kind, "due_at": as_utc(n.due_at).isoformat(),
            "sent": n.sent_at is not None, "locale": locale, **json.loads(n.payload)}


@checked
@reads_only
def notices_for(user_id: str, *, uow: UnitOfWork) -> list[dict]:
    """Every notice written for the user, sent or not (oldest first)."""
    with uow:
        locale = uow.profiles.locale(user_id)
        return [_notice(n, locale) for n in uow.notices.for_user(user_id)]


@checked
def claim_due_notices(limit: int = 50, user_prefix: str = "", *, uow: UnitOfWork, clock: Clock,
                      lease_seconds: int = 300) -> list[dict]:
    """Lease due notices to one dispatcher; a notice not marked sent within the lease is offered again."""
    now = clock.now()
    with uow:
        claimed = uow.notices.claim_due(now, limit, dt.timedelta(seconds=lease_seconds), user_prefix)
        found = [_notice(n, uow.profiles.locale(n.user_id)) for n in claimed]
        uow.commit()
        return found


MAX_NOTICE_ATTEMPTS = 3


@checked
def notice_failed(notice_id: int, *, uow: UnitOfWork, clock: Clock) -> bool:
    """A send that failed for a reason that will not pass (a bad chat, a refused message): counted, and after
    MAX_NOTICE_ATTEMPTS the notice is closed so it never blocks or repeats. True when it was closed now."""
    now = clock.now()
    with uow:
        attempts = uow.notices.note_failure(notice_id)
        closed = attempts >= MAX_NOTICE_ATTEMPTS
        if closed:
            uow.notices.mark_sent(notice_id, now)
        uow.commit()
        return closed


@checked
def mark_notice_sent(notice_id: int, *, uow: UnitOfWork, clock: Clock) -> None:
    now = clock.now()
    with uow:
        uow.notices.mark_sent(notice_id, now)
        uow.commit()


@checked
def take_notices(user_id: str, *, uow: UnitOfWork, clock: Clock) -> list[dict]:
    """Unsent due notices for a client that pulls them (HTTP API); they count as delivered."""
    now = clock.now()
    with uow:
        locale = uow.profiles.locale(user_id)
        notices = uow.notices.unsent_for(user_id, now)
        found = [_notice(n, locale) for n in notices]
        for n in notices:
            uow.notices.mark_sent(n.id, now)
        uow.commit()
        return found
