"""The `pointsbot sandbox …` command line, run as a real process on its own database directory."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.shared.clock import TOKYO
from ledger.shared.refusals import Refusal
from ops.cli import app

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"


@pytest.fixture
def var_dir(tmp_path, sqlite_template) -> Path:
    """A var dir whose database is a copy of the migrated template (no mode recorded yet: the first process to
    open it records one, as with a new database), so each command runs without a first migration."""
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    shutil.copyfile(sqlite_template, var / "pointsbot.sqlite3")
    return var


def pointsbot_process(var_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m ops.cli ARGS` as its own process, as a user runs it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    environment.update({"POINTSBOT_VAR_DIR": str(var_dir)}, **env)
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    return subprocess.run([python, "-m", "ops.cli", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=120)


def pointsbot(var_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The same command in this process (Click's runner: its own argv, streams and environment), which saves the
    half second of imports a new process costs; `pointsbot_process` covers the entry point itself. A crash comes
    back as exit 1 with its traceback on stderr, as from a process."""
    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    environment.update({"POINTSBOT_VAR_DIR": str(var_dir)}, **env)
    result = CliRunner().invoke(app, list(args), env=environment, prog_name="pointsbot")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["pointsbot", *args], result.exit_code, result.stdout, stderr)


def open_ledger(var_dir: Path):
    """The same database, as the running services would open it."""
    return bootstrap(Settings.from_env({"POINTSBOT_VAR_DIR": str(var_dir)}))


def balance(var_dir: Path, user: str):
    the_ledger = open_ledger(var_dir)
    try:
        return the_ledger.balance(user)
    finally:
        the_ledger.dispose()


def test_clock_set_show_reset(var_dir):
    """As separate processes, the way a user runs them: each process sees the clock the one before set."""
    set_ = pointsbot_process(var_dir, "sandbox", "clock", "set", "2016-06-09T10:00")
    assert set_.returncode == 0, set_.stderr
    assert "2016-06-09T10:00:00+09:00" in set_.stdout

    shown = pointsbot_process(var_dir, "sandbox", "clock", "show")
    assert shown.returncode == 0, shown.stderr
    assert "2016-06-09" in shown.stdout
    assert "test clock" in shown.stdout

    the_ledger = open_ledger(var_dir)
    try:
        assert the_ledger.clock.today() == dt.date(2016, 6, 9)   # every process sees it
    finally:
        the_ledger.dispose()

    reset = pointsbot(var_dir, "sandbox", "clock", "reset")
    assert reset.returncode == 0, reset.stderr
    shown = pointsbot_process(var_dir, "sandbox", "clock", "show")
    assert "real time" in shown.stdout
    assert dt.datetime.now(TOKYO).date().isoformat() in shown.stdout


def test_clock_time_with_a_zone_is_shown_in_tokyo(var_dir):
    assert pointsbot(var_dir, "sandbox", "clock", "set", "2016-06-08T20:00+00:00").returncode == 0
    assert "2016-06-09T05:00:00+09:00" in pointsbot(var_dir, "sandbox", "clock", "show").stdout


def test_grant_and_link_are_visible_to_the_services(var_dir):
    granted = pointsbot(var_dir, "sandbox", "grant", "--user", "tg:42", "--partner", "jal", "--amount", "5,000")
    assert granted.returncode == 0, granted.stderr
    assert "5,000" in granted.stdout
    linked = pointsbot(var_dir, "sandbox", "link", "--user", "tg:42", "--partner", "jal")
    assert linked.returncode == 0, linked.stderr

    the_ledger = open_ledger(var_dir)
    try:
        assert the_ledger.balance("tg:42").partners == {"jal": 5_000}
        quote = the_ledger.quote_conversion("tg:42", "jal", 4_000)   # the link is active at once
        assert quote.to_amount == 2_000
    finally:
        the_ledger.dispose()


