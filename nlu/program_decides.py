"""A Rasa 3.6 component: the program named decides between exchanging partner points and moving reserved points.

"move 2,000 JAL miles to reserved points" has the words of a move (move, reserved points) but a program as its
source: it is an exchange (convert_points). "留保ポイントを笠間市に移したい" names no program but a municipality:
it is a move (move_points). The classifier sees words; this component, after it and the entity extractors,
applies the rule from `ledger/rules/lexicon.yml` (`program_decides`) when the classifier's reading is one of the
two. The chosen reading gets the confidence of both (the rule chose between them), so the fallback does not ask
about a choice the rule already made. Registered in config.yml as `nlu.program_decides.ProgramDecides`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

LEXICON = Path(__file__).resolve().parent.parent / "ledger" / "rules" / "lexicon.yml"


def decide(intent: Dict[Text, Any], ranking: List[Dict[Text, Any]], entities: List[Dict[Text, Any]], text: str,
           rule: Dict[Text, Any]) -> tuple[Dict[Text, Any], List[Dict[Text, Any]]] | None:
    """The new (intent, ranking) when the rule changes the reading, else None."""
    between = list(rule["between"])
    if not intent or intent.get("name") not in between:
        return None
    names = {e.get(ENTITY_ATTRIBUTE_TYPE) for e in entities}
    words = re.compile("|".join(re.escape(w) for w in rule["program_words"]), re.IGNORECASE)
    if rule["program_entity"] in names or words.search(text or ""):
        target = rule["with_program"]
    elif names & set(rule["place_entities"]):
        target = rule["without_program"]
    else:
        return None
    if intent["name"] == target:
        return None
    both = sum(r.get("confidence", 0.0) for r in ranking if r.get("name") in between) or intent.get("confidence", 0.0)
    chosen = {"name": target, "confidence": both}
    rest = [r if r.get("name") not in between else {**r, "confidence": 0.0} for r in ranking if r.get("name") != target]
    return chosen, [chosen, *sorted(rest, key=lambda r: -r.get("confidence", 0.0))]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ProgramDecides(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon": str(LEXICON)}

    def __init__(self, rule: Dict[Text, Any]) -> None:
        self.rule = rule

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ProgramDecides":
        lexicon = yaml.safe_load(Path(config.get("lexicon") or LEXICON).read_text(encoding="utf-8"))
        return cls(lexicon["program_decides"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            decided = decide(message.get(INTENT) or {}, message.get(INTENT_RANKING_KEY) or [],
                             message.get(ENTITIES) or [], message.get(TEXT) or "", self.rule)
            if decided:
                message.set(INTENT, decided[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, decided[1], add_to_output=True)
        return messages
