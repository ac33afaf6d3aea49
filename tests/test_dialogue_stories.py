"""The dialogue rules of issue 12 as Rasa test stories (nlu/tests/test_dialogue.yml), run by `rasa test core` on
the trained model: each turn must be answered by the action the story names. A wrong prediction fails the run
(`--fail-on-prediction-errors`); the failed stories are in the log."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ledger.config import REPO_ROOT, Settings
from ops.model_cache import ensure_model
from ops.progress import Progress
from ops.rasa_cli import run_rasa

pytestmark = pytest.mark.rasa

STORIES = REPO_ROOT / "nlu" / "tests"


def test_every_dialogue_story_runs_as_written():
    settings = Settings.from_env()
    model = ensure_model(settings, Progress())
    out = Path(tempfile.mkdtemp(prefix="rasa-stories-"))
    log = settings.var_dir / "log" / "test-stories.log"
    code = run_rasa(["test", "core", "--stories", str(STORIES), "--model", str(model), "--out", str(out),
                     "--fail-on-prediction-errors"], log, "Rasa test stories", settings=settings, progress=Progress(),
                    about_seconds=60)
    failed = (out / "failed_test_stories.yml")
    assert code == 0, failed.read_text(encoding="utf-8") if failed.exists() else log.read_text(encoding="utf-8")[-3000:]
