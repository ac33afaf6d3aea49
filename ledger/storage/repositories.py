"""Repositories both sides use: the test clock, deliveries, profiles, the notices outbox and the installation.
The only code that builds queries; services see plain values (`points_repositories` and `flight_repositories`
hold the two domains')."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, exists, select, text, update
from sqlalchemy.orm import Session, aliased

from ledger.shared.clock import as_utc
from ledger.storage import orm

CLAIM_LOCK = 0x6E6F7469  # "noti": the advisory lock notice claims take turns on (PostgreSQL)


class ClockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def frozen_at(self) -> dt.datetime | None:
        row = self.session.get(orm.TestClock, 1)
        return as_utc(row.frozen_at) if row and row.frozen_at else None

    def set(self, moment: dt.datetime | None) -> None:
        row = self.session.get(orm.TestClock, 1)
        if row is None:
            row = orm.TestClock(id=1)
            self.session.add(row)
        row.frozen_at = as_utc(moment) if moment else None
        self.session.flush()


class RequestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: str, at: dt.datetime) -> None:
        self.session.add(orm.ProcessedRequest(key=key, created_at=at))
        self.session.flush()

    def remove(self, key: str) -> None:
        self.session.execute(delete(orm.ProcessedRequest).where(orm.ProcessedRequest.key == key))


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def home_municipality(self, user_id: str) -> str | None:
        profile = self.session.get(orm.UserProfile, user_id)
        return profile.home_municipality if profile else None

    def locale(self, user_id: str) -> str | None:
        profile = self.session.get(orm.UserProfile, user_id)
        return profile.locale if profile else None

    def update(self, user_id: str, at: dt.datetime, **fields) -> None:
        profile = self.session.get(orm.UserProfile, user_id)
        if profile is None:
            profile = orm.UserProfile(user_id=user_id, updated_at=at)
            self.session.add(profile)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.updated_at = at
        self.session.flush()

    def notice_settings(self, user_id: str) -> tuple[set[str], str | None, str | None]:
        """(muted kinds, quiet from, quiet until) — nothing muted and no quiet hours for a user never seen."""
        profile = self.session.get(orm.UserProfile, user_id)
        if profile is None:
            return set(), None, None
        return set(json.loads(profile.muted_notices or "[]")), profile.quiet_from, profile.quiet_until

    def voice_replies(self, user_id: str) -> bool:
        profile = self.session.get(orm.UserProfile, user_id)
        return bool(profile and profile.voice_replies)

    def unreachable(self, user_id: str) -> bool:
        """True once the user blocked the bot, until they write to it again."""
        profile = self.session.get(orm.UserProfile, user_id)
        return bool(profile and profile.unreachable_since)

    def set_home_municipality(self, user_id: str, municipality: str, at: dt.datetime) -> None:
        self.update(user_id, at, home_municipality=municipality)


class NoticeRepository:
    """The notices outbox (通知): one row per thing to tell a user, never written twice (dedupe key)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_once(self, *, user_id: str, kind: str, dedupe_key: str, payload: dict, due_at: dt.datetime,
                 at: dt.datetime) -> bool:
        exists = self.session.scalar(select(orm.Notice.id).where(orm.Notice.dedupe_key == dedupe_key))
        if exists is not None:
            return False
        self.session.add(orm.Notice(user_id=user_id, kind=kind, dedupe_key=dedupe_key, due_at=due_at, created_at=at,
                                    payload=json.dumps(payload, ensure_ascii=False, sort_keys=True)))
        self.session.flush()
        return True

    def for_user(self, user_id: str) -> list[orm.Notice]:
        return list(self.session.scalars(
            select(orm.Notice).where(orm.Notice.user_id == user_id).order_by(orm.Notice.due_at, orm.Notice.id)
        ))

    def claim_due(self, due_by: dt.datetime, wall: dt.datetime, limit: int, lease: dt.timedelta, claimer: str,
                  user_prefix: str = "") -> list[orm.Notice]:
        """Due (by `due_by`, the ledger's clock), open notices nobody holds, leased to `claimer` until `wall + lease`
        (real time). A user whose notice another dispatcher holds, who waits out a backoff, or who was sent a notice
        within the last second (`close(hold_user_until=…)`) is left out: one user's notices go out from one
        dispatcher, in order, at most one a second.

        PostgreSQL skips rows another dispatcher has locked (FOR UPDATE SKIP LOCKED); SQLite has one writer.
        """
        held = aliased(orm.Notice)
        query = (
            select(orm.Notice)
            .where(orm.Notice.sent_at.is_(None), orm.Notice.sending_at.is_(None), orm.Notice.due_at <= due_by,
                   (orm.Notice.claimed_until.is_(None)) | (orm.Notice.claimed_until < wall),
                   ~exists().where(held.user_id == orm.Notice.user_id, held.claimed_until >= wall))
            .order_by(orm.Notice.due_at, orm.Notice.id).limit(limit)
        )
        if user_prefix:
            query = query.where(orm.Notice.user_id.startswith(user_prefix))
        if self.session.get_bind().dialect.name == "postgresql":
            # Claims take turns (a few ms each), so each sees the users the one before it now holds.
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
            query = query.with_for_update(skip_locked=True, of=orm.Notice)
        notices = list(self.session.scalars(query))
        for notice in notices:
            notice.claimed_until, notice.claimed_by = wall + lease, claimer
        self.session.flush()
        return notices

    def begin_send(self, notice_id: int, claimer: str, wall: dt.datetime) -> bool:
        """Mark the send as begun, only if `claimer` still holds the notice and nobody began it: at most one send."""
        done = self.session.execute(
            update(orm.Notice).where(orm.Notice.id == notice_id, orm.Notice.claimed_by == claimer,
                                     orm.Notice.sent_at.is_(None), orm.Notice.sending_at.is_(None))
            .values(sending_at=wall))
        return done.rowcount == 1

    def count_failure(self, notice_id: int) -> int:
        """A send that did not reach the user: no longer begun, one more attempt counted; the attempts so far."""
        self.session.execute(update(orm.Notice).where(orm.Notice.id == notice_id, orm.Notice.sent_at.is_(None))
                             .values(sending_at=None, attempts=orm.Notice.attempts + 1))
        return int(self.session.scalar(select(orm.Notice.attempts).where(orm.Notice.id == notice_id)) or 0)

    def unbegin(self, notice_id: int) -> None:
        """The send was refused before it reached anyone (Telegram said RetryAfter): the claimer keeps it."""
        self.session.execute(update(orm.Notice).where(orm.Notice.id == notice_id, orm.Notice.sent_at.is_(None))
                             .values(sending_at=None))

    def release(self, notice_id: int, until: dt.datetime | None = None, claimer: str | None = None) -> None:
        """Give a notice back unsent, to be claimed again after `until` (only `claimer`'s, when given)."""
        query = update(orm.Notice).where(orm.Notice.id == notice_id, orm.Notice.sent_at.is_(None))
        if claimer is not None:
            query = query.where(orm.Notice.claimed_by == claimer, orm.Notice.sending_at.is_(None))
        self.session.execute(query.values(sending_at=None, claimed_until=until))

    def cut_off(self, wall: dt.datetime) -> list[orm.Notice]:
        """Sends begun by a dispatcher whose lease ran out (it died mid-send): whether they arrived is unknown."""
        return list(self.session.scalars(select(orm.Notice).where(
            orm.Notice.sent_at.is_(None), orm.Notice.sending_at.is_not(None), orm.Notice.claimed_until < wall)))

    def open_for(self, user_id: str) -> list[orm.Notice]:
        return list(self.session.scalars(select(orm.Notice).where(
            orm.Notice.user_id == user_id, orm.Notice.sent_at.is_(None), orm.Notice.sending_at.is_(None))))

    def unsent_for(self, user_id: str, now: dt.datetime) -> list[orm.Notice]:
        return list(self.session.scalars(
            select(orm.Notice).where(orm.Notice.user_id == user_id, orm.Notice.sent_at.is_(None),
                                     orm.Notice.sending_at.is_(None), orm.Notice.due_at <= now)
            .order_by(orm.Notice.due_at, orm.Notice.id)
        ))

    def withdraw(self, dedupe_key: str) -> bool:
        """Delete one unsent notice that no longer holds (a sent one stays as it was)."""
        row = self.session.scalar(select(orm.Notice).where(orm.Notice.dedupe_key == dedupe_key,
                                                           orm.Notice.sent_at.is_(None)))
        if row is not None:
            self.session.delete(row)
            self.session.flush()
        return row is not None

    def withdraw_unsent(self, user_id: str, kinds: tuple[str, ...], keep: set[str]) -> int:
        """Delete the user's unsent notices of `kinds` whose dedupe key is not in `keep` (they no longer hold)."""
        rows = self.session.scalars(select(orm.Notice).where(
            orm.Notice.user_id == user_id, orm.Notice.kind.in_(kinds), orm.Notice.sent_at.is_(None)))
        gone = [row for row in rows if row.dedupe_key not in keep]
        for row in gone:
            self.session.delete(row)
        self.session.flush()
        return len(gone)

    def postpone(self, notice_id: int, due_at: dt.datetime) -> None:
        self.session.execute(update(orm.Notice).where(orm.Notice.id == notice_id)
                             .values(due_at=due_at, claimed_until=None))

    def close(self, notice_id: int, at: dt.datetime, outcome: str,
              hold_user_until: dt.datetime | None = None) -> None:
        """The notice is done with: sent, pulled, muted, blocked, failed or uncertain. A closed one stays closed.
        `hold_user_until` keeps the user's next notice back until then (one message a second to a chat)."""
        self.session.execute(update(orm.Notice).where(orm.Notice.id == notice_id, orm.Notice.sent_at.is_(None))
                             .values(sent_at=at, outcome=outcome, claimed_until=hold_user_until))


