"""Every status question, answered from the user's logged flights (プレミアムメンバーステータス): when does a tier
start, what do I hold today, when does it end, how many PP to go, what if I flew these, which fare gives PP
cheapest, when can I apply for SFC. Each answer explains itself in its facts."""
from __future__ import annotations

import dataclasses
import datetime as dt

from ledger.shared.checks import checked
from ledger.shared.clock import Clock
from ledger.shared.refusals import Refusal
from ledger.status import answers, planner, tiers
from ledger.status.fares import Fare
from ledger.status.model import MAX_PP_PER_FLIGHT, check_pp_era
from ledger.status.pp import compute_pp
from ledger.status.rules import PremiumRules, Tier
from ledger.status.trips import PlannedFlight, planned_flights
from ledger.storage.unit_of_work import UnitOfWork, reads_only

MAX_WHAT_IF_FLIGHTS = 200
MAX_YEN = 100_000_000


def _tier(rules: PremiumRules, tier_id: str | None) -> Tier | None:
    try:
        return rules.status.tier(tier_id) if tier_id else None
    except KeyError:
        raise Refusal("unknown_tier", given=tier_id, known=[t.id for t in rules.status.tiers]) from None


def _all_flights(user_id: str, uow: UnitOfWork) -> list[tiers.FlightPP]:
    with uow:
        return [tiers.FlightPP(f.flown_on, f.premium_points, f.ana_group) for f in uow.flights.for_user(user_id)]


def _dated(answer, day: dt.date, rules: PremiumRules, *, fares: bool = False):
    """The answer with whether the status rules (and the fare tables of `day`) still hold for `day`."""
    tables = [t.confirmed for t in rules.fares.tables if fares and t.applies_on(day)]
    return dataclasses.replace(answer, rule_check=rules.status.check(day, *tables))


def _next_tier(flights: list[tiers.FlightPP], year: int, rules: PremiumRules) -> Tier:
    """The lowest tier not yet reached in `year` (else the highest)."""
    found = [tiers.status_start(flights, t, year, rules.status) for t in rules.status.tiers]
    return next((a for a in found if not a.reached), found[-1]).tier


@checked
@reads_only
def status_start(user_id: str, tier_id: str | None = None, year: int | None = None, *, uow: UnitOfWork,
                 rules: PremiumRules, clock: Clock) -> tiers.StatusStart:
    """When `tier_id` starts (or how far it is) for PP earned this calendar year (Tokyo time).

    Without a tier: the lowest one not yet reached that year (else the highest).
    """
    tier = _tier(rules, tier_id)
    year = year or clock.today().year
    flights = _all_flights(user_id, uow)
    answer = tiers.status_start(flights, tier or _next_tier(flights, year, rules), year, rules.status)
    return _dated(answer, max(answer.advance_service_from or clock.today(), clock.today()), rules)


@checked
@reads_only
def status_now(user_id: str, on: dt.date | None = None, *, uow: UnitOfWork, rules: PremiumRules,
               clock: Clock) -> answers.StatusNow:
    """The status held on `on` (default: today in Tokyo), with why (facts.reason)."""
    on = on or clock.today()
    return _dated(answers.status_now(_all_flights(user_id, uow), on, rules.status), on, rules)


@checked
@reads_only
def pp_earned(user_id: str, year: int | None = None, month: int | None = None, *, uow: UnitOfWork,
              clock: Clock) -> answers.PpEarned:
    """The Premium Points of `year` (default: this year in Tokyo), by month and by flight: 「今年のPPは？」,
    「今月何PP稼いだ？」."""
    if month is not None and not 1 <= month <= 12:
        raise Refusal("bad_month", given=str(month)[:10])
    return answers.pp_earned(_all_flights(user_id, uow), year or clock.today().year, month)


