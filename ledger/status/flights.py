"""Flights (搭乗記録): log one by its PP or by route and fare, list them, find them, correct or delete one.

A flight is never changed in place: a delete retires its row, an edit retires it and writes a new one, so a
redelivered request acts once and a re-imported file never brings back what the user took out.
"""
from __future__ import annotations

import datetime as dt

from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock
from ledger.shared.refusals import Refusal
from ledger.status import notices, pp
from ledger.status.carriers import ANA, PARTNER
from ledger.status.carriers import flight_number as read_flight_number
from ledger.status.model import Flight, check_flown_on, check_pp
from ledger.status.rules import PremiumRules
from ledger.status.tiers import FlightPP
from ledger.storage.unit_of_work import UnitOfWork, reads_only


def _airport(rules: PremiumRules, text) -> str | None:
    """The IATA code of an airport named in either language, else the text as given."""
    if not text:
        return None
    found = rules.segments.find_airport(str(text))
    return found.code if found else str(text).strip()[:40]


def _route_fields(segment: dict | None, computed: pp.PPResult | None, rules: PremiumRules) -> dict:
    """origin, destination, fare and cabin to store: as computed (fare id; a partner's accrual rate as "125%"),
    or as given with PP the user told."""
    if computed is not None:
        fare = computed.fare_id if computed.carrier == "ana" else f"{computed.rate}%"
        return {"origin": computed.origin, "destination": computed.destination, "fare": fare, "cabin": computed.cabin}
    if not segment:
        return {}
    cabin = segment.get("cabin")
    if cabin:
        cabin = rules.fares.find_cabin(cabin) or cabin
    fare = segment.get("fare") or segment.get("partner_rate")
    return {"origin": _airport(rules, segment.get("origin")), "destination": _airport(rules, segment.get("destination")),
            "fare": str(fare).strip()[:64] if fare not in (None, "") else None,
            "cabin": str(cabin)[:16] if cabin else None}


def _computed(flown_on: dt.date, segment: dict | None, carrier: str, rules: PremiumRules) -> pp.PPResult:
    if not segment:
        raise Refusal("missing_amount")
    return pp.compute_pp(segment.get("origin"), segment.get("destination"), flown_on, segment.get("fare"),
                         cabin=segment.get("cabin"), carrier=carrier, partner_rate=segment.get("partner_rate"),
                         rules=rules)


def add_flight(uow: UnitOfWork, user_id: str, flown_on: dt.date, premium_points: int | None, idempotency_key: str, *,
               rules: PremiumRules, today: dt.date, now: dt.datetime, ana_group: bool = True,
               segment: dict | None = None, flight_number: str | None = None) -> tuple[dict, bool]:
    """Log one flight inside the caller's unit of work (the caller commits): its facts, and whether it was new."""
    check_flown_on(flown_on, today, rules.status.pp_formula_since)
    number = None
    if flight_number:
        number, carrier = read_flight_number(flight_number, rules.carriers)
        ana_group = carrier == ANA
    computed = None
    if premium_points is None:
        carrier = (ANA if ana_group else PARTNER) if number else ((segment or {}).get("carrier") or ANA)
        computed = _computed(flown_on, segment, carrier, rules)
        premium_points, ana_group = computed.pp, computed.carrier == ANA
    check_pp(premium_points)
    existing = uow.flights.find(idempotency_key)
    if existing is None:
        existing = uow.flights.add(user_id=user_id, flown_on=flown_on, premium_points=premium_points,
                                   ana_group=ana_group, idempotency_key=idempotency_key, created_at=now,
                                   flight_number=number, **_route_fields(segment, computed, rules))
        created = True
    elif existing.user_id != user_id:
        raise Refusal("idempotency_key_reused")
    else:
        created = False
    year = existing.flown_on.year
    facts = {"kind": "flight_logged", **Flight.of(existing).facts(), "year": year,
             "year_pp": uow.flights.year_total(user_id, year), "deleted": existing.deleted_at is not None}
    if computed is not None:
        facts["pp_computed"] = computed.facts()
    return facts, created


@checked
def log_flight(user_id: str, flown_on: dt.date, premium_points: int | None, idempotency_key: str,
               ana_group: bool = True, segment: dict | None = None, flight_number: str | None = None, *,
               uow: UnitOfWork, rules: PremiumRules, clock: Clock) -> tuple[dict, bool]:
    """Record a flown segment and its premium points (プレミアムポイント). Returns its facts (flight_id,
    flight_number, origin, destination, fare, year_pp) and whether it was new.

    Without `premium_points`, they are computed from `segment` (origin, destination, fare, cabin,
    carrier, partner_rate) by `ledger.status.pp.compute_pp` with the fare table of the flight's date; an
    unknown route or fare is refused with what to ask for, never guessed. A `flight_number` (便名,
    "NH123", "ANA 0123", …) is stored normalized, and its carrier decides ANA group or partner.
    The route, the fare (its id when computed) and the cabin are stored when a segment is given.
    """
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        facts, created = add_flight(uow, user_id, flown_on, premium_points, idempotency_key, rules=rules,
                                    today=now.astimezone(TOKYO).date(), now=now, ana_group=ana_group,
                                    segment=segment, flight_number=flight_number)
        if created:
            notices.reschedule(uow, user_id, rules, now)
        uow.commit()
        return facts, created


@checked
@reads_only
def flights_for_year(user_id: str, year: int, *, uow: UnitOfWork) -> list[FlightPP]:
    """Plain (flown_on, premium_points, ana_group) of the user's live flights flown in `year`, oldest first."""
    with uow:
        return [FlightPP(f.flown_on, f.premium_points, f.ana_group) for f in uow.flights.in_year(user_id, year)]


