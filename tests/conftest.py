"""Shared fixtures.

* `ledger`: a fresh SQLite database (migrated with Alembic) per test, sandbox on.
* `stack`: the real assistant — Rasa server, action server and bot — started once per session
  on free ports with its own database, exactly as `make serve` starts it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.supervisor import Progress, Stack, isolated_settings
from ledger.bootstrap import Ledger, bootstrap
from ledger.config import Settings


def make_settings(var_dir: Path) -> Settings:
    return Settings.from_env({"POINTSBOT_VAR_DIR": str(var_dir), "POINTSBOT_SANDBOX": "1"})


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    the_ledger = bootstrap(make_settings(tmp_path))
    yield the_ledger
    the_ledger.dispose()


@dataclass
class RunningStack:
    settings: Settings
    ledger: Ledger
    base_url: str
    token: str

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


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> RunningStack:
    settings = isolated_settings(tmp_path_factory.mktemp("stack"))
    running = Stack(settings, progress=Progress())
    model = running.ensure_model()
    running.start(model)
    try:
        running.wait_healthy(timeout=400)
        the_ledger = bootstrap(settings, migrate=False)
        yield RunningStack(settings, the_ledger, f"http://127.0.0.1:{settings.http_port}", settings.api_token())
        the_ledger.dispose()
    finally:
        running.stop()


def new_user(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def facts_of(messages: list[dict], kind: str | None = None) -> dict:
    """The facts of the last message (of `kind`, if given) that carries facts."""
    for message in reversed(messages):
        facts = message.get("facts") or {}
        if facts and (kind is None or facts.get("kind") == kind):
            return facts
    return {}


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)