@checked
@reads_only
def status_end(user_id: str, tier_id: str | None = None, on: dt.date | None = None, *, uow: UnitOfWork,
               rules: PremiumRules, clock: Clock) -> answers.StatusEnd:
    """When `tier_id` ends (main_status_until); without a tier, the one held today (else the lowest)."""
    tier = _tier(rules, tier_id)
    on = on or clock.today()
    flights = _all_flights(user_id, uow)
    if tier is None:
        tier = answers.status_now(flights, on, rules.status).tier or rules.status.tiers[0]
    return _dated(answers.status_end(flights, tier, on, rules.status), on, rules)


@checked
@reads_only
def pp_to_go(user_id: str, tier_id: str | None = None, year: int | None = None, *, uow: UnitOfWork,
             rules: PremiumRules, clock: Clock) -> answers.PpToGo:
    """PP missing for `tier_id` (default: the next one) this calendar year, in total and on ANA-group flights."""
    tier = _tier(rules, tier_id)
    year = year or clock.today().year
    flights = _all_flights(user_id, uow)
    return _dated(answers.pp_to_go(flights, tier or _next_tier(flights, year, rules), year, rules.status),
                  clock.today(), rules)


def _what_if(user_id: str, planned: list[PlannedFlight], tier_id: str | None, *, uow: UnitOfWork,
             rules: PremiumRules) -> answers.WhatIf:
    if not planned or len(planned) > MAX_WHAT_IF_FLIGHTS:
        raise Refusal("no_flights_given", maximum=MAX_WHAT_IF_FLIGHTS)
    for flight in planned:
        check_pp_era(flight.flown_on, rules.status.pp_formula_since)
        if isinstance(flight.pp, bool) or not 0 < flight.pp <= MAX_PP_PER_FLIGHT:
            raise Refusal("pp_out_of_range", given=flight.pp, maximum=MAX_PP_PER_FLIGHT)
    tier = _tier(rules, tier_id)
    year = max(f.flown_on for f in planned).year
    logged = _all_flights(user_id, uow)
    answer = answers.what_if(logged, planned, tier or _next_tier(logged, year, rules), year, rules.status)
    return _dated(answer, max(f.flown_on for f in planned), rules, fares=True)


@checked
@reads_only
def what_if(user_id: str, flights: list[tuple[dt.date, int, bool]], tier_id: str | None = None, *,
            uow: UnitOfWork, rules: PremiumRules) -> answers.WhatIf:
    """The status answer as if `flights` (date, PP, ANA group) were flown too; nothing is stored.
    The year is that of the last of those flights."""
    planned = [PlannedFlight(flown_on=day, pp=pp, ana_group=bool(ana_group)) for day, pp, ana_group in flights]
    return _what_if(user_id, planned, tier_id, uow=uow, rules=rules)


@checked
@reads_only
def what_if_trip(user_id: str, airports: list[str], days: list[dt.date], fares: list[str], *,
                 round_trip: bool = False, cabin: str | None = None, tier_id: str | None = None, uow: UnitOfWork,
                 rules: PremiumRules) -> answers.WhatIf | None:
    """"What if I fly HND-OKA Standard on 12/10 and OKA-HND Simple on 12/12": the segments from the airports in
    the order said (a chain, pairs, or a round trip), each with its fare and day, their PP computed; then the
    status answer with them added. None when fewer than two airports were said."""
    planned = planned_flights(airports, days, fares, rules=rules, round_trip=round_trip, cabin=cabin)
    return _what_if(user_id, planned, tier_id, uow=uow, rules=rules) if planned else None


@checked
@reads_only
def what_if_schedule(user_id: str, airports: list[str], schedule: list[dt.date], fares: list[str], *,
                     round_trip: bool = False, cabin: str | None = None, tier_id: str | None = None,
                     uow: UnitOfWork, rules: PremiumRules) -> answers.WhatIf | None:
    """"HND-OKA round trips on Standard every weekend in December": the same trip on each day of the schedule,
    its PP computed from the fare table of each day; then the status answer with them all added."""
    planned = [f for day in schedule
               for f in planned_flights(airports, [day], fares, rules=rules, round_trip=round_trip, cabin=cabin)]
    return _what_if(user_id, planned, tier_id, uow=uow, rules=rules) if planned else None


