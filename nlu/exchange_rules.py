"""Which kind of exchange a sentence asks for, from the names in it: the rules of the ProgramDecides component.

Pure functions over the classifier's reading, the entities and the text, with the rules from
`ledger/rules/lexicon.yml` (`program_decides`, `direction_decides`). No Rasa import, so the ledger's tests run them
directly; nlu/program_decides.py applies them inside the Rasa pipeline.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Text

import yaml

LEXICON = Path(__file__).resolve().parent.parent / "ledger" / "rules" / "lexicon.yml"
ENTITY = "entity"


def load_lexicon(path: Path | str | None = None) -> Dict[Text, Any]:
    return yaml.safe_load(Path(path or LEXICON).read_text(encoding="utf-8"))


Reading = tuple[Dict[Text, Any], List[Dict[Text, Any]]]


def _words(words: List[str]) -> "re.Pattern[str]":
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)


def decide(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], entities: List[Dict[Text, Any]], text: str,
           rule: Dict[Text, Any]) -> Reading | None:
    """The new (intent, ranking) when the program rule changes the reading, else None."""
    between = list(rule["between"])
    if not intent or intent.get("name") not in between:
        return None
    names = {e.get(ENTITY) for e in entities}
    if rule["program_entity"] in names or _words(rule["program_words"]).search(text or ""):
        target = rule["with_program"]
    elif names & set(rule["place_entities"]):
        target = rule["without_program"]
    else:
        return None
    return _choose(intent, ranking, between, target)


def mentions(entities: List[Dict[Text, Any]], text: str, rule: Dict[Text, Any], program_words: List[str],
             platform_words: List[str]) -> List[tuple[int, int, str]]:
    """(start, end, side) of each name in the text: side "program" (a partner) or "platform" (its points, a place)."""
    found = [(e["start"], e["end"], "program") for e in entities
             if e.get(ENTITY) == rule["program_entity"] and "start" in e]
    found += [(e["start"], e["end"], "platform") for e in entities
              if e.get(ENTITY) in rule["place_entities"] and "start" in e]
    found += [(m.start(), m.end(), "program") for m in _words(program_words).finditer(text)]
    found += [(m.start(), m.end(), "platform") for m in _words(platform_words).finditer(text)]
    return sorted(found)


def direction(entities: List[Dict[Text, Any]], text: str, rule: Dict[Text, Any], program_words: List[str],
              platform_words: List[str]) -> str | None:
    """"back" when the sentence asks for points back into a program, "exchange" when into the platform, else None."""
    text = text or ""
    if any(re.search(p, text, re.IGNORECASE) for p in rule["back_patterns"]):
        return "back"
    for start, end, side in mentions(entities, text, rule, program_words, platform_words):
        after, before = text[end:end + 12], text[max(0, start - 24):start]
        if re.search(rule["to_after"], after) or re.search(rule["to_before"], before, re.IGNORECASE):
            return "back" if side == "program" else "exchange"
        if re.search(rule["from_after"], after) or re.search(rule["from_before"], before, re.IGNORECASE):
            return "exchange" if side == "program" else "back"
    return None


def decide_direction(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], entities: List[Dict[Text, Any]],
                     text: str, lexicon: Dict[Text, Any]) -> Reading | None:
    """The new (intent, ranking) when the direction rule changes the reading, else None."""
    rule = lexicon["direction_decides"]
    between = list(rule["between"])
    if not any(e.get(ENTITY) == "amount" for e in entities):   # a quote needs an amount: without one, a request
        between += list(rule.get("without_amount") or [])
    if not intent or intent.get("name") not in between:
        return None
    platform = [str(w).lower() for words in lexicon["platform_points_words"].values() for w in words]
    way = direction(entities, text, rule, lexicon["program_decides"]["program_words"], platform)
    return _choose(intent, ranking, between, rule[way]) if way else None


def _choose(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], between: List[str], target: str) -> Reading | None:
    """`target` with the confidence of every reading the rule chose between (the fallback then does not ask about
    a choice the rule made); None when that changes nothing."""
    both = sum(r.get("confidence", 0.0) for r in ranking if r.get("name") in between) or intent.get("confidence", 0.0)
    if intent["name"] == target and both <= intent.get("confidence", 0.0):
        return None
    chosen = {"name": target, "confidence": both}
    rest = [r if r.get("name") not in between else {**r, "confidence": 0.0} for r in ranking if r.get("name") != target]
    return chosen, [chosen, *sorted(rest, key=lambda r: -r.get("confidence", 0.0))]




def decide_quote(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], entities: List[Dict[Text, Any]], text: str,
                 rule: Dict[Text, Any]) -> Reading | None:
    """An exchange asked as a question with an amount or a share ("how many would I get for 12,345 miles?") is a
    quote (ask_conversion_quote), which opens no form; with `plan_decides`, a number of trips of a route asked for
    is a plan (ask_pp_to_go). The reading chosen gets the confidence of all the readings it chose between."""
    if not intent or intent.get("name") not in rule["from"]:
        return None
    said = {e.get(ENTITY) for e in entities} & set(rule["needs_entity"]) or (
        "share_words" in rule and re.search(rule["share_words"], text or "", re.IGNORECASE))
    if not said or not any(re.search(p, text or "", re.IGNORECASE) for p in rule["question_patterns"]):
        return None
    between = list(dict.fromkeys([*rule["from"], rule["to"]]))
    return _choose(intent, ranking, between, rule["to"])


def decide_whole_message(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], text: str,
                         rules: List[Dict[Text, Any]]) -> Reading | None:
    """A message that is only a greeting (or another whole-message pattern) is that intent, with confidence 1."""
    said = (text or "").strip().lower().strip("!！?？.。、, ")
    for rule in rules:
        if not any(re.fullmatch(p, said) for p in rule["patterns"]):
            continue
        if intent.get("name") == rule["intent"] and intent.get("confidence", 0.0) >= 1.0:
            return None
        chosen = {"name": rule["intent"], "confidence": 1.0}
        return chosen, [chosen, *[{**r, "confidence": 0.0} for r in ranking if r.get("name") != rule["intent"]]]
    return None


def decide_all(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], entities: List[Dict[Text, Any]], text: str,
               lexicon: Dict[Text, Any]) -> Reading | None:
    """The rules in turn (program, direction, quote, plan): the new (intent, ranking), or None when none changes
    it."""
    first = (intent, ranking)
    reading = decide(*first, entities, text, lexicon["program_decides"]) or first
    reading = decide_direction(*reading, entities, text, lexicon) or reading
    reading = decide_quote(*reading, entities, text, lexicon["quote_decides"]) or reading
    reading = decide_quote(*reading, entities, text, lexicon["plan_decides"]) or reading
    reading = decide_whole_message(*reading, text, lexicon.get("whole_message_decides") or []) or reading
    return None if reading is first else reading
