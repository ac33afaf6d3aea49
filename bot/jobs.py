"""Scheduled work on APScheduler, with its job store in the ledger's database (SQLAlchemy).

The jobs are few and short: the reserved-points auto-move, the exchange recovery, closing sends cut off by a
dead dispatcher, kicking the notice dispatcher, and (sandbox) following the test clock. The store keeps when
each job runs next, so a process that was down runs a missed job once when it comes back (coalesced), if it
is no later than MISFIRE_GRACE_SECONDS. The jobs refer to the running process's work through `RUNNING`, set
by `start_jobs`: a job in the store is a name and a schedule, never a live object.

In sandbox mode the test clock drives the schedule: when someone moves it (`pointsbot sandbox clock set`),
`follow_test_clock` runs the auto-move and wakes the dispatcher at once, so a jump of a week delivers that
week's notices, in order, within seconds.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.notices import NoticeDispatcher
from ledger.bootstrap import Ledger

log = logging.getLogger(__name__)

JOB_TABLE = "scheduler_jobs"
MISFIRE_GRACE_SECONDS = 600


@dataclass
class Work:
    ledger: Ledger
    dispatcher: NoticeDispatcher
    clock_seen: dt.datetime | None = None


RUNNING: Work | None = None


async def reserved_auto_moves() -> None:
    """Reserved points (留保ポイント) whose 14 days ran out move to the home municipality; notices go with them."""
    if RUNNING is None:
        return
    result = await asyncio.to_thread(RUNNING.ledger.run_reserved_auto_moves)
    if result["moved"] or result["announced"]:
        log.info("reserved points: moved %s, %s notices", result["moved"], result["announced"])
        RUNNING.dispatcher.kick()


async def exchange_recovery() -> None:
    """Exchanges left half-way (a process died) are finished or reversed; their settled notices are written."""
    if RUNNING is None:
        return
    report = await asyncio.to_thread(RUNNING.ledger.recover_exchanges)
    if report.done or report.failed or report.reversed or report.still_pending:
        log.info("exchanges recovered: %s", report.facts())
        RUNNING.dispatcher.kick()


async def settle_cut_off_sends() -> None:
    if RUNNING is None:
        return
    closed = await asyncio.to_thread(RUNNING.ledger.settle_cut_off_sends)
    if closed:
        log.warning("notices %s: their send was cut off mid-way; closed as uncertain, never sent twice", closed)


async def kick_dispatcher() -> None:
    if RUNNING is not None:
        RUNNING.dispatcher.kick()


async def follow_test_clock() -> None:
    """Sandbox: when the test clock moved, do now what the new time makes due."""
    if RUNNING is None or not RUNNING.ledger.sandbox:
        return
    moment = await asyncio.to_thread(RUNNING.ledger.read_test_clock)
    if moment != RUNNING.clock_seen:
        RUNNING.clock_seen = moment
        await reserved_auto_moves()
        RUNNING.dispatcher.kick()


JOBS = (  # (job, every so many seconds)
    (reserved_auto_moves, 300),     # idempotent; running it often only moves points on time
    (exchange_recovery, 60),        # takes over exchanges untouched for a minute (exchanges.RECOVER_AFTER)
    (settle_cut_off_sends, 60),
    (kick_dispatcher, 5),
    (follow_test_clock, 2),
)


def start_jobs(ledger: Ledger, dispatcher: NoticeDispatcher) -> AsyncIOScheduler:
    """Start the scheduler on the running event loop. A job already in the store keeps its next run (so one
    missed while the process was down runs once now); a new or changed one is stored."""
    global RUNNING
    RUNNING = Work(ledger, dispatcher, clock_seen=ledger.read_test_clock() if ledger.sandbox else None)
    scheduler = AsyncIOScheduler(
        timezone="Asia/Tokyo",
        jobstores={"default": SQLAlchemyJobStore(engine=ledger.engine, tablename=JOB_TABLE)},
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1},
    )
    scheduler.start(paused=True)
    for job, seconds in JOBS:
        job_id = job.__name__
        stored = scheduler.get_job(job_id)
        if stored is None or getattr(stored.trigger, "interval", None) != dt.timedelta(seconds=seconds):
            scheduler.add_job(job, "interval", seconds=seconds, id=job_id, replace_existing=True)
    scheduler.resume()
    return scheduler


async def stop_jobs(scheduler: AsyncIOScheduler) -> None:
    """Stop the scheduler and wait until it has (APScheduler shuts down on the loop's next turn; until then it
    could still pick a due job from the store that another scheduler should run)."""
    global RUNNING
    if scheduler.running:
        scheduler.shutdown(wait=False)
    while scheduler.running:
        await asyncio.sleep(0)
    RUNNING = None
