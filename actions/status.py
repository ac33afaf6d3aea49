"""Status questions (プレミアムメンバーステータス): what do I hold now, when does it end, how many PP to go,
what if I fly these, which fare is cheapest per PP, when can I apply for SFC.

Each action reads the entities of the message, asks one ledger service, and says the answer with the
reason and its facts. Origin and destination, fares and prices are paired by where they stand in the
message ("羽田-那覇 シンプル23,000円とスタンダード30,000円": 羽田 first, シンプル with 23,000円); the ledger
builds the trips and computes their PP (`what_if_trip`, `cheapest_fares`).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet

from actions.forms import entity_values, intent_of
from actions.plans import asks_trip_count, plan_answer
from actions.runtime import ledger, locale_of, refuse, say
from actions.status_words import (
    ROUND_TRIP,
    airport_name,
    airports_of,
    amounts_said,
    day_text,
    days_said,
    tier_name,
    tier_of,
    yen_said,
)
from i18n import list_separator, t
from ledger.shared.refusals import Refusal
from ledger.status.schedules import ScheduleChoice, read_schedule


class StatusAction(Action):
    """Answers one status question; a refusal is told in the user's language with its facts."""

    kind = "status"

    def name(self) -> Text:  # every subclass names itself; this base is never registered under this name
        return "action_status_base"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        try:
            if asks_trip_count(tracker):     # 「プラチナまであと何回沖縄往復？」: the plan, whichever reading
                events = plan_answer(dispatcher, tracker, locale)
            else:
                events = self.answer(dispatcher, tracker, locale)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, self.kind)
            events = []
        return [*(events or []), SlotSet("tier", None)]

    def answer(self, dispatcher, tracker: Tracker, locale: str) -> None:
        raise NotImplementedError


MONTHS_EN = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december"]


def month_asked(text: str, today: dt.date) -> tuple[int, int | None]:
    """(year, month) a PP question names: 今月 / "this month", 先月 / "last month", 3月 / "in March", 去年 /
    "last year"; the month is None when the question is about the whole year."""
    text = (text or "").lower()
    year = today.year - 1 if re.search(r"去年|昨年|last year", text) else today.year
    if re.search(r"今月|this month", text):
        return today.year, today.month
    if re.search(r"先月|last month", text):
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.year, last.month
    match = re.search(r"(?<![0-9])(1[0-2]|[1-9])\s*月", text)
    if match:
        return year, int(match.group(1))
    named = next((n for n, m in enumerate(MONTHS_EN, 1)
                  if re.search(rf"(?<![a-z]){m[:3]}(?:{m[3:]})?(?![a-z])" if m != "may" else r"\b(?:in|of) may\b", text)),
                 None)
    return year, named


class ActionPpEarned(StatusAction):
    """「今年のPPは？」, "how many PP do I have", 「今月何PP稼いだ？」: the Premium Points of the year, the month asked
    about and each flight — a PP question is never answered with a points balance."""

    kind = "pp_earned"

    def name(self) -> Text:
        return "action_pp_earned"

    def answer(self, dispatcher, tracker, locale):
        the_ledger = ledger()
        year, month = month_asked((tracker.latest_message or {}).get("text") or "", the_ledger.clock.today())
        earned = the_ledger.pp_earned(tracker.sender_id, year, month)
        lines = []
        if month is not None:
            lines.append(t("pp_earned_month", locale, month=str(month), year=str(year), pp=earned.month_total))
        lines += [t("pp_earned_flight", locale, day=day_text(f.flown_on, locale), pp=f.premium_points,
                    partner="" if f.ana_group else t("pp_partner_mark", locale))
                  for f in earned.flights if month is None or f.flown_on.month == month][:10]
        key = "pp_earned" if earned.flights else "pp_earned_none"
        say(dispatcher, locale, key, facts=earned.facts(), extra=lines, year=str(year), pp=earned.total,
            group_pp=earned.ana_group_total, flights=len(earned.flights))


