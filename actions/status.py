"""Status questions (プレミアムメンバーステータス): what do I hold now, when does it end, how many PP to go,
what if I fly these, which fare is cheapest per PP, when can I apply for SFC.

Each action reads the entities of the message, asks one ledger service, and says the answer with the
reason and its facts. Origin and destination, fares and prices are paired by where they stand in the
message ("羽田-那覇 バリュー23,000円とスタンダード30,000円": 羽田 first, バリュー with 23,000円).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet

from actions.runtime import ledger, locale_of, refuse, say
from ledger.amounts import parse_amount
from ledger.dates import parse_day
from ledger.i18n import fmt_date, t
from ledger.model import Refusal

_ROUND_TRIP = re.compile(r"往復|round[- ]?trip|(?<![a-z])and back(?![a-z])|there and back|return flight", re.I)


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


def airports_of(tracker: Tracker) -> list[str]:
    """IATA codes of the airports named, in the order said (origin first)."""
    segments = ledger().rules.segments
    found = [segments.find_airport(value) for value in entity_values(tracker, "airport")]
    return [airport.code for airport in found if airport is not None]


def airport_name(code: str, locale: str) -> str:
    """羽田 / Tokyo Haneda for "HND" (the code itself when the rules do not know it)."""
    airport = ledger().rules.segments.airports.get(code)
    return airport.name(locale) if airport else code


def tier_of(tracker: Tracker) -> str | None:
    values = entity_values(tracker, "tier")
    return (values[0] if values else tracker.get_slot("tier") or "").lower() or None


def _tier_name(tier_id: str | None, locale: str) -> str:
    return ledger().rules.status.tier(tier_id).name(locale) if tier_id else "—"


def _amounts(tracker: Tracker) -> list[int]:
    found = []
    for value in entity_values(tracker, "amount"):
        try:
            found.append(parse_amount(value))
        except Refusal:
            continue
    return found


def _yen(tracker: Tracker) -> list[int]:
    """Prices said in yen ("23,000円", "¥23,000", "2万3000円", "3万円")."""
    prices = []
    for value in entity_values(tracker, "yen"):
        text = re.sub(r"[円¥￥]|yen|jpy", "", value, flags=re.I).strip()
        try:
            prices.append(_man_yen(text))
        except Refusal:
            continue
    return prices


def _man_yen(text: str) -> int:
    """"2万3000" → 23,000; "3万" → 30,000; everything else by `parse_amount`."""
    match = re.fullmatch(r"([0-9０-９]+)万([0-9０-９,，]*)", text.strip())
    if match:
        rest = match.group(2)
        return parse_amount(match.group(1)) * 10_000 + (parse_amount(rest) if rest else 0)
    return parse_amount(text)


def _days(tracker: Tracker, today: dt.date) -> list[dt.date]:
    """The days said, in order, a date without a year being the next such day (a flight being planned);
    today when none was said."""
    return [parse_day(value, today, prefer="future") for value in entity_values(tracker, "date")] or [today]


def _d(day: str | dt.date | None, locale: str) -> str:
    return fmt_date(day, locale) if day else "—"


def _list_sep(locale: str) -> str:
    return "、" if locale == "ja" else ", "


class StatusAction(Action):
    """Answers one status question; a refusal is told in the user's language with its facts."""

    kind = "status"

    def name(self) -> Text:  # every subclass names itself; this base is never registered under this name
        return "action_status_base"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        try:
            self.answer(dispatcher, tracker, locale)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, self.kind)
        return [SlotSet("tier", None)]

    def answer(self, dispatcher, tracker: Tracker, locale: str) -> None:
        raise NotImplementedError