def _checked(options: list[answers.FareOption]) -> list[answers.FareOption]:
    if not options or len(options) > MAX_WHAT_IF_FLIGHTS:
        raise Refusal("no_fares_given", maximum=MAX_WHAT_IF_FLIGHTS)
    for option in options:
        if isinstance(option.pp, bool) or not 0 < option.pp <= MAX_PP_PER_FLIGHT:
            raise Refusal("pp_out_of_range", given=option.pp, maximum=MAX_PP_PER_FLIGHT)
        if isinstance(option.yen, bool) or not 0 < option.yen <= MAX_YEN:
            raise Refusal("yen_out_of_range", given=option.yen, maximum=MAX_YEN)
    return options


@checked
def cheapest(options: list[tuple[str, int, int]]) -> answers.CheapestFares:
    """Options (label, PP, yen) ranked by yen per PP, cheapest first."""
    return answers.cheapest(_checked([answers.FareOption(str(label), pp, yen) for label, pp, yen in options]))


@checked
def cheapest_fares(origin: str, destination: str, flown_on: dt.date, priced_fares: list[tuple[str, int]],
                   cabin: str | None = None, *, rules: PremiumRules) -> answers.CheapestFares:
    """"HND-OKA Simple 23,000 yen or Standard 30,000 yen": each fare's PP on that route and day (the fare table
    of that day), ranked by yen per PP. Options are labelled with their fare ids."""
    computed = [(compute_pp(origin, destination, flown_on, fare, cabin=cabin, rules=rules), yen)
                for fare, yen in priced_fares]
    options = _checked([answers.FareOption(label=c.fare_id, pp=c.pp, yen=yen, fare=c.fare_id) for c, yen in computed])
    return answers.cheapest(options, origin=computed[0][0].origin, destination=computed[0][0].destination,
                            flown_on=flown_on)


@checked
@reads_only
def plan_trips(user_id: str, origin: str, destination: str, tier_id: str | None = None, fares: list[str] | None = None,
               priced_fares: list[tuple[str, int]] | None = None, round_trip: bool = True,
               schedule: list[dt.date] | None = None, year: int | None = None, *, uow: UnitOfWork,
               rules: PremiumRules, clock: Clock) -> planner.StatusPlan:
    """"プラチナまであと何回沖縄往復？": trips of origin–destination (round trips unless said) on each fare to reach
    the tier this year (default: the next tier not reached), the cheapest mix when prices are given, and with a
    schedule the day the tier would start. Fares: those priced, else those named, else every fare on sale."""
    today = clock.today()
    year = year or (min(schedule).year if schedule else today.year)
    day = min(schedule) if schedule else today
    prices = dict(priced_fares or [])
    names = list(prices) or list(fares or []) or [f.id for f in rules.fares.fares_on(day)]
    per_trip = []
    for fare in dict.fromkeys(names):
        pp = compute_pp(origin, destination, day, fare, rules=rules)
        back = compute_pp(destination, origin, day, fare, rules=rules).pp if round_trip else 0
        per_trip.append((pp.fare_id, pp.pp + back, prices.get(fare)))
    logged = _all_flights(user_id, uow)
    tier = _tier(rules, tier_id) or _next_tier(logged, year, rules)
    return planner.plan(logged, tier, year, rules.status, per_trip, schedule or ())


@checked
def fares_on_sale(day: dt.date, *, rules: PremiumRules) -> tuple[Fare, ...]:
    """The domestic fares sold for flights on `day` (the tables changed on 2026-05-19)."""
    return rules.fares.fares_on(day)


@checked
@reads_only
def sfc_eligible_from(user_id: str, on: dt.date | None = None, *, uow: UnitOfWork, rules: PremiumRules,
                      clock: Clock) -> answers.SfcEligibility:
    """From when SFC can be applied for (Platinum or higher, advance service counts), or how far it is."""
    return answers.sfc_eligibility(_all_flights(user_id, uow), on or clock.today(), rules.status,
                                   from_tier=rules.status.sfc_from_tier)
