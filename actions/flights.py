"""Flights by chat (搭乗記録): log one by PP or by route and fare, and list them (corrections and deletions are in
`flight_changes`).

"6/8に羽田-那覇をスタンダードで搭乗" logs HND→OKA with the PP computed from the fare table of that day;
"flew NH123 on June 8, 1,342 PP" logs the PP given, the flight number deciding ANA group or partner.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet

from actions.forms import (
    FLIGHT_SLOTS,
    AsksOnlyWhatIsMissing,
    RejectOtherIntents,
    entity_values,
    intent_of,
    message_key,
    reset,
)
from actions.runtime import ledger, locale_of, refuse, say
from actions.status import say_what_if
from actions.status_words import airport_name, airports_of, days_said
from i18n import fmt_date, t
from ledger.shared.amounts import parse_amount
from ledger.shared.dates import parse_day
from ledger.shared.refusals import Refusal
from ledger.status.carriers import flight_number

# Intents whose message may carry a flight's details (a question asked in between never does).
FLIGHT_MESSAGES = frozenset({"log_flight", "inform", "nlu_fallback", "edit_flight", "delete_flight"})
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


def status_hint(user_id: str, year: int, locale: str) -> str | None:
    """One line after a change: how far the next tier is, or that it is reached."""
    to_go = ledger().pp_to_go(user_id, None, year)
    tier = to_go.tier.name(locale)
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
        codes = airports_of(tracker) if intent_of(tracker) in FLIGHT_MESSAGES else []
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
        log_and_say(dispatcher, tracker, locale, flown_on, parse_amount(amount) if amount else None, segment,
                    ana_group=tracker.get_slot("carrier") != "partner", flight_number=tracker.get_slot("flight_number"))
        return reset(*FLIGHT_SLOTS)


def log_and_say(dispatcher, tracker, locale: str, flown_on: dt.date, premium_points: int | None,
                segment: dict | None, *, ana_group: bool = True, flight_number: str | None = None) -> None:
    """Logs one flight (once per message) and says it with its PP, how they were computed and the status hint."""
    try:
        facts, created = ledger().log_flight(
            tracker.sender_id, flown_on, premium_points, message_key(tracker, "flight"),
            ana_group=ana_group, segment=segment, flight_number=flight_number)
    except Refusal as refusal:
        refuse(dispatcher, locale, refusal, "flight_logged")
        return
    lines = [t("flight_line", locale, flight=flight_label(facts, locale))]
    computed = facts.get("pp_computed")
    if computed:
        lines.append(t("flight_pp_why", locale, miles=computed["segment_miles"], rate=computed["rate"],
                       multiplier=computed["multiplier"], boarding=computed["boarding_points"], pp=computed["pp"]))
        if not computed["verified"]:
            lines.append(t("flight_pp_unverified", locale))
    hint = status_hint(tracker.sender_id, facts["year"], locale)
    if hint:
        lines.append(hint)
    say(dispatcher, locale, "flight_logged" if created else "flight_already", facts=facts | {"status": "done"},
        extra=lines, date=fmt_date(flown_on, locale), pp=facts["pp"], year=str(facts["year"]),
        year_pp=facts["year_pp"], group=t("ana_group" if facts["ana_group"] else "partner_flight", locale))


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


# ---------------------------------------------------------------- a flight following the last one (issue 12)

_RETURN = re.compile(r"帰り|復路|戻り|(?<![a-z])(?:and back|way back|return|back on|back with|back by|fly back)(?![a-z])",
                     re.I)
_WEEKDAY_EN = re.compile(r"(?<![a-z])(next\s+)?(mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?(?![a-z])", re.I)
_WEEKDAY_JA = re.compile(r"(来週の?|今週の?)?([月火水木金土日])曜")
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
             "月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}


def weekday_said(text: str, today: dt.date) -> dt.date | None:
    """"next Friday", 「来週の金曜」, "on Saturday": the next such day after today, as `parse_day` reads "next Friday";
    「来週の」 is next week's (a week later when that day is still this week). None when no weekday is said."""
    match = _WEEKDAY_EN.search(text) or _WEEKDAY_JA.search(text)
    if not match:
        return None
    target = _WEEKDAYS[match.group(2).lower()[:3] if match.re is _WEEKDAY_EN else match.group(2)]
    ahead = (target - today.weekday()) % 7 or 7
    day = today + dt.timedelta(days=ahead)
    if match.group(1) and match.group(1).startswith("来週") and (
            day - today).days < 7 - today.weekday():
        day += dt.timedelta(days=7)
    return day


_SAME = re.compile(r"同じ|もう一度|もう一回|また(?!ね)|(?<![a-z])(?:same again|the same|again)(?![a-z])", re.I)


def another_flight(dispatcher, tracker: Tracker, locale: str, last: dict[str, Any]) -> bool:
    """The return of the route just logged, or that flight again, on the day said (today when none); the fare said,
    else the last one. False when the message asks for neither or the last flight had no route."""
    text = (tracker.latest_message or {}).get("text") or ""
    back, same = bool(_RETURN.search(text)), bool(_SAME.search(text))
    if not (back or same) or not (last.get("origin") and last.get("destination")):
        return False
    origin, destination = (last["destination"], last["origin"]) if back else (last["origin"], last["destination"])
    fares = entity_values(tracker, "fare")
    today = ledger().clock.today()
    day = weekday_said(text, today) if not entity_values(tracker, "date") else None
    day = day or days_said(tracker, today)[0]
    fare = fares[0] if fares else last.get("fare")
    if day > today:      # not flown yet: what it would do, nothing logged
        try:
            say_what_if(dispatcher, locale, ledger().what_if_trip(tracker.sender_id, [origin, destination], [day],
                                                                  [fare] if fare else []))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "what_if")
        return True
    log_and_say(dispatcher, tracker, locale, day, None,
                {"origin": origin, "destination": destination, "fare": fare, "cabin": None},
                ana_group=bool(last.get("ana_group", True)))
    return True