class ActionStatusNow(StatusAction):
    """What is my status today — with the one-day gap, the April wait and partner windows explained."""

    kind = "status_now"

    def name(self) -> Text:
        return "action_status_now"

    def answer(self, dispatcher, tracker, locale):
        now = ledger().status_now(tracker.sender_id)
        facts = now.facts()
        values = dict(pp=facts["pp"], group_pp=facts["ana_group_pp"], year=str(now.on.year), today=_d(now.on, locale))
        lines = []
        if facts["tier"]:
            key = "now_held_advance" if facts["basis"] == "advance_service" else "now_held_main"
            lines.append(t(key, locale, tier=_tier_name(facts["tier"], locale), since=_d(facts["status_from"], locale),
                           until=_d(facts["status_until"], locale), earned=str(facts["earned_year"]),
                           main_from=_d(facts["main_status_from"], locale)))
        else:
            lines.append(t("now_none", locale, **values))
        if facts["reason"] == "credited_today":
            lines.append(t("now_credited_today", locale, tier=_tier_name(facts["next_tier"], locale),
                           credited=_d(facts["pp_credited_on"], locale), start=_d(facts["next_tier_from"], locale)))
        elif facts["reason"] == "waiting_for_april":
            lines.append(t("now_waiting_april", locale, tier=_tier_name(facts["next_tier"], locale),
                           start=_d(facts["next_tier_from"], locale)))
        elif facts["reason"] == "partner_credit_window":
            first, last = facts["advance_service_between"]
            lines.append(t("now_partner_window", locale, tier=_tier_name(facts["maybe_tier"], locale),
                           start=_d(first, locale), start_by=_d(last, locale)))
        lines.append(t("now_pp", locale, **values))
        say(dispatcher, locale, "now_title", facts=facts, extra=lines, today=values["today"])


class ActionStatusEnd(StatusAction):
    """When does my Bronze/Platinum/Diamond end (main status until March 31), and is it replaced earlier."""

    kind = "status_end"

    def name(self) -> Text:
        return "action_status_end"

    def answer(self, dispatcher, tracker, locale):
        end = ledger().status_end(tracker.sender_id, tier_of(tracker))
        facts = end.facts()
        tier = _tier_name(facts["tier"], locale)
        if not facts["reached"]:
            to_go = ledger().pp_to_go(tracker.sender_id, facts["tier"])
            say(dispatcher, locale, "end_not_held", facts=facts, tier=tier, missing=to_go["pp_missing_on_ana_group_only"],
                year=str(to_go["year"]))
            return
        key = "end_ended" if facts["ended"] else "end_until"
        lines = [t("end_why", locale, tier=tier, earned=str(facts["earned_year"]),
                   main_from=_d(facts["main_status_from"], locale), until=_d(facts["main_status_until"], locale))]
        if facts.get("replaced_by"):
            lines.append(t("end_replaced", locale, tier=tier, higher=_tier_name(facts["replaced_by"], locale),
                           start=_d(facts["replaced_from"], locale)))
        say(dispatcher, locale, key, facts=facts, extra=lines, tier=tier, until=_d(facts["main_status_until"], locale))


class ActionPpToGo(StatusAction):
    """How many PP to a tier this year, in total and on ANA-group flights (partner PP count toward the total only)."""

    kind = "pp_to_go"

    def name(self) -> Text:
        return "action_pp_to_go"

    def answer(self, dispatcher, tracker, locale):
        facts = ledger().pp_to_go(tracker.sender_id, tier_of(tracker))
        tier = _tier_name(facts["tier"], locale)
        values = dict(tier=tier, year=str(facts["year"]), pp=facts["pp"], group_pp=facts["ana_group_pp"],
                      need=facts["pp_needed"], need_group=facts["ana_group_pp_needed"])
        if facts["reached"]:
            say(dispatcher, locale, "to_go_reached", facts=facts, start=_d(facts["advance_service_from"], locale),
                **values)
            return
        lines = []
        if facts["ana_group_pp_missing"] > facts["pp_missing"]:
            lines.append(t("to_go_group_short", locale, group_missing=facts["ana_group_pp_missing"]))
        elif facts["partner_pp_may_cover"]:
            lines.append(t("to_go_partner_may", locale, partner=facts["partner_pp_may_cover"],
                           group_missing=facts["ana_group_pp_missing"]))
        say(dispatcher, locale, "to_go", facts=facts, extra=lines, missing=facts["pp_missing_on_ana_group_only"],
            **values)


