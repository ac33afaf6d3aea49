"""The other way in (seeds 000 and 001): MyKey ID + password (マイキーIDとパスワードでログイン).

A user who logged in by card sets a password for their MyKey ID (`set_mykey_password`); later they log in with
the MyKey ID and that password (`password_login`). Passwords are kept only as argon2id hashes (argon2-cffi).
Attempts are limited per account and per user: after `ACCOUNT_FAILURES` wrong tries on one MyKey ID, or
`USER_FAILURES` from one chat user, within `WINDOW`, logging in pauses until the window has passed. An unknown
MyKey ID and a wrong password get the same answer. Nothing here logs a password.
"""
from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ledger.common.card_login import CardTrust, LoginSession, open_session
from ledger.shared.checks import checked
from ledger.shared.clock import Clock
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork

HASHER = PasswordHasher()          # argon2id with the library's current parameters
ACCOUNT_FAILURES = 5
USER_FAILURES = 10
WINDOW = dt.timedelta(minutes=15)
MIN_LENGTH, MAX_LENGTH = 8, 64
MYKEY_ID = re.compile(r"\AMK[A-Z2-7]{14}\Z")
_DUMMY = HASHER.hash("not a password of anyone")   # an unknown MyKey ID costs as much as a known one


def check_password(password: str) -> str:
    """8–64 printable characters with at least one letter and one digit."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH or \
            not password.isprintable() or not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        raise Refusal("weak_password", minimum=MIN_LENGTH, maximum=MAX_LENGTH)
    return password


@checked
def set_mykey_password(user_id: str, password: str, *, uow: UnitOfWork, clock: Clock) -> str:
    """Set the password of the MyKey ID the user is logged in as (a card session is needed); returns the MyKey ID."""
    secret = check_password(password)
    now = clock.now()
    with uow:
        session = uow.card_logins.live_session(user_id, now)
        if session is None or session.method != "card":
            raise Refusal("card_login_first")
        uow.card_logins.set_password_hash(session.mykey_id, HASHER.hash(secret), now)
        uow.commit()
        return session.mykey_id


def _paused_until(failures: list[dt.datetime], limit: int) -> dt.datetime | None:
    return failures[-limit] + WINDOW if len(failures) >= limit else None


@checked
def password_login(user_id: str, mykey_id_text: str, password: str, *, uow: UnitOfWork, clock: Clock,
                   card_trust: CardTrust) -> LoginSession:
    """Log in with a MyKey ID and its password; refused alike for an unknown ID and a wrong password."""
    now = clock.now()
    mykey = str(mykey_id_text or "").strip().upper()[:40]
    account_key, user_key = f"account:{mykey}", f"user:{user_id}"
    with uow:
        paused = [until for until in (
            _paused_until(uow.card_logins.failures_since(account_key, now - WINDOW), ACCOUNT_FAILURES),
            _paused_until(uow.card_logins.failures_since(user_key, now - WINDOW), USER_FAILURES)) if until]
        if paused:
            raise Refusal("login_paused", until=max(paused).isoformat())
        stored = uow.card_logins.password_hash(mykey) if MYKEY_ID.match(mykey) else None
        try:
            HASHER.verify(stored or _DUMMY, str(password or "")[:MAX_LENGTH * 4])
            ok = stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        uow.card_logins.add_attempt(account_key, now, ok)
        uow.card_logins.add_attempt(user_key, now, ok)
        if not ok:
            uow.commit()
            raise Refusal("bad_credentials")
        if HASHER.check_needs_rehash(stored):
            uow.card_logins.set_password_hash(mykey, HASHER.hash(password), now)
        expires_at = now + dt.timedelta(hours=card_trust.session_hours)
        open_session(uow, user_id, mykey, "password", now, expires_at, card_trust)
        uow.commit()
    return LoginSession(user_id=user_id, mykey_id=mykey, method="password", expires_at=expires_at)
