"""Helpers every form uses (public: the domain modules import these, never each other's private names).

- the slots of each form, and resetting them;
- yes/no buttons, the idempotency key of a message, "all" said as an amount;
- telling an answer from a change of subject (`RejectOtherIntents`), and asking only for what is missing
  while keeping what a form does not ask for (`AsksOnlyWhatIsMissing`);
- the entity values of the latest message, in the order they stand in the text.

Each form asks through its own `action_ask_<form>_<slot>` actions (Rasa tries those before `action_ask_<slot>`),
so no action needs to know which form is active.
"""
from __future__ import annotations

import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import ActionExecutionRejection, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet

from actions.runtime import only_entities
from i18n import t

CONVERSION_SLOTS = ("partner", "amount", "municipality", "confirm_conversion", "quote_key", "requested_slot")
FLIGHT_SLOTS = ("flight_date", "amount", "route", "fare", "cabin", "flight_number", "carrier", "requested_slot")
FLIGHT_CHANGE_SLOTS = ("flight_id", "flight_lookup", "amount", "fare", "confirm", "quote_key", "requested_slot")
LINK_SLOTS = ("partner", "confirm", "requested_slot")
COUPON_SLOTS = ("coupon_code", "requested_slot")
MOVE_SLOTS = ("prefecture", "municipality", "event", "amount", "confirm", "quote_key", "requested_slot")
ROUTE_SLOTS = ("partner", "amount", "requested_slot")
EVERY_FORM_SLOT = tuple(dict.fromkeys(CONVERSION_SLOTS + FLIGHT_SLOTS + FLIGHT_CHANGE_SLOTS + LINK_SLOTS
                                      + COUPON_SLOTS + MOVE_SLOTS))
ALL_WORDS = {"all", "全部", "全額", "すべて", "全て", "ぜんぶ", "all of them", "all of it", "everything"}

# Intents that answer a form's question; any other intent is a change of subject (see nlu/data/rules.yml).
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "stop", "nlu_fallback"})
# The intent that starts each form: said again while that form asks, it is still about the same task.
FORM_OF_INTENT = {"convert_points": "conversion_form", "log_flight": "flight_form", "link_partner": "link_form",
                  "unlink_partner": "unlink_form", "redeem_coupon": "coupon_form", "move_points": "move_form",
                  "set_home_municipality": "home_form", "best_route": "route_form",
                  "edit_flight": "edit_flight_form", "delete_flight": "delete_flight_form"}


def reset(*names: str) -> List[EventType]:
    return [SlotSet(name, None) for name in names]


def stop_form(*names: str) -> List[EventType]:
    """End the active form now and forget its slots (its question can no longer be answered)."""
    return [ActiveLoop(None), *reset(*names)]


def yes_no(locale: str, yes: str = "yes") -> list[dict]:
    return [{"title": t(yes, locale), "payload": "/affirm"}, {"title": t("no", locale), "payload": "/deny"}]


def message_key(tracker: Tracker, what: str) -> str:
    """An idempotency key for this user message: a redelivered message acts once."""
    message_id = (tracker.latest_message or {}).get("message_id") or uuid.uuid4().hex
    return f"{what}:{tracker.sender_id}:{message_id}"


def new_key(tracker: Tracker, what: str) -> str:
    """A fresh idempotency key for what the user is asked to confirm (a retried "yes" acts once)."""
    return f"{what}:{tracker.sender_id}:{uuid.uuid4().hex}"


def confirmation_key(tracker: Tracker, what: str) -> SlotSet:
    """The slot event that keeps a fresh confirmation key (`new_key`) until the user answers."""
    return SlotSet("quote_key", new_key(tracker, what))


def is_all(value: Any) -> bool:
    return str(value or "").strip().lower() in ALL_WORDS


def intent_of(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def since_last_user_message(tracker: Tracker) -> List[Dict[Text, Any]]:
    last = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
    return tracker.events[last + 1:]


def entity_values(tracker: Tracker, name: str) -> list[str]:
    """The values of entity `name` in the latest message, in the order they stand in the text (duplicates of the
    same span, from a lookup and a regex, counted once)."""
    seen, found = set(), []
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") != name:
            continue
        span = (entity.get("start"), entity.get("end"))
        if span in seen:
            continue
        seen.add(span)
        found.append((entity.get("start") or 0, str(entity.get("value"))))
    return [value for _, value in sorted(found, key=lambda pair: pair[0])]


def changes_subject(tracker: Tracker, form: str) -> bool:
    """True when the message `form` is about to validate is not an answer to its question.

    That is a message whose intent is neither an answer (a number, a name, yes/no…) nor the form's own
    task, and which says more than entity values (a bare "JAL" or "2000" is an answer whatever the
    classifier thought). Only a fresh message counts: after a question was answered in between, the
    form runs again to ask its question, and that run is never rejected.
    """
    latest = tracker.latest_message or {}
    intent = intent_of(tracker)
    if not intent or intent in ANSWER_INTENTS or FORM_OF_INTENT.get(intent) == form:
        return False
    if tracker.active_loop_name != form:
        return False
    if any(e.get("event") == "action" and e.get("name") not in (form, "action_listen")
           for e in since_last_user_message(tracker)):
        return False
    return not only_entities(latest.get("text"), latest.get("entities"))


class RejectOtherIntents:
    """Mixed into every form validation: a change of subject is rejected, never validated as the answer.

    Most such messages fill nothing (`from_text` takes only answers, nlu/domain.yml) and the form rejects
    them by itself; this also covers one whose entity the form uses ("link my JAL account" while the
    conversion asks for the program). Rasa then lets the rules answer it (nlu/data/rules.yml).
    """

    async def run(self, dispatcher, tracker, domain):
        if changes_subject(tracker, self.form_name()):
            raise ActionExecutionRejection(self.name(), f"{intent_of(tracker)} is not an answer to {self.form_name()}")
        return await super().run(dispatcher, tracker, domain)


class AsksOnlyWhatIsMissing:
    """A form validation that keeps and validates every slot in `kept` (the SDK drops any slot that is not
    required) but asks only for `asked_slots(tracker)`, in order: a route, a flight number or the flight
    found by its date are kept without ever being asked for."""

    kept: tuple[str, ...] = ()

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        return list(dict.fromkeys([*self.asked_slots(tracker), *self.kept]))

    def asked_slots(self, tracker: Tracker) -> list[str]:
        raise NotImplementedError

    async def next_requested_slot(self, dispatcher, tracker, domain):
        missing = next((s for s in self.asked_slots(tracker) if tracker.slots.get(s) is None), None)
        return SlotSet("requested_slot", missing)