def test_grant_with_wallet(var_dir):
    result = pointsbot(var_dir, "sandbox", "grant", "--user", "u", "--partner", "saison", "--amount", "1000",
                       "--wallet", "450")
    assert result.returncode == 0, result.stderr
    the_ledger = open_ledger(var_dir)
    try:
        with the_ledger.uow() as uow:
            saison = the_ledger.gateway.balance(uow, "u", "saison")
        assert (saison.points, saison.wallet) == (1_000, 450)
    finally:
        the_ledger.dispose()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--partner", "jal", "--amount", "-5"], "not_positive"),
        (["--partner", "jal", "--amount=-5"], "not_positive"),
        (["--partner", "jal", "--amount", "1e9"], "not_a_number"),
        (["--partner", "jal", "--amount", "0"], "not_positive"),
        (["--partner", "foo", "--amount", "5000"], "unknown_partner"),
        (["--partner", "saison", "--amount", "100", "--wallet", "-3"], "not_positive"),
    ],
)
def test_bad_grant_exits_non_zero_and_changes_nothing(var_dir, args, message):
    result = pointsbot(var_dir, "sandbox", "grant", "--user", "u", *args)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert balance(var_dir, "u").partners == {}


def test_unknown_partner_names_the_known_ones(var_dir):
    result = pointsbot(var_dir, "sandbox", "link", "--user", "u", "--partner", "foo")
    assert result.returncode != 0
    assert "unknown_partner" in result.stderr and "jal" in result.stderr


def test_bad_clock_time_exits_non_zero_and_keeps_the_clock(var_dir):
    assert pointsbot(var_dir, "sandbox", "clock", "set", "2016-06-09T10:00").returncode == 0

    for moment in ["yesterday", "2016-13-01", "2016-06-09T25:00", ""]:
        result = pointsbot(var_dir, "sandbox", "clock", "set", moment)
        assert result.returncode != 0, moment
        assert "ISO-8601" in result.stderr, moment
        assert "Traceback" not in result.stderr

    assert "2016-06-09T10:00:00+09:00 (test clock)" in pointsbot(var_dir, "sandbox", "clock", "show").stdout


def test_sandbox_commands_refused_in_production(var_dir):
    off = {"POINTSBOT_SANDBOX": "0"}
    commands = [
        ["sandbox", "grant", "--user", "u", "--partner", "jal", "--amount", "5000"],
        ["sandbox", "link", "--user", "u", "--partner", "jal"],
        ["sandbox", "clock", "set", "2016-06-09T10:00"],
        ["sandbox", "clock", "reset"],
    ]
    for command in commands:
        result = pointsbot(var_dir, *command, **off)
        assert result.returncode != 0, command
        assert "sandbox_off" in result.stderr, command

    the_ledger = open_ledger(var_dir)
    try:
        assert the_ledger.balance("u").partners == {}
        assert not the_ledger.clock.is_test_clock()
        with pytest.raises(Refusal) as not_linked:
            the_ledger.quote_conversion("u", "jal", 2_000)
        assert not_linked.value.reason == "not_linked"
    finally:
        the_ledger.dispose()


def test_sandbox_is_a_property_of_the_database_not_of_the_process(var_dir):
    """A database created in production mode refuses every sandbox command whatever a later environment says."""
    created = pointsbot(var_dir, "db", "init", POINTSBOT_SANDBOX="0")
    assert created.returncode == 0 and "production database" in created.stdout
    commands = [   # the others (link, clock reset) are refused by the same check: test_sandbox_commands_refused_in_…
        ["sandbox", "grant", "--user", "u", "--partner", "jal", "--amount", "5000"],
        ["sandbox", "coupon", "--partner", "ponta", "--points", "1000"],
        ["sandbox", "clock", "set", "2016-06-09T10:00"],
    ]
    for command in commands:
        result = pointsbot(var_dir, *command, POINTSBOT_SANDBOX="1")
        assert result.returncode != 0 and "sandbox_off" in result.stderr, command
    assert "production database" in pointsbot(var_dir, "db", "init", POINTSBOT_SANDBOX="1").stdout
    the_ledger = open_ledger(var_dir)
    try:
        assert the_ledger.sandbox is False and not the_ledger.clock.is_test_clock()
        assert the_ledger.balance("u").partners == {}
    finally:
        the_ledger.dispose()


def test_a_new_database_is_a_sandbox_by_default(var_dir):
    assert "a sandbox database" in pointsbot(var_dir, "db", "init").stdout
    assert pointsbot(var_dir, "sandbox", "grant", "--user", "u", "--partner", "jal", "--amount", "5000").returncode == 0