class ActionStatusStart(StatusAction):
    """When does Bronze/Platinum/Diamond start — with the reason, to the day."""

    kind = "status_start"

    def name(self) -> Text:
        return "action_status_start"

    def answer(self, dispatcher, tracker, locale):
        the_ledger = ledger()
        tier_id = tier_of(tracker)
        today = the_ledger.clock.today()
        answer = the_ledger.status_start(tracker.sender_id, tier_id)
        tier = answer.tier.name(locale)
        if not answer.reached:
            missing_group = (t("status_missing_group", locale, n=answer.ana_group_pp_missing)
                             if answer.ana_group_pp_missing and answer.ana_group_pp_missing != answer.pp_missing else "")
            say(dispatcher, locale, "status_not_yet", facts=answer.facts(), tier=tier, pp=answer.pp,
                year=str(answer.year), group_pp=answer.ana_group_pp, need=answer.tier.pp,
                need_group=answer.tier.ana_group_pp, missing=max(answer.pp_missing, answer.ana_group_pp_missing),
                missing_group=missing_group)
            return
        lines = []
        partner_window = answer.pp_credited_by != answer.pp_credited_on
        if partner_window:
            lines.append(t("status_why_partner", locale, flight_on=day_text(answer.flight_on, locale), pp=answer.pp,
                           year=str(answer.year), credited=day_text(answer.pp_credited_on, locale),
                           credited_by=day_text(answer.pp_credited_by, locale),
                           advance_from=day_text(answer.advance_service_from, locale),
                           advance_by=day_text(answer.advance_service_by, locale)))
        else:
            lines.append(t("status_why", locale, flight_on=day_text(answer.flight_on, locale), pp=answer.pp,
                           year=str(answer.year), group_pp=answer.ana_group_pp, tier=tier, need=answer.tier.pp,
                           need_group=answer.tier.ana_group_pp, credited=day_text(answer.pp_credited_on, locale)))
        if answer.pp_credited_on <= today < answer.advance_service_from and not answer.early_months_rule \
                and not partner_window:
            lines.append(t("status_today_gap", locale))
        if answer.early_months_rule:
            lines.append(t("status_early_months", locale))
        lines.append(t("status_main", locale, main_from=day_text(answer.main_status_from, locale),
                       main_until=day_text(answer.main_status_until, locale)))
        key = "status_started" if answer.advance_service_from <= today else "status_will_start"
        say(dispatcher, locale, key, facts=answer.facts(), extra=lines, tier=tier,
            advance_from=day_text(answer.advance_service_from, locale),
            advance_until=day_text(answer.advance_service_until, locale))


class ActionStatusNow(StatusAction):
    """What is my status today — with the one-day gap, the April wait and partner windows explained."""

    kind = "status_now"

    def name(self) -> Text:
        return "action_status_now"

    def answer(self, dispatcher, tracker, locale):
        now = ledger().status_now(tracker.sender_id)
        facts = now.facts()
        values = dict(pp=facts["pp"], group_pp=facts["ana_group_pp"], year=str(now.on.year), today=day_text(now.on, locale))
        lines = []
        if facts["tier"]:
            key = "now_held_advance" if facts["basis"] == "advance_service" else "now_held_main"
            lines.append(t(key, locale, tier=tier_name(facts["tier"], locale), since=day_text(facts["status_from"], locale),
                           until=day_text(facts["status_until"], locale), earned=str(facts["earned_year"]),
                           main_from=day_text(facts["main_status_from"], locale)))
        else:
            lines.append(t("now_none", locale, **values))
        if facts["reason"] == "credited_today":
            lines.append(t("now_credited_today", locale, tier=tier_name(facts["next_tier"], locale),
                           credited=day_text(facts["pp_credited_on"], locale), start=day_text(facts["next_tier_from"], locale)))
        elif facts["reason"] == "waiting_for_april":
            lines.append(t("now_waiting_april", locale, tier=tier_name(facts["next_tier"], locale),
                           start=day_text(facts["next_tier_from"], locale)))
        elif facts["reason"] == "partner_credit_window":
            first, last = facts["advance_service_between"]
            lines.append(t("now_partner_window", locale, tier=tier_name(facts["maybe_tier"], locale),
                           start=day_text(first, locale), start_by=day_text(last, locale)))
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
        tier = tier_name(facts["tier"], locale)
        if not facts["reached"]:
            to_go = ledger().pp_to_go(tracker.sender_id, facts["tier"])
            say(dispatcher, locale, "end_not_held", facts=facts, tier=tier, missing=to_go.pp_missing_on_ana_group_only,
                year=str(to_go.year))
            return
        key = "end_ended" if facts["ended"] else "end_until"
        lines = [t("end_why", locale, tier=tier, earned=str(facts["earned_year"]),
                   main_from=day_text(facts["main_status_from"], locale), until=day_text(facts["main_status_until"], locale))]
        if facts.get("replaced_by"):
            lines.append(t("end_replaced", locale, tier=tier, higher=tier_name(facts["replaced_by"], locale),
                           start=day_text(facts["replaced_from"], locale)))
        say(dispatcher, locale, key, facts=facts, extra=lines, tier=tier, until=day_text(facts["main_status_until"], locale))


