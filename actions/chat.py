"""The conversation itself: greeting, help, goodbye, not understood, cancel, and leaving a form for a new task."""
from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import EVERY_FORM_SLOT, FORM_OF_INTENT, intent_of, reset, since_last_user_message
from actions.runtime import locale_of, say
from i18n import t


class SimpleReply(Action):
    """Says one catalogue message (its key is the action's name without `action_`), with facts `{"kind": kind}`."""

    key = ""
    kind = ""   # the facts' kind, when it is not the key

    def name(self) -> Text:
        return f"action_{self.key}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        say(dispatcher, locale_of(tracker), self.key, facts={"kind": self.kind or self.key})
        return []


class ActionGreet(SimpleReply):
    key = "greet"
    kind = "greeting"


class ActionHelp(SimpleReply):
    key = "help"


class ActionGoodbye(SimpleReply):
    key = "goodbye"


FALLBACK_KEY = "fallback"   # "could you put that another way?", with examples of what can be asked


class ActionFallback(SimpleReply):
    key = FALLBACK_KEY
    kind = "unsure"


class ActionDefaultFallback(ActionFallback):
    """Replaces Rasa's default fallback (core fallback) with the same bilingual answer."""

    def name(self) -> Text:
        return "action_default_fallback"


class ActionLeaveForm(Action):
    """Runs before every new task: ends the form that was still asking, if any, and clears its slots.

    Says which request was left (nothing was changed) with facts `{"kind": "form_left", "form", "status":
    "cancelled"}`. Slots this very message filled are kept (the program in "link my JAL account"), so the
    new form does not ask for them. The same task asked again keeps its answers and just goes on.
    """

    def name(self) -> Text:
        return "action_leave_form"

    async def run(self, dispatcher, tracker, domain):
        left = tracker.active_loop_name
        if left and FORM_OF_INTENT.get(intent_of(tracker)) == left:
            return [ActiveLoop(None), *reset("requested_slot")]
        said_now = {e.get("name") for e in since_last_user_message(tracker) if e.get("event") == "slot"}
        stale = [n for n in EVERY_FORM_SLOT if n not in said_now and tracker.get_slot(n) is not None]
        if left:
            locale = locale_of(tracker)
            say(dispatcher, locale, "form_left", facts={"kind": "form_left", "form": left, "status": "cancelled"},
                task=t(f"task.{left}", locale))
        return [ActiveLoop(None), *reset(*stale, "requested_slot")]


class ActionCancel(Action):
    def name(self) -> Text:
        return "action_cancel"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "cancelled", facts={"kind": "cancelled", "status": "cancelled"})
        return [ActiveLoop(None), *reset(*EVERY_FORM_SLOT)]
