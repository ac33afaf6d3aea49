"""Starts and stops the whole assistant: trains the Rasa model when its inputs changed, then runs the action
server, the Rasa server and the bot as child processes, and waits until /healthz is OK.

`python -m ops.supervisor run|serve|serve-scaled|train|test-nlu` — what `make run` (console chat, or Telegram
with a token), `make serve` (headless), `make serve-scaled` (ops/scaled.py), `make train` and `pointsbot nlu test`
do. Ctrl-C stops every process it started.
"""
from __future__ import annotations

import signal
import sys
import time

from ledger.config import InsecureSetting, Settings
from ops.model_cache import ensure_model
from ops.nlu_heldout import evaluate_heldout
from ops.nlu_report import evaluate_nlu, nlu_report_dir
from ops.processes import Stack
from ops.scaled import scaled_from_env


def test_nlu(settings: Settings) -> int:
    """Cross-validate the NLU and read the held-out set (both cached by their inputs); print them side by side."""
    stack = Stack(settings)
    try:
        cv = evaluate_nlu(settings, stack.progress)
        held = evaluate_heldout(settings, stack.progress)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    languages = held["per_language"]
    rows = [("", f"{cv['config']['folds']}-fold cross-validation", "held-out (never trained on)"),
            ("sentences", f"{cv['examples']}", f"{held['sentences']}"),
            ("intent accuracy", f"{cv['intent_accuracy']:.4f}", f"{held['intent_accuracy']:.4f}"),
            ("  Japanese / English", "", " / ".join(f"{languages[k]['accuracy']:.4f}" for k in ("ja", "en"))),
            ("  right reading in the top 3", "", f"{held['top3']:.4f}"),
            ("entities", f"F1 {cv['entity_f1_micro']:.4f}",
             ", ".join(f"{k} {v['found']:.2f}" for k, v in held["entities"].items()))]
    print("NLU", flush=True)
    for label, left, right in rows:
        print(f"  {label:<30}{left:<28}{right}", flush=True)
    print(f"  reports in {nlu_report_dir(cv['inputs_hash'])}/ (summary.json, heldout-*.json)", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    mode = (argv or sys.argv[1:] or ["run"])[0]
    settings = Settings.from_env()
    if mode == "test-nlu":
        return test_nlu(settings)
    try:  # refuse to start with a door half-locked, before anything runs
        settings.api_token()
        settings.check_webhook()
    except InsecureSetting as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        stack = scaled_from_env(settings) if mode == "serve-scaled" else Stack(settings)
    except (ValueError, OSError) as exc:   # a bad count, or PostgreSQL not reachable
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2

    def _sigterm(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _sigterm)
    try:
        model = ensure_model(settings, stack.progress)
        if mode == "train":
            return 0
        stack.start(model)
        stack.wait_healthy()
        print(f"HTTP API: http://127.0.0.1:{settings.http_port} (bearer token in {settings.var_dir / 'api-token'}"
              f"{' or POINTSBOT_API_TOKEN' if settings.api_token_env else ''})", flush=True)
        if mode == "run" and not settings.telegram_token:
            from bot.console import run_console

            run_console(f"http://127.0.0.1:{settings.http_port}", settings.api_token())
        else:
            print("Telegram bot is running. Press Ctrl-C to stop." if settings.telegram_token
                  else "Serving headless. Press Ctrl-C to stop.", flush=True)
            while True:  # the stack's watchdog restarts a child that dies
                time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if stack.processes:
            print("Stopping every service this run started…", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
