"""Secrets and files: the API token written once, atomically, owner-only; short or empty tokens and a webhook
without its secret refused at start; the database, its journal files and the logs readable by the owner only."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger.bootstrap import bootstrap
from ledger.config import InsecureSetting, Settings

REPO = Path(__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(var: Path, **env: str) -> Settings:
    return Settings.from_env({"POINTSBOT_VAR_DIR": str(var), **env})


def test_the_api_token_is_generated_once_atomically_and_owner_only(tmp_path):
    var = tmp_path / "var"
    with ThreadPoolExecutor(8) as pool:   # eight processes starting at once agree on one token
        tokens = set(pool.map(lambda _: _settings(var).api_token(), range(16)))
    assert len(tokens) == 1 and len(tokens.pop()) >= 32
    assert _mode(var / "api-token") == 0o600 and _mode(var) == 0o700
    assert [p.name for p in var.iterdir() if p.name.startswith(".")] == [], "no temp file left behind"


def test_a_secret_in_an_existing_folder_leaves_the_folder_passable(tmp_path):
    """var/ also holds the PostgreSQL test cluster, run as another user: a new secret must not lock it out."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    os.chmod(var, 0o755)
    _settings(var).api_token()
    assert _mode(var) == 0o755 and _mode(var / "api-token") == 0o600


@pytest.mark.parametrize("token", ["", "short", "x" * 31, "   " + "x" * 20 + "   "])
def test_an_empty_or_short_api_token_is_refused(tmp_path, token):
    with pytest.raises(InsecureSetting):
        _settings(tmp_path, POINTSBOT_API_TOKEN=token).api_token()


def test_a_long_enough_api_token_is_used(tmp_path):
    assert _settings(tmp_path, POINTSBOT_API_TOKEN="t" * 32).api_token() == "t" * 32


@pytest.mark.parametrize("command, env, message", [
    (["bot.serve"], {"POINTSBOT_API_TOKEN": "short"}, "at least 32 characters"),
    (["ops.supervisor", "serve"], {"POINTSBOT_API_TOKEN": "short"}, "at least 32 characters"),
    (["bot.serve"], {"POINTSBOT_API_TOKEN": "t" * 40, "TELEGRAM_BOT_TOKEN": "123:abc",
                     "TELEGRAM_WEBHOOK_URL": "https://example.test/hook"}, "TELEGRAM_WEBHOOK_SECRET"),
    (["ops.supervisor", "serve"], {"POINTSBOT_API_TOKEN": "t" * 40, "TELEGRAM_BOT_TOKEN": "123:abc",
                                   "TELEGRAM_WEBHOOK_URL": "https://example.test/hook"}, "TELEGRAM_WEBHOOK_SECRET"),
])
def test_the_services_refuse_to_start_with_a_door_half_locked(tmp_path, command, env, message):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    environment.update(env, POINTSBOT_VAR_DIR=str(tmp_path / "var"), POINTSBOT_HTTP_PORT="1")
    result = subprocess.run([sys.executable, "-m", *command], cwd=REPO, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


def test_the_database_and_its_journal_files_are_owner_only(tmp_path):
    os.umask(0o022)
    ledger = bootstrap(_settings(tmp_path / "var"))
    try:
        ledger.balance("someone")               # the WAL and its index exist while a connection is open
        database = tmp_path / "var" / "pointsbot.sqlite3"
        files = [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
        assert [(f.name, _mode(f)) for f in files if f.exists()] == [(f.name, 0o600) for f in files if f.exists()]
        assert database.exists()
    finally:
        ledger.dispose()


@pytest.mark.rasa
def test_the_logs_and_generated_config_are_owner_only(stack):
    var = stack.settings.var_dir
    for folder in (var / "log", var / "run"):
        assert _mode(folder) == 0o700, folder
        assert {p.name: _mode(p) for p in folder.iterdir()} == {p.name: 0o600 for p in folder.iterdir()}
    for secret in ("rasa-token", "actions-token", "pointsbot.sqlite3"):   # the API token came from the environment
        assert _mode(var / secret) == 0o600


def test_settings_never_show_their_secrets():
    """A Settings in a log line or a traceback (tests print them) shows no token."""
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:TG-SECRET", "POINTSBOT_STT_TOKEN": "sk-STT-SECRET",
                                  "POINTSBOT_PARTNER_TOKEN": "PARTNER-SECRET", "TELEGRAM_WEBHOOK_SECRET": "HOOK-SECRET",
                                  "POINTSBOT_API_TOKEN": "API-SECRET" * 4, "LINE_CHANNEL_SECRET": "LINE-SECRET",
                                  "LINE_CHANNEL_ACCESS_TOKEN": "LINE-TOKEN-SECRET"})
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings)
    assert settings.stt_token == "sk-STT-SECRET", "still there for the code that needs it"