class ActionPpToGo(StatusAction):
    """How many PP to a tier this year, in total and on ANA-group flights (partner PP count toward the total only)."""

    kind = "pp_to_go"

    def name(self) -> Text:
        return "action_pp_to_go"

    def answer(self, dispatcher, tracker, locale):
        facts = ledger().pp_to_go(tracker.sender_id, tier_of(tracker)).facts()
        tier = tier_name(facts["tier"], locale)
        values = dict(tier=tier, year=str(facts["year"]), pp=facts["pp"], group_pp=facts["ana_group_pp"],
                      need=facts["pp_needed"], need_group=facts["ana_group_pp_needed"])
        if facts["reached"]:
            say(dispatcher, locale, "to_go_reached", facts=facts, start=day_text(facts["advance_service_from"], locale),
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


class ActionWhatIf(StatusAction):
    """"What if I fly HND–OKA in Standard on 12/10" — the status answer with those flights added; nothing is stored."""

    kind = "what_if"

    def name(self) -> Text:
        return "action_what_if"

    def answer(self, dispatcher, tracker, locale):
        the_ledger = ledger()
        today = the_ledger.clock.today()
        text = (tracker.latest_message or {}).get("text") or ""
        if intent_of(tracker) == "choose_schedule":
            return self.chosen(dispatcher, tracker, locale)
        trip = {"airports": airports_of(tracker), "fares": entity_values(tracker, "fare"), "tier": tier_of(tracker),
                "round_trip": bool(ROUND_TRIP.search(text)), "cabin": (entity_values(tracker, "cabin") or [None])[0]}
        schedule = read_schedule(text, today) if trip["airports"] else None
        if isinstance(schedule, ScheduleChoice) and len(schedule.options) > 1:
            return self.ask_days(dispatcher, locale, trip, schedule)
        if schedule is not None:
            days = schedule.options[0].days if isinstance(schedule, ScheduleChoice) else schedule.days
            return self.scheduled(dispatcher, tracker, locale, trip, days)
        days = days_said(tracker, today)
        tier = trip["tier"]
        answer = the_ledger.what_if_trip(tracker.sender_id, airports_of(tracker), days, entity_values(tracker, "fare"),
                                         round_trip=bool(ROUND_TRIP.search(text)), tier_id=tier,
                                         cabin=(entity_values(tracker, "cabin") or [None])[0])
        if answer is None:
            partner = "partner" in [v.lower() for v in entity_values(tracker, "carrier")]
            flights = [(days[min(n, len(days) - 1)], pp, not partner) for n, pp in enumerate(amounts_said(tracker))]
            if not flights:
                say(dispatcher, locale, "what_if_ask", facts={"kind": self.kind, "status": "needs_input"})
                return
            answer = the_ledger.what_if(tracker.sender_id, flights, tier)
        say_what_if(dispatcher, locale, answer)

    @staticmethod
    def ask_days(dispatcher, locale: str, trip: dict, choice: ScheduleChoice) -> list:
        """The schedule leaves the days open ("3 round trips", "twice a month"): its readings as buttons, each with
        its days; the trip waits in `pending_what_if`. Nothing is assumed."""
        options = [[d.isoformat() for d in o.days] for o in choice.options]
        buttons = [{"title": t(f"schedule_{o.reading}", locale, n=len(o.days), first=day_text(o.days[0], locale),
                               last=day_text(o.days[-1], locale)),
                    "payload": f'/choose_schedule{{"schedule_option":"{i}"}}'} for i, o in enumerate(choice.options)]
        say(dispatcher, locale, "schedule_which", buttons=buttons,
            facts={"kind": "question", "about": "schedule", "options": options})
        return [SlotSet("pending_what_if", {**trip, "options": options})]

    def chosen(self, dispatcher, tracker, locale: str) -> list:
        pending = tracker.get_slot("pending_what_if") or {}
        options = pending.get("options") or []
        chosen = str((entity_values(tracker, "schedule_option") or [""])[0])
        if not chosen.isdigit() or int(chosen) >= len(options):
            raise Refusal("schedule_gone")
        days = [dt.date.fromisoformat(d) for d in options[int(chosen)]]
        return [*self.scheduled(dispatcher, tracker, locale, pending, days), SlotSet("pending_what_if", None)]

    @staticmethod
    def scheduled(dispatcher, tracker, locale: str, trip: dict, days) -> list:
        """The trip on every day of the schedule, the dates shown, with the year's total and the status date."""
        answer = ledger().what_if_schedule(tracker.sender_id, list(trip["airports"]), list(days), list(trip["fares"]),
                                           round_trip=bool(trip["round_trip"]), cabin=trip.get("cabin"),
                                           tier_id=trip.get("tier"))
        if answer is None:
            say(dispatcher, locale, "what_if_ask", facts={"kind": "what_if", "status": "needs_input"})
            return []
        say_what_if(dispatcher, locale, answer)
        return []


def say_what_if(dispatcher, locale: str, answer) -> None:
    """A what-if answer in words: the flights, the year's total with them, and when the tier would start."""
    facts = answer.facts()
    after, before = answer.after, answer.before
    tier = answer.tier.name(locale)
    added = answer.added_pp
    described = list_separator(locale).join(_describe(f, locale) for f in answer.flights)
    lines = [t("what_if_total", locale, added=added, pp=after.pp, group_pp=after.ana_group_pp, year=str(answer.year))]
    if after.reached:
        lines.append(t("what_if_reached", locale, tier=tier, credited=day_text(after.pp_credited_on, locale),
                       start=day_text(after.advance_service_from, locale),
                       main_from=day_text(after.main_status_from, locale), main_until=day_text(after.main_status_until, locale)))
        if after.early_months_rule:
            lines.append(t("status_early_months", locale))
        if before.reached and before.advance_service_from != after.advance_service_from:
            lines.append(t("what_if_earlier", locale, before=day_text(before.advance_service_from, locale)))
        elif before.reached:
            lines.append(t("what_if_already", locale, tier=tier))
    else:
        lines.append(t("what_if_short", locale, tier=tier,
                       missing=max(after.pp_missing, after.ana_group_pp_missing),
                       group_missing=after.ana_group_pp_missing))
    say(dispatcher, locale, "what_if_title", facts=facts, extra=lines, flights=described)


def _describe(flight, locale: str) -> str:
    """A planned flight as the user reads it: "HND→OKA (Standard, 1,774 PP) on 2026-12-10 (Thu)"."""
    day = day_text(flight.flown_on, locale)
    computed = flight.computed
    if computed is not None:
        return t("what_if_leg", locale, day=day, origin=airport_name(computed.origin, locale),
                 destination=airport_name(computed.destination, locale),
                 fare=ledger().rules.fares.fare_name(computed.fare_id, flight.flown_on, locale), pp=flight.pp)
    return t("what_if_pp", locale, day=day, pp=flight.pp)


class ActionCheapest(StatusAction):
    """Which fare gives PP cheapest (yen per PP): fares with prices on a route, or PP with prices."""

    kind = "cheapest"

    def name(self) -> Text:
        return "action_cheapest"

    def answer(self, dispatcher, tracker, locale):
        the_ledger = ledger()
        prices = yen_said(tracker)
        airports, fares = airports_of(tracker), entity_values(tracker, "fare")
        day = days_said(tracker, the_ledger.clock.today())[0]
        if len(airports) >= 2 and fares and len(fares) == len(prices):
            ranked = the_ledger.cheapest_fares(airports[0], airports[1], day, list(zip(fares, prices)),
                                               (entity_values(tracker, "cabin") or [None])[0])
        else:
            amounts = amounts_said(tracker)
            if not len(amounts) == len(prices) >= 2:
                say(dispatcher, locale, "cheapest_ask", facts={"kind": self.kind, "status": "needs_input"})
                return
            labels = fares if len(fares) == len(prices) else [t("cheapest_option", locale, n=i + 1)
                                                              for i in range(len(prices))]
            ranked = the_ledger.cheapest(list(zip(labels, amounts, prices)))
        named = {o.label: the_ledger.rules.fares.fare_name(o.fare, day, locale) if o.fare else o.label
                 for o in ranked.options}
        lines = [t("cheapest_row", locale, n=i + 1, label=named[o.label], pp=o.pp, yen=o.yen,
                   per=f"{o.yen / o.pp:.2f}") for i, o in enumerate(ranked.options)]
        say(dispatcher, locale, "cheapest_title", facts=ranked.facts(), extra=lines, best=named[ranked.best.label])


class ActionSfc(StatusAction):
    """When can I apply for SFC (スーパーフライヤーズカード): from Platinum, advance service included."""

    kind = "sfc"

    def name(self) -> Text:
        return "action_sfc"

    def answer(self, dispatcher, tracker, locale):
        answer = ledger().sfc_eligible_from(tracker.sender_id)
        facts = answer.facts()
        tier = tier_name(facts["tier"] or facts["from_tier"], locale)
        if facts["eligible_now"]:
            say(dispatcher, locale, "sfc_now", facts=facts, tier=tier, since=day_text(facts["sfc_from"], locale),
                until=day_text(facts["sfc_until"], locale))
        elif facts["sfc_from"]:
            key = "sfc_from_window" if facts.get("sfc_from_between") else "sfc_from"
            between = facts.get("sfc_from_between") or [facts["sfc_from"], facts["sfc_from"]]
            say(dispatcher, locale, key, facts=facts, tier=tier, start=day_text(between[0], locale),
                start_by=day_text(between[1], locale))
        else:
            missing = max(facts["pp_missing"], facts["ana_group_pp_missing"])
            say(dispatcher, locale, "sfc_not_yet", facts=facts, tier=tier, pp=facts["pp"], missing=missing,
                group_missing=facts["ana_group_pp_missing"], year=str(answer.on.year))
