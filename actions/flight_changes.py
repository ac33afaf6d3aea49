"""Correcting and deleting a logged flight by chat (搭乗記録の修正・削除): the flight is found by its date or flight
number (buttons when several match, or when none was named), the change is shown, and nothing changes before the
user confirms. "6/8のフライトを1500PPに修正", "change the fare of my June 8 flight to Simple", "delete my flight on
June 8".
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet

from actions.flights import FLIGHT_MESSAGES, flight_label, status_hint
from actions.forms import (
    FLIGHT_CHANGE_SLOTS,
    AsksOnlyWhatIsMissing,
    RejectOtherIntents,
    confirmation_key,
    entity_values,
    intent_of,
    message_key,
    reset,
    stop_form,
    yes_no,
)
from actions.runtime import ledger, locale_of, refuse, say
from ledger.shared.amounts import parse_amount
from ledger.shared.dates import parse_day
from ledger.shared.refusals import Refusal
from ledger.status.carriers import flight_number

MAX_BUTTONS = 8


def _flight(user_id: str, flight_id: Any) -> dict | None:
    """The user's live flight `flight_id` as its facts, or None."""
    found = ledger().flight(user_id, flight_id)
    return found.facts() if found is not None else None


class FlightChangeValidation(RejectOtherIntents, AsksOnlyWhatIsMissing, FormValidationAction):
    """Which flight (by date or flight number, or a button), then — for an edit — the new PP or fare, then yes/no."""

    kept = ("flight_id", "flight_lookup", "confirm")

    def asked_slots(self, tracker):
        return ["flight_id", "confirm"]

    def name(self) -> Text:  # the SDK registers every subclass by name; this base is never called
        return "validate_flight_change_base"

    def extract_flight_id(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("flight_id") or intent_of(tracker) not in FLIGHT_MESSAGES:
            return {}
        days, numbers = entity_values(tracker, "date"), entity_values(tracker, "flight_number")
        if not days and not numbers:
            return {}
        said = (days or numbers)[0]
        try:
            on = parse_day(days[0], ledger().clock.today()) if days else None
            number = flight_number(numbers[0], ledger().rules.carriers)[0] if numbers else None
        except Refusal:
            return {"flight_lookup": {"not_found": True, "said": said}}
        found = [f.facts() for f in ledger().find_flights(tracker.sender_id, on=on, flight_number=number)]
        matches = self.narrow(found, tracker)
        if len(matches) == 1:
            return {"flight_id": str(matches[0]["flight_id"]), "flight_lookup": None}
        if not matches:
            return {"flight_lookup": {"not_found": True, "said": said}}
        return {"flight_lookup": {"matches": [m["flight_id"] for m in matches]}}

    def narrow(self, matches: list[dict], tracker: Tracker) -> list[dict]:
        return matches

    def validate_flight_id(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if _flight(tracker.sender_id, value) is None:
            refuse(dispatcher, locale_of(tracker), Refusal("flight_not_found", flight_id=str(value)), "flight")
            return {"flight_id": None}
        return {"flight_id": str(value)}

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm": bool(value)}


class ValidateDeleteFlightForm(FlightChangeValidation):
    def name(self) -> Text:
        return "validate_delete_flight_form"


class ValidateEditFlightForm(FlightChangeValidation):
    kept = ("flight_id", "flight_lookup", "amount", "fare", "confirm")

    def name(self) -> Text:
        return "validate_edit_flight_form"

    def asked_slots(self, tracker):
        change = [] if tracker.get_slot("amount") or tracker.get_slot("fare") else ["amount"]
        return ["flight_id", *change, "confirm"]

    def narrow(self, matches, tracker):
        """A new fare applies only to flights logged with their route: when several match, those."""
        with_route = [m for m in matches if m.get("origin")]
        return with_route if tracker.get_slot("fare") and len(matches) > 1 and with_route else matches

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        try:
            return {"amount": str(parse_amount(value))}
        except Refusal as refusal:
            if tracker.get_slot("fare"):  # the fare was the change
                return {"amount": None}
            refuse(dispatcher, locale_of(tracker), refusal, "flight_edited")
            return {"amount": None}

    def validate_fare(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"fare": str(value)}


class AskFlightId(Action):
    """Which flight: buttons for the ones that matched, or for the latest ones when none was named or found."""

    def name(self) -> Text:  # the SDK registers every subclass by name; this base is never called
        return "action_ask_flight_id_base"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        flights = [f.facts() for f in ledger().find_flights(tracker.sender_id)]
        if not flights:
            refuse(dispatcher, locale, Refusal("no_flights_logged"), "flight")
            return stop_form(*FLIGHT_CHANGE_SLOTS)
        lookup = tracker.get_slot("flight_lookup") or {}
        matches = lookup.get("matches") or []
        shown = [f for f in flights if f["flight_id"] in matches] if matches else flights[:MAX_BUTTONS]
        buttons = [{"title": flight_label(f, locale), "payload": '/inform{"flight_id":"%d"}' % f["flight_id"]}
                   for f in shown[:MAX_BUTTONS]]
        if lookup.get("not_found"):
            say(dispatcher, locale, "flight_not_found_for", said=lookup["said"])
        say(dispatcher, locale, "ask_which_flight_of" if matches else "ask_which_flight", buttons=buttons,
            n=len(matches))
        return [SlotSet("flight_lookup", None)]


class ActionAskEditFlightFormFlightId(AskFlightId):
    def name(self) -> Text:
        return "action_ask_edit_flight_form_flight_id"


class ActionAskDeleteFlightFormFlightId(AskFlightId):
    def name(self) -> Text:
        return "action_ask_delete_flight_form_flight_id"


class ActionAskEditFlightFormAmount(Action):
    def name(self) -> Text:
        return "action_ask_edit_flight_form_amount"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "ask_flight_change")
        return []


class AskFlightChangeConfirm(Action):
    """The last question of the edit and delete forms: the flight and what will change, yes or no (nothing changes
    before). A flight gone in the meantime, or a change the rules refuse, ends the form with the reason."""

    def name(self) -> Text:  # the SDK registers every subclass by name; this base is never called
        return "action_ask_flight_change_confirm_base"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        flight = _flight(tracker.sender_id, tracker.get_slot("flight_id"))
        try:
            if flight is None:
                raise Refusal("flight_not_found", flight_id=str(tracker.get_slot("flight_id")))
            self.ask(dispatcher, tracker, locale, flight)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "flight" if flight is None else "flight_edited")
            return stop_form(*FLIGHT_CHANGE_SLOTS)
        return [confirmation_key(tracker, "flight-change")]

    def ask(self, dispatcher, tracker: Tracker, locale: str, flight: dict) -> None:
        raise NotImplementedError


