"""Ledger services: plain values in, plain values out, one unit of work per call.

Bot handlers, Rasa actions, the HTTP API, the CLI and scheduled jobs all come through here.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable

from sqlalchemy.exc import IntegrityError

from ledger import tiers
from ledger.clock import Clock, TOKYO
from ledger.model import RESERVED, Balance, Quote, Refusal
from ledger.partners import PartnerGateway, SandboxPartnerGateway
from ledger.rules import Partner, Rules
from ledger.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
MAX_PP_PER_FLIGHT = 100_000
FIRST_PP_YEAR = 2008  # the PP formula in use since January 2008


# ---------------------------------------------------------------- points (自治体ポイント)

def _partner(rules: Rules, partner_id: str) -> Partner:
    partner = rules.find_partner(partner_id)
    if partner is None:
        raise Refusal("unknown_partner", given=partner_id, known=sorted(rules.partners))
    return partner


def _quote(uow: UnitOfWork, user_id: str, partner: Partner, amount: int, *,
           gateway: PartnerGateway, now: dt.datetime) -> Quote:
    today = now.astimezone(TOKYO).date()
    if partner.transfer == "coupon":
        raise Refusal("coupon_partner", partner=partner.id)
    active_from = uow.links.active_from(uow.links.get(user_id, partner.id))
    if active_from is None:
        raise Refusal("not_linked", partner=partner.id)
    if now < active_from:
        raise Refusal("link_pending", partner=partner.id, active_from=active_from.astimezone(TOKYO).date().isoformat())
    rate = partner.rate_on(today)
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=today.isoformat())
    if amount < rate.minimum:
        raise Refusal("below_minimum", partner=partner.id, minimum=rate.minimum, given=amount)
    if amount % rate.unit:
        lower = amount - amount % rate.unit
        raise Refusal("not_whole_units", partner=partner.id, unit=rate.unit, given=amount,
                      lower=lower, higher=lower + rate.unit)
    available = gateway.balance(uow, user_id, partner.id).points
    if amount > available:
        raise Refusal("insufficient_balance", partner=partner.id, available=available, given=amount)
    units = amount // rate.unit
    return Quote(
        user_id=user_id, partner=partner.id, from_amount=amount, wallet_used=0, to=RESERVED,
        to_amount=units * rate.reserved_per_unit, units=units, rate_unit=rate.unit,
        rate_per_unit=rate.reserved_per_unit, verified=rate.verified, source=rate.source, quoted_on=today,
    )


def quote_conversion(user_id: str, partner_id: str, amount: int, *, uow: UnitOfWork, rules: Rules,
                     gateway: PartnerGateway, clock: Clock) -> Quote:
    """What converting `amount` partner points would give, without changing anything."""
    partner = _partner(rules, partner_id)
    now = clock.now()
    with uow:
        return _quote(uow, user_id, partner, amount, gateway=gateway, now=now)


def convert_points(user_id: str, partner_id: str, amount: int, idempotency_key: str, *, uow: UnitOfWork,
                   rules: Rules, gateway: PartnerGateway, clock: Clock) -> tuple[Quote, bool]:
    """Debit the partner and credit reserved points (留保ポイント) in one transaction.

    Returns the quote and whether this call did the work (False when the key was already used,
    e.g. a retried Telegram update or a double-pressed button).
    """
    partner = _partner(rules, partner_id)
    now = clock.now()
    with uow:
        done = uow.journal.find(idempotency_key)
        if done is not None:
            if done.user_id != user_id:
                raise Refusal("idempotency_key_reused")
            return _stored_quote(done), False
        quote = _quote(uow, user_id, partner, amount, gateway=gateway, now=now)
        gateway.debit(uow, user_id, partner.id, amount, idempotency_key=idempotency_key, at=now)
        uow.journal.add(
            user_id=user_id, kind="conversion", idempotency_key=idempotency_key, at=now,
            details=quote.facts("done") | {"units": quote.units, "quoted_on": quote.quoted_on.isoformat()},
            entries=[(quote.to, quote.to_amount)],
        )
        uow.commit()
        return quote, True


def _stored_quote(txn) -> Quote:
    d = json.loads(txn.details)
    return Quote(
        user_id=txn.user_id, partner=d["partner"], from_amount=d["from_amount"], wallet_used=0, to=d["to"],
        to_amount=d["to_amount"], units=d["units"], rate_unit=d["rate"]["unit"], rate_per_unit=d["rate"]["per_unit"],
        verified=d["rate"]["verified"], source="", quoted_on=dt.date.fromisoformat(d["quoted_on"]),
    )


def get_balance(user_id: str, *, uow: UnitOfWork, gateway: PartnerGateway) -> Balance:
    """Reserved points, each municipality's points, event points, and partner balances."""
    with uow:
        accounts = uow.journal.balances(user_id)
        partners = {p: b.points for p, b in sorted(gateway.balances(uow, user_id).items())}
    return Balance(
        reserved=accounts.get(RESERVED, 0),
        municipal={k.split(":", 1)[1]: v for k, v in accounts.items() if k.startswith("municipal:")},
        events={k.split(":", 1)[1]: v for k, v in accounts.items() if k.startswith("event:")},
        partners=partners,
    )


