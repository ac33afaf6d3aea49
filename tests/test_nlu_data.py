"""The NLU training data agrees with itself and with the rules data — checked in milliseconds, no Rasa.

Entities come only from patterns (RegexEntityExtractor: regexes + lookup tables, word boundaries off,
case-insensitive) and EntitySynonymMapper, so the patterns are re-run here exactly as Rasa builds them
(`rasa.nlu.utils.pattern_utils`): every annotated example must yield exactly its annotations, and every
name or alias in ledger/rules must be found and mapped to its id.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ledger.config import REPO_ROOT
from ledger.rules import default_rules

DATA = sorted((REPO_ROOT / "nlu" / "data").glob("*.yml"))
_ANNOTATION = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)")


def _items() -> list[dict]:
    items: list[dict] = []
    for path in DATA:
        items += yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []
    return items


def _lines(block: str) -> list[str]:
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def _entities() -> set[str]:
    return set(yaml.safe_load((REPO_ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))["entities"])


def _patterns() -> list[tuple[str, re.Pattern]]:
    """Entity patterns only: regexes named after no entity (key words) are classifier features."""
    patterns = []
    entities = _entities()
    for item in _items():
        if (item.get("regex") or item.get("lookup")) not in entities:
            continue
        if "regex" in item:
            patterns += [(item["regex"], re.compile(p, re.IGNORECASE)) for p in _lines(item["examples"])]
        if "lookup" in item:
            # pattern_utils._generate_lookup_regex with use_word_boundaries=False
            joined = "(" + "|".join(re.escape(e) for e in _lines(item["examples"])) + ")"
            patterns.append((item["lookup"], re.compile(joined, re.IGNORECASE)))
    return patterns


def _synonyms() -> dict[str, str]:
    """As EntitySynonymMapper builds them: lower-cased text → value, plus each value's own lower case."""
    table: dict[str, str] = {}
    for item in _items():
        if "synonym" in item:
            for text in _lines(item["examples"]):
                table[text.lower()] = item["synonym"]
            table.setdefault(item["synonym"].lower(), item["synonym"])
    return table


PATTERNS = _patterns()
SYNONYMS = _synonyms()


def extract(text: str) -> set[tuple[str, int, int]]:
    return {(name, m.start(), m.end()) for name, pattern in PATTERNS for m in pattern.finditer(text) if m.end() > m.start()}


def value_of(text: str, entity: str) -> str | None:
    found = sorted((e for e in extract(text) if e[0] == entity), key=lambda e: e[1] - e[2])
    if not found:
        return None
    _, start, end = found[0]
    surface = text[start:end]
    return SYNONYMS.get(surface.lower(), surface)


def _examples() -> list[tuple[str, str, set[tuple[str, int, int]]]]:
    out = []
    for item in _items():
        if "intent" not in item:
            continue
        for line in _lines(item["examples"]):
            plain, spans, pos = "", set(), 0
            for m in _ANNOTATION.finditer(line):
                plain += line[pos:m.start()]
                spans.add((m.group(2), len(plain), len(plain) + len(m.group(1))))
                plain += m.group(1)
                pos = m.end()
            plain += line[pos:]
            out.append((item["intent"], plain, spans))
    return out


EXAMPLES = _examples()


def test_every_annotation_is_exactly_what_the_patterns_find():
    wrong = [(intent, text, sorted(spans), sorted(extract(text))) for intent, text, spans in EXAMPLES
             if not text.startswith("/") and extract(text) != spans]
    assert wrong == []


def test_each_intent_has_enough_examples_in_both_languages():
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    counts: dict[str, list[int]] = {}
    for intent, text, _ in EXAMPLES:
        counts.setdefault(intent, [0, 0])[1 if japanese.search(text) else 0] += 1
    issue_3 = ["link_partner", "unlink_partner", "link_status", "redeem_coupon", "move_points",
               "set_home_municipality", "show_history", "best_route", "list_events", "convert_back"]
    assert {i: c for i, c in counts.items() if i in issue_3 and min(c) < 15} == {}


def test_no_example_is_repeated():
    texts = [text.lower() for _, text, _ in EXAMPLES]
    assert sorted({t for t in texts if texts.count(t) > 1}) == []


@pytest.mark.parametrize("kind", ["partner", "municipality", "prefecture", "event"])
def test_every_name_in_the_rules_data_is_recognised(kind):
    rules = default_rules()
    names: dict[str, list[str]] = {}
    if kind == "partner":
        names = {p.id: [*p.aliases, *p.names.values()] for p in rules.partners.values()}
    elif kind == "municipality":
        names = {m.id: list(m.aliases) for m in rules.municipalities.values()}
    elif kind == "prefecture":
        names = {pid: list(aliases) for pid, aliases in rules.prefecture_aliases.items()}
    else:
        names = {e.id: [a for a in e.aliases if a not in {"特定支援イベント", "support event"}] for e in rules.events.values()}
    missed = {(ident, name, value_of(name, kind)) for ident, aliases in names.items() for name in aliases
              if value_of(name, kind) != ident}
    assert missed == set()


@pytest.mark.parametrize("text, entity, value", [
    ("JALの二千マイルを交換", "amount", "二千"),
    ("convert 2k JAL miles", "amount", "2k"),
    ("１万ポイント", "amount", "１万"),
    ("２，０００マイル", "amount", "２，０００"),
    ("2,000 miles", "amount", "2,000"),
    ("2千マイル", "amount", "2千"),
    ("一万五千ポイント", "amount", "一万五千"),
    ("move all my reserved points", "amount", "all"),
    ("留保ポイントを全部移したい", "amount", "all"),
    ("日本航空のマイル", "partner", "jal"),
    ("永久不滅ポイント", "partner", "saison"),
    ("dポイントを交換", "partner", "docomo"),
    ("convert 5000 d points", "partner", "docomo"),
    ("カテエネ", "partner", "katene"),
    ("セゾンのポイントを笠間応援ポイントにしたい", "municipality", "kasama"),
    ("ＰＯＮ－７Ｋ３Ｍ－９ＱＸＤ－４を登録", "coupon_code", "ＰＯＮ－７Ｋ３Ｍ－９ＱＸＤ－４"),
])
def test_japanese_numbers_and_names(text, entity, value):
    assert value_of(text, entity) == value


@pytest.mark.parametrize("text", ["redeem ANA-4HZX-2M9Q-R", "PON-7K3M-9QXD-4", "ＡＮＡー９Ｘ８Ｗー７Ｖ６Ｔー５"])
def test_a_coupon_code_is_not_read_as_a_partner_or_an_amount(text):
    assert {e[0] for e in extract(text)} == {"coupon_code"}


@pytest.mark.parametrize("text", ["show all my linked accounts", "that's all, thanks", "banana", "Kanagawa",
                                  "2018-07-31", "commitment"])
def test_ordinary_words_are_not_entities(text):
    assert {e[0] for e in extract(text)} <= ({"prefecture"} if text == "Kanagawa" else {"date"})
