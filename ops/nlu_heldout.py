"""How well the NLU understands sentences nobody trained it on: the held-out set (`tests/nlu_heldout/heldout.yml`).

The set was written from a description of the intents alone, never from `nlu/data/`, in both languages, with
polite and casual forms, typos, full-width text, voice-style text and two-topic questions; it is never trained on
(`tests/test_nlu_heldout.py` checks that none of its sentences is in the training data). Each item names the
intent (and, for two topics, a `second_intent`: either counts) and the entities said, by canonical id.

`nlu/parse_batch.py` reads every sentence with the trained model in Rasa's environment; `score` turns what it read
into figures per intent, per language and per style, the confusions that remain, and how often each entity was
found with the right value.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from ledger.config import REPO_ROOT, Settings
from ledger.shared.amounts import parse_amount
from ledger.shared.refusals import Refusal
from ops.model_cache import ensure_model, rasa_lock
from ops.nlu_report import nlu_report_dir
from ops.progress import Progress
from ops.rasa_cli import run_rasa_module

HELDOUT_FILE = REPO_ROOT / "tests" / "nlu_heldout" / "heldout.yml"
ALL_WORDS = {"all", "全部", "全額", "すべて", "全て", "ぜんぶ", "everything"}


def load_items(path: Path = HELDOUT_FILE) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_with_model(model: Path, texts: list[str], settings: Settings, progress: Progress) -> list[dict]:
    """What the model reads in each text (intent after the fallback, ranking, entities), in Rasa's environment."""
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "texts.json", Path(work) / "read.json"
        source.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        code = run_rasa_module("nlu.parse_batch", [str(model), str(source), str(target)],
                               settings.var_dir / "log" / "nlu-heldout.log", f"Reading {len(texts)} held-out sentences",
                               settings=settings, progress=progress, about_seconds=30)
        if code != 0 or not target.exists():
            raise RuntimeError(f"reading the held-out set failed; see {settings.var_dir / 'log' / 'nlu-heldout.log'}")
        return json.loads(target.read_text(encoding="utf-8"))


def _amount(value) -> int | str | None:
    if str(value).strip().lower() in ALL_WORDS:
        return "all"
    try:
        return parse_amount(value)
    except Refusal:
        return None


def _found(expected, entity: str, read: list[dict]) -> bool:
    wanted = expected if isinstance(expected, list) else [expected]
    values = [e["value"] for e in read if e["entity"] == entity]
    if entity == "amount":
        got = {_amount(v) for v in values}
        return all((w if w == "all" else int(w)) in got for w in wanted)
    got = {str(v).lower() for v in values}
    return all(str(w).lower() in got for w in wanted)


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def score(items: list[dict], read: list[dict]) -> dict:
    """Figures for `items` (the held-out set) from what the model `read` in each, in the same order.

    The intent accuracy is of the model's reading (the top of the classifier's ranking, as the ProgramDecides rule
    left it). Where the fallback then makes the assistant ask instead of answer, that counts in `asked`;
    `answered_right` is the share answered at once with the right reading.
    """
    if [i["text"] for i in items] != [r["text"] for r in read]:
        raise ValueError("the model's readings are not of these sentences")
    by: dict[str, dict[str, list[int]]] = {"intent": defaultdict(lambda: [0, 0]), "lang": defaultdict(lambda: [0, 0]),
                                           "style": defaultdict(lambda: [0, 0])}
    hits = answered = top3 = asked = 0
    confusions: Counter = Counter()
    entities: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for item, got in zip(items, read):
        gold = {item["intent"], *([item["second_intent"]] if item.get("second_intent") else [])}
        ranking = [r["name"] for r in got["ranking"] if r["name"] != "nlu_fallback"]   # the classifier's own order
        reading = ranking[0] if ranking else got["intent"]
        hit = reading in gold
        hits += hit
        answered += got["intent"] in gold
        top3 += bool(gold & set(ranking[:3]))
        asked += got["intent"] == "nlu_fallback"
        for key, value in (("intent", item["intent"]), ("lang", item.get("lang", "?"))):
            by[key][value][0] += hit
            by[key][value][1] += 1
        for style in item.get("style") or []:
            by["style"][style][0] += hit
            by["style"][style][1] += 1
        if not hit:
            confusions[(item["intent"], reading)] += 1
            misses.append({"text": item["text"], "intent": item["intent"], "read_as": reading,
                           "confidence": got["confidence"], "ranking": ranking[:3]})
        for entity, expected in (item.get("entities") or {}).items():
            entities[entity][0] += _found(expected, entity, got["entities"])
            entities[entity][1] += 1
    total = len(items)
    return {
        "kind": "nlu_heldout",
        "sentences": total,
        "intent_accuracy": _rate(hits, total),
        "answered_right": _rate(answered, total),
        "asked": _rate(asked, total),
        "top3": _rate(top3, total),
        "per_language": {k: {"accuracy": _rate(*v), "sentences": v[1]} for k, v in sorted(by["lang"].items())},
        "per_intent": {k: {"accuracy": _rate(*v), "sentences": v[1]} for k, v in sorted(by["intent"].items())},
        "per_style": {k: {"accuracy": _rate(*v), "sentences": v[1]} for k, v in sorted(by["style"].items())},
        "entities": {k: {"found": _rate(*v), "said": v[1]} for k, v in sorted(entities.items())},
        "confusions": [{"intent": a, "read_as": b, "count": n} for (a, b), n in confusions.most_common()],
        "misses": misses,
    }


def evaluate_heldout(settings: Settings, progress: Progress, path: Path = HELDOUT_FILE) -> dict:
    """The held-out figures of the model for the current inputs (trained if needed), cached beside the
    cross-validation report by the model's hash and the held-out file's own hash."""
    model = ensure_model(settings, progress)
    name = model.name.removesuffix(".tar.gz")     # the model's own hash: inputs edited meanwhile file elsewhere
    report = nlu_report_dir(name) / f"heldout-{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}.json"
    with rasa_lock():
        if report.exists():
            progress.done(f"✓ Held-out figures for model {name} are up to date (not re-read)")
            return json.loads(report.read_text(encoding="utf-8"))
        items = load_items(path)
        started = time.monotonic()
        summary = score(items, read_with_model(model, [i["text"] for i in items], settings, progress))
        summary.update({"file": str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path),
                        "inputs_hash": name, "seconds": round(time.monotonic() - started)})
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    progress.done(f"✓ Held-out set read in {summary['seconds']} s")
    return summary
