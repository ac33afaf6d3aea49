"""The trained Rasa model, cached by a hash of everything it depends on: `var/models/<hash>.tar.gz` is trained
only when no model has the current hash (config, domain, training data, the tokenizer code, the Rasa pins)."""
from __future__ import annotations

import fcntl
import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ledger.config import REPO_ROOT, Settings
from ops.progress import Progress
from ops.rasa_cli import run_rasa

MODEL_INPUTS = ["config.yml", "nlu/domain.yml", "nlu/requirements-rasa.txt", "nlu/sudachi_tokenizer.py",
                "nlu/normalizer.py", "ledger/shared/normalize.py", "nlu/program_decides.py", "nlu/exchange_rules.py",
                "ledger/rules/lexicon.yml"]


def model_inputs_hash(root: Path = REPO_ROOT) -> str:
    """A hash of everything the trained model depends on: config, domain, data, component code, pins."""
    digest = hashlib.sha256()
    files = [root / p for p in MODEL_INPUTS] + sorted((root / "nlu" / "data").rglob("*.yml"))
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def models_dir() -> Path:
    path = Path(os.environ.get("POINTSBOT_MODELS_DIR") or REPO_ROOT / "var" / "models")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def rasa_lock() -> Iterator[None]:
    """One Rasa training or cross-validation at a time on this machine (they share the models folder)."""
    with open(models_dir() / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_model(settings: Settings, progress: Progress) -> Path:
    """The trained model for the current inputs; trains only when no model has this hash."""
    name = model_inputs_hash()
    model = models_dir() / f"{name}.tar.gz"
    with rasa_lock():
        if model.exists():
            progress.done(f"✓ Rasa model {name} is up to date (inputs unchanged, not retrained)")
            return model
        log_file = settings.var_dir / "log" / "train.log"
        started = time.monotonic()
        returncode = run_rasa(
            ["train", "--config", "config.yml", "--domain", "nlu/domain.yml", "--data", "nlu/data",
             "--out", str(models_dir()), "--fixed-model-name", name],
            log_file, "Training the Rasa model", settings=settings, progress=progress, about_seconds=240)
        if returncode != 0 or not model.exists():
            raise RuntimeError(f"Rasa training failed; see {log_file}")
        progress.done(f"✓ Trained the Rasa model {name} in {time.monotonic() - started:.0f} s")
        return model
