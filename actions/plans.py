"""A plan to a status by chat (修行の計画): 「プラチナまであと何回沖縄往復？」 gets the trips per fare, the cheapest mix when
prices are said, and with a schedule the day the status would start (ledger/status/planner.py)."""
from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions.forms import entity_values
from actions.runtime import ledger, say
from actions.status_words import ROUND_TRIP, airport_name, airports_of, day_text, tier_of, yen_said
from i18n import list_separator, t
from ledger.status.schedules import Schedule, read_schedule

_TRIP_COUNT = re.compile(r"何回|なんかい|何往復|何度|how many (?:more )?(?:[a-z]{3}[-–][a-z]{3} )?(?:round[- ]?trips|trips|times"
                         r"|flights|runs)|number of (?:round[- ]?trips|trips|flights)", re.I)   # as plan_decides
HOME_AIRPORT = "HND"       # a trip with one airport named starts at Haneda; the answer says so
SHOWN_FARES = ("flex", "standard", "simple", "sale")   # the fares shown when none is named (of those on sale)


def asks_trip_count(tracker: Tracker) -> bool:
    """A status question that asks how many trips of a route (an airport named): a plan, not a PP figure."""
    return bool(_TRIP_COUNT.search((tracker.latest_message or {}).get("text") or "")) and bool(airports_of(tracker))


def plan_answer(dispatcher, tracker: Tracker, locale: str) -> list:
    """The trips per fare to the tier, the cheapest mix when prices were said, the ANA-group minimum respected."""
    the_ledger = ledger()
    text = (tracker.latest_message or {}).get("text") or ""
    airports = airports_of(tracker)
    origin, destination = (airports[0], airports[1]) if len(airports) >= 2 else (
        HOME_AIRPORT, airports[0]) if airports[0] != HOME_AIRPORT else ("OKA", HOME_AIRPORT)
    fares, prices = entity_values(tracker, "fare"), yen_said(tracker)
    priced = list(zip(fares, prices)) if fares and len(fares) == len(prices) else None
    one_way = re.search(r"片道|one[- ]way", text, re.I) and not ROUND_TRIP.search(text)
    schedule = read_schedule(text, the_ledger.clock.today())
    days = (schedule.days if isinstance(schedule, Schedule) else
            schedule.options[0].days if schedule and len(schedule.options) == 1 else ())
    usual = [f.id for f in the_ledger.fares_on_sale(min(days) if days else the_ledger.clock.today())
             if f.id in SHOWN_FARES]     # none named: the fares people fly 修行 on, not every fare on sale
    plan = the_ledger.plan_trips(tracker.sender_id, origin, destination, tier_of(tracker), fares=fares or usual or None,
                                 priced_fares=priced, round_trip=not one_way, schedule=list(days) or None)
    facts = plan.facts() | {"origin": origin, "destination": destination, "round_trip": not one_way}
    day = the_ledger.clock.today()
    named = {o.fare: the_ledger.rules.fares.fare_name(o.fare, day, locale) for o in plan.options}
    tier = plan.tier.name(locale)
    route = f"{airport_name(origin, locale)}–{airport_name(destination, locale)}"
    if plan.before.reached:
        say(dispatcher, locale, "plan_reached", facts=facts, tier=tier, year=str(plan.year))
        return []
    lines = [t("plan_row", locale, fare=named[o.fare], trips=o.trips, pp=o.pp) for o in plan.options]
    if plan.before.ana_group_pp_missing > plan.before.pp_missing:
        lines.append(t("plan_group_minimum", locale, group_missing=plan.before.ana_group_pp_missing))
    if plan.mix:
        mix = list_separator(locale).join(t("plan_mix_part", locale, trips=n, fare=named[f]) for f, n in plan.mix)
        lines.append(t("plan_mix", locale, mix=mix, yen=plan.mix_yen))
    if plan.after is not None:
        first = plan.options[0]
        shown_days = list_separator(locale).join(day_text(d, locale) for d in plan.scheduled)
        key = "plan_schedule_reached" if plan.after.reached else "plan_schedule_short"
        lines.append(t(key, locale, n=len(plan.scheduled), fare=named[first.fare], days=shown_days, tier=tier,
                       start=day_text(plan.after.advance_service_from, locale),
                       missing=max(plan.after.pp_missing, plan.after.ana_group_pp_missing)))
    if len(airports) == 1:
        lines.append(t("plan_from_home", locale, origin=airport_name(origin, locale)))
    say(dispatcher, locale, "plan_title" if not one_way else "plan_title_one_way", facts=facts, extra=lines,
        tier=tier, year=str(plan.year), needed=plan.pp_needed, route=route)
    return []


