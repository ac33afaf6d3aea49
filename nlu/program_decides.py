"""A Rasa 3.6 component: the names in a sentence decide what kind of exchange it asks for.

"move 2,000 JAL miles to reserved points" has the words of a move (move, reserved points) but a program as its
source: it is an exchange (convert_points). "留保ポイントを笠間市に移したい" names no program but a municipality:
it is a move (move_points). The classifier sees words; this component, after it and the entity extractors,
applies the rule from `ledger/rules/lexicon.yml` (`program_decides`) when the classifier's reading is one of the
two. The chosen reading gets the confidence of both (the rule chose between them), so the fallback does not ask
about a choice the rule already made.

The same way, `direction_decides` tells an exchange from a way back (convert_back): "川崎市のポイントをJALマイルに"
has the words of "JALマイルを川崎市のポイントに"; the particles and prepositions around the names say which is
the destination. The rules themselves are in nlu/exchange_rules.py. Registered in config.yml as
`nlu.program_decides.ProgramDecides`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.exchange_rules import LEXICON, decide_all, load_lexicon


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ProgramDecides(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon": str(LEXICON)}

    def __init__(self, lexicon: Dict[Text, Any]) -> None:
        self.lexicon = lexicon

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ProgramDecides":
        return cls(load_lexicon(config.get("lexicon")))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reading = decide_all(message.get(INTENT) or {}, message.get(INTENT_RANKING_KEY) or [],
                                 message.get(ENTITIES) or [], message.get(TEXT) or "", self.lexicon)
            if reading:
                message.set(INTENT, reading[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, reading[1], add_to_output=True)
        return messages