def _legs(airports: list[str], round_trip: bool) -> list[tuple[str, str]]:
    """Segments from the airports in the order said: "HND-OKA" one, "HND-OKA-ISG" a chain of two,
    "HND-OKA, OKA-HND" (an even count of four or more) pairs; round trip adds the way back of each."""
    if len(airports) >= 4 and len(airports) % 2 == 0:
        legs = list(zip(airports[0::2], airports[1::2]))
    else:
        legs = list(zip(airports, airports[1:]))
    legs = [(a, b) for a, b in legs if a != b]
    if round_trip:
        legs += [(b, a) for a, b in reversed(legs)]
    return legs


def _segments(tracker: Tracker, days: list[dt.date], locale: str) -> list[dict]:
    """The flights named by route and fare, each with its PP computed from the fare table of its day.
    The n-th segment takes the n-th fare and the n-th date said (or the last one said)."""
    airports, fares = airports_of(tracker), entity_values(tracker, "fare")
    legs = _legs(airports, bool(_ROUND_TRIP.search((tracker.latest_message or {}).get("text") or "")))
    if not legs:
        return []
    if not fares:
        raise Refusal("fare_needed", origin=legs[0][0], destination=legs[0][1])
    cabin = (entity_values(tracker, "cabin") or [None])[0]
    flights = []
    for n, (origin, destination) in enumerate(legs):
        day = days[min(n, len(days) - 1)]
        computed = ledger().compute_pp(origin, destination, day, fares[min(n, len(fares) - 1)], cabin)
        flights.append({"flown_on": day.isoformat(), "origin": origin, "destination": destination,
                        "fare": computed.fare_id,
                        "fare_name": ledger().rules.fares.fare_name(computed.fare_id, day, locale),
                        "pp": computed.pp, "ana_group": True, "pp_computed": computed.facts()})
    return flights


class ActionWhatIf(StatusAction):
    """"What if I fly HND–OKA in Standard on 12/10" — the status answer with those flights added; nothing is stored."""

    kind = "what_if"

    def name(self) -> Text:
        return "action_what_if"

    def answer(self, dispatcher, tracker, locale):
        the_ledger = ledger()
        today = the_ledger.clock.today()
        days = _days(tracker, today)
        flights = _segments(tracker, days, locale)
        if not flights:
            partner = "partner" in [v.lower() for v in entity_values(tracker, "carrier")]
            flights = [{"flown_on": days[min(n, len(days) - 1)].isoformat(), "pp": pp, "ana_group": not partner}
                       for n, pp in enumerate(_amounts(tracker))]
        if not flights:
            say(dispatcher, locale, "what_if_ask", facts={"kind": self.kind, "status": "needs_input"})
            return
        answer = the_ledger.what_if(tracker.sender_id,
                                    [(dt.date.fromisoformat(f["flown_on"]), f["pp"], f["ana_group"]) for f in flights],
                                    tier_of(tracker))
        facts = answer.facts() | {"flights": flights}
        after, before = answer.after, answer.before
        tier = answer.tier.name(locale)
        added = sum(f["pp"] for f in flights)
        described = _list_sep(locale).join(_describe(f, locale) for f in flights)
        lines = [t("what_if_total", locale, added=added, pp=after.pp, group_pp=after.ana_group_pp, year=str(answer.year))]
        if after.reached:
            lines.append(t("what_if_reached", locale, tier=tier, credited=_d(after.pp_credited_on, locale),
                           start=_d(after.advance_service_from, locale),
                           main_from=_d(after.main_status_from, locale), main_until=_d(after.main_status_until, locale)))
            if after.early_months_rule:
                lines.append(t("status_early_months", locale))
            if before.reached and before.advance_service_from != after.advance_service_from:
                lines.append(t("what_if_earlier", locale, before=_d(before.advance_service_from, locale)))
            elif before.reached:
                lines.append(t("what_if_already", locale, tier=tier))
        else:
            lines.append(t("what_if_short", locale, tier=tier,
                           missing=max(after.pp_missing, after.ana_group_pp_missing),
                           group_missing=after.ana_group_pp_missing))
        say(dispatcher, locale, "what_if_title", facts=facts, extra=lines, flights=described)