@checked
@reads_only
def list_flights(user_id: str, year: int | None = None, *, uow: UnitOfWork, clock: Clock) -> list[Flight]:
    """The user's live flights flown in `year` (default: this year in Tokyo), oldest first."""
    year = year or clock.today().year
    with uow:
        return [Flight.of(f) for f in uow.flights.in_year(user_id, year)]


def _flight_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@checked
@reads_only
def flight(user_id: str, flight_id, *, uow: UnitOfWork) -> Flight | None:
    """The user's live flight `flight_id`, or None (also for an id that is not a number)."""
    wanted = _flight_id(flight_id)
    with uow:
        found = uow.flights.live(user_id, wanted) if wanted is not None else None
        return Flight.of(found) if found is not None else None


@checked
@reads_only
def find_flights(user_id: str, on: dt.date | None = None, flight_number: str | None = None, *, uow: UnitOfWork,
                 rules: PremiumRules) -> list[Flight]:
    """The user's live flights flown on `on` and/or numbered `flight_number` (normalized), any year, newest first."""
    number = read_flight_number(flight_number, rules.carriers)[0] if flight_number else None
    with uow:
        return [Flight.of(f) for f in uow.flights.matching(user_id, on, number)]


@checked
def delete_flight(user_id: str, flight_id: int, idempotency_key: str, *, uow: UnitOfWork, clock: Clock,
                  rules: PremiumRules) -> dict:
    """Take a logged flight out of the year's PP (the row stays, retired): {"kind": "flight_deleted", "flight",
    "year", "year_pp"}. A redelivery with the same key gives the same facts (the year's PP as they are now)."""
    wanted = _flight_id(flight_id)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        row = uow.flights.find_deleted(idempotency_key)
        if row is not None:
            if row.user_id != user_id or row.id != wanted:
                raise Refusal("idempotency_key_reused")
        else:
            row = uow.flights.live(user_id, wanted) if wanted is not None else None
            if row is None:
                raise Refusal("flight_not_found", flight_id=flight_id)
            uow.flights.retire(row, now, deleted_key=idempotency_key)
            notices.reschedule(uow, user_id, rules, now)       # a notice that no longer holds is withdrawn
        year = row.flown_on.year
        facts = {"kind": "flight_deleted", "flight": Flight.of(row).facts(), "year": year,
                 "year_pp": uow.flights.year_total(user_id, year)}
        uow.commit()
        return facts


def _edit_facts(uow: UnitOfWork, user_id: str, before, after) -> dict:
    year = after.flown_on.year
    return {"kind": "flight_edited", "before": Flight.of(before).facts(), "after": Flight.of(after).facts(),
            "year": year, "year_pp": uow.flights.year_total(user_id, year)}


@checked
def edit_flight(user_id: str, flight_id: int, idempotency_key: str, *, premium_points: int | None = None,
                fare: str | None = None, flown_on: dt.date | None = None, uow: UnitOfWork, clock: Clock,
                rules: PremiumRules) -> dict:
    """Correct a logged flight's PP, fare or date: the old row is retired (replaced_by) and a new one written.
    {"kind": "flight_edited", "before", "after", "year", "year_pp"}.

    A new fare recomputes the PP (`ledger.status.pp.compute_pp`, the table of the flight's date) when the
    flight's route is known, else Refusal("route_unknown"); PP given with a fare win, and the fare is stored as
    given. A redelivery with the same key gives the same facts (the year's PP as they are now)."""
    if premium_points is None and fare in (None, "") and flown_on is None:
        raise Refusal("nothing_to_change", flight_id=flight_id)
    today = clock.now().astimezone(TOKYO).date()
    if flown_on is not None:
        check_flown_on(flown_on, today, rules.status.pp_formula_since)
    if premium_points is not None:
        check_pp(premium_points)
    wanted = _flight_id(flight_id)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        done = uow.flights.find(idempotency_key)
        if done is not None:
            before = uow.flights.replaced(done.id)
            if done.user_id != user_id or before is None or before.id != wanted:
                raise Refusal("idempotency_key_reused")
            return _edit_facts(uow, user_id, before, done)
        old = uow.flights.live(user_id, wanted) if wanted is not None else None
        if old is None:
            raise Refusal("flight_not_found", flight_id=flight_id)
        day = flown_on or old.flown_on
        new_pp, new_fare, cabin, computed = old.premium_points, old.fare, old.cabin, None
        if premium_points is not None:
            new_pp = premium_points
            if fare not in (None, ""):
                new_fare = str(fare).strip()[:64]
        elif fare not in (None, ""):
            if not (old.origin and old.destination):
                raise Refusal("route_unknown", flight_id=old.id, fare=str(fare))
            computed = pp.compute_pp(old.origin, old.destination, day, str(fare), cabin=old.cabin,
                                     carrier=ANA if old.ana_group else PARTNER,
                                     partner_rate=None if old.ana_group else str(fare), rules=rules)
            new_pp, cabin = computed.pp, computed.cabin
            new_fare = _route_fields(None, computed, rules)["fare"]
            check_pp(new_pp)
        if (new_pp, day, new_fare) == (old.premium_points, old.flown_on, old.fare):
            raise Refusal("nothing_to_change", flight_id=old.id)
        new = uow.flights.add(user_id=user_id, flown_on=day, premium_points=new_pp, ana_group=old.ana_group,
                              idempotency_key=idempotency_key, created_at=now, flight_number=old.flight_number,
                              origin=old.origin, destination=old.destination, fare=new_fare, cabin=cabin)
        uow.flights.retire(old, now, replaced_by=new.id)
        notices.reschedule(uow, user_id, rules, now)           # moved with the flight, or withdrawn
        facts = _edit_facts(uow, user_id, old, new)
        if computed is not None:
            facts["pp_computed"] = computed.facts()
        uow.commit()
        return facts
