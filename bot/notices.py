"""Notices (通知) the assistant sends unprompted, from the outbox the ledger writes.

The ledger writes a notice in the same transaction as the change that causes it (a flight logged, a link
made, an exchange settled). `NoticeDispatcher` claims due notices (`ledger.common.dispatch`), words them in
the user's language and sends them through one messaging channel (`NoticeChannel`): Telegram users (`tg:<id>`)
within Telegram's limits (slots from a budget every dispatcher shares, 30 messages a second; one message a second
to a chat; RetryAfter honoured), or LINE users (`line:<id>`, bot/line.py) by push, within LINE's rate and the
month's message quota.
Each notice is sent at most once, even when the process dies mid-batch (see `ledger.common.dispatch`).
HTTP API clients pull theirs from `GET /v1/notices`. APScheduler drives the work (`bot.jobs`).
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass
from typing import Awaitable, Callable

import httpx
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TimedOut

from i18n import notice_text
from i18n.rule_words import cached_rule_words
from ledger.bootstrap import Ledger
from ledger.common.dispatch import LEASE_SECONDS

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "ja"  # a user who never wrote a word (only buttons) gets Japanese
CHANNEL = "telegram"
TELEGRAM_PER_SECOND = 30.0    # Telegram's limit for one bot, about 30 messages a second overall
SHARE_OF_LIMIT = 0.985        # slots a little wider than 1/30 s; the window guard below is the hard limit
PER_CHAT_SECONDS = 1.05       # about one message a second to one chat, with a margin
BATCH_SECONDS = 2             # claim about two seconds of sends at a time (well inside the lease)
SLOT_BLOCK = 6                # send slots taken from the shared budget at once (a fifth of a second)
IN_FLIGHT = 64                # sends awaiting Telegram's answer at once
WINDOW_MARGIN = 0.005        # seconds added to the one-second window: float rounding only (see _within_the_second)
IDLE_SECONDS = 5.0            # a dispatcher with nothing due looks again this often (or when kicked)
# Transport failures after which the request may have reached Telegram: the notice is closed as uncertain.
MAYBE_ARRIVED = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def render(ledger: Ledger, notice: dict) -> str:
    def municipality_name(municipality_id: str, locale: str) -> str:
        found = ledger.rules.municipalities.get(municipality_id)
        return found.name(locale) if found else municipality_id

    def partner_names(partner_id: str, locale: str) -> tuple[str, str]:
        found = ledger.rules.partners.get(partner_id)
        return (found.name(locale), found.unit(locale)) if found else (partner_id, "")

    locale = notice.get("locale") or DEFAULT_LOCALE
    if notice.get("tier"):   # a tier id as the user reads it (ブロンズ, Platinum)
        tiers = {t.id: t for t in ledger.rules.status.tiers}
        notice = notice | {"tier": tiers[notice["tier"]].name(locale) if notice["tier"] in tiers else notice["tier"]}
    return notice_text(notice, locale, municipality_name, partner_names, words=cached_rule_words(ledger.rules, locale))


def outcome_of(exc: Exception) -> str:
    """What a failed send means for its notice: "flood" (Telegram said RetryAfter; try again after the pause,
    nothing counted), "blocked" (the user blocked the bot), "failed" (it will not pass: a bad chat, a message
    refused), "uncertain" (the answer was lost after the request went out: it may have arrived), or "retry"
    (it surely did not arrive: a connection refused or timed out, a 5xx answer)."""
    if isinstance(exc, RetryAfter):
        return "flood"
    if isinstance(exc, Forbidden):
        return "blocked"
    if isinstance(exc, (BadRequest, ChatMigrated, ValueError, KeyError)):
        return "failed"
    cause = exc.__cause__
    if isinstance(cause, MAYBE_ARRIVED) or (isinstance(exc, TimedOut) and cause is None):
        return "uncertain"
    return "retry"


def retry_seconds(exc: RetryAfter) -> float:
    wait = exc.retry_after
    return float(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)


async def unlimited() -> int | None:
    return None


@dataclass(frozen=True)
class NoticeChannel:
    """Where one messaging channel's notices go, and how fast."""

    name: str                                       # its shared send budget in the ledger ("telegram", "line")
    prefix: str                                     # its users' ids ("tg:", "line:")
    send: Callable[[dict, str], Awaitable[None]]    # (notice, its text)
    per_second: float                               # the channel's limit for the whole bot, all dispatchers
    outcome_of: Callable[[Exception], str]          # what a failed send means (see `outcome_of`)
    retry_seconds: Callable[[Exception], float]     # the pause a "flood" answer asks for
    room: Callable[[], Awaitable[int | None]] = unlimited   # notices that may go now (a quota); None: no cap


