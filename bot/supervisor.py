"""Starts and stops the whole assistant: trains the Rasa model when its inputs changed, then runs
the action server, the Rasa server and the bot as child processes, and waits until /healthz is OK.

Used by `make run` (console chat or Telegram), `make serve` (headless) and the end-to-end tests.
Ctrl-C stops every process it started. `test-nlu` cross-validates the NLU (`rasa test nlu`) and
writes the figures to a report, cached by the same input hash as the model.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import re
import shutil
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from ledger import db
from ledger.config import REPO_ROOT, Settings

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL_INPUTS = ["config.yml", "nlu/domain.yml", "nlu/sudachi_tokenizer.py", "nlu/requirements-rasa.txt"]
NLU_FOLDS = 3
NLU_FOLDS_SEED = 0  # the folds are drawn from this seed (nlu/seeded_rasa.py): one report per set of inputs
NLU_REPORT_COPY = REPO_ROOT / "bench" / "results" / "nlu_report.json"


def model_inputs_hash(root: Path = REPO_ROOT) -> str:
    """A hash of everything the trained model depends on: config, domain, data, component code, pins."""
    digest = hashlib.sha256()
    files = [root / p for p in MODEL_INPUTS] + sorted((root / "nlu" / "data").rglob("*.yml"))
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_settings(var_dir: Path) -> Settings:
    """Settings for a stack of its own (tests, benchmarks): own var dir and database, free ports,
    a random API token, sandbox on."""
    return Settings.from_env({
        "POINTSBOT_VAR_DIR": str(var_dir),
        "POINTSBOT_SANDBOX": "1",
        "POINTSBOT_HTTP_PORT": str(free_port()),
        "POINTSBOT_ACTION_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "POINTSBOT_API_TOKEN": secrets.token_hex(16),
    })


class Progress:
    """One status line that updates in a terminal, or plain lines every few seconds otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_plain = 0.0

    def update(self, message: str) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + message[:width].ljust(width))
            self.stream.flush()
        elif time.monotonic() - self._last_plain > 10:
            self._last_plain = time.monotonic()
            print(message, file=self.stream, flush=True)

    def done(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (shutil.get_terminal_size((100, 20)).columns - 1) + "\r")
        print(message, file=self.stream, flush=True)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Children get SIGTERM if the supervisor dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _tail_percent(log_file: Path) -> str:
    try:
        with log_file.open("rb") as fh:
            fh.seek(max(0, log_file.stat().st_size - 4000))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    found = re.findall(r"Epochs:\s+(\d+)%", tail)
    if found:
        return f"DIET epochs {found[-1]}%"
    lines = [l for l in re.split(r"[\r\n]", tail) if l.strip()]
    return lines[-1][-60:] if lines else ""


