"""Sending notices within Telegram's limits, each at most once (issue 15, items 3 and 5), through PTB against
the local fake Bot API, which enforces Telegram's limits (30 messages a second, one a second to a chat):
RetryAfter honoured, blocked users marked, passing failures retried with backoff and failed after
MAX_SEND_ATTEMPTS, a lost answer never sent twice, a dispatcher killed mid-batch, two dispatchers on one
PostgreSQL database, the job store's missed runs, and the test clock driving the schedule."""
from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from telegram import Bot
from telegram.request import HTTPXRequest

from bot import jobs
from bot.notices import NoticeDispatcher
from ledger.common.dispatch import MAX_SEND_ATTEMPTS, backoff
from ledger.shared.clock import parse_moment
from ops.processes import free_port
from tests.conftest import with_wall
from tests.fake_telegram import FakeBotApi

TOKEN = "123:ABC"
REPO = Path(__file__).resolve().parent.parent
D = dt.date


def due_notices(ledger, chats: list[int], per_chat: int = 1) -> dict[int, list[str]]:
    """`per_chat` due notices for each chat (the user's second one due a minute after the first); the texts
    each chat should get, in order (every amount differs, so every text does)."""
    ledger.set_test_clock(parse_moment("2018-06-13T09:00"))
    now = ledger.clock.now()
    amounts: dict[int, list[int]] = collections.defaultdict(list)
    with ledger.uow() as uow:
        for k in range(per_chat):
            for n, chat in enumerate(chats):
                amount = 1_000 + k * 10_000 + n
                uow.notices.add_once(user_id=f"tg:{chat}", kind="reserved_move_soon", dedupe_key=f"{chat}-{k}",
                                     at=now, due_at=now - dt.timedelta(minutes=per_chat - k),
                                     payload={"amount": amount, "moves_on": "2018-06-15", "municipality": "kasama",
                                              "credited_on": "2018-06-01"})
                amounts[chat].append(amount)
        uow.commit()
    return {chat: [f"{a:,}" for a in found] for chat, found in amounts.items()}


def bot_for(fake: FakeBotApi, **timeouts) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url + "/bot", request=HTTPXRequest(connection_pool_size=64, **timeouts))


def open_notices(ledger, chats) -> list[dict]:
    return [n for chat in chats for n in ledger.notices_for(f"tg:{chat}") if not n["sent"]]


async def run_until_closed(ledger, dispatcher: NoticeDispatcher, chats, timeout: float = 60) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while open_notices(ledger, chats):
                await asyncio.sleep(0.2)
                dispatcher.kick()
    finally:
        stop.set()
        dispatcher.kick()
        await task


def assert_each_once_in_order(fake: FakeBotApi, expected: dict[int, list[str]]) -> None:
    counts = collections.Counter(fake.delivered)
    assert [m for m, c in counts.items() if c > 1] == [], "no notice twice"
    for chat, amounts in expected.items():
        texts = [text for to, text in fake.delivered if to == chat]
        assert len(texts) == len(amounts), f"chat {chat}: every notice once"
        assert all(amount in text for amount, text in zip(amounts, texts)), f"chat {chat}: in order"


async def test_sends_stay_within_telegrams_limits_and_keep_each_users_order(ledger):
    chats = list(range(1001, 1041))
    expected = due_notices(ledger, chats, per_chat=2)          # 80 notices, two per chat
    async with FakeBotApi(TOKEN, per_second=30, per_chat_seconds=1.0) as fake:
        async with bot_for(fake) as bot:
            await run_until_closed(ledger, NoticeDispatcher(ledger, bot), chats)
    assert fake.too_many == 0, "never over 30 a second overall or one a second to a chat"
    assert_each_once_in_order(fake, expected)
    assert {n["outcome"] for c in chats for n in ledger.notices_for(f"tg:{c}")} == {"sent"}


