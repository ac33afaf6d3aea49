"""The Rasa CLI (Rasa Open Source 3.6) in its own Python 3.10 environment (`.venv-rasa`), run to the end with
progress shown; the environment children of the supervisor get."""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from ledger.config import REPO_ROOT, Settings, private_dir, private_file
from ops.progress import Progress

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Children get SIGTERM if the supervisor dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


# What every child needs to run at all; nothing of ours that is secret.
_BASE = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SSL_CERT_FILE",
         "SSL_CERT_DIR", "CI")


def child_env(settings: Settings, role: str) -> dict[str, str]:
    """The environment of one child process, with only what its `role` needs:

    - "rasa": its own quiet settings, telemetry off; never a token nor the database (it reads its channel secret from a 0600
      file named in the generated credentials, and its action-server secret from the generated endpoints);
    - "actions": the database, sandbox and partner settings, the var dir (its secret is var/actions-token);
    - "bot": all of the contract's variables (it serves the HTTP API and Telegram);
    - "redis" (scale mode): nothing but the basics (its password is in its 0600 config file).
    """
    env = {name: os.environ[name] for name in _BASE if name in os.environ}
    env.update({"PYTHONPATH": str(REPO_ROOT), "PYTHONWARNINGS": "ignore", "POINTSBOT_VAR_DIR": str(settings.var_dir)})
    if role == "redis":
        return env
    if role == "rasa":
        # telemetry off: Rasa would otherwise post usage events to Segment and its crash reports (with the
        # tracker store's URL, password included, in the message) to sentry.io
        env.update({"SANIC_HOST": "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                    "RASA_TELEMETRY_ENABLED": "false"})
        return env
    env.update({
        "POINTSBOT_DATABASE_URL": settings.database_url,
        "POINTSBOT_ACTION_PORT": str(settings.action_port),
        "POINTSBOT_SANDBOX": "1" if settings.sandbox else "0",
    })
    if settings.reuse_port:
        env["POINTSBOT_REUSE_PORT"] = "1"

    if settings.partner_url:
        env["POINTSBOT_PARTNER_URL"] = settings.partner_url
    if settings.partner_token:
        env["POINTSBOT_PARTNER_TOKEN"] = settings.partner_token
    if role == "actions":
        return env
    if role != "bot":
        raise ValueError(f"unknown role {role!r}")
    env.update({"POINTSBOT_HTTP_PORT": str(settings.http_port), "RASA_URL": settings.rasa_url,
                "POINTSBOT_API_TOKEN": settings.api_token(),
                "POINTSBOT_USER_RATE": str(settings.user_rate), "POINTSBOT_USER_BURST": str(settings.user_burst),
                "POINTSBOT_TOKEN_RATE": str(settings.token_rate), "POINTSBOT_TOKEN_BURST": str(settings.token_burst)})
    for name, value in (("TELEGRAM_BOT_TOKEN", settings.telegram_token),
                        ("TELEGRAM_API_BASE_URL", settings.telegram_api_base),
                        ("TELEGRAM_WEBHOOK_URL", settings.telegram_webhook_url),
                        ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret),
                        ("LINE_CHANNEL_SECRET", settings.line_channel_secret),
                        ("LINE_CHANNEL_ACCESS_TOKEN", settings.line_channel_access_token),
                        ("LINE_API_BASE_URL", settings.line_api_base),
                        ("LINE_MONTHLY_QUOTA", str(settings.line_monthly_quota) if settings.line_monthly_quota else None)):
        if value:
            env[name] = value
    return env


def _tail(log_file: Path) -> str:
    try:
        with log_file.open("rb") as fh:
            fh.seek(max(0, log_file.stat().st_size - 4000))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    found = re.findall(r"Epochs:\s+(\d+)%", tail)
    if found:
        return f"DIET epochs {found[-1]}%"
    lines = [line for line in re.split(r"[\r\n]", tail) if line.strip()]
    return lines[-1][-60:] if lines else ""


def run_rasa(args: list[str], log_file: Path, label: str, *, settings: Settings, progress: Progress,
             about_seconds: int, seed: int | None = None) -> int:
    """Run the Rasa CLI (train, test) to the end, showing elapsed time and its progress; returns its exit code.
    With `seed`, Python's and NumPy's random generators are seeded first (nlu/seeded_rasa.py)."""
    command = [str(RASA_BIN)] if seed is None else [str(RASA_BIN.parent / "python"), "-m", "nlu.seeded_rasa", str(seed)]
    return _run_to_end([*command, *args], log_file, label, settings=settings, progress=progress,
                       about_seconds=about_seconds)


def run_rasa_module(module: str, args: list[str], log_file: Path, label: str, *, settings: Settings,
                    progress: Progress, about_seconds: int) -> int:
    """Run one of our modules in Rasa's environment (e.g. `nlu.parse_batch`) to the end; returns its exit code."""
    return _run_to_end([str(RASA_BIN.parent / "python"), "-m", module, *args], log_file, label, settings=settings,
                       progress=progress, about_seconds=about_seconds)


def _run_to_end(command: list[str], log_file: Path, label: str, *, settings: Settings, progress: Progress,
                about_seconds: int) -> int:
    started = time.monotonic()
    private_dir(log_file.parent)
    with private_file(log_file).open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO_ROOT, env=child_env(settings, "rasa"), stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        try:
            while proc.poll() is None:
                progress.update(f"{label} ({int(time.monotonic() - started)} s, about {about_seconds} s): "
                                f"{_tail(log_file)}")
                time.sleep(0.5)
        except BaseException:
            proc.terminate()
            proc.wait(10)
            raise
    return proc.returncode
