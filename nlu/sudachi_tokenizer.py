"""A Rasa 3.6 tokenizer component for Japanese and English text, built on SudachiPy.

Rasa's WhitespaceTokenizer does not split Japanese ("JALの2000マイルを交換したい" is one
"word"), so every Japanese entity is lost. SudachiPy (with `sudachidict_core`) segments
Japanese and passes ASCII words and numbers through with exact character offsets.
Registered in config.yml as `nlu.sudachi_tokenizer.SudachiTokenizer`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SudachiTokenizer(Tokenizer):
    """Splits text with SudachiPy (split mode C by default); whitespace is never a token."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "split_mode": "C",
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sudachipy", "sudachidict_core"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        from sudachipy import Dictionary, SplitMode

        self._mode = getattr(SplitMode, str(self._config.get("split_mode", "C")).upper())
        self._tokenizer = Dictionary(dict="core").tokenizer(mode=self._mode)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SudachiTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens: List[Token] = []
        for morpheme in self._tokenizer.tokenize(text):
            surface = morpheme.surface()
            if not surface.strip():
                continue
            lemma: Optional[str] = morpheme.normalized_form() or surface
            tokens.append(Token(surface, morpheme.begin(), morpheme.end(), lemma=lemma))
        if not tokens:
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