async def test_retry_after_pauses_sending_and_the_notice_goes_once(ledger):
    expected = due_notices(ledger, [7])
    async with FakeBotApi(TOKEN) as fake:
        fake.flood_next = 1                                    # Telegram: 429, retry after 1 s
        async with bot_for(fake) as bot:
            assert await NoticeDispatcher(ledger, bot).dispatch_once() == 1
    assert fake.too_many == 1
    assert_each_once_in_order(fake, expected)
    notice = ledger.notices_for("tg:7")[0]
    assert notice["outcome"] == "sent" and notice["attempts"] == 0, "slowing down is not a failed try"


async def test_a_passing_failure_is_retried_with_backoff_then_fails_for_good(ledger):
    ledger, wall = with_wall(ledger)
    due_notices(ledger, [8])
    nobody = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot")   # connection refused: surely not sent
    await nobody.initialize_request() if hasattr(nobody, "initialize_request") else None
    try:
        dispatcher = NoticeDispatcher(ledger, nobody)
        for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
            assert await dispatcher.dispatch_once() == 0
            notice = ledger.notices_for("tg:8")[0]
            assert notice["attempts"] == attempt
            if attempt < MAX_SEND_ATTEMPTS:
                assert not notice["sent"], "offered again later"
                await dispatcher.dispatch_once()
                assert ledger.notices_for("tg:8")[0]["attempts"] == attempt, "not before its backoff is over"
                wall.advance(backoff(attempt).total_seconds() + 0.1)
    finally:
        await nobody.shutdown()
    assert ledger.notices_for("tg:8")[0]["outcome"] == "failed"
    async with FakeBotApi(TOKEN) as fake:
        async with bot_for(fake) as bot:
            wall.advance(3600)
            assert await NoticeDispatcher(ledger, bot).dispatch_once() == 0, "failed for good: never sent later"
    assert fake.delivered == []


async def test_a_user_who_blocked_the_bot_is_marked_until_they_write_again(ledger):
    ledger, wall = with_wall(ledger)
    due_notices(ledger, [9, 10], per_chat=2)
    async with FakeBotApi(TOKEN) as fake:
        fake.blocked = {9}
        async with bot_for(fake) as bot:
            dispatcher = NoticeDispatcher(ledger, bot)
            await dispatcher.dispatch_once()
            wall.advance(2)
            await dispatcher.dispatch_once()
            assert [chat for chat, _ in fake.delivered] == [10, 10]
            assert [c["chat_id"] for c in fake.calls_to("sendMessage")].count(9) == 1, "tried once, then no more"
            assert [n["outcome"] for n in ledger.notices_for("tg:9")] == ["blocked", "blocked"]

            ledger.remember_locale("tg:9", "en")                 # they wrote to the bot again
            fake.blocked = set()
            with ledger.uow() as uow:
                uow.notices.add_once(user_id="tg:9", kind="reserved_moved", dedupe_key="back", at=ledger.clock.now(),
                                     due_at=ledger.clock.now(), payload={"amount": 500, "municipality": "kasama"})
                uow.commit()
            wall.advance(2)
            assert await dispatcher.dispatch_once() == 1
    assert fake.delivered[-1][0] == 9 and "Kasama" in fake.delivered[-1][1]


async def test_an_answer_lost_after_the_message_went_out_is_never_sent_again(ledger):
    ledger, wall = with_wall(ledger)
    due_notices(ledger, [11])
    async with FakeBotApi(TOKEN) as fake:
        fake.slow_chats = {11: 2.0}                            # delivered, then the answer times out
        async with bot_for(fake, read_timeout=0.3) as bot:
            dispatcher = NoticeDispatcher(ledger, bot)
            assert await dispatcher.dispatch_once() == 0
            wall.advance(3600)
            await dispatcher.dispatch_once()
            assert ledger.settle_cut_off_sends() == []
    assert [chat for chat, _ in fake.delivered] == [11], "once: the user has it"
    assert ledger.notices_for("tg:11")[0]["outcome"] == "uncertain"


