"""`pointsbot notices dispatch`: the notice dispatcher as a process of its own (the bench and the fault tests
kill it mid-batch; scale mode runs several)."""
from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.notices import IN_FLIGHT, NoticeDispatcher
from ledger.bootstrap import Ledger
from ledger.config import Settings

log = logging.getLogger(__name__)


async def run_dispatcher(ledger: Ledger, settings: Settings, *, lease: int, per_second: float,
                         idle_exit: float, user_prefix: str = "tg:") -> int:
    base = (settings.telegram_api_base or "https://api.telegram.org").rstrip("/")
    bot = Bot(settings.telegram_token, base_url=f"{base}/bot",
              request=HTTPXRequest(connection_pool_size=IN_FLIGHT))
    dispatcher = NoticeDispatcher(ledger, bot, per_second=per_second, lease_seconds=lease, user_prefix=user_prefix)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.to_thread(ledger.settle_cut_off_sends)
    async with bot:
        task = asyncio.create_task(dispatcher.run(stop))
        idle_since = settled = loop.time()
        last = 0
        while not stop.is_set() and not task.done():
            await asyncio.sleep(0.5)
            if loop.time() - settled >= lease:   # sends a dead dispatcher began: closed once its lease is over
                settled = loop.time()
                await asyncio.to_thread(ledger.settle_cut_off_sends)
            if dispatcher.delivered != last or dispatcher.busy:
                last, idle_since = dispatcher.delivered, loop.time()
            elif idle_exit and loop.time() - idle_since >= idle_exit:
                stop.set()
            else:
                dispatcher.kick()   # no scheduler in this process: look for due notices twice a second
        dispatcher.kick()
        await task
    return dispatcher.delivered


def dispatch(ledger: Ledger, settings: Settings, *, lease: int, per_second: float, idle_exit: float,
             user_prefix: str = "tg:") -> int:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(run_dispatcher(ledger, settings, lease=lease, per_second=per_second, idle_exit=idle_exit,
                                      user_prefix=user_prefix))
