"""What the assistant remembers of a user beside the domains: the language they last wrote in (for notices)."""
from __future__ import annotations

from ledger.shared.checks import checked
from ledger.shared.clock import Clock
from ledger.storage.unit_of_work import UnitOfWork, reads_only


@checked
def remember_locale(user_id: str, locale: str, *, uow: UnitOfWork, clock: Clock) -> None:
    """The language the user last wrote in, so notices reach them in it. Writes only on a change. A user who
    writes is reachable again, if they had blocked the bot."""
    with uow:
        uow.lock_user(user_id)
        if uow.profiles.locale(user_id) == locale and not uow.profiles.unreachable(user_id):
            return
        uow.profiles.update(user_id, clock.now(), locale=locale, unreachable_since=None)
        uow.commit()


@checked
@reads_only
def user_locale(user_id: str, *, uow: UnitOfWork) -> str | None:
    """The language the user last wrote in (None when they never wrote)."""
    with uow:
        return uow.profiles.locale(user_id)


@checked
def set_reachable(user_id: str, reachable: bool, *, uow: UnitOfWork, clock: Clock) -> bool:
    """The user left the channel (LINE's unfollow: blocked or removed the account) or came back (follow): while
    unreachable, their notices are not sent. What is set after."""
    with uow:
        uow.lock_user(user_id)
        uow.profiles.update(user_id, clock.now(), unreachable_since=None if reachable else clock.now())
        uow.commit()
        return bool(reachable)


@checked
def set_voice_replies(user_id: str, spoken: bool, *, uow: UnitOfWork, clock: Clock) -> bool:
    """Answer the user with voice notes too (音声で返信), or stop; what is set after."""
    with uow:
        uow.lock_user(user_id)
        uow.profiles.update(user_id, clock.now(), voice_replies=bool(spoken))
        uow.commit()
        return bool(spoken)


@checked
@reads_only
def voice_replies(user_id: str, *, uow: UnitOfWork) -> bool:
    """Whether the user asked for spoken answers (voice notes)."""
    with uow:
        return uow.profiles.voice_replies(user_id)
