"""The running assistant: the action server, the Rasa server and the bot as child processes, each in its own
session (so Ctrl-C reaches only the supervisor, which then stops them all), with logs in `var/log/`."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import yaml

from ledger.bootstrap import bootstrap
from ledger.config import REPO_ROOT, Settings, private_dir, private_file, write_private
from ledger.storage import db
from ops.model_cache import ensure_model
from ops.progress import Progress
from ops.rasa_cli import RASA_BIN, child_env, die_with_parent
from ops.tracker_store import CONVERSATION_DAYS, prune_conversations, tracker_store_config


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_settings(var_dir: Path) -> Settings:
    """Settings for a stack of its own (tests, benchmarks): own var dir and database, free ports,
    a random API token, sandbox on, and per-user limits a script that talks without pausing never meets."""
    return Settings.from_env({
        "POINTSBOT_VAR_DIR": str(var_dir),
        "POINTSBOT_SANDBOX": "1",
        "POINTSBOT_HTTP_PORT": str(free_port()),
        "POINTSBOT_ACTION_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "POINTSBOT_API_TOKEN": secrets.token_hex(16),
        "POINTSBOT_USER_RATE": "1000", "POINTSBOT_USER_BURST": "1000",
        "POINTSBOT_TOKEN_RATE": "10000", "POINTSBOT_TOKEN_BURST": "10000",
    })


FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0   # seconds before restarting a child that died, doubling while it keeps dying
STABLE_AFTER = 60.0                       # a child up this long starts again from the first backoff
PRUNE_EVERY = 3600.0                      # seconds between prunings of idle conversations


@dataclass
class Stack:
    settings: Settings
    progress: Progress = field(default_factory=Progress)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    _argv: dict[str, list[str]] = field(default_factory=dict)
    _roles: dict[str, str] = field(default_factory=dict)
    _log_offsets: dict[str, int] = field(default_factory=dict)
    _started_at: dict[str, float] = field(default_factory=dict)
    _backoff: dict[str, float] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _watchdog: threading.Thread | None = None

    @property
    def rasa_port(self) -> int:
        return urlparse(self.settings.rasa_url).port or 5005

    @property
    def log_dir(self) -> Path:
        return private_dir(self.settings.var_dir / "log")

    def _spawn(self, name: str, argv: list[str], role: str | None = None) -> None:
        """Start child `name` (its log var/log/<name>.log); `role` (rasa, actions, bot, redis) picks what it may see
        of the environment, and is the name itself by default."""
        role = role or self._roles.get(name) or name
        log = private_file(self.log_dir / f"{name}.log")
        self._log_offsets[name] = log.stat().st_size
        env = {**child_env(self.settings, role), "POINTSBOT_PROCESS": name}   # bot-2: says who answered
        with log.open("a") as out:
            self.processes[name] = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent,
            )
        self._argv[name] = argv
        self._roles[name] = role
        self._started_at[name] = time.monotonic()

    def watch(self) -> None:
        """Restart any child that died, after a backoff that doubles while it keeps dying (1 s … 30 s); prune
        conversations idle past the stated policy every hour. Runs in a thread of the supervisor."""
        next_prune = time.monotonic() + 60
        due: dict[str, float] = {}
        while not self._stopping.wait(0.5):
            now = time.monotonic()
            for name, proc in list(self.processes.items()):
                if proc.poll() is None:
                    if now - self._started_at.get(name, now) > STABLE_AFTER:
                        self._backoff.pop(name, None)
                    continue
                if name not in due:
                    delay = self._backoff.get(name, FIRST_BACKOFF)
                    self._backoff[name] = min(delay * 2, MAX_BACKOFF)
                    due[name] = now + delay
                    self.progress.done(f"! {name} exited with {proc.returncode}; restarting in {delay:.0f} s "
                                       f"(log: {self.log_dir / (name + '.log')})")
                elif now >= due[name] and not self._stopping.is_set():
                    del due[name]
                    self._spawn(name, self._argv[name])
                    self.restarts[name] = self.restarts.get(name, 0) + 1
            if now >= next_prune:
                next_prune = now + PRUNE_EVERY
                try:
                    pruned = prune_conversations(self.settings)
                    if pruned:
                        self.progress.done(f"✓ {pruned} conversations idle for {CONVERSATION_DAYS} days deleted")
                except Exception as exc:  # pruning is housekeeping: never stop the watchdog for it
                    self.progress.done(f"! pruning conversations failed: {exc}")

    def rasa_config(self, lock_store: dict | None = None) -> tuple[Path, Path]:
        """Rasa's credentials and endpoints for this install, in var/run/ (0600: the endpoints hold the action
        server's secret, and in scale mode Redis's password). Only the bot's secret REST channel; actions called
        with their secret; `lock_store` (scale mode) shared by every Rasa server."""
        run = private_dir(self.settings.var_dir / "run")
        self.settings.rasa_token()  # created before Rasa reads it
        credentials = write_private(run / "credentials.yml", yaml.safe_dump(
            {"nlu.channels.SecretRestInput": {"token_file": str(self.settings.var_dir / "rasa-token")}}))
        endpoints = write_private(run / "endpoints.yml", yaml.safe_dump({
            "action_endpoint": {"url": f"{self.settings.action_url}/webhook",
                                "headers": {"Authorization": f"Bearer {self.settings.actions_token()}"}},
            "tracker_store": tracker_store_config(self.settings),
            **({"lock_store": lock_store} if lock_store else {})}))
        return credentials, endpoints

    def start(self, model: Path) -> None:
        db.migrate(self.settings.database_url)
        credentials, endpoints = self.rasa_config()
        python = sys.executable
        self._spawn("actions", [python, "-m", "actions.server"])
        # no --enable-api: nothing needs Rasa's HTTP API (model, trackers), so no process may use it
        self._spawn("rasa", [str(RASA_BIN), "run", "--model", str(model), "-i", "127.0.0.1",
                             "--port", str(self.rasa_port), "--credentials", str(credentials),
                             "--endpoints", str(endpoints)])
        self._spawn("bot", [python, "-m", "bot.serve"])
        self.start_watchdog()

    def start_watchdog(self) -> None:
        self._stopping.clear()
        self._watchdog = threading.Thread(target=self.watch, name="watchdog", daemon=True)
        self._watchdog.start()

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
                if proc.poll() is not None and self._backoff.get(name, 0) >= MAX_BACKOFF:
                    raise RuntimeError(f"{name} keeps exiting ({proc.returncode}); see {self.log_dir / (name + '.log')}")
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
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)
            self._watchdog = None
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


@contextlib.contextmanager
def serving(settings: Settings, progress: Progress | None = None, stack: Stack | None = None):
    """The whole assistant on `settings` (the model trained if needed), once healthy: yields (stack, ledger, model
    path); every process is stopped after. Used by the test fixtures and the benchmarks; `stack` picks another
    layout (scale mode's ScaledStack)."""
    stack = stack or Stack(settings, progress=progress or Progress())
    model = ensure_model(settings, stack.progress)
    stack.start(model)
    try:
        stack.wait_healthy(timeout=400)
        the_ledger = bootstrap(settings, migrate=False)
        try:
            yield stack, the_ledger, model
        finally:
            the_ledger.dispose()
    finally:
        stack.stop()
