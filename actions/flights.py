"""Flights by chat (搭乗記録): log one by PP or by route and fare, list them, edit or delete one.

"6/8に羽田-那覇をスタンダードで搭乗" logs HND→OKA with the PP computed from the fare table of that day;
"flew NH123 on June 8, 1,342 PP" logs the PP given, the flight number deciding ANA group or partner.
Editing and deleting find the flight by its date or flight number (buttons when several match, or when
none was named) and ask for confirmation before anything changes.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet

from actions.forms import (FLIGHT_CHANGE_SLOTS, FLIGHT_SLOTS, AsksOnlyWhatIsMissing, RejectOtherIntents,
                           confirmation_key, entity_values, intent_of, message_key, reset, stop_form, yes_no)
from actions.runtime import ledger, locale_of, refuse, say
from actions.status import airport_name, airports_of, tier_name
from i18n import fmt_date, t
from ledger.shared.amounts import parse_amount
from ledger.shared.dates import parse_day
from ledger.shared.refusals import Refusal
from ledger.status.carriers import flight_number

# Intents whose message may carry a flight's details (a question asked in between never does).
_FLIGHT_MESSAGES = frozenset({"log_flight", "inform", "nlu_fallback", "edit_flight", "delete_flight"})
MAX_BUTTONS = 8
COMMON_FARES = ("flex", "standard", "simple", "sale", "old_fare3", "old_fare5", "old_fare7")  # offered as buttons


def flight_label(flight: dict, locale: str) -> str:
    """"8 Jun 2026 NH123 HND→OKA Standard 1,774 PP" as the user reads it (a flight's facts)."""
    rules = ledger().rules
    parts = [fmt_date(flight["flown_on"], locale)]
    if flight.get("flight_number"):
        parts.append(flight["flight_number"])
    if flight.get("origin") and flight.get("destination"):
        parts.append(f'{airport_name(flight["origin"], locale)}→{airport_name(flight["destination"], locale)}')
    if flight.get("fare"):
        parts.append(rules.fares.fare_name(flight["fare"], flight["flown_on"], locale))
    parts.append(t("pp_n", locale, pp=flight["pp"]))
    if not flight.get("ana_group", True):
        parts.append(t("partner_mark", locale))
    return " ".join(parts)


def _status_hint(user_id: str, year: int, locale: str) -> str | None:
    """One line after a change: how far the next tier is, or that it is reached."""
    to_go = ledger().pp_to_go(user_id, None, year)
    tier = tier_name(to_go.tier.id, locale)
    if to_go.reached:
        return t("hint_reached", locale, tier=tier, start=fmt_date(to_go.answer.advance_service_from, locale))
    return t("hint_to_go", locale, tier=tier, missing=to_go.pp_missing_on_ana_group_only)


# ---------------------------------------------------------------- logging a flight

class ValidateFlightForm(RejectOtherIntents, AsksOnlyWhatIsMissing, FormValidationAction):
    """Date, then the PP — or, instead of the PP, a route and a fare to compute them from."""

    kept = ("flight_date", "amount", "fare", "route", "flight_number", "carrier")

    def name(self) -> Text:
        return "validate_flight_form"

    def asked_slots(self, tracker):
        if tracker.get_slot("amount") is None and tracker.get_slot("route") and tracker.get_slot("carrier") != "partner":
            return ["flight_date", "fare"]
        return ["flight_date", "amount"]

    async def get_extraction_events(self, dispatcher, tracker, domain):
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        codes = airports_of(tracker) if intent_of(tracker) in _FLIGHT_MESSAGES else []
        if len(codes) >= 2 and codes[0] != codes[1]:
            route = f"{codes[0]}-{codes[1]}"
            tracker.slots["route"] = route
            events.append(SlotSet("route", route))
        return events

    def validate_flight_date(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        try:
            day = parse_day(str(value), ledger().clock.today())
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "flight_logged")
            return {"flight_date": None}
        return {"flight_date": day.isoformat()}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        try:
            return {"amount": str(parse_amount(value))}
        except Refusal as refusal:
            if tracker.get_slot("route"):  # a route given where the PP were asked: the fare comes next
                return {"amount": None}
            refuse(dispatcher, locale_of(tracker), refusal, "flight_logged")
            return {"amount": None}

    def validate_fare(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        route, day = tracker.get_slot("route"), tracker.get_slot("flight_date")
        if route and day:
            origin, destination = route.split("-")
            try:
                ledger().compute_pp(origin, destination, dt.date.fromisoformat(day), str(value),
                                    cabin=tracker.get_slot("cabin"))
            except Refusal as refusal:
                refuse(dispatcher, locale_of(tracker), refusal, "flight_logged")
                return {"fare": None}
        return {"fare": str(value)}

    def validate_flight_number(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        try:
            number, carrier = flight_number(str(value), ledger().rules.carriers)
        except Refusal as refusal:
            refuse(dispatcher, locale_of(tracker), refusal, "flight_logged")
            return {"flight_number": None}
        return {"flight_number": number, "carrier": carrier}


class ActionAskFlightFormFlightDate(Action):
    def name(self) -> Text:
        return "action_ask_flight_form_flight_date"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "ask_flight_date")
        return []


class ActionAskFlightFormAmount(Action):
    def name(self) -> Text:
        return "action_ask_flight_form_amount"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "ask_pp")
        return []


class ActionAskFlightFormFare(Action):
    def name(self) -> Text:
        return "action_ask_flight_form_fare"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        origin, _, destination = (tracker.get_slot("route") or "").partition("-")
        day = tracker.get_slot("flight_date")
        on_sale = ledger().fares_on_sale(dt.date.fromisoformat(day)) if day else ()
        buttons = [{"title": f.name(locale), "payload": '/inform{"fare":"%s"}' % f.id}  # the usual fares of that day
                   for f in on_sale if f.id in COMMON_FARES]
        say(dispatcher, locale, "ask_fare", origin=airport_name(origin, locale),
            destination=airport_name(destination, locale), buttons=buttons)
        return []


class ActionLogFlight(Action):
    def name(self) -> Text:
        return "action_log_flight"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        amount, route = tracker.get_slot("amount"), tracker.get_slot("route")
        if not tracker.get_slot("flight_date") or not (amount or (route and tracker.get_slot("fare"))):
            return reset(*FLIGHT_SLOTS)
        flown_on = dt.date.fromisoformat(tracker.get_slot("flight_date"))
        segment = None
        if route:
            origin, destination = route.split("-")
            segment = {"origin": origin, "destination": destination, "fare": tracker.get_slot("fare"),
                       "cabin": tracker.get_slot("cabin")}
        try:
            facts, created = ledger().log_flight(
                tracker.sender_id, flown_on, parse_amount(amount) if amount else None, message_key(tracker, "flight"),
                ana_group=tracker.get_slot("carrier") != "partner", segment=segment,
                flight_number=tracker.get_slot("flight_number"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "flight_logged")
            return reset(*FLIGHT_SLOTS)
        lines = [t("flight_line", locale, flight=flight_label(facts, locale))]
        computed = facts.get("pp_computed")
        if computed:
            lines.append(t("flight_pp_why", locale, miles=computed["segment_miles"], rate=computed["rate"],
                           multiplier=computed["multiplier"], boarding=computed["boarding_points"], pp=computed["pp"]))
            if not computed["verified"]:
                lines.append(t("flight_pp_unverified", locale))
        hint = _status_hint(tracker.sender_id, facts["year"], locale)
        if hint:
            lines.append(hint)
        say(dispatcher, locale, "flight_logged" if created else "flight_already", facts=facts | {"status": "done"},
            extra=lines, date=fmt_date(flown_on, locale), pp=facts["pp"], year=str(facts["year"]),
            year_pp=facts["year_pp"], group=t("ana_group" if facts["ana_group"] else "partner_flight", locale))
        return reset(*FLIGHT_SLOTS)


class ActionListFlights(Action):
    """This year's flights, oldest first, with the year's total."""

    def name(self) -> Text:
        return "action_list_flights"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        year = ledger().clock.today().year
        flights = [f.facts() for f in ledger().list_flights(tracker.sender_id, year)]
        total = sum(f["pp"] for f in flights)
        facts = {"kind": "flights", "year": year, "flights": flights, "year_pp": total}
        if not flights:
            say(dispatcher, locale, "flights_none", facts=facts, year=str(year))
            return []
        lines = [f"• {flight_label(f, locale)}" for f in flights]
        say(dispatcher, locale, "flights_title", facts=facts, extra=lines, year=str(year), n=len(flights), pp=total)
        return []


# ---------------------------------------------------------------- editing and deleting a flight

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
        if tracker.get_slot("flight_id") or intent_of(tracker) not in _FLIGHT_MESSAGES:
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


class ActionAskDeleteFlightFormConfirm(Action):
    """The last question of the delete form: which flight goes, yes or no (nothing changes before)."""

    def name(self) -> Text:
        return "action_ask_delete_flight_form_confirm"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        flight = _flight(tracker.sender_id, tracker.get_slot("flight_id"))
        if flight is None:
            refuse(dispatcher, locale, Refusal("flight_not_found", flight_id=str(tracker.get_slot("flight_id"))),
                   "flight")
            return stop_form(*FLIGHT_CHANGE_SLOTS)
        say(dispatcher, locale, "confirm_delete_flight", buttons=yes_no(locale, "yes_delete"),
            flight=flight_label(flight, locale),
            facts={"kind": "flight_deleted", "flight": flight, "status": "needs_confirmation"})
        return [confirmation_key(tracker, "flight-change")]


class ActionAskEditFlightFormConfirm(Action):
    """The last question of the edit form: the flight before and after, yes or no (nothing changes before)."""

    def name(self) -> Text:
        return "action_ask_edit_flight_form_confirm"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        flight = _flight(tracker.sender_id, tracker.get_slot("flight_id"))
        if flight is None:
            refuse(dispatcher, locale, Refusal("flight_not_found", flight_id=str(tracker.get_slot("flight_id"))),
                   "flight")
            return stop_form(*FLIGHT_CHANGE_SLOTS)
        after = dict(flight)
        try:
            if tracker.get_slot("amount"):
                after["pp"] = parse_amount(tracker.get_slot("amount"))
            else:
                if not flight.get("origin"):
                    raise Refusal("route_unknown", flight_id=flight["flight_id"])
                computed = ledger().compute_pp(flight["origin"], flight["destination"],
                                               dt.date.fromisoformat(flight["flown_on"]), tracker.get_slot("fare"))
                after.update(pp=computed.pp, fare=computed.fare_id)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "flight_edited")
            return stop_form(*FLIGHT_CHANGE_SLOTS)
        say(dispatcher, locale, "confirm_edit_flight", buttons=yes_no(locale, "yes_change"),
            flight=flight_label(flight, locale), after=flight_label(after, locale),
            facts={"kind": "flight_edited", "before": flight, "after": after, "status": "needs_confirmation"})
        return [confirmation_key(tracker, "flight-change")]


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
        lines = [line for line in [_status_hint(tracker.sender_id, facts["year"], locale)] if line]
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
