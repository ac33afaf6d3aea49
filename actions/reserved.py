"""Reserved points (留保ポイント) by chat: moving them to a municipality (found by prefecture) or a 特定支援イベント,
setting the home municipality (基本自治体) they go to after 14 days, and the events open today."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction

from actions.forms import MOVE_SLOTS, RejectOtherIntents, confirmation_key, is_all, message_key, reset, stop_form, yes_no
from actions.points import place_name
from actions.runtime import ledger, locale_of, refuse, say
from i18n import fmt_date, t
from ledger.shared.amounts import parse_amount
from ledger.shared.refusals import Refusal


def _prefecture_buttons(locale: str) -> list[dict]:
    """The prefectures that have municipalities, in the rules' order."""
    rules = ledger().rules
    prefectures = dict.fromkeys(m.prefecture for m in rules.municipalities.values())
    return [{"title": rules.prefectures[p].get(locale) or rules.prefectures[p]["en"],
             "payload": f'/inform{{"prefecture":"{p}"}}'} for p in prefectures]


def _event_buttons(locale: str) -> list[dict]:
    return [{"title": e.name(locale), "payload": f'/inform{{"event":"{e.id}"}}'} for e in ledger().events_open()]


def _nothing_reserved(dispatcher, tracker, locale: str) -> bool:
    """Says so when the user holds no reserved points (then there is nothing to move)."""
    if ledger().balance(tracker.sender_id).reserved > 0:
        return False
    refuse(dispatcher, locale, Refusal("nothing_reserved"), "move")
    return True


class AskMunicipality(Action):
    """The municipalities of the chosen prefecture as buttons: 笠間市（笠間応援ポイント）."""

    def name(self) -> Text:  # the SDK registers every subclass by name; this base is never called
        return "action_ask_municipality_base"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        found = ledger().find_municipalities(tracker.get_slot("prefecture") or "")
        buttons = [{"title": t("municipality_button", locale, name=m.name(locale), service=m.point_service(locale)),
                    "payload": f'/inform{{"municipality":"{m.id}"}}'} for m in found]
        prefecture = found[0].prefecture_name(locale) if found else (tracker.get_slot("prefecture") or "")
        say(dispatcher, locale, "ask_municipality", prefecture=prefecture, buttons=buttons,
            facts={"kind": "municipalities", "prefecture": found[0].prefecture if found else None,
                   "municipalities": [m.id for m in found]})
        return []


class PlaceFormValidation(RejectOtherIntents, FormValidationAction):
    """Prefecture → municipality, shared by the move and home-municipality forms."""

    kind = ""  # facts "kind" of its refusals

    def name(self) -> Text:  # the SDK registers every subclass by name; this base is never called
        return "validate_place_form"

    def validate_prefecture(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("municipality") or tracker.get_slot("event"):
            return {"prefecture": None}  # a place was named or pressed instead: nothing to search
        found = ledger().find_municipalities(str(value))
        if not found:
            refuse(dispatcher, locale_of(tracker), Refusal("unknown_prefecture", given=str(value)[:40]), self.kind)
            return {"prefecture": None}
        if len(found) == 1 and ledger().rules.find_prefecture(str(value)) is None:
            return {"prefecture": found[0].prefecture, "municipality": found[0].id}  # they named the town itself
        return {"prefecture": found[0].prefecture}

    def validate_municipality(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        municipality = ledger().rules.find_municipality(str(value))
        if municipality is None:
            refuse(dispatcher, locale_of(tracker), Refusal("unknown_municipality", given=str(value)[:40]), self.kind)
            return {"municipality": None}
        return {"municipality": municipality.id}


# ---------------------------------------------------------------- moving reserved points

class ActionAskMoveFormPrefecture(Action):
    """Offers the prefectures that have municipalities, and the events open today, as buttons."""

    def name(self) -> Text:
        return "action_ask_move_form_prefecture"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if _nothing_reserved(dispatcher, tracker, locale):
            return stop_form(*MOVE_SLOTS)
        say(dispatcher, locale, "ask_prefecture", buttons=_prefecture_buttons(locale) + _event_buttons(locale))
        return []


class ActionAskMoveFormMunicipality(AskMunicipality):
    def name(self) -> Text:
        return "action_ask_move_form_municipality"


class ActionAskMoveFormEvent(Action):
    def name(self) -> Text:
        return "action_ask_move_form_event"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_event", buttons=_event_buttons(locale))
        return []


class ActionAskMoveFormAmount(Action):
    def name(self) -> Text:
        return "action_ask_move_form_amount"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        reserved = ledger().balance(tracker.sender_id).reserved
        if reserved <= 0:
            refuse(dispatcher, locale, Refusal("nothing_reserved"), "move")
            return stop_form(*MOVE_SLOTS)
        place = place_name(tracker.get_slot("event") or tracker.get_slot("municipality"), locale)
        say(dispatcher, locale, "ask_move_amount", reserved=reserved, place=place,
            buttons=[{"title": t("all_button", locale, n=reserved), "payload": '/inform{"amount":"all"}'}])
        return []


class ActionAskMoveFormConfirm(Action):
    """The last question of the move form: how many points go where, yes or no (the ledger's own checks first)."""

    def name(self) -> Text:
        return "action_ask_move_form_confirm"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        destination = tracker.get_slot("event") or tracker.get_slot("municipality")
        try:
            move = ledger().quote_move(tracker.sender_id, destination, int(tracker.get_slot("amount")))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "move")
            return stop_form(*MOVE_SLOTS)
        say(dispatcher, locale, "confirm_move", buttons=yes_no(locale, "yes_move"),
            facts=move.confirmation_facts(), amount=move.amount, place=place_name(move.to, locale))
        return [confirmation_key(tracker, "move")]


class ValidateMoveForm(PlaceFormValidation):
    """Asks only what is missing: a named municipality or event skips the prefecture search."""

    kind = "move"

    def name(self) -> Text:
        return "validate_move_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if tracker.get_slot("event"):
            return ["event", "amount", "confirm"]
        if tracker.get_slot("municipality"):
            return ["municipality", "amount", "confirm"]
        return ["prefecture", "municipality", "amount", "confirm"]

    def validate_event(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        the_ledger = ledger()
        event = the_ledger.rules.find_event(str(value))
        if event is None:
            refuse(dispatcher, locale, Refusal("unknown_event", given=str(value)[:40]), "move")
            return {"event": None}
        if event not in the_ledger.events_open():
            today = the_ledger.clock.today()
            refuse(dispatcher, locale, Refusal("event_closed", event=event.id, on=today.isoformat(),
                                               valid_from=event.valid_from.isoformat(),
                                               valid_until=event.valid_until.isoformat()), "move")
            return {"event": None, "requested_slot": None}
        return {"event": event.id}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        """"all" or a number, checked by the ledger against what the user holds (`quote_move`)."""
        locale = locale_of(tracker)
        try:
            amount = None if is_all(value) else parse_amount(value)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "move")
            return {"amount": None}
        the_ledger = ledger()
        destination = tracker.get_slot("event") or tracker.get_slot("municipality")
        named = the_ledger.rules.find_municipality(destination) or (
            the_ledger.rules.find_event(destination) in the_ledger.events_open())
        if not named:  # the place is refused on its own in this turn; the amount is checked again at confirmation
            return {"amount": str(amount or the_ledger.balance(tracker.sender_id).reserved or "") or None}
        try:
            move = the_ledger.quote_move(tracker.sender_id, destination, amount)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "move")
            return {"amount": None, "requested_slot": None} if refusal.reason == "nothing_reserved" else {"amount": None}
        return {"amount": str(move.amount)}

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm": bool(value)}


