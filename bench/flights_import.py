"""Flights imported per second by `pointsbot flights import` (SQLite), and progress-chart render time.

The import is the real CLI as a process (bootstrap, checking every row, then `Ledger.log_flight`
per row, one transaction each) on a fresh database directory, for files of several sizes; then
the same file again (every row already there). The chart is `render_progress_chart` for a year
of 120 flights, in English and Japanese, timed over several renders.

Usage: .venv/bin/python bench/flights_import.py   → bench/results/flights_import.json
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.chart import ChartTier, japanese_font, render_progress_chart  # noqa: E402

SIZES = (250, 1000, 2000)


def csv_text(rows: int) -> str:
    start = dt.date(2016, 1, 1)
    lines = ["date,pp,ana_group"]
    lines += [f"{start + dt.timedelta(days=i)},{500 + i % 900},{'yes' if i % 3 else 'no'}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def run_import(var: Path, path: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    env["POINTSBOT_VAR_DIR"] = str(var)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ops.cli", "flights", "import", str(path), "--user", "bench"],
                          cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed


def bench_import() -> list[dict]:
    results = []
    for rows in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "flights.csv"
            path.write_text(csv_text(rows))
            first = run_import(Path(tmp) / "var", path)
            again = run_import(Path(tmp) / "var", path)
        results.append({"rows": rows, "first_import_s": round(first, 2), "rows_per_s": round(rows / first, 1),
                        "reimport_s": round(again, 2)})
        print(results[-1], flush=True)
    return results


def bench_chart(renders: int = 10) -> dict:
    points = [(dt.date(2026, 1, 5) + dt.timedelta(days=3 * i), 400 + 10 * i, i % 4 != 0) for i in range(120)]
    out = {}
    for locale, names in (("en", ("Bronze", "Platinum", "Diamond")), ("ja", ("ブロンズ", "プラチナ", "ダイヤモンド"))):
        tiers = [ChartTier("bronze", names[0], 30000, dt.date(2026, 6, 3)), ChartTier("platinum", names[1], 50000),
                 ChartTier("diamond", names[2], 100000)]
        render_progress_chart(points, tiers, dt.date(2026, 11, 25), locale)  # warm up (font cache)
        began = time.perf_counter()
        for _ in range(renders):
            png = render_progress_chart(points, tiers, dt.date(2026, 11, 25), locale)
        out[locale] = {"ms_per_chart": round((time.perf_counter() - began) * 1000 / renders, 1), "png_bytes": len(png)}
    out["japanese_font"] = japanese_font()
    print(out, flush=True)
    return out


def main() -> None:
    result = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]},
        "import_sqlite": bench_import(),
        "chart": bench_chart(),
        "load_avg_1m_after": os.getloadavg()[0],
        "note": "log_flight reads all the user's flights to give the year total, so an import is O(rows²)",
    }
    out = REPO / "bench" / "results" / "flights_import.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
