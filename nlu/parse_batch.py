"""`python -m nlu.parse_batch MODEL IN.json OUT.json`: what a trained model reads in each text (Rasa's venv).

IN is a JSON list of texts. OUT gets, per text, the intent as Rasa predicts it (after the FallbackClassifier),
the top of the classifier's ranking, and the entities with their values after synonyms — what the dialogue
would see. The model is loaded once; no server, no tracker, no action is involved.
"""
from __future__ import annotations

import asyncio
import json
import sys

from rasa.core.agent import Agent


async def _parse(model: str, texts: list[str]) -> list[dict]:
    agent = Agent.load(model)
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append({
            "text": text,
            "read_as": parsed.get("text"),
            "intent": (parsed.get("intent") or {}).get("name"),
            "confidence": round(float((parsed.get("intent") or {}).get("confidence") or 0.0), 4),
            "ranking": [{"name": r["name"], "confidence": round(float(r["confidence"]), 4)}
                        for r in (parsed.get("intent_ranking") or [])[:4]],
            "entities": [{"entity": e["entity"], "value": e.get("value"), "start": e.get("start"),
                          "end": e.get("end")} for e in parsed.get("entities") or []],
        })
    return out


def main() -> None:
    model, source, target = sys.argv[1:4]
    with open(source, encoding="utf-8") as fh:
        texts = json.load(fh)
    results = asyncio.run(_parse(model, texts))
    with open(target, "w", encoding="utf-8") as fh:
        json.dump(results, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
