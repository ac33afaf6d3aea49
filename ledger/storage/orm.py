"""SQLAlchemy 2 tables. Rows only; the rules live in the domain packages (`ledger.points`, `ledger.status`).

Points are integers in an append-only journal (仕訳): a balance is the sum of its entries,
and nothing here is ever updated in place except a partner link's state and the test clock.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class LedgerTransaction(Base):
    """One change to a user's points, written with all its journal entries in one commit."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    details: Mapped[str] = mapped_column(Text, default="{}")

    entries: Mapped[list["JournalEntry"]] = relationship(back_populates="transaction")


class JournalEntry(Base):
    """A signed integer amount on one account of one user: reserved, municipal:<id>, event:<id>."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_user_account", "user_id", "account"),
                      CheckConstraint("amount <> 0", name="ck_journal_entries_not_zero"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    user_id: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")


class PartnerLink(Base):
    """ID linkage (移行用のサービスID設定) between a user and a partner program."""

    __tablename__ = "partner_links"
    __table_args__ = (UniqueConstraint("user_id", "partner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    partner: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    active_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    unlinked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SandboxPartnerEntry(Base):
    """The sandbox partner's own book (miles, 永久不滅ポイント, …), append-only like ours."""

    __tablename__ = "sandbox_partner_entries"
    __table_args__ = (Index("ix_sandbox_user_partner", "user_id", "partner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    partner: Mapped[str] = mapped_column(String(32))
    bucket: Mapped[str] = mapped_column(String(16), default="points")  # points | wallet
    amount: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Flight(Base):
    """A flight a user logged, with the premium points (PP) it earns.

    A history, never updated in place but for being retired: a delete sets `deleted_at` (and
    `deleted_key`, the delete request's idempotency key); an edit retires the row the same way with
    `replaced_by` naming the new row, whose idempotency key is the edit's. Only live rows
    (`deleted_at` NULL) count anywhere.
    """

    __tablename__ = "flights"
    __table_args__ = (Index("ix_flights_replaced_by", "replaced_by"),
                      CheckConstraint("premium_points > 0", name="ck_flights_pp_positive"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    flown_on: Mapped[dt.date] = mapped_column(Date)
    premium_points: Mapped[int] = mapped_column(Integer)
    ana_group: Mapped[bool] = mapped_column(Boolean, default=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    flight_number: Mapped[str | None] = mapped_column(String(12), nullable=True)   # normalized: "NH123"
    origin: Mapped[str | None] = mapped_column(String(40), nullable=True)          # IATA code when known
    destination: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fare: Mapped[str | None] = mapped_column(String(64), nullable=True)            # fare id PP were computed with, or as given
    cabin: Mapped[str | None] = mapped_column(String(16), nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    replaced_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TestClock(Base):
    """The sandbox test clock shared by every process: frozen at `frozen_at` while set."""

    __tablename__ = "test_clock"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ProcessedRequest(Base):
    """A delivery already handled (a Telegram update id, …): a redelivery is ignored, never acted on twice."""

    __tablename__ = "processed_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Coupon(Base):
    """A coupon code (クーポンコード) a partner without ID linkage issued; redeemed once for reserved points."""

    __tablename__ = "coupons"
    __table_args__ = (CheckConstraint("partner_points > 0 AND reserved_points > 0", name="ck_coupons_points_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    partner: Mapped[str] = mapped_column(String(32))
    partner_points: Mapped[int] = mapped_column(BigInteger)
    reserved_points: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    redeemed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    redeemed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=True)  # issued by the sandbox partner


class CouponAttempt(Base):
    """A redeem attempt; repeated failures lock redeeming for a while (guessing is rate-limited)."""

    __tablename__ = "coupon_attempts"
    __table_args__ = (Index("ix_coupon_attempts_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)


class UserProfile(Base):
    """What a user chose once: the home municipality (基本自治体) that unmoved reserved points go to."""

    __tablename__ = "user_profiles"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    home_municipality: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)  # the language notices are sent in
    muted_notices: Mapped[str] = mapped_column(Text, default="[]")           # notice kinds the user muted (JSON)
    quiet_from: Mapped[str | None] = mapped_column(String(5), nullable=True)  # quiet hours, "HH:MM" Asia/Tokyo
    quiet_until: Mapped[str | None] = mapped_column(String(5), nullable=True)
    unreachable_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # blocked us
    voice_replies: Mapped[bool] = mapped_column(Boolean, default=False)   # answers as voice notes too (Telegram)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """The notices outbox: written in the same transaction as the change that causes it, sent later."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_due", "sent_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed sends so far
    # How it ended (None while open): sent, pulled, muted, blocked, failed, uncertain (a send cut off mid-way).
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the dispatcher holding the lease
    sending_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # send began


class SendBudget(Base):
    """One channel's shared send rate (a GCRA): every dispatcher takes its next send slot from this row."""

    __tablename__ = "send_budgets"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)  # epoch seconds of the next free slot


class Exchange(Base):
    """One exchange (ポイント交換) as a saga, so the partner debit and our credit each happen once.

    `pending` is committed before the partner is called; `debited` once the partner confirmed;
    `done` in the same transaction as the journal credit (whose idempotency key is this row's);
    `failed` when the partner refused (nothing debited); `reversed` when a debit could not be
    credited and the partner refunded it (key `<key>:refund`). `quote` holds the confirmed quote.
    """

    __tablename__ = "exchanges"
    __table_args__ = (Index("ix_exchanges_state_updated", "state", "updated_at"),
                      CheckConstraint("points >= 0 AND wallet_used >= 0 AND to_amount > 0 AND attempts >= 0",
                                      name="ck_exchanges_amounts"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    partner: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(BigInteger)          # partner points debited
    wallet_used: Mapped[int] = mapped_column(BigInteger, default=0)
    destination: Mapped[str] = mapped_column(String(64))     # reserved | municipal:<id>
    to_amount: Mapped[int] = mapped_column(BigInteger)
    quote: Mapped[str] = mapped_column(Text)                 # JSON: the quote as the user confirmed it
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON refusal {"reason", "details"} when failed/reversed
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Installation(Base):
    """This database's mode, decided when it was created: a sandbox (sandbox partners, test clock) or not."""

    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("id = 1", name="ck_installation_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sandbox: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PendingQuote(Base):
    """The quote a user was shown, under the key of the confirmation that will carry it out, until it expires."""

    __tablename__ = "pending_quotes"
    __table_args__ = (Index("ix_pending_quotes_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[str] = mapped_column(String(128))
    quote: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CardPairing(Base):
    """A one-time pairing code the chat gave for a card login (マイナンバーカードでログイン): only its hash is kept."""

    __tablename__ = "card_pairings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CardChallenge(Base):
    """A single-use login challenge handed to the card agent for one pairing."""

    __tablename__ = "card_challenges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("card_pairings.id"), index=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginSession(Base):
    """A logged-in session (by card or by MyKey ID + password), bound to the MyKey ID."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    mykey_id: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))          # card | password
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MyKeyPassword(Base):
    """The MyKey ID + password way in: an argon2id hash per MyKey ID, never the password."""

    __tablename__ = "mykey_passwords"

    mykey_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """A password login attempt, counted per account (`account:<MyKey ID>`) and per user (`user:<id>`)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