def dispatcher_env(ledger, fake: FakeBotApi) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    env.update(POINTSBOT_VAR_DIR=str(ledger.settings.var_dir), POINTSBOT_DATABASE_URL=ledger.settings.database_url,
               POINTSBOT_SANDBOX="1", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url)
    return env


async def start_dispatcher(ledger, fake: FakeBotApi, idle_exit: float = 0) -> asyncio.subprocess.Process:
    """`pointsbot notices dispatch` as its own process (a lease of 3 s, so the test need not wait long)."""
    python = REPO / ".venv" / "bin" / "python"
    return await asyncio.create_subprocess_exec(
        str(python) if python.exists() else sys.executable, "-m", "ops.cli", "notices", "dispatch", "--lease", "3",
        "--idle-exit", str(idle_exit), cwd=REPO, env=dispatcher_env(ledger, fake),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


def assert_none_twice_and_none_lost(ledger, fake: FakeBotApi, expected: dict[int, list[str]]) -> None:
    assert [m for m, c in collections.Counter(fake.delivered).items() if c > 1] == [], "no notice twice"
    notices = {chat: ledger.notices_for(f"tg:{chat}") for chat in expected}
    got = {(chat, text) for chat, text in fake.delivered}
    for chat, found in notices.items():
        for notice, amount in zip(found, expected[chat]):
            arrived = any(to == chat and amount in text for to, text in got)
            assert notice["sent"], f"notice {notice['id']} closed"
            # A send cut off between "begun" and Telegram's answer may or may not have arrived: it is closed as
            # uncertain and never repeated. Everything else arrived, exactly once.
            assert arrived or notice["outcome"] == "uncertain", f"notice {notice['id']} lost"
            assert notice["outcome"] in ("sent", "uncertain")


async def test_a_dispatcher_killed_mid_batch_and_restarted_sends_none_twice(ledger):
    chats = list(range(2001, 2121))
    expected = due_notices(ledger, chats)                      # 120 notices, about 4 s of sending
    async with FakeBotApi(TOKEN, per_second=30, per_chat_seconds=1.0) as fake:
        first = await start_dispatcher(ledger, fake)
        await fake.wait_until(lambda: len(fake.delivered) >= 30, 60, "30 notices sent")
        first.kill()                                           # SIGKILL, in the middle of a batch
        await first.wait()
        at_kill = len(fake.delivered)
        second = await start_dispatcher(ledger, fake, idle_exit=8)
        _, errors = await asyncio.wait_for(second.communicate(), 120)
        assert second.returncode == 0, errors.decode()[-2000:]
    assert 30 <= at_kill < len(expected), "killed mid-way"
    assert fake.too_many == 0
    assert_none_twice_and_none_lost(ledger, fake, expected)
    uncertain = [n for c in chats for n in ledger.notices_for(f"tg:{c}") if n["outcome"] == "uncertain"]
    assert len(uncertain) <= 2, "at most the sends in flight at the kill"


@pytest.mark.parametrize("ledger", ["postgresql"], indirect=True)
async def test_two_dispatchers_on_one_postgresql_database_share_the_limits_and_send_none_twice(ledger):
    chats = list(range(3001, 3101))
    expected = due_notices(ledger, chats, per_chat=2)           # 200 notices for 100 chats
    async with FakeBotApi(TOKEN, per_second=30, per_chat_seconds=1.0) as fake:
        both = [await start_dispatcher(ledger, fake, idle_exit=4) for _ in range(2)]
        results = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in both)), 120)
        assert [p.returncode for p in both] == [0, 0], [e.decode()[-2000:] for _, e in results]
    assert fake.too_fast_to_chat == 0, "one a second to a chat, whichever dispatcher sends"
    # The slots they share are 1/29.1 s apart; a send the other process's database work made 30 ms late can put
    # a 31st message into one second, and the fake (like Telegram) answers RetryAfter, which both honour.
    assert fake.too_many <= 3, "together within 30 a second, but for a rare RetryAfter"
    assert_each_once_in_order(fake, expected)


