"""Notices for 100,000 users: scheduled, then dispatched against the local fake Bot API with Telegram's limits
(30 messages a second overall, one a second to a chat) enforced on the fake's side, with the dispatcher killed
(SIGKILL) in the middle of the run and restarted.

1. Seed: every user logs three ANA flights that reach Bronze on a day in early June 2016 (bulk inserted).
2. Compute (timed): `recompute_status_notices` works out every user's status notices, 500 users a unit of work.
3. Dispatch: the test clock is set so that exactly one notice a user is due (Bronze's advance service);
   `pointsbot notices dispatch` sends them to the fake; it is killed after `--kill-after` seconds and started
   again. Sending every notice of 100,000 users at 30 a second takes about 57 minutes; `--send N` sends the
   notices of the first N users only (a user-id prefix), and the JSON says how many were sent.

Usage: .venv/bin/python bench/notices.py [--users 100000] [--send 100000] [--kill-after 60] [--out FILE]
       → bench/results/notices.json
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ledger.bootstrap import bootstrap  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.shared.clock import parse_moment  # noqa: E402
from ledger.storage import orm  # noqa: E402
from tests.fake_telegram import FakeBotApi  # noqa: E402

TOKEN = "123:ABC"
FIRST_ID = 1_000_000
LIMIT = 30


def seed(ledger, users: int) -> None:
    """Three ANA-group flights per user: 15,000 + 14,000 + 2,000 PP, the last on June 1–8 (Bronze two days on)."""
    now = ledger.clock.now()
    rows = []
    with ledger.engine.begin() as conn:
        for n in range(users):
            user = f"tg:{FIRST_ID + n}"
            for k, (day, pp) in enumerate(((dt.date(2016, 4, 10), 15_000), (dt.date(2016, 5, 20), 14_000),
                                           (dt.date(2016, 6, 1 + n % 8), 2_000))):
                rows.append({"user_id": user, "flown_on": day, "premium_points": pp, "ana_group": True,
                             "idempotency_key": f"seed-{n}-{k}", "created_at": now})
            if len(rows) >= 30_000:
                conn.execute(orm.Flight.__table__.insert(), rows)
                rows = []
        if rows:
            conn.execute(orm.Flight.__table__.insert(), rows)


def compute(ledger, users: int) -> tuple[float, int]:
    ids = [f"tg:{FIRST_ID + n}" for n in range(users)]
    began = time.perf_counter()
    written = 0
    for start in range(0, users, 500):
        written += ledger.recompute_status_notices(ids[start:start + 500])
    return time.perf_counter() - began, written


async def dispatch(settings: Settings, send_users: int, kill_after: float) -> dict:
    digits = len(str(send_users - 1)) if send_users > 1 else 1
    prefix = f"tg:{FIRST_ID // 10 ** digits}" if send_users < 1_000_000 and 10 ** digits == send_users else "tg:"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    env.update(POINTSBOT_VAR_DIR=str(settings.var_dir), POINTSBOT_DATABASE_URL=settings.database_url,
               TELEGRAM_BOT_TOKEN=TOKEN)
    python = REPO / ".venv" / "bin" / "python"

    async def start(idle_exit: float) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            str(python) if python.exists() else sys.executable, "-m", "ops.cli", "notices", "dispatch",
            "--lease", "15", "--idle-exit", str(idle_exit), "--user-prefix", prefix, cwd=REPO,
            env=env | {"TELEGRAM_API_BASE_URL": fake.base_url}, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)

    async with FakeBotApi(TOKEN, per_second=LIMIT, per_chat_seconds=1.0) as fake:
        first = await start(0)
        began = time.monotonic()
        await asyncio.sleep(kill_after)
        first.kill()
        await first.wait()
        killed_at = len(fake.delivered)
        restart = time.monotonic()
        second = await start(40)
        await second.wait()
        t = fake.accepted_at
        restart_gap = min((x for x in t if x > restart), default=restart) - restart
        steady = [x for x in t if began + 5 <= x <= began + kill_after]   # the first process, once started
        steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
        return {"delivered": fake.delivered, "steady_per_s_before_kill": round(steady_rate, 2),
                "span_s": (t[-1] - t[0]) if len(t) > 1 else 0.0,
                "too_many": fake.too_many, "killed_after_s": kill_after,
                "delivered_at_kill": killed_at, "restart_to_first_send_s": round(restart_gap, 2), "prefix": prefix}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=100_000, help="users whose notice is sent (a power of ten)")
    parser.add_argument("--kill-after", type=float, default=60.0)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "notices.json"))
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    settings = Settings.from_env({"POINTSBOT_VAR_DIR": str(var), "POINTSBOT_SANDBOX": "1",
                                  **({"POINTSBOT_DATABASE_URL": os.environ["POINTSBOT_DATABASE_URL"]}
                                     if os.environ.get("POINTSBOT_DATABASE_URL") else {})})
    ledger = bootstrap(settings)
    ledger.set_test_clock(parse_moment("2016-06-01T10:00"))
    print(f"seeding {args.users:,} users …", flush=True)
    seed(ledger, args.users)
    compute_s, written = compute(ledger, args.users)
    print(f"computed {written:,} notices for {args.users:,} users in {compute_s:.1f} s", flush=True)
    ledger.set_test_clock(parse_moment("2016-06-20T09:00"))   # each user's advance service is due, nothing else
    run = asyncio.run(dispatch(settings, args.send, args.kill_after))
    sent_users = [f"tg:{FIRST_ID + n}" for n in range(args.send)]
    counts = collections.Counter(run.pop("delivered"))
    delivered_chats = collections.Counter(chat for chat, _ in counts.elements())
    outcomes = collections.Counter()
    for start in range(0, len(sent_users), 1000):
        with ledger.uow() as uow:
            for user in sent_users[start:start + 1000]:
                for n in uow.notices.for_user(user):
                    if n.kind == "advance_service_starts":
                        outcomes[n.outcome or "open"] += 1
    lost = sum(1 for user in sent_users if delivered_chats[int(user[3:])] == 0)
    achieved = sum(counts.values()) / run["span_s"] if run["span_s"] else 0.0
    result = {
        "users": args.users, "compute_s": round(compute_s, 1), "notices_computed": written,
        "sent_users": args.send, "limit_per_s": LIMIT, "achieved_per_s": round(achieved, 2),
        "fraction_of_limit": round(achieved / LIMIT, 3),
        "duplicates": sum(c - 1 for c in counts.values()), "lost": lost,
        "outcomes": dict(outcomes), **run,
        "database": settings.database_url.split("://")[0], "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    out = Path(args.out)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ledger.dispose()


if __name__ == "__main__":
    main()