def telegram_channel(bot: Bot, per_second: float = TELEGRAM_PER_SECOND) -> NoticeChannel:
    async def send(notice: dict, text: str) -> None:
        await bot.send_message(int(notice["user_id"].removeprefix("tg:")), text)
    return NoticeChannel(CHANNEL, "tg:", send, per_second, outcome_of, retry_seconds)


class NoticeDispatcher:
    """Sends the due notices of one channel's users (Telegram's, given `bot`; or `channel`'s). `run()` keeps going
    until stopped (APScheduler kicks it when something may be due); `dispatch_once()` sends one claim's worth and
    returns how many were delivered."""

    def __init__(self, ledger: Ledger, bot: Bot | None = None, *, per_second: float = TELEGRAM_PER_SECOND,
                 on_blocked: Callable[[str], None] | None = None, lease_seconds: int = LEASE_SECONDS,
                 user_prefix: str = "tg:", channel: NoticeChannel | None = None) -> None:
        self.ledger = ledger
        self.channel = channel or (telegram_channel(bot, per_second) if bot is not None else None)
        per_second = self.channel.per_second if self.channel else per_second
        self.limit = int(per_second)                     # the channel's: at most this many in any second
        self.per_second = per_second * SHARE_OF_LIMIT     # the rate slots are taken at
        self.batch = max(int(self.per_second * BATCH_SECONDS), 1)
        self.on_blocked = on_blocked
        self.lease_seconds = lease_seconds
        prefix = self.channel.prefix if self.channel else "tg:"
        self.user_prefix = user_prefix if user_prefix.startswith(prefix) else prefix   # this channel's users only
        self.busy = False   # in the middle of a batch
        self.claimer = f"{socket.gethostname()[:16]}-{os.getpid()}-{secrets.token_hex(4)}"
        self.delivered = 0
        self._wake = asyncio.Event()
        self._chat_free_at: dict[str, float] = {}   # user → monotonic time their chat may get the next message
        self._in_flight: set[asyncio.Task] = set()
        self._sending = 0                         # sends on their way to Telegram
        self._done_at: deque[float] = deque()   # monotonic times of this dispatcher's answered sends, last second
        self._room = asyncio.Semaphore(IN_FLIGHT)
        self._slots: deque[float] = deque()   # send slots this dispatcher holds (epoch seconds)

    def kick(self) -> None:
        """Something may be due: look now instead of at the end of the idle wait."""
        self._wake.set()

    async def dispatch_once(self) -> int:
        before = self.delivered
        await self._drain(refill=False)
        return self.delivered - before

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; what is claimed but not begun is given back on the way out."""
        while not stop.is_set():
            try:
                await self._drain(refill=True, stop=stop)
            except Exception:  # the database away for a moment: look again after the idle wait
                log.exception("notice dispatch failed; trying again")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)
            except TimeoutError:
                pass

    async def _claim(self) -> list[dict]:
        room = await self.channel.room()
        batch = self.batch if room is None else min(self.batch, room)
        if batch <= 0:   # the channel's quota is used up: the notices wait in the outbox
            return []
        return await asyncio.to_thread(self.ledger.claim_due_notices, self.claimer, batch, self.user_prefix,
                                       lease_seconds=self.lease_seconds)

    async def _drain(self, *, refill: bool, stop: asyncio.Event | None = None) -> None:
        if self.channel is None:
            return
        queue: deque[dict] = deque(await self._claim())
        more = refill and len(queue) == self.batch
        self.busy = bool(queue)
        try:
            while queue or self._in_flight:
                if stop and stop.is_set():
                    break
                if more and len(queue) < self.batch // 2:   # claim the next seconds' sends before running dry
                    fresh = await self._claim()
                    queue.extend(fresh)
                    more = len(fresh) == self.batch
                notice = self._next_ready(queue)
                if notice is None:   # nothing waiting, or each waiting chat had a message within the second
                    if not queue:    # a send in flight may yet put its notice back (RetryAfter)
                        await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)
                        continue
                    soonest = min(self._chat_free_at.get(self._chat(n), 0) for n in queue)
                    await asyncio.sleep(min(max(soonest - time.monotonic(), 0.01), 0.1))
                    continue
                slot = await self._next_slot()
                await asyncio.sleep(max(slot - self.ledger.clock.wall().timestamp(), 0))
                await self._room.acquire()
                self._chat_free_at[self._chat(notice)] = float("inf")   # until its send: then a second on
                task = asyncio.create_task(self._send(notice, queue))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            await asyncio.gather(*self._in_flight)
        finally:
            self.busy = False
            if queue:   # stopping: give back what was claimed and never begun
                await asyncio.to_thread(self.ledger.release_notices, [n["id"] for n in queue], self.claimer)

    async def _next_slot(self) -> float:
        """The epoch second of this dispatcher's next send: from the slots it holds, taken from the shared budget
        SLOT_BLOCK at a time; a slot already gone by is dropped (never a burst of old slots)."""
        now = self.ledger.clock.wall().timestamp()
        while self._slots and self._slots[0] < now - 1.0 / self.per_second:
            self._slots.popleft()
        if not self._slots:
            first = await asyncio.to_thread(self.ledger.take_send_slot, self.channel.name, self.per_second, SLOT_BLOCK)
            self._slots.extend(first + i / self.per_second for i in range(SLOT_BLOCK))
        return self._slots.popleft()

    @staticmethod
    def _chat(notice: dict) -> str:
        return notice["user_id"]

    def _next_ready(self, queue: deque[dict]) -> dict | None:
        now = time.monotonic()
        for index, notice in enumerate(queue):
            if self._chat_free_at.get(self._chat(notice), 0) <= now:
                del queue[index]
                return notice
        return None

    async def _send(self, notice: dict, queue: deque[dict]) -> None:
        chat = self._chat(notice)
        await self._within_the_second()   # wait for room first: a send is begun only just before it goes out
        attempted = False
        try:
            if not await asyncio.to_thread(self.ledger.begin_notice_send, notice["id"], self.claimer):
                return   # our lease ran out and another dispatcher took it: it is theirs now
            try:
                text = render(self.ledger, notice)
                attempted = True
                await self.channel.send(notice, text)
            except Exception as exc:  # each notice on its own: one bad notice never stops the batch
                self._answered(chat, attempted)
                await self._failed(notice, exc, queue)
            else:
                self._answered(chat, attempted)
                await asyncio.to_thread(self.ledger.notice_sent, notice["id"])
                self.delivered += 1
        except Exception:
            log.exception("notice %s: could not record its send", notice["id"])
        finally:
            self._answered(chat, False)
            self._room.release()

    def _answered(self, chat: str, attempted: bool) -> None:
        """The send is over (once per send; later calls do nothing). Telegram saw it at the latest now, so the
        chat's second and the overall window count from here; a send that never went out frees its chat now."""
        if self._chat_free_at.get(chat) != float("inf"):
            return
        self._sending -= 1
        now = time.monotonic()
        if attempted:
            self._done_at.append(now)
        self._chat_free_at[chat] = now + PER_CHAT_SECONDS if attempted else now

    async def _within_the_second(self) -> None:
        """The last guard, at the moment of sending: never more than Telegram's limit in any second, however
        late the database or the network made a send. A send counts from its start until a second after its
        answer: Telegram saw it somewhere in between, so no second at Telegram's end can hold more than the
        limit, even when one request is slow on the way and the next is fast."""
        while True:
            now = time.monotonic()
            while self._done_at and self._done_at[0] + 1.0 + WINDOW_MARGIN <= now:
                self._done_at.popleft()
            if self._sending + len(self._done_at) < self.limit:
                break
            wait = self._done_at[0] + 1.0 + WINDOW_MARGIN - now if self._done_at else 0.005
            await asyncio.sleep(min(max(wait, 0.001), 0.05))
        self._sending += 1

    async def _failed(self, notice: dict, exc: Exception, queue: deque[dict]) -> None:
        outcome = self.channel.outcome_of(exc)
        what = f"notice {notice['id']} not sent ({type(exc).__name__})"
        if outcome == "flood":
            pause = self.channel.retry_seconds(exc)
            log.warning("%s: %s asks to wait %.0f s; every dispatcher waits", what, self.channel.name, pause)
            self._slots.clear()
            await asyncio.to_thread(self.ledger.pause_sends, self.channel.name, pause)
            await asyncio.to_thread(self.ledger.notice_not_sent, notice["id"], False, False)
            queue.appendleft(notice)
        elif outcome == "blocked":
            log.info("%s: the user blocked the bot; no more notices until they write", what)
            await asyncio.to_thread(self.ledger.notice_user_blocked, notice["id"], notice["user_id"])
            for later in [n for n in queue if n["user_id"] == notice["user_id"]]:   # not even tried
                queue.remove(later)
                await asyncio.to_thread(self.ledger.notice_user_blocked, later["id"], later["user_id"])
            if self.on_blocked:
                self.on_blocked(notice["user_id"])
        elif outcome == "uncertain":
            log.warning("%s: the answer was lost; it may have arrived, so it is not sent again", what)
            await asyncio.to_thread(self.ledger.notice_sent, notice["id"], True)
        else:
            result = await asyncio.to_thread(self.ledger.notice_not_sent, notice["id"], outcome == "failed")
            log.warning("%s: %s", what, "closed for good" if result == "failed" else "it will be tried again later")
