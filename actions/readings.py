"""When the assistant is unsure what a message means, it asks instead of guessing (Rasa's two-stage fallback, in the
form this assistant needs).

- `action_disambiguate` (the rule for `nlu_fallback`: low confidence, or two readings too close) offers the two or
  three likely readings as buttons, in the user's language, plus "something else". It keeps what was said, and
  the entities found in it, in the `unsure` slot.
- A button is `/choose_reading{"reading": "<intent>"}`. `action_take_reading` replays the message as the chosen
  intent (a user event carrying the original text and entities, so "JALで2000" still fills the program and the
  amount) and the dialogue goes on as if it had been read that way. "Something else" asks for other words.
- Each choice is written to `var/nlu-candidates.yml` (0600): the sentence, the readings offered, the one chosen,
  the language and the day — a training example *candidate* for a person to review and copy into `nlu/data/`.
  Nothing is learned from it automatically, and no user id is kept.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any, Dict, List, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.chat import FALLBACK_KEY
from actions.runtime import locale_of, say
from i18n import t
from ledger.config import Settings, private_dir, private_file

# Readings worth offering: a task or a question. A bare answer, yes or no is never what an unsure message "means".
NOT_OFFERED = frozenset({"nlu_fallback", "inform", "affirm", "deny", "choose_reading", "choose_schedule"})
MAX_READINGS = 3
MIN_CONFIDENCE = 0.05
NONE_OF_THESE = "none"
MAX_TEXT = 500
_WRITE = threading.Lock()


def readings(tracker: Tracker) -> List[str]:
    """The likely readings of the latest message, best first: the classifier's own order, at most three."""
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    names = [r["name"] for r in ranking if r.get("name") not in NOT_OFFERED
             and float(r.get("confidence") or 0.0) >= MIN_CONFIDENCE]
    return list(dict.fromkeys(names))[:MAX_READINGS]


def remember_choice(text: str, offered: List[str], chosen: str, locale: str) -> None:
    """Append one reviewable training example candidate to var/nlu-candidates.yml (owner-only)."""
    path = private_file(private_dir(Settings.from_env().var_dir) / "nlu-candidates.yml")
    entry = [{"text": text[:MAX_TEXT], "offered": offered, "chose": chosen, "locale": locale,
              "day": dt.date.today().isoformat()}]
    with _WRITE, path.open("a", encoding="utf-8") as fh:
        if fh.tell() == 0:
            fh.write("# Sentences the assistant was unsure about, and the reading the user chose (`none`: none of\n"
                     "# those offered). Review them; copy the good ones into nlu/data/ as examples. Nothing here is\n"
                     "# learned automatically.\n")
        fh.write(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False))


class ActionDisambiguate(Action):
    """Offers the likely readings of a message the classifier was unsure about."""

    def name(self) -> Text:
        return "action_disambiguate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        locale = locale_of(tracker)
        offered = readings(tracker)
        if not offered:
            say(dispatcher, locale, FALLBACK_KEY, facts={"kind": "unsure", "readings": []})
            return [SlotSet("unsure", None)]
        latest = tracker.latest_message or {}
        buttons = [{"title": t(f"reading.{name}", locale), "payload": f'/choose_reading{{"reading":"{name}"}}'}
                   for name in offered]
        buttons.append({"title": t("reading.none", locale), "payload": f'/choose_reading{{"reading":"{NONE_OF_THESE}"}}'})
        say(dispatcher, locale, "unsure", facts={"kind": "unsure", "readings": offered}, buttons=buttons)
        said = {"text": str(latest.get("text") or "")[:MAX_TEXT], "entities": latest.get("entities") or [],
                "readings": offered, "metadata": latest.get("metadata") or {}}
        return [SlotSet("unsure", said)]


class ActionTakeReading(Action):
    """The user chose a reading: remember the choice for review, then carry on as if the message had been read so."""

    def name(self) -> Text:
        return "action_take_reading"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        locale = locale_of(tracker)
        said = tracker.get_slot("unsure") or {}
        chosen = next((e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
                       if e.get("entity") == "reading"), None)
        if not said.get("text") or chosen not in [*said.get("readings", []), NONE_OF_THESE]:
            say(dispatcher, locale, FALLBACK_KEY, facts={"kind": "unsure", "readings": []})   # an old or forged button
            return [SlotSet("unsure", None)]
        remember_choice(said["text"], said.get("readings", []), chosen, locale)
        if chosen == NONE_OF_THESE:
            say(dispatcher, locale, FALLBACK_KEY, facts={"kind": "unsure", "readings": []})
            return [SlotSet("unsure", None)]
        replay = {"event": "user", "timestamp": time.time(), "text": said["text"], "input_channel": None,
                  "metadata": {**said.get("metadata", {}), **((tracker.latest_message or {}).get("metadata") or {})},
                  "parse_data": {"text": said["text"], "intent": {"name": chosen, "confidence": 1.0},
                                 "intent_ranking": [{"name": chosen, "confidence": 1.0}],
                                 "entities": said.get("entities", [])}}
        return [SlotSet("unsure", None), ActionExecuted("action_listen"), replay]