@dataclass
class Stack:
    settings: Settings
    progress: Progress = field(default_factory=Progress)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_port(self) -> int:
        return urlparse(self.settings.rasa_url).port or 5005

    @property
    def log_dir(self) -> Path:
        path = self.settings.var_dir / "log"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "POINTSBOT_VAR_DIR": str(self.settings.var_dir),
            "POINTSBOT_DATABASE_URL": self.settings.database_url,
            "POINTSBOT_HTTP_PORT": str(self.settings.http_port),
            "POINTSBOT_ACTION_PORT": str(self.settings.action_port),
            "POINTSBOT_SANDBOX": "1" if self.settings.sandbox else "0",
            "RASA_URL": self.settings.rasa_url,
            "POINTSBOT_API_TOKEN": self.settings.api_token(),
            "PYTHONPATH": str(REPO_ROOT),
            "SANIC_HOST": "127.0.0.1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        })
        return env

    # ------------------------------------------------------------ model
    def models_dir(self) -> Path:
        path = Path(os.environ.get("POINTSBOT_MODELS_DIR") or REPO_ROOT / "var" / "models")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def ensure_model(self) -> Path:
        """The trained model for the current inputs; trains only when no model has this hash."""
        name = model_inputs_hash()
        model = self.models_dir() / f"{name}.tar.gz"
        with open(self.models_dir() / ".train.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if model.exists():
                self.progress.done(f"✓ Rasa model {name} is up to date (inputs unchanged, not retrained)")
                return model
            log_file = self.log_dir / "train.log"
            started = time.monotonic()
            returncode = self.run_rasa(
                ["train", "--config", "config.yml", "--domain", "nlu/domain.yml", "--data", "nlu/data",
                 "--out", str(self.models_dir()), "--fixed-model-name", name],
                log_file, "Training the Rasa model", about_seconds=40)
            if returncode != 0 or not model.exists():
                raise RuntimeError(f"Rasa training failed; see {log_file}")
            self.progress.done(f"✓ Trained the Rasa model {name} in {time.monotonic() - started:.0f} s")
            return model

    def run_rasa(self, args: list[str], log_file: Path, label: str, *, about_seconds: int,
                 seed: int | None = None) -> int:
        """Run the Rasa CLI (train, test) to the end, showing elapsed time and its progress; returns its exit code.
        With `seed`, Python's and NumPy's random generators are seeded first (nlu/seeded_rasa.py)."""
        started = time.monotonic()
        command = [str(RASA_BIN)] if seed is None else [str(RASA_BIN.parent / "python"), "-m", "nlu.seeded_rasa",
                                                         str(seed)]
        with log_file.open("w") as out:
            proc = subprocess.Popen([*command, *args], cwd=REPO_ROOT, env=self.env(), stdout=out,
                                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
            try:
                while proc.poll() is None:
                    self.progress.update(f"{label} ({int(time.monotonic() - started)} s, about {about_seconds} s): "
                                         f"{_tail_percent(log_file)}")
                    time.sleep(0.5)
            except BaseException:
                proc.terminate()
                proc.wait(10)
                raise
        return proc.returncode

    # ------------------------------------------------------------ processes
    def _spawn(self, name: str, argv: list[str]) -> None:
        out = (self.log_dir / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent,
        )

    def start(self, model: Path) -> None:
        db.migrate(self.settings.database_url)
        endpoints = self.settings.var_dir / "run" / "endpoints.yml"
        endpoints.parent.mkdir(parents=True, exist_ok=True)
        endpoints.write_text(f'action_endpoint:\n  url: "{self.settings.action_url}/webhook"\n')
        python = sys.executable
        self._spawn("actions", [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.settings.action_port)])
        self._spawn("rasa", [str(RASA_BIN), "run", "--model", str(model), "--enable-api", "-i", "127.0.0.1",
                             "--port", str(self.rasa_port), "--credentials", "nlu/credentials.yml",
                             "--endpoints", str(endpoints)])
        self._spawn("bot", [python, "-m", "bot.serve"])

    def health(self) -> tuple[int, dict]:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.settings.http_port}/healthz", timeout=5)
            return response.status_code, response.json()
        except (httpx.HTTPError, ValueError):
            return 0, {"down": ["bot"]}

    def wait_healthy(self, timeout: float = 300) -> None:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}")
            status, body = self.health()
            if status == 200:
                self.progress.done(f"✓ All services up in {time.monotonic() - started:.0f} s")
                return
            waiting = ", ".join(body.get("down", [])) or "bot"
            self.progress.update(f"Starting services ({int(time.monotonic() - started)} s; Rasa needs about 50 s): "
                                 f"waiting for {waiting}")
            time.sleep(1)
        raise RuntimeError(f"services not healthy after {timeout:.0f} s; logs in {self.log_dir}")

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()


def nlu_report_dir(name: str | None = None) -> Path:
    return REPO_ROOT / "var" / "nlu-report" / (name or model_inputs_hash())


def _figures(report: dict) -> dict[str, dict]:
    return {label: {"precision": round(v["precision"], 4), "recall": round(v["recall"], 4),
                    "f1": round(v["f1-score"], 4), "support": v["support"]}
            for label, v in report.items() if isinstance(v, dict) and not label.endswith(" avg")}


