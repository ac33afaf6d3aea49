"""Two costs Rasa 3.6 pays on every turn without serving anyone, removed with the same results (bench/RESULTS.md).

1. Rasa checks each custom action's answer against its response schema: with the same rules, built once.

Rasa 3.6 validates every answer from the action server with `jsonschema.validate(result, schema)`, which first
checks the schema itself against its meta-schema, on every call; with jsonschema 4.17 (what Rasa 3.6 pins) and no
`$schema` that is the Draft 2020-12 meta-schema, whose dynamic references made this check 38 % of the Rasa
server's time in a profiled turn (bench/RESULTS.md). The schema is a constant, so here it is checked once and a
validator for it kept: every answer is still validated by the same validator class, with the same errors and
the same message Rasa adds. Installed when Rasa imports the project's message channel (nlu/channels.py) or its
tracker store (nlu/tracker_store.py): in every Rasa server the supervisor starts, not in training.

2. Reading a stored event finds its class by walking every subclass of `Event` (recursively, each time): 10 % of
a profiled turn. The classes are all defined when Rasa is imported, so the answer per type name is kept; a name
not seen before is looked up the way Rasa does.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_validator: Optional[Any] = None


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    global _validator
    if _validator is None:
        schema = self.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)          # what jsonschema.validate did on every call, now once
        _validator = cls(schema)
    try:
        _validator.validate(result)
        return True
    except ValidationError as e:           # the same error, with the same hint, as Rasa's own method
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


RemoteAction._validate_action_result = _validate_action_result


_stock_resolve = Event.resolve_by_type
_event_classes: Dict[Text, Any] = {}


def _resolve_by_type(type_name: Text, default: Optional[Any] = None) -> Optional[Any]:
    found = _event_classes.get(type_name)
    if found is None:
        found = _stock_resolve(type_name, default)   # raises for an unknown name without a default, as Rasa does
        if found is not None and found is not default:
            _event_classes[type_name] = found
    return found


Event.resolve_by_type = staticmethod(_resolve_by_type)
