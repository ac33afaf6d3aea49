"""The Alexa interaction model (voice/alexa/ja-JP.json, en-US.json), generated from the NLU training data so the
two cannot drift apart: `pointsbot nlu alexa-model` writes it, and a test fails when the files differ from what
the data gives.

Alexa hears the words; the assistant's own NLU reads them. So the model has one catch-all intent, QueryIntent,
whose `query` slot takes the whole utterance. Its slot type's values are every training phrasing of that
language (annotations removed), which teaches Alexa's recogniser the words people use here, and the voice words
("more", 「続けて」). Beside it are the built-in intents the skill handles (bot/alexa.py).
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from ledger.shared.data_files import read_yaml

REPO = Path(__file__).resolve().parent.parent
NLU_DATA = REPO / "nlu" / "data"
OUT = REPO / "voice" / "alexa"
LOCALES = {"ja-JP": "ja", "en-US": "en"}
INVOCATION = {"ja-JP": "ポイントアシスタント", "en-US": "points assistant"}
BUILT_IN = ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.HelpIntent",
            "AMAZON.FallbackIntent", "AMAZON.NavigateHomeIntent")
VOICE_WORDS = {"ja": ["続けて", "続き", "もっと", "続きをお願い"], "en": ["more", "continue", "go on", "tell me more"]}
MAX_VALUE = 140            # Alexa's longest slot value
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([a-z_]+\)|\{[^}]*\})")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_UNSAYABLE = re.compile(r"[^\w\s'’\-ー々〆ヶ]")


def phrasings() -> dict[str, list[str]]:
    """Every training phrasing, by intent, as said (annotations removed, NFKC)."""
    found: dict[str, list[str]] = {}
    for path in sorted(NLU_DATA.glob("*.yml")):
        for item in (read_yaml(path) or {}).get("nlu") or []:
            if "intent" not in item or not item.get("examples"):
                continue
            for line in item["examples"].splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text and not text.startswith("/"):
                    said = unicodedata.normalize("NFKC", _ANNOTATION.sub(r"\1", text))
                    found.setdefault(item["intent"], []).append(said)
    return found


def sayable(text: str) -> str:
    """A phrasing as a slot value: letters, digits and spaces only (no symbols a voice cannot carry)."""
    return re.sub(r"\s+", " ", _UNSAYABLE.sub(" ", text)).strip().lower()


def model(locale: str) -> dict:
    lang = LOCALES[locale]
    values = set(VOICE_WORDS[lang])
    for examples in phrasings().values():
        for text in examples:
            if bool(_JAPANESE.search(text)) == (lang == "ja"):
                value = sayable(text)
                if value and len(value) <= MAX_VALUE:
                    values.add(value)
    return {"interactionModel": {"languageModel": {
        "invocationName": INVOCATION[locale],
        "intents": [{"name": "QueryIntent", "slots": [{"name": "query", "type": "Query"}], "samples": ["{query}"]},
                    *({"name": name, "samples": []} for name in BUILT_IN)],
        "types": [{"name": "Query", "values": [{"name": {"value": v}} for v in sorted(values)]}],
    }}}


def rendered(locale: str) -> str:
    return json.dumps(model(locale), ensure_ascii=False, indent=1) + "\n"


def write() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for locale in LOCALES:
        path = OUT / f"{locale}.json"
        path.write_text(rendered(locale), encoding="utf-8")
        written.append(path)
    return written