def summarize_nlu_report(out: Path, *, name: str, folds: int, seconds: float) -> dict:
    """The figures `rasa test nlu --cross-validation` wrote to `out`, in one small JSON object.

    Intent accuracy is over every held-out example; entity F1 is the micro average over entity
    labels (tokens without an entity are not counted as hits), as Rasa's report computes it.
    """
    intents = json.loads((out / "intent_report.json").read_text())
    entity_reports = {p.name.removesuffix("_report.json"): json.loads(p.read_text())
                      for p in sorted(out.glob("*Extractor_report.json"))}
    if len(entity_reports) != 1:
        raise RuntimeError(f"expected one entity extractor report in {out}, found {sorted(entity_reports)}")
    extractor, entities = next(iter(entity_reports.items()))
    entity_avg = entities.get("micro avg") or entities.get("accuracy")
    if isinstance(entity_avg, float):  # every token label evaluated: sklearn reports accuracy
        entity_avg = {"precision": entity_avg, "recall": entity_avg, "f1-score": entity_avg}
    config = _yaml_load(REPO_ROOT / "config.yml")
    classifiers = [c for c in config.get("pipeline", []) if str(c.get("name", "")).endswith("Classifier")
                   and c.get("name") != "FallbackClassifier"]
    errors = json.loads((out / "intent_errors.json").read_text()) if (out / "intent_errors.json").exists() else []
    entity_errors = (json.loads((out / f"{extractor}_errors.json").read_text())
                     if (out / f"{extractor}_errors.json").exists() else [])
    return {
        "kind": "nlu_cross_validation",
        "inputs_hash": name,
        "command": f"rasa test nlu --cross-validation --folds {folds} --config config.yml --domain nlu/domain.yml "
                   "--nlu nlu/data",
        "config": {"file": "config.yml", "intent_classifiers": classifiers, "folds": folds},
        "examples": sum(v["support"] for v in _figures(intents).values()),
        "intent_accuracy": round(intents["accuracy"], 4),
        "intent_f1_weighted": round(intents["weighted avg"]["f1-score"], 4),
        "entity_extractor": extractor,
        "entity_f1_micro": round(entity_avg["f1-score"], 4),
        "entity_precision_micro": round(entity_avg["precision"], 4),
        "entity_recall_micro": round(entity_avg["recall"], 4),
        "intent_errors": [{"text": e["text"], "intent": e["intent"], "predicted": e["intent_prediction"]["name"],
                           "confidence": round(e["intent_prediction"]["confidence"], 3)} for e in errors],
        "entity_errors": len(entity_errors),
        "intents": _figures(intents),
        "entities": _figures(entities),
        "seconds": round(seconds),
        "cpu_count": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _yaml_load(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text()) or {}


def without_run_details(summary: dict) -> dict:
    """A report without when, where and how long it ran."""
    return {k: v for k, v in summary.items() if k not in ("seconds", "cpu_count", "measured_at")}


def evaluate_nlu(stack: "Stack", folds: int = NLU_FOLDS) -> dict:
    """Cross-validates the NLU unless a report for the current inputs exists; returns its summary.

    The summary goes to var/nlu-report/<inputs hash>/summary.json and to a committed copy in
    bench/results/nlu_report.json.
    """
    name = model_inputs_hash()
    out = nlu_report_dir(name)
    summary_file = out / "summary.json"
    lock_path = stack.models_dir() / ".train.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one Rasa training at a time on this machine
        cached = json.loads(summary_file.read_text()) if summary_file.exists() else None
        if cached and cached.get("folds_seed") == NLU_FOLDS_SEED:
            stack.progress.done(f"✓ NLU cross-validation for inputs {name} is up to date (not re-run)")
            summary = cached
        else:
            work = out.with_name(name + ".partial")
            shutil.rmtree(work, ignore_errors=True)
            log_file = stack.log_dir / "test-nlu.log"
            started = time.monotonic()
            returncode = stack.run_rasa(
                ["test", "nlu", "--cross-validation", "--folds", str(folds), "--config", "config.yml",
                 "--domain", "nlu/domain.yml", "--nlu", "nlu/data", "--out", str(work), "--no-plot"],
                log_file, f"NLU cross-validation, {folds} folds", about_seconds=folds * 20, seed=NLU_FOLDS_SEED)
            if returncode != 0 or not (work / "intent_report.json").exists():
                raise RuntimeError(f"rasa test nlu failed; see {log_file}")
            summary = summarize_nlu_report(work, name=name, folds=folds, seconds=time.monotonic() - started)
            summary["folds_seed"] = NLU_FOLDS_SEED
            (work / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
            shutil.rmtree(out, ignore_errors=True)
            work.rename(out)
            stack.progress.done(f"✓ NLU cross-validated in {summary['seconds']} s")
    NLU_REPORT_COPY.parent.mkdir(parents=True, exist_ok=True)
    committed = json.loads(NLU_REPORT_COPY.read_text()) if NLU_REPORT_COPY.exists() else None
    if committed is None or without_run_details(committed) != without_run_details(summary):  # else: leave it
        NLU_REPORT_COPY.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.supervisor run|serve|train|test-nlu`."""
    mode = (argv or sys.argv[1:] or ["run"])[0]
    settings = Settings.from_env()
    stack = Stack(settings)
    if mode == "test-nlu":
        try:
            summary = evaluate_nlu(stack)
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
        print(f"NLU ({summary['config']['folds']}-fold cross-validation, {summary['examples']} examples): "
              f"intent accuracy {summary['intent_accuracy']:.4f}, entity F1 (micro) {summary['entity_f1_micro']:.4f} "
              f"— report in {nlu_report_dir(summary['inputs_hash']) / 'summary.json'}", flush=True)
        return 0

    def _sigterm(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _sigterm)
    try:
        model = stack.ensure_model()
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
            if settings.telegram_token:
                print("Telegram bot is running. Press Ctrl-C to stop.", flush=True)
            else:
                print("Serving headless. Press Ctrl-C to stop.", flush=True)
            while True:
                for name, proc in stack.processes.items():
                    if proc.poll() is not None:
                        raise RuntimeError(f"{name} exited with {proc.returncode}")
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
