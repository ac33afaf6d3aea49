"""The notices outbox (通知): rows written in the same transaction as the change that causes them, handed to a
dispatcher (Telegram) or to a client that pulls them (HTTP API), each once. Worded by the front ends."""
from __future__ import annotations

import datetime as dt
import json
import re

from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock, as_utc
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only

# Every kind the outbox carries (the domains write them; users can mute any of them by chat).
NOTICE_KINDS = ("reserved_move_soon", "reserved_moved", "reserved_needs_home", "exchange_done", "exchange_failed",
                "advance_service_starts", "main_status_starts", "status_card_due", "partner_pp_credited",
                "link_active", "campaign_ends", "card_login", "session_expiring")
HOUR_MINUTE = re.compile(r"\A([01][0-9]|2[0-3]):[0-5][0-9]\Z")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def quiet_until(now: dt.datetime, quiet_from: str | None, quiet_to: str | None) -> dt.datetime | None:
    """When the user's quiet hours (Asia/Tokyo, possibly across midnight) end, if `now` is inside them."""
    if not quiet_from or not quiet_to or quiet_from == quiet_to:
        return None
    local = now.astimezone(TOKYO)
    minute, start, end = local.hour * 60 + local.minute, _minutes(quiet_from), _minutes(quiet_to)
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    day = local.date() if minute < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(end // 60, end % 60), tzinfo=TOKYO).astimezone(dt.timezone.utc)


def deliverable(uow: UnitOfWork, notices: list, now: dt.datetime) -> list:
    """The notices to hand over now: a muted kind is closed unsent, and so is one for a user who blocked the bot;
    one due in quiet hours waits for their end."""
    kept = []
    for notice in notices:
        muted, quiet_from, quiet_to = uow.profiles.notice_settings(notice.user_id)
        if notice.kind in muted or uow.profiles.unreachable(notice.user_id):
            uow.notices.close(notice.id, now, "muted" if notice.kind in muted else "blocked")
            continue
        wait = quiet_until(now, quiet_from, quiet_to)
        if wait is not None:
            uow.notices.postpone(notice.id, wait)
            continue
        kept.append(notice)
    return kept


def notice_facts(n, locale: str | None) -> dict:
    return {"id": n.id, "user_id": n.user_id, "kind": n.kind, "due_at": as_utc(n.due_at).isoformat(),
            "sent": n.sent_at is not None, "outcome": n.outcome, "attempts": n.attempts,
            "locale": locale, **json.loads(n.payload)}


@checked
@reads_only
def notices_for(user_id: str, *, uow: UnitOfWork) -> list[dict]:
    """Every notice written for the user, sent or not (oldest first)."""
    with uow:
        locale = uow.profiles.locale(user_id)
        return [notice_facts(n, locale) for n in uow.notices.for_user(user_id)]


@checked
def take_notices(user_id: str, *, uow: UnitOfWork, clock: Clock) -> list[dict]:
    """Unsent due notices for a client that pulls them (HTTP API); they count as delivered."""
    now = clock.now()
    with uow:
        locale = uow.profiles.locale(user_id)
        notices = deliverable(uow, uow.notices.unsent_for(user_id, now), now)
        found = [notice_facts(n, locale) | {"sent": True, "outcome": "pulled"} for n in notices]
        for n in notices:
            uow.notices.close(n.id, now, "pulled")
        uow.commit()
        return found


def _kind(kind: str) -> str:
    if kind not in NOTICE_KINDS:
        raise Refusal("unknown_notice_kind", given=str(kind)[:40], known=list(NOTICE_KINDS))
    return kind


def _muted(uow: UnitOfWork, user_id: str, kind: str, muted: bool, now: dt.datetime) -> list[str]:
    with uow:
        uow.lock_user(user_id)
        kinds, _, _ = uow.profiles.notice_settings(user_id)
        (kinds.add if muted else kinds.discard)(_kind(kind))
        uow.profiles.update(user_id, now, muted_notices=json.dumps(sorted(kinds)))
        uow.commit()
        return sorted(kinds)


@checked
def mute_notices(user_id: str, kind: str, *, uow: UnitOfWork, clock: Clock) -> list[str]:
    """Stop one kind of notice for the user (they are closed unsent when due); the muted kinds after."""
    return _muted(uow, user_id, kind, True, clock.now())


@checked
def unmute_notices(user_id: str, kind: str, *, uow: UnitOfWork, clock: Clock) -> list[str]:
    """Send one kind of notice again; the muted kinds after."""
    return _muted(uow, user_id, kind, False, clock.now())


@checked
def set_quiet_hours(user_id: str, quiet_from: str | None, quiet_to: str | None, *, uow: UnitOfWork,
                    clock: Clock) -> dict:
    """Quiet hours in Asia/Tokyo ("22:00"–"07:00", across midnight allowed); both None clears them."""
    if (quiet_from is None) != (quiet_to is None) or any(
            v is not None and not HOUR_MINUTE.match(v) for v in (quiet_from, quiet_to)):
        raise Refusal("bad_quiet_hours", given=f"{quiet_from}-{quiet_to}"[:20])
    with uow:
        uow.lock_user(user_id)
        uow.profiles.update(user_id, clock.now(), quiet_from=quiet_from, quiet_until=quiet_to)
        uow.commit()
    return {"kind": "notice_settings", "quiet_from": quiet_from, "quiet_until": quiet_to}


@checked
@reads_only
def notice_settings(user_id: str, *, uow: UnitOfWork) -> dict:
    """What the user chose: the muted kinds and the quiet hours."""
    with uow:
        muted, quiet_from, quiet_to = uow.profiles.notice_settings(user_id)
    return {"kind": "notice_settings", "muted": sorted(muted), "quiet_from": quiet_from, "quiet_until": quiet_to,
            "kinds": list(NOTICE_KINDS)}