class SendBudgetRepository:
    """The shared send rate of a channel (Telegram's ~30 messages a second): one row, locked to take a slot."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, channel: str) -> orm.SendBudget:
        query = select(orm.SendBudget).where(orm.SendBudget.channel == channel)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.session.scalar(query)
        if row is None:
            row = orm.SendBudget(channel=channel, next_at=0.0)
            self.session.add(row)
        return row

    def take_slot(self, channel: str, now: float, spacing: float, slots: int = 1) -> float:
        """The next free send slot (epoch seconds, never before `now`), with `slots` slots `spacing` apart taken
        from there."""
        row = self._row(channel)
        slot = max(row.next_at, now)
        row.next_at = slot + spacing * slots
        self.session.flush()
        return slot

    def pause(self, channel: str, until: float) -> None:
        """No send on the channel before `until` (Telegram said RetryAfter)."""
        row = self._row(channel)
        row.next_at = max(row.next_at, until)
        self.session.flush()


class InstallationRepository:
    """The database's own mode (one row), decided by the first process that opened it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def sandbox(self) -> bool | None:
        row = self.session.get(orm.Installation, 1)
        return None if row is None else bool(row.sandbox)

    def record(self, sandbox: bool, at: dt.datetime) -> None:
        self.session.add(orm.Installation(id=1, sandbox=sandbox, created_at=at))
        self.session.flush()


