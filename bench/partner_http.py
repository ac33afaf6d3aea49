"""Exchanges through the HTTP partner adapter, and recovery of pending exchanges.

Starts the local fake partner (tests/fake_partner.py) on a free port and a fresh SQLite ledger,
then measures:
* one exchange, end to end (`Ledger.convert_points`: quote with a balance GET, the pending row,
  the partner debit POST, debited, credit + done), through the HTTP adapter and the sandbox partner;
* `recover_exchanges` over N exchanges left pending by a process that "died" after the partner's
  debit (each needs a status GET, two transactions and the credit).
Writes bench/results/partner_http.json.
Usage: .venv/bin/python bench/partner_http.py [--exchanges 300] [--pending 500]
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.bootstrap import bootstrap  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.points.exchanges import recover_exchanges, run_exchange  # noqa: E402
from ledger.points.http_partner import HttpPartnerGateway  # noqa: E402
from tests.fake_partner import FakePartner  # noqa: E402


class Died(Exception):
    pass


def die_after_partner_debit(step: str, key: str) -> None:
    if step == "partner_debited":
        raise Died(key)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(timings_ms: list[float]) -> dict:
    return {"n": len(timings_ms), "median_ms": round(statistics.median(timings_ms), 2),
            "p95_ms": round(percentile(timings_ms, 0.95), 2), "max_ms": round(max(timings_ms), 2)}


def time_exchanges(ledger, user: str, n: int, prefix: str) -> list[float]:
    timings = []
    for i in range(n):
        started = time.perf_counter()
        _, did = ledger.convert_points(user, "jal", 2_000, f"{prefix}-{i}")
        timings.append((time.perf_counter() - started) * 1000)
        assert did
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exchanges", type=int, default=300)
    parser.add_argument("--pending", type=int, default=500)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "partner_http.json"))
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="pointsbot-bench-partner-"))
    base = bootstrap(Settings.from_env({"POINTSBOT_VAR_DIR": str(var_dir), "POINTSBOT_SANDBOX": "1"}))
    with FakePartner() as fake:
        gateway = HttpPartnerGateway(fake.base_url)
        http = dataclasses.replace(base, gateway=gateway)
        total = 2_000 * (args.exchanges + args.pending + 10)
        for user in ("bench-http", "bench-sandbox", "bench-recover"):
            base.sandbox_link(user, "jal")
        fake.grant("bench-http", "jal", total)
        fake.grant("bench-recover", "jal", total)
        base.sandbox_grant("bench-sandbox", "jal", total)

        time_exchanges(http, "bench-http", 10, "warm")
        http_ms = time_exchanges(http, "bench-http", args.exchanges, "http")
        sandbox_ms = time_exchanges(base, "bench-sandbox", args.exchanges, "sandbox")

        quote = http.quote_conversion("bench-recover", "jal", 2_000)
        for i in range(args.pending):
            try:
                run_exchange(quote, f"lost-{i}", uow=http.uow(), gateway=gateway, clock=http.clock,
                             hook=die_after_partner_debit)
            except Died:
                pass
        started = time.perf_counter()
        report = recover_exchanges(uow=http.uow(), gateway=gateway, clock=http.clock,
                                   older_than=dt.timedelta(0), limit=args.pending)
        recovery_s = time.perf_counter() - started
        assert report.done == args.pending, report
        assert sum(fake.debits_applied.values()) == len(fake.debits_applied)  # every key debited once
        assert http.balance("bench-recover").reserved == 1_000 * args.pending
        gateway.close()
    base.dispose()

    result = {
        "what": "exchanges through the HTTP partner adapter (httpx → local fake partner, SQLite ledger); "
                "recovery of exchanges left pending after the partner's debit",
        "exchange_http": summary(http_ms),
        "exchange_sandbox": summary(sandbox_ms),
        "recovery": {"pending": args.pending, "total_s": round(recovery_s, 3),
                     "per_exchange_ms": round(recovery_s * 1000 / args.pending, 2),
                     "per_second": round(args.pending / recovery_s, 1)},
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews p95
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
