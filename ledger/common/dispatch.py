"""Sending due notices (通知の配信) from the outbox, each at most once, whatever dies when.

A dispatcher claims due notices under a lease in real time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
dispatchers never hold one row; SQLite has one writer), then for each notice:

1. `begin_notice_send` marks the send as begun, only while the claimer still holds it — at most one send;
2. the front end sends it (Telegram);
3. `notice_sent` closes it; `notice_not_sent` holds it back with a growing backoff (or fails it for good after
   `MAX_SEND_ATTEMPTS`, or at once when the failure will not pass); `notice_user_blocked` closes it and marks the
   user unreachable until they write again.

A dispatcher killed between 1 and 3 leaves a begun send behind. Whether it reached the user is unknown, and a
notice is never sent twice, so when its lease has run out `settle_cut_off_sends` closes it as `uncertain`.
Notices claimed but not begun simply come back when the lease ends (or at once, through `release_notices`).

Every dispatcher of a channel takes its send slots from one shared budget (`take_send_slot`), so two of them
together stay within the channel's rate; `pause_sends` holds them all back when Telegram says RetryAfter.
Leases, backoff and slots run on real time (`Clock.wall`); whether a notice is due runs on the ledger's clock,
so the sandbox test clock decides what is due.
"""
from __future__ import annotations

import datetime as dt

from ledger.common.notices import deliverable, notice_facts
from ledger.shared.checks import checked
from ledger.shared.clock import Clock
from ledger.storage.unit_of_work import UnitOfWork

MAX_SEND_ATTEMPTS = 5                  # failed sends before a notice fails for good
BACKOFF_FIRST = dt.timedelta(seconds=10)
BACKOFF_LONGEST = dt.timedelta(minutes=30)
LEASE_SECONDS = 15                      # claims cover about 2 s of sends; a dead claimer's come back in 15 s
PER_CHAT = dt.timedelta(seconds=1.05)  # Telegram: about one message a second to one chat (with a margin)


def backoff(attempts: int) -> dt.timedelta:
    """How long a notice waits after its `attempts`-th failed send: 10 s, 20 s, 40 s, … at most 30 minutes."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_LONGEST)


@checked
def claim_due_notices(claimer: str, limit: int = 60, user_prefix: str = "", *, uow: UnitOfWork, clock: Clock,
                      lease_seconds: int = LEASE_SECONDS) -> list[dict]:
    """Lease due notices to the dispatcher `claimer`, oldest first, with their user's language. A muted kind or a
    user who blocked the bot closes the notice unsent; one due in the user's quiet hours moves to their end."""
    now, wall = clock.now(), clock.wall()
    with uow:
        claimed = uow.notices.claim_due(now, wall, limit, dt.timedelta(seconds=lease_seconds), claimer, user_prefix)
        found = [notice_facts(n, uow.profiles.locale(n.user_id)) for n in deliverable(uow, claimed, now)]
        uow.commit()
        return found


@checked
def begin_notice_send(notice_id: int, claimer: str, *, uow: UnitOfWork, clock: Clock) -> bool:
    """Record that `claimer` is about to send the notice. False (send nothing) when it no longer holds it."""
    with uow:
        begun = uow.notices.begin_send(notice_id, claimer, clock.wall())
        uow.commit()
        return begun


@checked
def notice_sent(notice_id: int, uncertain: bool = False, *, uow: UnitOfWork, clock: Clock) -> None:
    """The send is over: the user has it, or (`uncertain`) the answer was lost on the way and it may have arrived.
    Either way it is never sent again. The user's next notice waits PER_CHAT_SECONDS, whoever sends it."""
    with uow:
        uow.notices.close(notice_id, clock.now(), "uncertain" if uncertain else "sent",
                          hold_user_until=clock.wall() + PER_CHAT)
        uow.commit()


@checked
def notice_not_sent(notice_id: int, permanent: bool = False, counts: bool = True, *, uow: UnitOfWork,
                    clock: Clock) -> str:
    """A send that surely did not reach the user. "retry" when it will be offered again after a backoff (at once
    when it does not count: Telegram only said to slow down); "failed" when it is closed for good (the failure
    will not pass, or MAX_SEND_ATTEMPTS were made)."""
    with uow:
        if not counts:   # still the caller's, to send after the pause
            uow.notices.unbegin(notice_id)
            uow.commit()
            return "retry"
        attempts = uow.notices.count_failure(notice_id)
        if permanent or attempts >= MAX_SEND_ATTEMPTS:
            uow.notices.close(notice_id, clock.now(), "failed")
            outcome = "failed"
        else:
            uow.notices.release(notice_id, clock.wall() + backoff(attempts))
            outcome = "retry"
        uow.commit()
        return outcome


@checked
def notice_user_blocked(notice_id: int, user_id: str, *, uow: UnitOfWork, clock: Clock) -> None:
    """The user blocked the bot: this notice is closed, and so is every later one until they write again."""
    with uow:
        uow.lock_user(user_id)
        uow.notices.close(notice_id, clock.now(), "blocked")
        uow.profiles.update(user_id, clock.now(), unreachable_since=clock.now())
        uow.commit()


@checked
def release_notices(notice_ids: list, claimer: str, *, uow: UnitOfWork) -> None:
    """Give back notices `claimer` holds but never began (a dispatcher stopping), so nobody waits for the lease."""
    with uow:
        for notice_id in notice_ids:
            uow.notices.release(notice_id, None, claimer)
        uow.commit()


@checked
def settle_cut_off_sends(*, uow: UnitOfWork, clock: Clock) -> list[int]:
    """Close, as `uncertain`, sends begun by a dispatcher that died mid-send (lease over): never sent again."""
    with uow:
        cut_off = uow.notices.cut_off(clock.wall())
        for notice in cut_off:
            uow.notices.close(notice.id, clock.now(), "uncertain")
        uow.commit()
        return [notice.id for notice in cut_off]


@checked
def take_send_slot(channel: str, per_second: float, slots: int = 1, *, uow: UnitOfWork, clock: Clock) -> float:
    """The epoch second at which the caller may send its next message on `channel`, with `slots` sends in all
    1/per_second apart from then on: slots are spaced across every dispatcher. Taking a few at once keeps the
    database out of each send (a dispatcher that dies holding them wastes a fraction of a second)."""
    with uow:
        slot = uow.send_budgets.take_slot(channel, clock.wall().timestamp(), 1.0 / per_second, slots)
        uow.commit()
        return slot


@checked
def pause_sends(channel: str, pause_seconds: float, *, uow: UnitOfWork, clock: Clock) -> None:
    """No dispatcher sends on `channel` for `pause_seconds` (Telegram's RetryAfter)."""
    with uow:
        uow.send_budgets.pause(channel, clock.wall().timestamp() + pause_seconds)
        uow.commit()