class ActionAskDeleteFlightFormConfirm(AskFlightChangeConfirm):
    def name(self) -> Text:
        return "action_ask_delete_flight_form_confirm"

    def ask(self, dispatcher, tracker, locale, flight):
        say(dispatcher, locale, "confirm_delete_flight", buttons=yes_no(locale, "yes_delete"),
            flight=flight_label(flight, locale),
            facts={"kind": "flight_deleted", "flight": flight, "status": "needs_confirmation"})


class ActionAskEditFlightFormConfirm(AskFlightChangeConfirm):
    def name(self) -> Text:
        return "action_ask_edit_flight_form_confirm"

    def ask(self, dispatcher, tracker, locale, flight):
        after = dict(flight)
        if tracker.get_slot("amount"):
            after["pp"] = parse_amount(tracker.get_slot("amount"))
        else:
            if not flight.get("origin"):
                raise Refusal("route_unknown", flight_id=flight["flight_id"])
            computed = ledger().compute_pp(flight["origin"], flight["destination"],
                                           dt.date.fromisoformat(flight["flown_on"]), tracker.get_slot("fare"))
            after.update(pp=computed.pp, fare=computed.fare_id)
        say(dispatcher, locale, "confirm_edit_flight", buttons=yes_no(locale, "yes_change"),
            flight=flight_label(flight, locale), after=flight_label(after, locale),
            facts={"kind": "flight_edited", "before": flight, "after": after, "status": "needs_confirmation"})


class FlightChangeAction(Action):
    kind = "flight"
    done_key = ""

    def name(self) -> Text:  # every subclass names itself
        return "action_flight_change_base"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        flight_id = tracker.get_slot("flight_id")
        if not flight_id or tracker.get_slot("confirm") is None:
            return reset(*FLIGHT_CHANGE_SLOTS)
        if not tracker.get_slot("confirm"):
            say(dispatcher, locale, "flight_unchanged", facts={"kind": self.kind, "status": "cancelled"})
            return reset(*FLIGHT_CHANGE_SLOTS)
        key = tracker.get_slot("quote_key") or message_key(tracker, self.kind)
        try:
            facts = self.change(tracker, int(flight_id), key)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, self.kind)
            return reset(*FLIGHT_CHANGE_SLOTS)
        lines = [line for line in [status_hint(tracker.sender_id, facts["year"], locale)] if line]
        say(dispatcher, locale, self.done_key, facts=facts | {"status": "done"}, extra=lines,
            flight=flight_label(facts.get("flight") or facts["before"], locale),
            after=flight_label(facts["after"], locale) if "after" in facts else "",
            year=str(facts["year"]), year_pp=facts["year_pp"])
        return reset(*FLIGHT_CHANGE_SLOTS)

    def change(self, tracker: Tracker, flight_id: int, key: str) -> dict:
        raise NotImplementedError


class ActionDeleteFlight(FlightChangeAction):
    kind, done_key = "flight_deleted", "flight_deleted"

    def name(self) -> Text:
        return "action_delete_flight"

    def change(self, tracker, flight_id, key):
        return ledger().delete_flight(tracker.sender_id, flight_id, key)


class ActionEditFlight(FlightChangeAction):
    kind, done_key = "flight_edited", "flight_edited"

    def name(self) -> Text:
        return "action_edit_flight"

    def change(self, tracker, flight_id, key):
        amount = tracker.get_slot("amount")
        return ledger().edit_flight(tracker.sender_id, flight_id, key,
                                    premium_points=parse_amount(amount) if amount else None,
                                    fare=None if amount else tracker.get_slot("fare"))