# ---------------------------------------------------------------- ID linkage (移行用のサービスID設定)

def _link_facts(partner_id: str, active_from: dt.datetime | None, now: dt.datetime) -> dict:
    if active_from is None:
        return {"kind": "link", "partner": partner_id, "status": "not_linked", "active_from": None}
    return {
        "kind": "link", "partner": partner_id, "status": "active" if now >= active_from else "pending",
        "active_from": active_from.astimezone(TOKYO).date().isoformat(),
    }


def request_link(user_id: str, partner_id: str, *, uow: UnitOfWork, rules: Rules, clock: Clock) -> dict:
    """Ask the partner to link the user's ID; active after the partner's delay (JAL: up to a week).

    Asking again while pending or active changes nothing (the date is never pushed back).
    """
    partner = _partner(rules, partner_id)
    if partner.transfer != "link":
        raise Refusal("coupon_partner", partner=partner.id)
    now = clock.now()
    with uow:
        link = uow.links.get(user_id, partner.id)
        active_from = uow.links.active_from(link)
        if active_from is None:
            active_from = now + dt.timedelta(days=partner.link_activation_days)
            uow.links.upsert(user_id, partner.id, requested_at=now, active_from=active_from)
            uow.commit()
        return _link_facts(partner.id, active_from, now)


def unlink(user_id: str, partner_id: str, *, uow: UnitOfWork, rules: Rules, clock: Clock) -> dict:
    partner = _partner(rules, partner_id)
    now = clock.now()
    with uow:
        link = uow.links.get(user_id, partner.id)
        if uow.links.active_from(link) is None:
            raise Refusal("not_linked", partner=partner.id)
        link.unlinked_at = now
        uow.commit()
    return _link_facts(partner.id, None, now)


def link_statuses(user_id: str, *, uow: UnitOfWork, rules: Rules, clock: Clock) -> dict[str, dict]:
    """Every ID-linkage partner with its state: active (設定済み), pending, or not_linked."""
    now = clock.now()
    with uow:
        links = {link.partner: uow.links.active_from(link) for link in uow.links.for_user(user_id)}
    return {p.id: _link_facts(p.id, links.get(p.id), now) for p in rules.link_partners()}


# ---------------------------------------------------------------- status (プレミアムメンバー)

