"""How well the NLU understands: `rasa test nlu --cross-validation` on the production `config.yml`, summarised
into `var/nlu-report/<inputs hash>/summary.json` (intent accuracy, entity F1, the errors).

The run is cached by the same hash of the NLU inputs as the trained model, and its folds are drawn from a
fixed seed (`nlu/seeded_rasa.py`), so the report is a function of its inputs. Nothing tracked is rewritten.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import yaml

from ledger.config import REPO_ROOT, Settings
from ops.model_cache import model_inputs_hash, rasa_lock
from ops.progress import Progress
from ops.rasa_cli import run_rasa

NLU_FOLDS = 3
NLU_FOLDS_SEED = 0  # the folds are drawn from this seed: one report per set of inputs


def nlu_report_dir(name: str | None = None) -> Path:
    return REPO_ROOT / "var" / "nlu-report" / (name or model_inputs_hash())


def _figures(report: dict) -> dict[str, dict]:
    return {label: {"precision": round(v["precision"], 4), "recall": round(v["recall"], 4),
                    "f1": round(v["f1-score"], 4), "support": v["support"]}
            for label, v in report.items() if isinstance(v, dict) and not label.endswith(" avg")}


def summarize_nlu_report(out: Path, *, name: str, folds: int, seconds: float) -> dict:
    """The figures `rasa test nlu --cross-validation` wrote to `out`, in one small JSON object.

    Intent accuracy is over every held-out example; entity F1 is the micro average over entity
    labels (tokens without an entity are not counted as hits), as Rasa's report computes it.
    """
    intents = json.loads((out / "intent_report.json").read_text())
    entity_reports = {p.name.removesuffix("_report.json"): json.loads(p.read_text())
                      for p in sorted(out.glob("*Extractor_report.json"))}
    if len(entity_reports) != 1:
        raise RuntimeError(f"expected one entity extractor report in {out}, found {sorted(entity_reports)}")
    extractor, entities = next(iter(entity_reports.items()))
    entity_avg = entities.get("micro avg") or entities.get("accuracy")
    if isinstance(entity_avg, float):  # every token label evaluated: sklearn reports accuracy
        entity_avg = {"precision": entity_avg, "recall": entity_avg, "f1-score": entity_avg}
    config = yaml.safe_load((REPO_ROOT / "config.yml").read_text()) or {}
    classifiers = [c for c in config.get("pipeline", []) if str(c.get("name", "")).endswith("Classifier")
                   and c.get("name") != "FallbackClassifier"]
    errors = json.loads((out / "intent_errors.json").read_text()) if (out / "intent_errors.json").exists() else []
    entity_errors = (json.loads((out / f"{extractor}_errors.json").read_text())
                     if (out / f"{extractor}_errors.json").exists() else [])
    return {
        "kind": "nlu_cross_validation",
        "inputs_hash": name,
        "command": f"rasa test nlu --cross-validation --folds {folds} --config config.yml --domain nlu/domain.yml "
                   "--nlu nlu/data",
        "config": {"file": "config.yml", "intent_classifiers": classifiers, "folds": folds},
        "examples": sum(v["support"] for v in _figures(intents).values()),
        "intent_accuracy": round(intents["accuracy"], 4),
        "intent_f1_weighted": round(intents["weighted avg"]["f1-score"], 4),
        "entity_extractor": extractor,
        "entity_f1_micro": round(entity_avg["f1-score"], 4),
        "entity_precision_micro": round(entity_avg["precision"], 4),
        "entity_recall_micro": round(entity_avg["recall"], 4),
        "intent_errors": [{"text": e["text"], "intent": e["intent"], "predicted": e["intent_prediction"]["name"],
                           "confidence": round(e["intent_prediction"]["confidence"], 3)} for e in errors],
        "entity_errors": len(entity_errors),
        "intents": _figures(intents),
        "entities": _figures(entities),
        "seconds": round(seconds),
        "cpu_count": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "folds_seed": NLU_FOLDS_SEED,
    }


def evaluate_nlu(settings: Settings, progress: Progress, folds: int = NLU_FOLDS) -> dict:
    """Cross-validates the NLU unless a report for the current inputs exists; returns its summary."""
    name = model_inputs_hash()
    out = nlu_report_dir(name)
    summary_file = out / "summary.json"
    with rasa_lock():
        cached = json.loads(summary_file.read_text()) if summary_file.exists() else None
        if cached and cached.get("folds_seed") == NLU_FOLDS_SEED:
            progress.done(f"✓ NLU cross-validation for inputs {name} is up to date (not re-run)")
            return cached
        work = out.with_name(name + ".partial")
        shutil.rmtree(work, ignore_errors=True)
        log_file = settings.var_dir / "log" / "test-nlu.log"
        started = time.monotonic()
        returncode = run_rasa(
            ["test", "nlu", "--cross-validation", "--folds", str(folds), "--config", "config.yml",
             "--domain", "nlu/domain.yml", "--nlu", "nlu/data", "--out", str(work), "--no-plot"],
            log_file, f"NLU cross-validation, {folds} folds", settings=settings, progress=progress,
            about_seconds=folds * 170, seed=NLU_FOLDS_SEED)
        if returncode != 0 or not (work / "intent_report.json").exists():
            raise RuntimeError(f"rasa test nlu failed; see {log_file}")
        summary = summarize_nlu_report(work, name=name, folds=folds, seconds=time.monotonic() - started)
        (work / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        work.rename(out)
        progress.done(f"✓ NLU cross-validated in {summary['seconds']} s")
        return summary
