"""Ledger exchanges per second (ポイント交換/秒) on SQLite and on PostgreSQL.

Each exchange is `Ledger.convert_points` with the sandbox partner (2,000 JAL miles → 1,000 reserved
points): the quote, then the exchange saga's three transactions (pending row, partner debit,
journal credit). Workers are separate processes, like bot and action-server workers, each with its
own engine; they start together and convert for a fixed time. Three runs per database:

* 1 worker;
* 8 workers, each on its own account;
* 8 workers on one account (they queue on the per-user lock, and SQLite's single writer).

At the end every run is reconciled to the point: reserved points = 1,000 × exchanges done and
miles left = miles granted − 2,000 × exchanges done, per account. Each run also records the
workers' own CPU time per exchange and the 1-minute load average before and after it (other work
on the machine shows there).

The PostgreSQL server comes from POINTSBOT_TEST_PG_URL (`make bench` starts the throwaway cluster
and sets it); the bench creates its own database there and drops it afterwards.
Usage: bash scripts/pg.sh run -- .venv/bin/python bench/exchanges.py [--seconds 10]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from ledger.bootstrap import bootstrap  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.shared.refusals import Refusal  # noqa: E402
from ledger.storage import db  # noqa: E402

PG_URL_ENV = "POINTSBOT_TEST_PG_URL"
MILES = 10**12
AMOUNT, RESERVED_PER_EXCHANGE = 2_000, 1_000
RUNS = [("1 worker", 1, False), ("8 workers, 8 accounts", 8, False), ("8 workers, one account", 8, True)]


def settings_for(url: str, var_dir: str) -> Settings:
    return Settings.from_env({"POINTSBOT_VAR_DIR": var_dir, "POINTSBOT_DATABASE_URL": url, "POINTSBOT_SANDBOX": "1"})


def worker(url: str, var_dir: str, user: str, run_id: str, start, seconds: float, results) -> None:
    """Convert as fast as possible for `seconds` after every worker is ready; report counts and times."""
    ledger = bootstrap(settings_for(url, var_dir), migrate=False)
    done = refused = failed = 0
    ledger.balance(user)  # connect before the start line
    start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    n = 0
    while time.perf_counter() - began < seconds:
        n += 1
        try:
            _, did = ledger.convert_points(user, "jal", AMOUNT, f"{run_id}-{os.getpid()}-{n}")
            done += did
        except Refusal:
            refused += 1
        except Exception:  # noqa: BLE001 - counted and reported; a bench run must finish
            failed += 1
    ended, cpu = time.perf_counter(), time.process_time() - cpu_began
    ledger.dispose()
    results.put({"user": user, "done": done, "refused": refused, "failed": failed, "began": began, "ended": ended,
                 "cpu": cpu})


def bench_database(url: str, var_dir: str, seconds: float) -> dict:
    ledger = bootstrap(settings_for(url, var_dir))  # migrates (Alembic)
    out = {}
    ctx = mp.get_context("spawn")
    for label, workers, one_account in RUNS:
        run_id = uuid.uuid4().hex[:8]
        users = [f"bench-{run_id}-{0 if one_account else i}" for i in range(workers)]
        for user in sorted(set(users)):
            ledger.sandbox_grant(user, "jal", MILES)
            ledger.sandbox_link(user, "jal")
        start, results = ctx.Barrier(workers), ctx.Queue()
        load_before = os.getloadavg()[0]
        procs = [ctx.Process(target=worker, args=(url, var_dir, user, run_id, start, seconds, results))
                 for user in users]
        for proc in procs:
            proc.start()
        reports = [results.get(timeout=seconds + 300) for _ in procs]
        for proc in procs:
            proc.join()
        elapsed = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
        done = sum(r["done"] for r in reports)
        per_user: dict[str, int] = {}
        for r in reports:
            per_user[r["user"]] = per_user.get(r["user"], 0) + r["done"]
        reconciled = all(
            ledger.balance(user).reserved == RESERVED_PER_EXCHANGE * count
            and ledger.balance(user).partners == {"jal": MILES - AMOUNT * count}
            for user, count in per_user.items()
        )
        out[label] = {
            "exchanges": done,
            "per_second": round(done / elapsed, 1),
            "seconds": round(elapsed, 2),
            "refused": sum(r["refused"] for r in reports),
            "errors": sum(r["failed"] for r in reports),
            "reconciled": reconciled,
            "client_cpu_ms_per_exchange": round(1000 * sum(r["cpu"] for r in reports) / max(done, 1), 1),
            "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        print(f"    {label}: {out[label]['per_second']}/s ({done} in {elapsed:.1f}s, reconciled: {reconciled})",
              flush=True)
    ledger.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each run converts")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "exchanges.json"))
    args = parser.parse_args()
    server_url = os.environ.get(PG_URL_ENV)
    if not server_url:
        sys.exit(f"{PG_URL_ENV} is not set: run `make bench`, or bash scripts/pg.sh run -- .venv/bin/python bench/exchanges.py")

    var_dir = tempfile.mkdtemp(prefix="pointsbot-bench-exchanges-")
    sqlite_url = f"sqlite:///{var_dir}/bench.sqlite3"
    print("==> SQLite", flush=True)
    sqlite_results = bench_database(sqlite_url, var_dir, args.seconds)
    engine = db.make_engine(sqlite_url)
    with engine.connect() as conn:
        sqlite_setup = (f"SQLite {sqlite3.sqlite_version}, journal_mode="
                        f"{conn.exec_driver_sql('PRAGMA journal_mode').scalar()}, synchronous="
                        f"{['OFF', 'NORMAL', 'FULL', 'EXTRA'][conn.exec_driver_sql('PRAGMA synchronous').scalar()]}, "
                        f"BEGIN IMMEDIATE (one writer at a time)")
    engine.dispose()

    name = f"pointsbot_bench_{os.getpid()}"
    admin = db.make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        version = conn.execute(text("SHOW server_version")).scalar()
        settings = {s: conn.execute(text(f"SHOW {s}")).scalar()
                    for s in ("fsync", "synchronous_commit", "shared_buffers", "default_transaction_isolation")}
    try:
        print("==> PostgreSQL", flush=True)
        pg_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        pg_results = bench_database(pg_url, var_dir, args.seconds)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    result = {
        "what": "Ledger.convert_points with the sandbox partner (2,000 JAL miles → 1,000 reserved points; quote + "
                "3-step exchange saga), worker processes converting for a fixed time, totals reconciled after",
        "seconds_per_run": args.seconds,
        "sqlite": {"setup": sqlite_setup, **sqlite_results},
        "postgresql": {"setup": f"PostgreSQL {version} on 127.0.0.1 (scripts/pg.sh), "
                                + ", ".join(f"{k}={v}" for k, v in settings.items())
                                + ", per-user advisory lock (UnitOfWork.lock_user)", **pg_results},
        "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
