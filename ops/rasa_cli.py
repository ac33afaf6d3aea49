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

from ledger.config import REPO_ROOT, Settings
from ops.progress import Progress

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Children get SIGTERM if the supervisor dies (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of every child process: the settings as the contract's variables, quiet libraries."""
    env = dict(os.environ)
    env.update({
        "POINTSBOT_VAR_DIR": str(settings.var_dir),
        "POINTSBOT_DATABASE_URL": settings.database_url,
        "POINTSBOT_HTTP_PORT": str(settings.http_port),
        "POINTSBOT_ACTION_PORT": str(settings.action_port),
        "POINTSBOT_SANDBOX": "1" if settings.sandbox else "0",
        "RASA_URL": settings.rasa_url,
        "POINTSBOT_API_TOKEN": settings.api_token(),
        "PYTHONPATH": str(REPO_ROOT),
        "SANIC_HOST": "127.0.0.1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
    })
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
    started = time.monotonic()
    command = [str(RASA_BIN)] if seed is None else [str(RASA_BIN.parent / "python"), "-m", "nlu.seeded_rasa", str(seed)]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as out:
        proc = subprocess.Popen([*command, *args], cwd=REPO_ROOT, env=child_env(settings), stdout=out,
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