class ActionMovePoints(Action):
    """On yes: one move (idempotent by the confirmation's key); facts as the ledger returns them."""

    def name(self) -> Text:
        return "action_move_points"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        confirmed = tracker.get_slot("confirm")
        destination = tracker.get_slot("event") or tracker.get_slot("municipality")
        if confirmed is None or not destination or not tracker.get_slot("amount"):
            return reset(*MOVE_SLOTS)
        if not confirmed:
            say(dispatcher, locale, "not_moved", facts={"kind": "move", "status": "cancelled"})
            return reset(*MOVE_SLOTS)
        key = tracker.get_slot("quote_key") or message_key(tracker, "move")
        try:
            move = ledger().move_reserved(tracker.sender_id, destination, int(tracker.get_slot("amount")), key)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "move")
            return reset(*MOVE_SLOTS)
        say(dispatcher, locale, "moved", facts=move.facts(), amount=move.amount, place=place_name(move.to, locale))
        return reset(*MOVE_SLOTS)


# ---------------------------------------------------------------- the home municipality (基本自治体)

class ActionAskHomeFormPrefecture(Action):
    def name(self) -> Text:
        return "action_ask_home_form_prefecture"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_prefecture_home", buttons=_prefecture_buttons(locale))
        return []


class ActionAskHomeFormMunicipality(AskMunicipality):
    def name(self) -> Text:
        return "action_ask_home_form_municipality"


class ValidateHomeForm(PlaceFormValidation):
    kind = "home_municipality"

    def name(self) -> Text:
        return "validate_home_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        return ["municipality"] if tracker.get_slot("municipality") else ["prefecture", "municipality"]


class ActionSetHomeMunicipality(Action):
    def name(self) -> Text:
        return "action_set_home_municipality"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        cleared = reset("prefecture", "municipality", "requested_slot")
        if not tracker.get_slot("municipality"):
            return cleared
        try:
            facts = ledger().set_home_municipality(tracker.sender_id, tracker.get_slot("municipality"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "home_municipality")
            return cleared
        municipality = ledger().rules.municipalities[facts["municipality"]]
        extra = [] if facts.get("verified", True) else [t("unverified_place", locale, name=municipality.name(locale))]
        say(dispatcher, locale, "home_set", facts=facts, extra=extra,
            place=place_name(f"municipal:{municipality.id}", locale))
        return cleared


# ---------------------------------------------------------------- support events (特定支援イベント)

class ActionListEvents(Action):
    """Support events open today, each with a button that starts a move to it."""

    def name(self) -> Text:
        return "action_list_events"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        today = the_ledger.clock.today()
        events = the_ledger.events_open(today)
        facts = {"kind": "events", "on": today.isoformat(),
                 "events": [{"id": e.id, "municipality": e.municipality, "valid_from": e.valid_from.isoformat(),
                             "valid_until": e.valid_until.isoformat(), "verified": e.verified} for e in events]}
        if not events:
            say(dispatcher, locale, "no_events_open", facts=facts, on=fmt_date(today, locale))
            return []
        lines = [t("event_line", locale, name=e.name(locale), until=fmt_date(e.valid_until, locale),
                   municipality=place_name(f"municipal:{e.municipality}", locale)) for e in events]
        buttons = [{"title": t("event_button", locale, name=e.name(locale)),
                    "payload": f'/move_points{{"event":"{e.id}"}}'} for e in events]
        say(dispatcher, locale, "events", facts=facts, extra=lines, buttons=buttons, on=fmt_date(today, locale))
        return []
