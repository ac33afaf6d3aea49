"""Shared fixtures.

* `ledger`: a fresh, empty database per test, sandbox on — once on SQLite (migrated with Alembic)
  and once on PostgreSQL (`test_x[sqlite]`, `test_x[postgresql]`). The PostgreSQL server comes from
  POINTSBOT_TEST_PG_URL, which `make test` sets after starting a throwaway cluster (scripts/pg.sh).
  Without it the PostgreSQL variants are skipped — unless CI is set, where they fail.
* `stack`: the real assistant — Rasa server, action server and bot — started once per session
  on free ports with its own database, exactly as `make serve` starts it.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from ledger.bootstrap import Ledger, bootstrap
from ledger.config import Settings
from ledger.shared.clock import parse_moment
from ledger.shared.refusals import Refusal
from ledger.storage import db
from ledger.storage.orm import Base
from ops.processes import Stack, isolated_settings, serving

PG_URL_ENV = "POINTSBOT_TEST_PG_URL"


class Wall:
    """Real time that a test can move on (leases, backoffs and the one-a-second hold run on real time)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


def with_wall(ledger: Ledger) -> tuple[Ledger, Wall]:
    """The same ledger (same database, same test clock) over a real time the test moves."""
    wall = Wall()
    return dataclasses.replace(ledger, clock=ledger.clock.with_wall(wall)), wall


def make_settings(var_dir: Path, database_url: str | None = None) -> Settings:
    env = {"POINTSBOT_VAR_DIR": str(var_dir), "POINTSBOT_SANDBOX": "1"}
    if database_url:
        env["POINTSBOT_DATABASE_URL"] = database_url
    return Settings.from_env(env)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", f"postgresql: runs on the PostgreSQL test cluster ({PG_URL_ENV})")


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class PgDatabase:
    url: str
    engine: Engine  # kept open to empty the database between tests


@pytest.fixture(scope="session")
def pg_database() -> PgDatabase:
    """A database of this pytest run's own on the PostgreSQL test cluster, migrated once with Alembic.

    Named per process, so two test runs on one cluster never meet; dropped at the end.
    """
    server_url = os.environ.get(PG_URL_ENV)
    if not server_url:
        message = (f"{PG_URL_ENV} is not set: `make test` starts a throwaway PostgreSQL and sets it "
                   f"(by hand: bash scripts/pg.sh run -- .venv/bin/python -m pytest …)")
        if under_ci():
            pytest.fail(f"CI: the PostgreSQL variants must run, but {message}", pytrace=False)
        pytest.skip(message)
    name = f"pointsbot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = None
    try:
        db.migrate(url)
        engine = db.make_engine(url)
        yield PgDatabase(url, engine)
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_pg_database(database: PgDatabase) -> None:
    """Every table but Alembic's emptied and every id sequence restarted: as fresh as a new database.

    DELETE, children first, takes a few milliseconds here; TRUNCATE took 0.3–0.7 s a test.
    """
    with database.engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))  # a test that leaked a session fails, not hangs
        conn.execute(text("SET LOCAL pointsbot.allow_purge = 'on'"))  # the journal refuses DELETE otherwise
        present = set(conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        )))
        known = [table.name for table in reversed(Base.metadata.sorted_tables)]  # children before parents
        for name in [t for t in sorted(present) if t not in known] + [t for t in known if t in present]:
            conn.execute(text(f'DELETE FROM "{name}"'))
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                          "FROM pg_sequences WHERE schemaname = current_schema()"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite database migrated once with Alembic; each test starts from a copy (50 ms less per test)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "pointsbot.sqlite3"
    db.migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def ledger(request, tmp_path) -> Ledger:
    if request.param == "postgresql":
        database = request.getfixturevalue("pg_database")
        _empty_pg_database(database)
        the_ledger = bootstrap(make_settings(tmp_path, database.url), migrate=False)  # migrated once per session
    else:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "pointsbot.sqlite3")
        the_ledger = bootstrap(make_settings(tmp_path), migrate=False)
    yield the_ledger
    the_ledger.dispose()


@dataclass
class RunningStack:
    settings: Settings
    ledger: Ledger
    base_url: str
    token: str
    processes: Stack

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60)

    def say(self, user_id: str, text: str, locale: str | None = None) -> list[dict]:
        """One turn through POST /v1/messages; returns the messages."""
        with self.client() as client:
            body = {"user_id": user_id, "text": text}
            if locale:
                body["locale"] = locale
            response = client.post("/v1/messages", json=body)
            response.raise_for_status()
            return response.json()["messages"]


def running_stack(settings: Settings):
    """Start the whole assistant on `settings`, yield it once healthy, stop it after."""
    with serving(settings) as (running, the_ledger, _model):
        yield RunningStack(settings, the_ledger, f"http://127.0.0.1:{settings.http_port}", settings.api_token(),
                           running)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> RunningStack:
    """The assistant as `make serve` runs it, with the sandbox partner."""
    yield from running_stack(isolated_settings(tmp_path_factory.mktemp("stack")))


@pytest.fixture
def clock(stack):
    """Sets the shared test clock of the running assistant; always reset afterwards."""
    def set_to(moment: str) -> None:
        stack.ledger.set_test_clock(parse_moment(moment))
    yield set_to
    stack.ledger.set_test_clock(None)


@pytest.fixture(scope="session")
def partner_stack(tmp_path_factory):
    """A second assistant whose partner is a real HTTP API (the local fake partner, with faults on demand)."""
    from tests.fake_partner import FakePartner

    with FakePartner() as fake:
        settings = dataclasses.replace(isolated_settings(tmp_path_factory.mktemp("partner-stack")),
                                       partner_url=fake.base_url)
        for running in running_stack(settings):
            yield running, fake


class InThread:
    """An async fake server (an async context manager such as FakeBotApi or FakeLineApi) on an event loop of its
    own thread, for tests whose bot is another process: `with InThread(lambda: FakeLineApi(token)) as fake:`."""

    def __init__(self, make) -> None:
        self.make = make

    def __enter__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-server", daemon=True)
        self.thread.start()

        async def entered():
            self.server = self.make()   # made on its own loop
            return await self.server.__aenter__()
        return asyncio.run_coroutine_threadsafe(entered(), self.loop).result(20)

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.server.__aexit__(None, None, None), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def new_user(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def facts_of(messages: list[dict], kind: str | None = None) -> dict:
    """The facts of the last message (of `kind`, if given) that carries facts."""
    for message in reversed(messages):
        facts = message.get("facts") or {}
        if facts and (kind is None or facts.get("kind") == kind):
            return facts
    return {}


def refused(call, *args, **kwargs) -> Refusal:
    """The Refusal that `call(*args, **kwargs)` raises (the test fails when it does not refuse)."""
    with pytest.raises(Refusal) as caught:
        call(*args, **kwargs)
    return caught.value


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)
