"""Notices (通知) the assistant sends unprompted, from the outbox the ledger writes.

The ledger writes a notice in the same transaction as the change that causes it (e.g. the 14-day
move of reserved points). `NoticeDispatcher` leases due notices, words them in the user's
language and sends them to Telegram users (`tg:<id>`); HTTP API clients pull theirs from
`GET /v1/notices`. APScheduler drives both jobs (`schedule_jobs`).
"""
from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from i18n import notice_text
from i18n.rule_words import cached_rule_words
from ledger.bootstrap import Ledger

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "ja"  # a user who never wrote a word (only buttons) gets Japanese
DISPATCH_EVERY_SECONDS = 15
AUTO_MOVE_EVERY_SECONDS = 300  # the job is idempotent; running it often only moves points on time
RECOVER_EXCHANGES_EVERY_SECONDS = 60  # takes over exchanges untouched for a minute (ledger.points.exchanges.RECOVER_AFTER)


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


class NoticeDispatcher:
    def __init__(self, ledger: Ledger, bot: Bot | None) -> None:
        self.ledger = ledger
        self.bot = bot

    async def _failed(self, notice: dict, exc: Exception) -> None:
        """A failure that will not pass: counted; after a few the notice is closed, never retried forever."""
        closed = await asyncio.to_thread(self.ledger.notice_failed, notice["id"])
        log.warning("notice %s not sent (%s: %s)%s", notice["id"], type(exc).__name__, exc,
                    "; closed after repeated failures" if closed else "; it will be retried")

    async def dispatch_once(self) -> int:
        """Send what is due to Telegram users; returns how many were delivered.

        A send that fails for a passing reason stays leased and is offered again when the lease
        ends; a user who blocked the bot (403) will never receive it, so it is closed.
        """
        if self.bot is None:
            return 0
        notices = await asyncio.to_thread(self.ledger.claim_due_notices, 50, "tg:")
        sent = 0
        for notice in notices:  # each on its own: one bad notice never blocks the batch
            try:
                chat_id = int(notice["user_id"].removeprefix("tg:"))
                await self.bot.send_message(chat_id, render(self.ledger, notice))
            except Forbidden:
                log.info("notice %s: user blocked the bot; closing it", notice["id"])
            except BadRequest as exc:  # in PTB's tree a NetworkError, but it will not pass
                await self._failed(notice, exc)
                continue
            except (NetworkError, RetryAfter) as exc:  # passing (TimedOut is a NetworkError): offered again later
                log.warning("notice %s not sent (%s); it will be retried", notice["id"], type(exc).__name__)
                continue
            except Exception as exc:  # a bad chat id, a notice we cannot word
                await self._failed(notice, exc)
                continue
            else:
                sent += 1
            await asyncio.to_thread(self.ledger.mark_notice_sent, notice["id"])
        return sent


def schedule_jobs(ledger: Ledger, dispatcher: NoticeDispatcher) -> AsyncIOScheduler:
    """The reserved-points auto-move job, the exchange recovery job and the notice dispatcher, on APScheduler."""
    scheduler = AsyncIOScheduler(timezone="Asia/Tokyo")

    async def auto_moves() -> None:
        result = await asyncio.to_thread(ledger.run_reserved_auto_moves)
        if result["moved"] or result["announced"]:
            log.info("reserved points: moved %s, %s notices", result["moved"], result["announced"])

    scheduler.add_job(auto_moves, "interval", seconds=AUTO_MOVE_EVERY_SECONDS, id="reserved_auto_moves",
                      max_instances=1, coalesce=True)
    async def recover_exchanges() -> None:
        report = await asyncio.to_thread(ledger.recover_exchanges)
        if report.done or report.failed or report.reversed or report.still_pending:
            log.info("exchanges recovered: %s", report.facts())

    scheduler.add_job(recover_exchanges, "interval", seconds=RECOVER_EXCHANGES_EVERY_SECONDS, id="exchange_recovery",
                      max_instances=1, coalesce=True)
    scheduler.add_job(dispatcher.dispatch_once, "interval", seconds=DISPATCH_EVERY_SECONDS, id="notices",
                      max_instances=1, coalesce=True)
    return scheduler