async def test_a_job_missed_while_the_process_was_down_runs_once_when_it_is_back(ledger):
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_grant("tg:12", "jal", 4_000)
    ledger.sandbox_link("tg:12", "jal")
    ledger.convert_points("tg:12", "jal", 4_000, "c1")
    ledger.set_home_municipality("tg:12", "kasama")
    ledger.set_test_clock(parse_moment("2018-06-15T09:00"))       # the 14 days are over: a move is due
    dispatcher = NoticeDispatcher(ledger, None)
    scheduler = jobs.start_jobs(ledger, dispatcher)
    stored = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    await jobs.stop_jobs(scheduler)
    assert set(stored) == {job.__name__ for job, _ in jobs.JOBS}, "every job is in the store"
    assert ledger.balance("tg:12").municipal == {}, "the first move runs five minutes after start"

    scheduler = jobs.start_jobs(ledger, dispatcher)                # the process came back: the store remembers
    assert scheduler.get_job("reserved_auto_moves").next_run_time == stored["reserved_auto_moves"]
    runs = []
    scheduler.add_listener(lambda event: runs.append(event.job_id), EVENT_JOB_EXECUTED)
    scheduler.modify_job("reserved_auto_moves", next_run_time=dt.datetime.now(dt.timezone.utc)
                         - dt.timedelta(minutes=17))             # down for three runs and more
    try:
        async with asyncio.timeout(10):
            while ledger.balance("tg:12").municipal == {}:
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        later = scheduler.get_job("reserved_auto_moves").next_run_time
    finally:
        await jobs.stop_jobs(scheduler)
    assert ledger.balance("tg:12").municipal == {"kasama": 2_000}, "run at start"
    assert runs.count("reserved_auto_moves") == 1, "the missed runs coalesced into one"
    now = dt.datetime.now(dt.timezone.utc)
    assert now < later <= now + dt.timedelta(minutes=5), "then on its schedule again"



async def test_jumping_the_test_clock_a_week_delivers_that_weeks_notices_in_order(ledger):
    user, chat = "tg:31342", 31342
    ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    ledger.log_flight(user, D(2016, 4, 10), 15_000, "f1")
    ledger.log_flight(user, D(2016, 5, 20), 14_000, "f2")
    ledger.log_flight(user, D(2016, 6, 5), 900, "p1", ana_group=False)   # a partner flight: credited within a month
    ledger.log_flight(user, D(2016, 6, 8), 2_342, "f3")                  # Bronze from 2016-06-10
    ledger.remember_locale(user, "en")
    async with FakeBotApi(TOKEN, per_second=30, per_chat_seconds=1.0) as fake:
        async with bot_for(fake) as bot:
            dispatcher = NoticeDispatcher(ledger, bot)
            stop = asyncio.Event()
            task = asyncio.create_task(dispatcher.run(stop))
            scheduler = jobs.start_jobs(ledger, dispatcher)
            try:
                await asyncio.sleep(3)
                assert fake.delivered == [], "nothing is due yet"
                ledger.set_test_clock(parse_moment("2016-06-16T10:00"))      # a week later
                await fake.wait_until(lambda: fake.delivered, 15, "the week's notice")
                await asyncio.sleep(3)
                assert len(fake.delivered) == 1 and "Bronze starts today" in fake.delivered[0][1]
                ledger.set_test_clock(parse_moment("2016-07-06T09:00"))      # three weeks on
                await fake.wait_until(lambda: len(fake.delivered) >= 3, 15, "two more notices")
            finally:
                await jobs.stop_jobs(scheduler)
                stop.set()
                dispatcher.kick()
                await task
    texts = [text for to, text in fake.delivered if to == chat]
    assert len(texts) == 3
    assert "card" in texts[1].lower() and "2016-06-05" in texts[2], "in the order they fell due"