def _describe(flight: dict, locale: str) -> str:
    day = _d(flight["flown_on"], locale)
    if flight.get("origin"):
        return t("what_if_leg", locale, day=day, origin=airport_name(flight["origin"], locale),
                 destination=airport_name(flight["destination"], locale),
                 fare=flight["fare_name"], pp=flight["pp"])
    return t("what_if_pp", locale, day=day, pp=flight["pp"])


class ActionCheapest(StatusAction):
    """Which fare gives PP cheapest (yen per PP): fares with prices on a route, or PP with prices."""

    kind = "cheapest"

    def name(self) -> Text:
        return "action_cheapest"

    def answer(self, dispatcher, tracker, locale):
        the_ledger = ledger()
        prices = _yen(tracker)
        airports, fares = airports_of(tracker), entity_values(tracker, "fare")
        day = _days(tracker, the_ledger.clock.today())[0]
        options = []
        if len(airports) >= 2 and fares and len(fares) == len(prices):
            for fare, yen in zip(fares, prices):
                computed = the_ledger.compute_pp(airports[0], airports[1], day, fare,
                                                 (entity_values(tracker, "cabin") or [None])[0])
                options.append((the_ledger.rules.fares.fare_name(computed.fare_id, day, locale),
                                computed.pp, yen))
        else:
            amounts = _amounts(tracker)
            if len(amounts) == len(prices) >= 2:
                labels = fares if len(fares) == len(prices) else [t("cheapest_option", locale, n=i + 1)
                                                                  for i in range(len(prices))]
                options = list(zip(labels, amounts, prices))
        if len(options) < 1:
            say(dispatcher, locale, "cheapest_ask", facts={"kind": self.kind, "status": "needs_input"})
            return
        facts = the_ledger.cheapest(options)
        if len(airports) >= 2:
            facts |= {"origin": airports[0], "destination": airports[1], "flown_on": day.isoformat()}
        lines = [t("cheapest_row", locale, n=i + 1, label=row["label"], pp=row["pp"], yen=row["yen"],
                   per=f"{row['yen_per_pp']:.2f}") for i, row in enumerate(facts["options"])]
        say(dispatcher, locale, "cheapest_title", facts=facts, extra=lines, best=facts["best"])


class ActionSfc(StatusAction):
    """When can I apply for SFC (スーパーフライヤーズカード): from Platinum, advance service included."""

    kind = "sfc"

    def name(self) -> Text:
        return "action_sfc"

    def answer(self, dispatcher, tracker, locale):
        answer = ledger().sfc_eligible_from(tracker.sender_id)
        facts = answer.facts()
        tier = _tier_name(facts["tier"] or facts["from_tier"], locale)
        if facts["eligible_now"]:
            say(dispatcher, locale, "sfc_now", facts=facts, tier=tier, since=_d(facts["sfc_from"], locale),
                until=_d(facts["sfc_until"], locale))
        elif facts["sfc_from"]:
            key = "sfc_from_window" if facts.get("sfc_from_between") else "sfc_from"
            between = facts.get("sfc_from_between") or [facts["sfc_from"], facts["sfc_from"]]
            say(dispatcher, locale, key, facts=facts, tier=tier, start=_d(between[0], locale),
                start_by=_d(between[1], locale))
        else:
            missing = max(facts["pp_missing"], facts["ana_group_pp_missing"])
            say(dispatcher, locale, "sfc_not_yet", facts=facts, tier=tier, pp=facts["pp"], missing=missing,
                group_missing=facts["ana_group_pp_missing"], year=str(answer.on.year))
