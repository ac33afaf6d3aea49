"""Starts and stops the whole assistant: trains the Rasa model when its inputs changed, then runs the action
server, the Rasa server and the bot as child processes, and waits until /healthz is OK.

`python -m ops.supervisor run|serve|train|test-nlu` — what `make run` (console chat, or Telegram with a
token), `make serve` (headless), `make train` and `pointsbot nlu test` do. Ctrl-C stops every process it started.
"""
from __future__ import annotations

import signal
import sys
import time

from ledger.config import InsecureSetting, Settings
from ops.model_cache import ensure_model
from ops.nlu_report import evaluate_nlu, nlu_report_dir
from ops.processes import Stack


def test_nlu(settings: Settings) -> int:
    """Cross-validate the NLU (cached by its inputs) and print the figures."""
    stack = Stack(settings)
    try:
        summary = evaluate_nlu(settings, stack.progress)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"NLU ({summary['config']['folds']}-fold cross-validation, {summary['examples']} examples): "
          f"intent accuracy {summary['intent_accuracy']:.4f}, entity F1 (micro) {summary['entity_f1_micro']:.4f} "
          f"— report in {nlu_report_dir(summary['inputs_hash']) / 'summary.json'}", flush=True)
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
    stack = Stack(settings)

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
