"""A Rasa 3.6 component that folds the text before the tokenizer sees it (`ledger.shared.normalize`).

Registered in config.yml as `nlu.normalizer.TextNormalizer`, first in the pipeline, so training, `rasa test` and
serving read the same text: "ＪＡＬの２，０００ﾏｲﾙ" is read as "JALの2000マイル", "二千" and "two thousand" as
"2000". It runs in the graph's message-processing chain like a tokenizer but is no `Tokenizer` (Rasa allows one);
the Sudachi tokenizer comes next.

Entity annotations of training examples are moved to where their text stands after folding, so the entity
figures of cross-validation compare like with like. The tracker keeps what the user said (the `text` of the
user event); the parse data the actions read (`latest_message["text"]`) is the folded text.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ledger.shared.normalize import normalize, normalize_spans


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TextNormalizer(GraphComponent):
    """NFKC, 〜/ー/・ variants, case, and numbers as digits — before tokenisation."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @staticmethod
    def required_packages() -> List[Text]:
        # Rasa both imports these names and asks pip for their versions: text2num's module is `text_to_num`, so it
        # cannot be listed; its pin is in nlu/requirements-rasa.txt, which the model's cache key covers.
        return ["kanjize"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TextNormalizer":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            _normalize_example(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(TEXT, normalize(text))
        return messages


def _normalize_example(example: Message) -> None:
    text = example.get(TEXT)
    if not text:
        return
    entities = example.get(ENTITIES) or []
    folded, spans = normalize_spans(text, [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in entities])
    example.set(TEXT, folded)
    if entities:
        example.set(ENTITIES, [{**e, ENTITY_ATTRIBUTE_START: span[0], ENTITY_ATTRIBUTE_END: span[1]}
                               for e, span in zip(entities, spans) if span is not None])
