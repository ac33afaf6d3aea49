"""`pointsbot nlu lexicon`: writes `nlu/data/lexicon.yml` from `ledger/rules/lexicon.yml` (what people call things).

Each kind of word becomes one pattern (a Rasa regex): the programs and the tiers are entities (with synonyms to
their ids), the words for status, for exchanging and for the platform's points are features only. One pattern per
kind is the point: Rasa's RegexFeaturizer makes each pattern line one feature, so a name the training data never
uses lights the same feature as one it does.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ledger.config import REPO_ROOT
from ledger.shared.normalize import fold

LEXICON = REPO_ROOT / "ledger" / "rules" / "lexicon.yml"
GENERATED = REPO_ROOT / "nlu" / "data" / "lexicon.yml"

# "ANA 123" is a flight number and "ANA-7K3M-…" a coupon code, not the program; "ANA 2000 miles" is the program.
_AFTER = {"ana": r"(?!\s?[0-9]{1,4}(?![0-9a-z/:\-]|[,.][0-9])"
                r"(?!\s?(?:miles?|マイル|points?|ポイント|pp|円|yen|万|千|k(?![a-z]))))"}
_NOT_A_CODE = r"(?![-ー][0-9a-z])"      # a name right before "-XXXX" is a coupon code's prefix (PON-7K3M-9QXD-4)
_PARTICLES = {"into", "in", "out", "over", "to"}
_ASCII = re.compile(r"[a-z0-9]", re.I)


def load_lexicon(path: Path = LEXICON) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def program_names(lexicon: dict) -> dict[str, list[str]]:
    """Every name of each program, as the normalizer leaves it (lower-case English), without repeats."""
    return {pid: list(dict.fromkeys(fold(str(n)).lower() for kind in kinds.values() for n in kind))
            for pid, kinds in lexicon["programs"].items()}


def _one(name: str) -> str:
    """A name as a pattern: English words only whole (never inside another word), spaces optional."""
    words = name.split()
    if len(words) == 2 and words[1] in _PARTICLES:   # "cash in", "turn into": a few words may stand between
        body = rf"{re.escape(words[0])}(?:\s+[^\s]+){{0,4}}?\s+{re.escape(words[1])}"
    else:
        body = r"\s?".join(re.escape(w) for w in words)
    before = r"(?<![a-z])" if _ASCII.match(name[0]) else ""
    after = _AFTER.get(name, r"(?![a-z])" if _ASCII.match(name[-1]) else "")
    return f"{before}{body}{after}"


def pattern(names: list[str], tail: str = "") -> str:
    """One pattern for all `names`, the longest first (so セゾン永久不滅 wins over セゾン)."""
    ordered = sorted(dict.fromkeys(names), key=lambda n: (-len(n), n))
    return f"(?:{'|'.join(_one(n) for n in ordered)}){tail}"


def _block(kind: str, name: str, lines: list[str]) -> str:
    return f"- {kind}: {name}\n  examples: |\n" + "".join(f"    - {line}\n" for line in lines)


def render(lexicon: dict) -> str:
    programs = program_names(lexicon)
    tiers = {tid: list(dict.fromkeys(fold(str(n)).lower() for n in names)) for tid, names in lexicon["tiers"].items()}
    blocks = [_block("regex", "partner", [pattern([n for ns in programs.values() for n in ns], _NOT_A_CODE)])]
    blocks += [_block("synonym", pid, [n for n in names if n != pid]) for pid, names in programs.items()]
    blocks.append(_block("regex", "tier", [pattern([n for ns in tiers.values() for n in ns])]))
    blocks += [_block("synonym", tid, [n for n in names if n != tid]) for tid, names in tiers.items()]
    for kind in ("status_words", "exchange_words", "platform_points_words"):
        words = [fold(str(w)).lower() for language in lexicon[kind].values() for w in language]
        blocks.append(_block("regex", kind.removesuffix("s"), [pattern(words)]))
    return ("# Generated from ledger/rules/lexicon.yml by `pointsbot nlu lexicon`: edit that file, not this one.\n"
            "# Programs and tiers are entities (synonyms give their ids); the *_word patterns are features only.\n"
            'version: "3.1"\nnlu:\n' + "".join(blocks))


def write(path: Path | None = None) -> Path:
    target = path or GENERATED
    target.write_text(render(load_lexicon()), encoding="utf-8")
    return target
