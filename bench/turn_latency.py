"""Time of one full turn through POST /v1/messages (bot → Rasa → action server → ledger → back).

Starts its own stack (like `make serve`) on free ports with a fresh database, warms up, then
sends a fixed mix of turns and writes median / p95 to bench/results/turn_latency.json.
Usage: .venv/bin/python bench/turn_latency.py [--turns 200]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.bootstrap import bootstrap  # noqa: E402
from ops.model_cache import ensure_model
from ops.processes import Stack, isolated_settings
from ops.progress import Progress  # noqa: E402

MIX = [
    ("balance", None),
    ("convert 2000 JAL miles", None),
    ("/deny", None),
    ("残高", None),
    ("when does my bronze status start", None),
    ("ブロンズはいつから？", None),
    ("what is my status now", None),
    ("プラチナまであと何PP？", None),
    ("what if I fly HND-OKA Standard on 12/10", None),
    ("SFCはいつから申し込める？", None),
    ("show my flights", None),
]
FLIGHTS_LOGGED = 40  # the bench user's flights, June–October (Standard is sold from 2026-05-19)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "turn_latency.json"))
    args = parser.parse_args()
    settings = isolated_settings(Path(tempfile.mkdtemp(prefix="pointsbot-bench-")))
    stack = Stack(settings, progress=Progress())
    model = ensure_model(settings, stack.progress)
    started = time.monotonic()
    stack.start(model)
    try:
        stack.wait_healthy(timeout=400)
        warm_start = time.monotonic() - started
        ledger = bootstrap(settings, migrate=False)
        user = "bench-user"
        ledger.sandbox_grant(user, "jal", 10**8)
        ledger.sandbox_link(user, "jal")
        year = ledger.clock.today().year
        for n in range(FLIGHTS_LOGGED):
            ledger.log_flight(user, dt.date(year, 6 + n % 5, 1 + n % 27), None, f"bench-flight-{n}",
                              segment={"origin": "HND", "destination": "OKA", "fare": "standard"})
        timings: list[float] = []
        by_text: dict[str, list[float]] = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}",
                          headers={"Authorization": f"Bearer {settings.api_token()}"}, timeout=60) as client:
            for i in range(10):  # warm-up: first calls load TensorFlow graphs
                client.post("/v1/messages", json={"user_id": user, "text": MIX[i % len(MIX)][0]})
            for i in range(args.turns):
                text = MIX[i % len(MIX)][0]
                t0 = time.perf_counter()
                response = client.post("/v1/messages", json={"user_id": user, "text": text})
                timings.append((time.perf_counter() - t0) * 1000)
                by_text.setdefault(text, []).append(timings[-1])
                response.raise_for_status()
        result = {
            "what": "one full turn through POST /v1/messages (bot → Rasa → actions → SQLite ledger)",
            "turns": len(timings),
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
            "max_ms": round(max(timings), 1),
            "median_ms_by_message": {text: round(statistics.median(v), 1) for text, v in by_text.items()},
            "flights_logged": FLIGHTS_LOGGED,
            "services_ready_s": round(warm_start, 1),
            "machine": f"{platform.machine()}, {platform.python_version()}, 2 cores",
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(result, indent=2, ensure_ascii=False))
        ledger.dispose()
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