def log_flight(user_id: str, flown_on: dt.date, premium_points: int, idempotency_key: str, *,
               uow: UnitOfWork, clock: Clock, ana_group: bool = True) -> tuple[dict, bool]:
    """Record a flown segment and its premium points. Returns its facts and whether it was new."""
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    if flown_on > today:
        raise Refusal("flight_in_future", flown_on=flown_on.isoformat(), today=today.isoformat())
    if flown_on.year < FIRST_PP_YEAR:
        raise Refusal("flight_too_old", flown_on=flown_on.isoformat())
    if not 0 < premium_points <= MAX_PP_PER_FLIGHT:
        raise Refusal("pp_out_of_range", given=premium_points, maximum=MAX_PP_PER_FLIGHT)
    with uow:
        existing = uow.flights.find(idempotency_key)
        if existing is None:
            existing = uow.flights.add(user_id=user_id, flown_on=flown_on, premium_points=premium_points,
                                       ana_group=ana_group, idempotency_key=idempotency_key, created_at=now)
            created = True
        else:
            created = False
        flights = uow.flights.for_user(user_id)
        year_total = sum(f.premium_points for f in flights if f.flown_on.year == flown_on.year)
        facts = {
            "kind": "flight_logged", "flown_on": existing.flown_on.isoformat(),
            "pp": existing.premium_points, "ana_group": existing.ana_group, "year": flown_on.year,
            "year_pp": year_total,
        }
        uow.commit()
        return facts, created


def status_start(user_id: str, tier_id: str | None, *, uow: UnitOfWork, rules: Rules, clock: Clock,
                 year: int | None = None) -> tiers.StatusStart:
    """When `tier_id` starts (or how far it is) for PP earned this calendar year (Tokyo time).

    Without a tier: the lowest one not yet reached that year (else the highest).
    """
    try:
        tier = rules.status.tier(tier_id) if tier_id else None
    except KeyError:
        raise Refusal("unknown_tier", given=tier_id, known=[t.id for t in rules.status.tiers]) from None
    year = year or clock.today().year
    with uow:
        flights = [tiers.FlightPP(f.flown_on, f.premium_points, f.ana_group) for f in uow.flights.for_user(user_id)]
    if tier is not None:
        return tiers.status_start(flights, tier, year, rules.status)
    answers = [tiers.status_start(flights, t, year, rules.status) for t in rules.status.tiers]
    return next((a for a in answers if not a.reached), answers[-1])


# ---------------------------------------------------------------- deliveries

def claim_request(key: str, *, uow: UnitOfWork, clock: Clock) -> bool:
    """True the first time `key` is seen (handle it); False for a redelivery (ignore it)."""
    now = clock.now()
    with uow:
        try:
            uow.requests.add(key, now)
            uow.commit()
        except IntegrityError:  # the key is unique: an earlier delivery already claimed it
            return False
        return True


# ---------------------------------------------------------------- sandbox

def _require_sandbox(sandbox: bool) -> None:
    if not sandbox:
        raise Refusal("sandbox_off")


def sandbox_grant(user_id: str, partner_id: str, amount: int, wallet: int, *, uow: UnitOfWork, rules: Rules,
                  gateway: SandboxPartnerGateway, clock: Clock, sandbox: bool) -> int:
    _require_sandbox(sandbox)
    partner = _partner(rules, partner_id)
    now = clock.now()
    with uow:
        gateway.grant(uow, user_id, partner.id, amount, wallet, now)
        uow.commit()
        return gateway.balance(uow, user_id, partner.id).points


def sandbox_link(user_id: str, partner_id: str, *, uow: UnitOfWork, rules: Rules, clock: Clock, sandbox: bool) -> None:
    """An ID linkage that is active at once (sandbox only)."""
    _require_sandbox(sandbox)
    partner = _partner(rules, partner_id)
    now = clock.now()
    with uow:
        uow.links.upsert(user_id, partner.id, requested_at=now, active_from=now)
        uow.commit()


def set_test_clock(moment: dt.datetime | None, *, uow: UnitOfWork, sandbox: bool) -> None:
    _require_sandbox(sandbox)
    with uow:
        uow.clock.set(moment)
        uow.commit()


def read_test_clock(*, uow: UnitOfWork) -> dt.datetime | None:
    with uow:
        return uow.clock.frozen_at()