class CardLoginRepository:
    """Pairing codes (by hash), single-use challenges and login sessions (ledger.common.card_login)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_pairing(self, code_hash: str, user_id: str, at: dt.datetime, expires_at: dt.datetime) -> None:
        self.session.add(orm.CardPairing(code_hash=code_hash, user_id=user_id, created_at=at, expires_at=expires_at))
        self.session.flush()

    def pairing(self, code_hash: str) -> orm.CardPairing | None:
        return self.session.scalar(select(orm.CardPairing).where(orm.CardPairing.code_hash == code_hash)
                                   .with_for_update())

    def add_challenge(self, challenge_id: str, pairing_id: int, challenge: bytes, at: dt.datetime,
                      expires_at: dt.datetime) -> None:
        self.session.add(orm.CardChallenge(id=challenge_id, pairing_id=pairing_id, challenge=challenge, issued_at=at,
                                           expires_at=expires_at))
        self.session.flush()

    def challenge(self, challenge_id: str) -> tuple[orm.CardChallenge, orm.CardPairing] | None:
        found = self.session.get(orm.CardChallenge, challenge_id, with_for_update=True)
        return (found, self.session.get(orm.CardPairing, found.pairing_id)) if found else None

    def open_session(self, user_id: str, mykey_id: str, method: str, at: dt.datetime,
                     expires_at: dt.datetime) -> orm.LoginSession:
        self.end_sessions(user_id, at)
        session = orm.LoginSession(user_id=user_id, mykey_id=mykey_id, method=method, created_at=at,
                                   expires_at=expires_at)
        self.session.add(session)
        self.session.flush()
        return session

    def live_session(self, user_id: str, now: dt.datetime) -> orm.LoginSession | None:
        found = self.session.scalar(select(orm.LoginSession).where(orm.LoginSession.user_id == user_id,
                                                                   orm.LoginSession.ended_at.is_(None))
                                    .order_by(orm.LoginSession.id.desc()).limit(1))
        return found if found is not None and as_utc(found.expires_at) > now else None

    def end_sessions(self, user_id: str, at: dt.datetime) -> int:
        result = self.session.execute(update(orm.LoginSession).where(orm.LoginSession.user_id == user_id,
                                                                     orm.LoginSession.ended_at.is_(None))
                                      .values(ended_at=at))
        return result.rowcount or 0

    def password_hash(self, mykey_id: str) -> str | None:
        found = self.session.get(orm.MyKeyPassword, mykey_id)
        return found.password_hash if found else None

    def set_password_hash(self, mykey_id: str, password_hash: str, at: dt.datetime) -> None:
        found = self.session.get(orm.MyKeyPassword, mykey_id)
        if found is None:
            self.session.add(orm.MyKeyPassword(mykey_id=mykey_id, password_hash=password_hash, updated_at=at))
        else:
            found.password_hash, found.updated_at = password_hash, at
        self.session.flush()

    def failures_since(self, key: str, since: dt.datetime) -> list[dt.datetime]:
        """Failed attempts under `key` since `since` (after the last success), oldest first."""
        rows = self.session.execute(select(orm.LoginAttempt.at, orm.LoginAttempt.ok)
                                    .where(orm.LoginAttempt.key == key, orm.LoginAttempt.at >= since)
                                    .order_by(orm.LoginAttempt.at, orm.LoginAttempt.id)).all()
        failures: list[dt.datetime] = []
        for at, ok in rows:
            failures = [] if ok else failures + [as_utc(at)]
        return failures

    def add_attempt(self, key: str, at: dt.datetime, ok: bool) -> None:
        self.session.add(orm.LoginAttempt(key=key, at=at, ok=ok))
        self.session.flush()

