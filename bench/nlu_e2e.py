"""Every held-out sentence (tests/nlu_heldout/heldout.yml) through the whole assistant: does it reach an answer
of the right kind (ops/nlu_e2e.py)? Starts its own stack (like `make serve`) on free ports with a fresh database,
and writes the rates (right first time, right after choosing among the readings offered) per language and per
family, and every sentence that went wrong, to bench/results/nlu_e2e.json.
Usage: .venv/bin/python bench/nlu_e2e.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.nlu_e2e import drive, summarize  # noqa: E402
from ops.nlu_heldout import load_items  # noqa: E402
from ops.processes import isolated_settings, serving  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "nlu_e2e.json"))
    args = parser.parse_args()
    settings = isolated_settings(Path(tempfile.mkdtemp(prefix="pointsbot-bench-")))
    with serving(settings) as (stack, ledger, model):
        client = httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=60,
                              headers={"Authorization": f"Bearer {settings.api_token()}"})

        def say(user: str, text: str) -> list:
            response = client.post("/v1/messages", json={"user_id": user, "text": text})
            response.raise_for_status()
            return response.json()["messages"]

        items = load_items()
        started = time.monotonic()
        results = []
        for n, item in enumerate(items, 1):
            results.append(drive(say, ledger, item))
            stack.progress.update(f"held-out end to end: {n}/{len(items)}")
        summary = summarize(results)
        summary.update({"model": model.name.removesuffix(".tar.gz"), "seconds": round(time.monotonic() - started),
                        "measured_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")})
        stack.progress.done(f"✓ {len(items)} held-out sentences end to end in {summary['seconds']} s: "
                            f"right first time {summary['right_first_time']:.4f}, "
                            f"after one choice {summary['right_after_one_choice']:.4f}")
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
