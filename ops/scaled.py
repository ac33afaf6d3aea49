"""Scale mode: the assistant as several processes of each kind, which may sit on several machines.

    bot workers ×N ──one port (SO_REUSEPORT)──┐
        │ turns, by user: Rasa 1, 2, … (a refused connection moves the turn on)
    Rasa servers ×M (M ≥ 2) ── lock store: Redis ── tracker store: PostgreSQL (table `events`)
        │ actions
    action servers ×N ──one port (SO_REUSEPORT)── ledger: PostgreSQL

- Rasa's Redis lock store lets one conversation's turns run one at a time, in the order they arrived, whichever
  bot worker and Rasa server take them; the trackers live in PostgreSQL, so any Rasa server continues any
  conversation, also after the one that held it was killed.
- Exchanges, notices and Telegram updates are claimed in the ledger's database (idempotency keys, `FOR UPDATE
  SKIP LOCKED`), never in a process's memory, so no worker applies one twice.
- Redis is started here from Debian's `redis-server` (127.0.0.1, a password in var/redis-password, 0600, nothing
  on disk: it holds only locks), unless `POINTSBOT_REDIS_URL` names a shared one.

`python -m ops.supervisor serve-scaled` (what `make serve-scaled` runs) with `POINTSBOT_WORKERS` (2) and
`POINTSBOT_RASA_SERVERS` (2); on several machines, the same command on each, pointed at the same
`POINTSBOT_DATABASE_URL` and `POINTSBOT_REDIS_URL` (README, "Scale mode").
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import make_url, text

from ledger.config import Settings, private_dir, secret_file, write_private
from ledger.storage import db
from ops.processes import Stack, free_port
from ops.rasa_cli import RASA_BIN


def scaled_settings(settings: Settings, rasa_servers: int) -> Settings:
    """`settings` for scale mode: shared ports for the bot workers and action servers, and `rasa_servers` Rasa
    servers on ports of their own (RASA_URL lists them all, comma-separated)."""
    if rasa_servers < 1:
        raise ValueError("scale mode needs at least one Rasa server")
    urls = settings.rasa_url.split(",")
    if len(urls) != rasa_servers:
        urls = [f"http://127.0.0.1:{free_port()}" for _ in range(rasa_servers)]
    return dataclasses.replace(settings, rasa_url=",".join(urls), reuse_port=True)


def database_on(server_url: str, name: str) -> str:
    """The URL of database `name` on the PostgreSQL server of `server_url`, created if missing."""
    admin = db.make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def lock_store_config(redis_url: str) -> dict:
    """The `lock_store` section of Rasa's endpoints.yml for a Redis URL (redis://[:password@]host:port/db)."""
    url = urlparse(redis_url)
    if url.scheme not in {"redis", "rediss"} or not url.hostname:
        raise ValueError("POINTSBOT_REDIS_URL must look like redis://:password@host:6379/0")
    config = {"type": "redis", "url": url.hostname, "port": url.port or 6379,
              "db": int((url.path or "/0").strip("/") or 0), "key_prefix": "pointsbot", "use_ssl": url.scheme == "rediss"}
    if url.password:
        config["password"] = url.password
    return config


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@dataclass
class ScaledStack(Stack):
    """N bot workers and N action servers (each kind behind one port), M Rasa servers, Redis; the ledger and the
    trackers on PostgreSQL. The watchdog restarts any of them that dies, one by one."""

    workers: int = 2
    redis_url: str | None = None   # a shared Redis (several machines); unset → one started here
    redis_port: int | None = None  # the port of the one started here

    @property
    def rasa_urls(self) -> list[str]:
        return self.settings.rasa_url.split(",")

    def start_redis(self) -> str:
        """A Redis of this stack's own: 127.0.0.1 on a free port, a password, no persistence (locks only)."""
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("scale mode needs redis-server (bash scripts/setup.sh --redis installs it)")
        port, password = free_port(), secret_file(self.settings.var_dir / "redis-password")
        self.redis_port = port
        data = private_dir(self.settings.var_dir / "redis")
        config = write_private(private_dir(self.settings.var_dir / "run") / "redis.conf", "\n".join([
            "bind 127.0.0.1", f"port {port}", "protected-mode yes", f"requirepass {password}", 'save ""',
            "appendonly no", f"dir {data}", "daemonize no", 'logfile ""', ""]))
        self._spawn("redis", [server, str(config)], role="redis")
        wait_for_port(port)
        return f"redis://:{password}@127.0.0.1:{port}/0"

    def start(self, model: Path) -> None:
        if not self.settings.database_url.startswith(("postgresql", "postgres:")):
            raise RuntimeError("scale mode keeps the ledger and the conversations on PostgreSQL: set "
                               "POINTSBOT_DATABASE_URL (make serve-scaled starts a local one)")
        if self.settings.telegram_token and not self.settings.telegram_webhook_url:
            raise RuntimeError("in scale mode Telegram updates come by webhook (TELEGRAM_WEBHOOK_URL): "
                               "several workers cannot all poll")
        db.migrate(self.settings.database_url)
        redis_url = self.redis_url or self.start_redis()
        credentials, endpoints = self.rasa_config(lock_store=lock_store_config(redis_url))
        for number in range(1, self.workers + 1):
            self._spawn(f"actions-{number}", [sys.executable, "-m", "actions.server"], role="actions")
        for number, url in enumerate(self.rasa_urls, start=1):
            self._spawn(f"rasa-{number}", [str(RASA_BIN), "run", "--model", str(model), "-i", "127.0.0.1",
                                           "--port", str(urlparse(url).port), "--credentials", str(credentials),
                                           "--endpoints", str(endpoints)], role="rasa")
        for number in range(1, self.workers + 1):
            self._spawn(f"bot-{number}", [sys.executable, "-m", "bot.serve"], role="bot")
        self.start_watchdog()

    def wait_healthy(self, timeout: float = 300) -> None:
        """Healthy through the shared port, and then every Rasa server and every bot worker up on its own."""
        started = time.monotonic()
        super().wait_healthy(timeout)
        pending = [f"rasa-{n}" for n in range(1, len(self.rasa_urls) + 1)] + \
                  [f"bot-{n}" for n in range(1, self.workers + 1)]
        while pending and time.monotonic() - started < timeout:
            pending = [name for name in pending if not self.serving(name)]
            self.progress.update(f"Waiting for {', '.join(pending)}")
            time.sleep(1)
        if pending:
            raise RuntimeError(f"{', '.join(pending)} not serving after {timeout:.0f} s; logs in {self.log_dir}")
        self.progress.done(f"✓ {self.workers} bot workers, {self.workers} action servers, {len(self.rasa_urls)} Rasa "
                           f"servers up in {time.monotonic() - started:.0f} s")

    def serving(self, name: str) -> bool:
        """Whether child `name` (its latest start) says in its log that it serves."""
        marker = "bot serving on" if name.startswith("bot") else "Rasa server is up and running"
        log = self.log_dir / f"{name}.log"
        try:
            with log.open("rb") as fh:
                fh.seek(self._log_offsets.get(name, 0))
                return marker.encode() in fh.read()
        except OSError:
            return False

    def pids(self, role: str) -> list[int]:
        return [proc.pid for name, proc in self.processes.items() if name.startswith(f"{role}-") and proc.poll() is None]


def scaled_from_env(settings: Settings) -> ScaledStack:
    """The scale-mode stack `make serve-scaled` runs, from POINTSBOT_WORKERS, POINTSBOT_RASA_SERVERS and
    POINTSBOT_REDIS_URL, on `settings` (a PostgreSQL ledger)."""
    workers = int(os.environ.get("POINTSBOT_WORKERS") or 2)
    rasa_servers = int(os.environ.get("POINTSBOT_RASA_SERVERS") or 2)
    if workers < 1 or rasa_servers < 1:
        raise ValueError("POINTSBOT_WORKERS and POINTSBOT_RASA_SERVERS must be at least 1")
    if not settings.database_url.startswith(("postgresql", "postgres:")) and os.environ.get("POINTSBOT_TEST_PG_URL"):
        settings = dataclasses.replace(settings, database_url=database_on(os.environ["POINTSBOT_TEST_PG_URL"], "pointsbot"))
    return ScaledStack(scaled_settings(settings, rasa_servers), workers=workers,
                       redis_url=os.environ.get("POINTSBOT_REDIS_URL") or None)

