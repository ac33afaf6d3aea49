"""Ledger services: plain values in, plain values out, one unit of work per call.

Bot handlers, Rasa actions, the HTTP API, the CLI and scheduled jobs all come through here.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable

from sqlalchemy.exc import IntegrityError

from ledger import coupons, exchanges, pp, tiers
from ledger.clock import Clock, TOKYO, as_utc
from ledger.flights import ANA, PARTNER, flight_facts, flight_number as read_flight_number
from ledger.model import RESERVED, Balance, Quote, Refusal
from ledger.partners import PartnerGateway, SandboxPartnerGateway
from ledger.rules import Municipality, Partner, Rules, Tier
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


def _whole_units(partner: Partner, amount: int, unit: int, minimum: int) -> int:
    """How many whole units `amount` is; refused below the partner's minimum or between units."""
    if amount < minimum:
        raise Refusal("below_minimum", partner=partner.id, minimum=minimum, given=amount)
    if amount % unit:
        lower = amount - amount % unit
        raise Refusal("not_whole_units", partner=partner.id, unit=unit, given=amount, lower=lower, higher=lower + unit)
    return amount // unit


def _quote(uow: UnitOfWork, user_id: str, partner: Partner, amount: int, *, rules: Rules,
           gateway: PartnerGateway, now: dt.datetime, destination: str | None = None) -> Quote:
    """What exchanging `amount` gives: reserved points at the normal rate, or a municipality's points
    (自治体ポイント) at a campaign rate while the campaign runs. Raises a Refusal naming what is wrong."""
    today = now.astimezone(TOKYO).date()
    if partner.transfer == "coupon":
        raise Refusal("coupon_partner", partner=partner.id)
    municipality = None
    if destination is not None:
        municipality = rules.find_municipality(destination)
        if municipality is None:
            raise Refusal("unknown_municipality", given=destination)
    active_from = uow.links.active_from(uow.links.get(user_id, partner.id))
    if active_from is None:
        raise Refusal("not_linked", partner=partner.id)
    if now < active_from:
        raise Refusal("link_pending", partner=partner.id, active_from=active_from.astimezone(TOKYO).date().isoformat())
    rate = partner.rate_on(today)
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=today.isoformat())
    campaign = partner.campaign_on(today, municipality.id) if municipality else None
    if municipality is not None and campaign is None:
        ended = [c for c in partner.campaigns if municipality.id in c.municipalities and c.valid_until < today]
        raise Refusal("no_campaign", partner=partner.id, municipality=municipality.id, on=today.isoformat(),
                      ended_on=max(c.valid_until for c in ended).isoformat() if ended else None,
                      reserved_per_unit=rate.reserved_per_unit, unit_size=rate.unit)
    unit = campaign.unit if campaign else rate.unit
    per_unit = campaign.municipal_per_unit if campaign else rate.reserved_per_unit
    units = _whole_units(partner, amount, unit, rate.minimum)
    held = gateway.balance(uow, user_id, partner.id)
    wallet_units = partner.wallet_units(units, held.wallet)
    points_used = (units - wallet_units) * unit
    if points_used > held.points:
        raise Refusal("insufficient_balance", partner=partner.id, available=held.points, given=points_used)
    return Quote(
        user_id=user_id, partner=partner.id, from_amount=amount, wallet_used=wallet_units * partner.wallet_first,
        points_used=points_used, to=f"municipal:{municipality.id}" if campaign else RESERVED,
        to_amount=units * per_unit, units=units, rate_unit=unit, rate_per_unit=per_unit,
        verified=(campaign or rate).verified, source=(campaign or rate).source, quoted_on=today,
        campaign=campaign.id if campaign else None, campaign_until=campaign.valid_until if campaign else None,
    )


def quote_conversion(user_id: str, partner_id: str, amount: int, *, uow: UnitOfWork, rules: Rules,
                     gateway: PartnerGateway, clock: Clock, destination: str | None = None) -> Quote:
    """What converting `amount` partner points would give, without changing anything."""
    partner = _partner(rules, partner_id)
    now = clock.now()
    with uow:
        return _quote(uow, user_id, partner, amount, rules=rules, gateway=gateway, now=now, destination=destination)


def convert_points(user_id: str, partner_id: str, amount: int, idempotency_key: str, *, uow: UnitOfWork,
                   rules: Rules, gateway: PartnerGateway, clock: Clock,
                   destination: str | None = None, read_uow: UnitOfWork | None = None) -> tuple[Quote, bool]:
    """Debit the partner and credit reserved points (留保ポイント) — or a municipality's points at a
    campaign rate — as a saga (ledger.exchanges): each happens once, even across a partner timeout
    or a process that dies in between. The quote is made on `read_uow` when given (reads only), so a slow
    partner API is never waited on while holding the database's write lock.

    Returns the quote and whether this call did the work (False when the key was already used,
    e.g. a retried Telegram update or a double-pressed button). Raises ExchangePending (reason
    `exchange_pending`, status `pending`) when the partner did not answer; a retry with the same key
    or the recovery job finishes it.
    """
    partner = _partner(rules, partner_id)
    now = clock.now()
    reader = read_uow or uow  # only reads here; the saga takes the per-user lock for each step
    with reader:
        done = reader.journal.find(idempotency_key)
        if done is not None:
            if done.user_id != user_id:
                raise Refusal("idempotency_key_reused")
            return _stored_quote(done), False
        started = reader.exchanges.get(idempotency_key)  # a retry of an unfinished exchange continues it
        if started is not None and started.user_id != user_id:
            raise Refusal("idempotency_key_reused")
        quote = (exchanges.quote_from_json(started.quote) if started is not None else
                 _quote(reader, user_id, partner, amount, rules=rules, gateway=gateway, now=now,
                        destination=destination))
    return exchanges.run_exchange(quote, idempotency_key, uow=uow, gateway=gateway, clock=clock)


def _stored_quote(txn) -> Quote:
    """The quote an earlier call with the same idempotency key carried out."""
    d = json.loads(txn.details)
    until = d.get("campaign_until")
    return Quote(
        user_id=txn.user_id, partner=d["partner"], from_amount=d["from_amount"], wallet_used=d.get("wallet_used", 0),
        points_used=d.get("points_used"), to=d["to"], to_amount=d["to_amount"], units=d["units"],
        rate_unit=d["rate"]["unit"], rate_per_unit=d["rate"]["per_unit"], verified=d["rate"]["verified"], source="",
        quoted_on=dt.date.fromisoformat(d["quoted_on"]), campaign=d.get("campaign"),
        campaign_until=dt.date.fromisoformat(until) if until else None,
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


# ---------------------------------------------------------------- coupons (クーポンコード)

def sandbox_issue_coupon(partner_id: str, partner_points: int, *, uow: UnitOfWork, rules: Rules, clock: Clock,
                         sandbox: bool) -> dict:
    """The sandbox partner exchanges `partner_points` and issues a coupon code for their reserved points."""
    _require_sandbox(sandbox)
    partner = _partner(rules, partner_id)
    if partner.transfer != "coupon" or not partner.coupon_prefix:
        raise Refusal("link_partner_no_coupon", partner=partner.id)
    now = clock.now()
    rate = partner.rate_on(now.astimezone(TOKYO).date())
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=now.astimezone(TOKYO).date().isoformat())
    reserved_points = _whole_units(partner, partner_points, rate.unit, rate.minimum) * rate.reserved_per_unit
    expires_at = now + dt.timedelta(days=rules.coupons.valid_days)
    with uow:
        while True:  # 32**8 codes per partner: a collision is all but impossible, but never reuse one
            code = str(coupons.new_code(partner.coupon_prefix))
            if uow.coupons.get(code) is None:
                break
        uow.coupons.add(code=code, partner=partner.id, partner_points=partner_points,
                        reserved_points=reserved_points, issued_at=now, expires_at=expires_at)
        uow.commit()
    return {"kind": "coupon_issued", "code": code, "partner": partner.id, "partner_points": partner_points,
            "reserved_points": reserved_points,
            "expires_on": expires_at.astimezone(TOKYO).date().isoformat(), "verified": rate.verified}


def _coupon_lock(uow: UnitOfWork, user_id: str, rules: Rules, now: dt.datetime) -> tuple[dt.datetime | None, int]:
    """(locked until, failures so far) from the user's recent attempts; a success resets the count."""
    policy = rules.coupons
    attempts = uow.coupons.recent_attempts(user_id, now - dt.timedelta(minutes=policy.failure_window_minutes
                                                                        + policy.lock_minutes))
    failures: list[dt.datetime] = []
    for at, ok in attempts:  # newest first
        if ok:
            break
        failures.append(at)
    in_window = [at for at in failures if at >= failures[0] - dt.timedelta(minutes=policy.failure_window_minutes)] \
        if failures else []
    if len(in_window) >= policy.max_failures:
        until = failures[0] + dt.timedelta(minutes=policy.lock_minutes)
        if now < until:
            return until, len(in_window)
        return None, 0
    recent = [at for at in failures if at >= now - dt.timedelta(minutes=policy.failure_window_minutes)]
    return None, len(recent)


def redeem_coupon(user_id: str, text: str, idempotency_key: str, *, uow: UnitOfWork, rules: Rules,
                  clock: Clock) -> dict:
    """Redeem a coupon code for reserved points (留保ポイント): single use, until it expires.

    Wrong codes count against the user: after `max_failures` within the window, redeeming locks
    for `lock_minutes` (told in plain words with the time it opens again).
    """
    now = clock.now()
    policy = rules.coupons
    with uow:
        uow.lock_user(user_id)
        done = uow.journal.find(idempotency_key)
        if done is not None and done.user_id == user_id:
            return json.loads(done.details) | {"status": "done"}
        until, failures = _coupon_lock(uow, user_id, rules, now)
        if until is not None:
            raise Refusal("coupon_locked", until=until.isoformat(),
                          minutes=max(1, int((until - now).total_seconds() + 59) // 60))
        code = coupons.read_code(text)
        if code is None:
            raise Refusal("coupon_malformed", given=text[:40])
        shown = str(code)

        def fail(reason: str, **details) -> Refusal:
            uow.coupons.record_attempt(user_id, now, ok=False)
            uow.commit()
            left = policy.max_failures - failures - 1
            if left <= 0:
                lock_until = now + dt.timedelta(minutes=policy.lock_minutes)
                return Refusal("coupon_locked", until=lock_until.isoformat(), minutes=policy.lock_minutes)
            return Refusal(reason, code=shown, attempts_left=left, lock_minutes=policy.lock_minutes, **details)

        if not code.check_ok:
            raise fail("coupon_check_digit")
        coupon = uow.coupons.get(shown)
        if coupon is None or rules.coupon_partner(code.prefix) is None:
            raise fail("coupon_unknown")
        if coupon.redeemed_by is not None:
            if coupon.redeemed_by == user_id:
                raise Refusal("coupon_used", code=shown)  # their own again: not a guess
            raise fail("coupon_used")
        if now >= as_utc(coupon.expires_at):
            raise fail("coupon_expired", expired_on=as_utc(coupon.expires_at).astimezone(TOKYO).date().isoformat())
        if not uow.coupons.claim(shown, user_id, now):
            raise fail("coupon_used")
        uow.coupons.record_attempt(user_id, now, ok=True)
        facts = {"kind": "coupon", "code": shown, "partner": coupon.partner, "from_amount": coupon.partner_points,
                 "to": RESERVED, "to_amount": coupon.reserved_points, "status": "done"}
        uow.journal.add(user_id=user_id, kind="coupon", idempotency_key=idempotency_key, at=now, details=facts,
                        entries=[(RESERVED, coupon.reserved_points)])
        uow.commit()
        return facts


# ---------------------------------------------------------------- reserved points (留保ポイント) → municipalities

def find_municipalities(text: str, *, rules: Rules) -> list[Municipality]:
    """Municipalities named by `text`: a prefecture (都道府県) lists its municipalities; a name finds one."""
    prefecture = rules.find_prefecture(text)
    if prefecture is not None:
        return rules.municipalities_in(prefecture)
    municipality = rules.find_municipality(text)
    return [municipality] if municipality else []


def set_home_municipality(user_id: str, municipality_text: str, *, uow: UnitOfWork, rules: Rules,
                          clock: Clock) -> dict:
    """The home municipality (基本自治体) unmoved reserved points go to after 14 days."""
    municipality = rules.find_municipality(municipality_text)
    if municipality is None:
        raise Refusal("unknown_municipality", given=municipality_text)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        uow.profiles.set_home_municipality(user_id, municipality.id, now)
        uow.commit()
    return {"kind": "home_municipality", "municipality": municipality.id, "verified": municipality.verified,
            "status": "done"}


def _destination(rules: Rules, destination: str, today: dt.date) -> tuple[str, dict]:
    """The journal account for a municipality or an open 特定支援イベント, with its facts."""
    municipality = rules.find_municipality(destination)
    if municipality is not None:
        return f"municipal:{municipality.id}", {"municipality": municipality.id, "verified": municipality.verified}
    event = rules.find_event(destination)
    if event is None:
        raise Refusal("unknown_municipality", given=destination)
    if not event.open_on(today):
        raise Refusal("event_closed", event=event.id, on=today.isoformat(), valid_from=event.valid_from.isoformat(),
                      valid_until=event.valid_until.isoformat())
    return f"event:{event.id}", {"event": event.id, "verified": event.verified}


def move_reserved(user_id: str, destination: str, amount: int | None, idempotency_key: str, *, uow: UnitOfWork,
                  rules: Rules, clock: Clock) -> dict:
    """Move reserved points (留保ポイント) to a municipality's points or a 特定支援イベント. One-way.

    `amount` None moves all of them.
    """
    now = clock.now()
    account, place = _destination(rules, destination, now.astimezone(TOKYO).date())
    with uow:
        uow.lock_user(user_id)
        done = uow.journal.find(idempotency_key)
        if done is not None and done.user_id == user_id:
            return json.loads(done.details)
        reserved = uow.journal.balances(user_id).get(RESERVED, 0)
        if reserved <= 0:
            raise Refusal("nothing_reserved")
        amount = reserved if amount is None else amount
        if amount > reserved:
            raise Refusal("not_enough_reserved", available=reserved, given=amount)
        facts = {"kind": "move", "from": RESERVED, "to": account, "amount": amount, "status": "done", **place}
        uow.journal.add(user_id=user_id, kind="move", idempotency_key=idempotency_key, at=now, details=facts,
                        entries=[(RESERVED, -amount), (account, amount)])
        uow.commit()
        return facts


def _reserved_lots(uow: UnitOfWork, user_id: str) -> list[tuple[int, dt.datetime, int]]:
    """Reserved credits still unmoved, oldest first: moves take the oldest points first (FIFO)."""
    entries = uow.journal.account_entries(user_id, RESERVED)
    taken = -sum(amount for _, _, amount in entries if amount < 0)
    lots = []
    for tid, at, amount in entries:
        if amount <= 0:
            continue
        used = min(amount, taken)
        taken -= used
        if amount - used:
            lots.append((tid, at, amount - used))
    return lots


def _auto_move_day(rules: Rules, credited_at: dt.datetime) -> dt.date:
    return credited_at.astimezone(TOKYO).date() + dt.timedelta(days=rules.reserved.auto_move_after_days)


def reserved_schedule(user_id: str, *, uow: UnitOfWork, rules: Rules) -> dict:
    """When each unmoved lot of reserved points moves to the home municipality (基本自治体)."""
    with uow:
        lots = _reserved_lots(uow, user_id)
        home = uow.profiles.home_municipality(user_id)
    return {"kind": "reserved_schedule", "home_municipality": home,
            "lots": [{"amount": amount, "credited_on": at.astimezone(TOKYO).date().isoformat(),
                      "moves_on": _auto_move_day(rules, at).isoformat()} for _, at, amount in lots]}


def run_reserved_auto_moves(*, uow_factory: Callable[[], UnitOfWork], rules: Rules, clock: Clock) -> dict:
    """The daily job: announce, then carry out, the 14-day move of unmoved reserved points.

    A lot due within `notice_days_before` days gets a notice first (once); a lot past its day moves
    to the home municipality with a notice. Without a home municipality the user is asked to pick one.
    Every write carries a key, so running the job twice (or in two processes) changes nothing more.
    """
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    with uow_factory() as uow:
        users = uow.journal.users_with_balance(RESERVED)
    moved = announced = 0
    for user_id in users:
        with uow_factory() as uow:
            uow.lock_user(user_id)
            home = uow.profiles.home_municipality(user_id)
            for tid, at, amount in _reserved_lots(uow, user_id):
                day = _auto_move_day(rules, at)
                payload = {"amount": amount, "moves_on": day.isoformat(), "municipality": home,
                           "credited_on": at.astimezone(TOKYO).date().isoformat()}
                if day <= today and home is not None:
                    key = f"auto-move:{tid}"
                    facts = {"kind": "move", "from": RESERVED, "to": f"municipal:{home}", "amount": amount,
                             "automatic": True, "status": "done", "municipality": home}
                    uow.journal.add(user_id=user_id, kind="auto_move", idempotency_key=key, at=now, details=facts,
                                    entries=[(RESERVED, -amount), (f"municipal:{home}", amount)])
                    uow.notices.add_once(user_id=user_id, kind="reserved_moved", dedupe_key=key, payload=payload,
                                         due_at=now, at=now)
                    moved += amount
                elif day - dt.timedelta(days=rules.reserved.notice_days_before) <= today:
                    kind = "reserved_move_soon" if home else "reserved_needs_home"
                    if uow.notices.add_once(user_id=user_id, kind=kind, dedupe_key=f"{kind}:{tid}", payload=payload,
                                            due_at=now, at=now):
                        announced += 1
            uow.commit()
    return {"kind": "auto_moves", "users": len(users), "moved": moved, "announced": announced}


def _notice(n, locale: str | None) -> dict:
    return {"id": n.id, "user_id": n.user_id, "kind": n.kind, "due_at": as_utc(n.due_at).isoformat(),
            "sent": n.sent_at is not None, "locale": locale, **json.loads(n.payload)}


def notices_for(user_id: str, *, uow: UnitOfWork) -> list[dict]:
    """Every notice written for the user, sent or not (oldest first)."""
    with uow:
        locale = uow.profiles.locale(user_id)
        return [_notice(n, locale) for n in uow.notices.for_user(user_id)]


def claim_due_notices(*, uow: UnitOfWork, clock: Clock, limit: int = 50, lease_seconds: int = 300,
                      user_prefix: str = "") -> list[dict]:
    """Lease due notices to one dispatcher; a notice not marked sent within the lease is offered again."""
    now = clock.now()
    with uow:
        claimed = uow.notices.claim_due(now, limit, dt.timedelta(seconds=lease_seconds), user_prefix)
        found = [_notice(n, uow.profiles.locale(n.user_id)) for n in claimed]
        uow.commit()
        return found


def mark_notice_sent(notice_id: int, *, uow: UnitOfWork, clock: Clock) -> None:
    now = clock.now()
    with uow:
        uow.notices.mark_sent(notice_id, now)
        uow.commit()


def take_notices(user_id: str, *, uow: UnitOfWork, clock: Clock) -> list[dict]:
    """Unsent due notices for a client that pulls them (HTTP API); they count as delivered."""
    now = clock.now()
    with uow:
        locale = uow.profiles.locale(user_id)
        notices = uow.notices.unsent_for(user_id, now)
        found = [_notice(n, locale) for n in notices]
        for n in notices:
            uow.notices.mark_sent(n.id, now)
        uow.commit()
        return found


def remember_locale(user_id: str, locale: str, *, uow: UnitOfWork, clock: Clock) -> None:
    """The language the user last wrote in, so notices reach them in it. Writes only on a change."""
    with uow:
        uow.lock_user(user_id)
        if uow.profiles.locale(user_id) == locale:
            return
        uow.profiles.update(user_id, clock.now(), locale=locale)
        uow.commit()


def user_locale(user_id: str, *, uow: UnitOfWork) -> str | None:
    """The language the user last wrote in (None when they never wrote)."""
    with uow:
        return uow.profiles.locale(user_id)


# ---------------------------------------------------------------- history and advice

def history(user_id: str, *, uow: UnitOfWork, limit: int = 10) -> list[dict]:
    """The user's latest changes, newest first: conversions, coupons, moves (automatic ones too)."""
    with uow:
        rows = uow.journal.history(user_id, limit)
        return [json.loads(txn.details) | {"what": txn.kind, "at": as_utc(txn.created_at).isoformat()} for txn in rows]


def best_route(user_id: str, partner_id: str, amount: int, *, uow: UnitOfWork, rules: Rules,
               gateway: PartnerGateway, clock: Clock) -> dict:
    """Compare every way `amount` partner points can go on today's date, and recommend one.

    Like a route-search site (ポイ探): each route with its rate, the points it gives, what is left over
    (not a whole unit), and why a route is closed (campaign ended, below the minimum, linkage).
    """
    partner = _partner(rules, partner_id)
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    rate = partner.rate_on(today)
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=today.isoformat())
    with uow:
        link_from = uow.links.active_from(uow.links.get(user_id, partner.id)) if partner.transfer == "link" else None
        held = gateway.balance(uow, user_id, partner.id)

    def route(to: str, unit: int, per_unit: int, *, campaign=None, verified: bool, why_closed: str | None = None) -> dict:
        units = amount // unit if amount >= rate.minimum else 0
        wallet_units = partner.wallet_units(units, held.wallet)
        return {"to": to, "unit": unit, "per_unit": per_unit, "units": units, "to_amount": units * per_unit,
                "used": units * unit, "remainder": amount - units * unit, "wallet_used": wallet_units * partner.wallet_first,
                "campaign": campaign.id if campaign else None,
                "campaign_until": campaign.valid_until.isoformat() if campaign else None,
                "verified": verified, "open": why_closed is None, "why_closed": why_closed}

    closed_all = None
    if amount < rate.minimum:
        closed_all = "below_minimum"
    routes = [route(RESERVED, rate.unit, rate.reserved_per_unit, verified=rate.verified, why_closed=closed_all)]
    for campaign in partner.campaigns:
        why = closed_all
        if why is None and today > campaign.valid_until:
            why = "campaign_ended"
        elif why is None and today < campaign.valid_from:
            why = "campaign_not_started"
        for municipality in campaign.municipalities:
            routes.append(route(f"municipal:{municipality}", campaign.unit, campaign.municipal_per_unit,
                                campaign=campaign, verified=campaign.verified, why_closed=why))
    open_routes = [r for r in routes if r["open"] and r["to_amount"] > 0]
    best = max(open_routes, key=lambda r: (r["to_amount"], r["to"] == RESERVED), default=None)
    if partner.transfer == "coupon":
        access = "coupon"
    elif link_from is None:
        access = "not_linked"
    else:
        access = "linked" if now >= link_from else "link_pending"
    return {
        "kind": "route_advice", "partner": partner.id, "amount": amount, "on": today.isoformat(),
        "minimum": rate.minimum, "held": held.points, "wallet": held.wallet, "access": access,
        "active_from": link_from.astimezone(TOKYO).date().isoformat() if link_from else None,
        "routes": routes, "best": best,
    }


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
        uow.lock_user(user_id)
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
        uow.lock_user(user_id)
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

def _check_flown_on(flown_on: dt.date, today: dt.date) -> None:
    if flown_on > today:
        raise Refusal("flight_in_future", flown_on=flown_on.isoformat(), today=today.isoformat())
    if flown_on.year < FIRST_PP_YEAR:
        raise Refusal("flight_too_old", flown_on=flown_on.isoformat())


def _check_pp(premium_points: int) -> None:
    if isinstance(premium_points, bool) or not 0 < premium_points <= MAX_PP_PER_FLIGHT:
        raise Refusal("pp_out_of_range", given=premium_points, maximum=MAX_PP_PER_FLIGHT)


def _airport(rules: Rules | None, text) -> str | None:
    """The IATA code of an airport named in either language, else the text as given."""
    if not text:
        return None
    found = rules.segments.find_airport(str(text)) if rules is not None and rules.segments is not None else None
    return found.code if found else str(text).strip()[:40]


def _route_fields(segment: dict | None, computed: pp.PPResult | None, rules: Rules | None) -> dict:
    """origin, destination, fare and cabin to store: as computed (fare id; a partner's accrual rate as "125%"),
    or as given with PP the user told."""
    if computed is not None:
        fare = computed.fare_id if computed.carrier == "ana" else f"{computed.rate}%"
        return {"origin": computed.origin, "destination": computed.destination, "fare": fare, "cabin": computed.cabin}
    if not segment:
        return {}
    cabin = segment.get("cabin")
    if cabin and rules is not None and rules.fares is not None:
        cabin = rules.fares.find_cabin(cabin) or cabin
    fare = segment.get("fare") or segment.get("partner_rate")
    return {"origin": _airport(rules, segment.get("origin")), "destination": _airport(rules, segment.get("destination")),
            "fare": str(fare).strip()[:64] if fare not in (None, "") else None,
            "cabin": str(cabin)[:16] if cabin else None}


def log_flight(user_id: str, flown_on: dt.date, premium_points: int | None, idempotency_key: str, *,
               uow: UnitOfWork, clock: Clock, ana_group: bool = True, rules: Rules | None = None,
               segment: dict | None = None, flight_number: str | None = None) -> tuple[dict, bool]:
    """Record a flown segment and its premium points (プレミアムポイント). Returns its facts and whether it was new.

    Without `premium_points`, they are computed from `segment` (origin, destination, fare, cabin,
    carrier, partner_rate) by `ledger.pp.compute_pp` with the fare table of the flight's date; an
    unknown route or fare is refused with what to ask for, never guessed. A `flight_number` (便名,
    "NH123", "ANA 0123", …) is stored normalized, and its carrier decides ANA group or partner.
    The route, the fare (its id when computed) and the cabin are stored when a segment is given.
    """
    today = clock.now().astimezone(TOKYO).date()
    _check_flown_on(flown_on, today)
    number = None
    if flight_number:
        number, carrier = read_flight_number(flight_number, rules)
        ana_group = carrier == ANA
    computed = None
    if premium_points is None:
        if not segment:
            raise Refusal("missing_amount")
        carrier = (ANA if ana_group else PARTNER) if number else (segment.get("carrier") or "ana")
        computed = pp.compute_pp(segment.get("origin"), segment.get("destination"), flown_on, segment.get("fare"),
                                 cabin=segment.get("cabin"), carrier=carrier,
                                 partner_rate=segment.get("partner_rate"), rules=rules)
        premium_points, ana_group = computed.pp, computed.carrier == "ana"
    _check_pp(premium_points)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
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
        facts = {"kind": "flight_logged", **flight_facts(existing), "year": year,
                 "year_pp": uow.flights.year_total(user_id, year), "deleted": existing.deleted_at is not None}
        if computed is not None:
            facts["pp_computed"] = computed.facts()
        uow.commit()
        return facts, created


def flights_for_year(user_id: str, year: int, *, uow: UnitOfWork) -> list[tiers.FlightPP]:
    """The user's live flights whose PP count toward `year` (flown that calendar year), oldest first."""
    with uow:
        return [tiers.FlightPP(f.flown_on, f.premium_points, f.ana_group) for f in uow.flights.in_year(user_id, year)]


def list_flights(user_id: str, year: int | None = None, *, uow: UnitOfWork, clock: Clock) -> list[dict]:
    """The user's live flights flown in `year` (default: this year in Tokyo), oldest first, as flight dicts."""
    year = year or clock.today().year
    with uow:
        return [flight_facts(f) for f in uow.flights.in_year(user_id, year)]


def flight(user_id: str, flight_id: int, *, uow: UnitOfWork) -> dict | None:
    """The user's live flight `flight_id` as a flight dict, or None."""
    wanted = _flight_id(flight_id)
    with uow:
        found = uow.flights.live(user_id, wanted) if wanted is not None else None
        return flight_facts(found) if found is not None else None


def find_flights(user_id: str, on: dt.date | None = None, flight_number: str | None = None, *, uow: UnitOfWork,
                 rules: Rules | None = None) -> list[dict]:
    """The user's live flights flown on `on` and/or numbered `flight_number` (normalized), any year, newest first."""
    number = read_flight_number(flight_number, rules)[0] if flight_number else None
    with uow:
        return [flight_facts(f) for f in uow.flights.matching(user_id, on, number)]


def _flight_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def delete_flight(user_id: str, flight_id: int, idempotency_key: str, *, uow: UnitOfWork, clock: Clock) -> dict:
    """Take a logged flight out of the year's PP (the row stays, retired). Facts: the flight and the year's PP after.

    A redelivery with the same key gives the same facts (the year's PP as they are now)."""
    wanted = _flight_id(flight_id)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        flight = uow.flights.find_deleted(idempotency_key)
        if flight is not None:
            if flight.user_id != user_id or flight.id != wanted:
                raise Refusal("idempotency_key_reused")
        else:
            flight = uow.flights.live(user_id, wanted) if wanted is not None else None
            if flight is None:
                raise Refusal("flight_not_found", flight_id=flight_id)
            uow.flights.retire(flight, now, deleted_key=idempotency_key)
        year = flight.flown_on.year
        facts = {"kind": "flight_deleted", "flight": flight_facts(flight), "year": year,
                 "year_pp": uow.flights.year_total(user_id, year)}
        uow.commit()
        return facts


def _edit_facts(uow: UnitOfWork, user_id: str, before, after) -> dict:
    year = after.flown_on.year
    return {"kind": "flight_edited", "before": flight_facts(before), "after": flight_facts(after),
            "year": year, "year_pp": uow.flights.year_total(user_id, year)}


def edit_flight(user_id: str, flight_id: int, idempotency_key: str, *, uow: UnitOfWork, clock: Clock,
                rules: Rules | None = None, premium_points: int | None = None, fare: str | None = None,
                flown_on: dt.date | None = None) -> dict:
    """Correct a logged flight's PP, fare or date: the old row is retired (replaced_by) and a new one written.

    A new fare recomputes the PP (`ledger.pp.compute_pp`, the table of the flight's date) when the flight's
    route is known, else Refusal("route_unknown"); PP given with a fare win, and the fare is stored as given.
    A redelivery with the same key gives the same facts (the year's PP as they are now)."""
    if premium_points is None and fare in (None, "") and flown_on is None:
        raise Refusal("nothing_to_change", flight_id=flight_id)
    today = clock.now().astimezone(TOKYO).date()
    if flown_on is not None:
        _check_flown_on(flown_on, today)
    if premium_points is not None:
        _check_pp(premium_points)
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
            _check_pp(new_pp)
        if (new_pp, day, new_fare) == (old.premium_points, old.flown_on, old.fare):
            raise Refusal("nothing_to_change", flight_id=old.id)
        new = uow.flights.add(user_id=user_id, flown_on=day, premium_points=new_pp, ana_group=old.ana_group,
                              idempotency_key=idempotency_key, created_at=now, flight_number=old.flight_number,
                              origin=old.origin, destination=old.destination, fare=new_fare, cabin=cabin)
        uow.flights.retire(old, now, replaced_by=new.id)
        facts = _edit_facts(uow, user_id, old, new)
        if computed is not None:
            facts["pp_computed"] = computed.facts()
        uow.commit()
        return facts


def status_start(user_id: str, tier_id: str | None, *, uow: UnitOfWork, rules: Rules, clock: Clock,
                 year: int | None = None) -> tiers.StatusStart:
    """When `tier_id` starts (or how far it is) for PP earned this calendar year (Tokyo time).

    Without a tier: the lowest one not yet reached that year (else the highest).
    """
    tier = _tier(rules, tier_id)
    year = year or clock.today().year
    flights = _all_flights(user_id, uow)
    return tiers.status_start(flights, tier or _next_tier(flights, year, rules), year, rules.status)


def _tier(rules: Rules, tier_id: str | None) -> Tier | None:
    try:
        return rules.status.tier(tier_id) if tier_id else None
    except KeyError:
        raise Refusal("unknown_tier", given=tier_id, known=[t.id for t in rules.status.tiers]) from None


def _all_flights(user_id: str, uow: UnitOfWork) -> list[tiers.FlightPP]:
    with uow:
        return [tiers.FlightPP(f.flown_on, f.premium_points, f.ana_group) for f in uow.flights.for_user(user_id)]


def _next_tier(flights: list[tiers.FlightPP], year: int, rules: Rules) -> Tier:
    """The lowest tier not yet reached in `year` (else the highest)."""
    answers = [tiers.status_start(flights, t, year, rules.status) for t in rules.status.tiers]
    return next((a for a in answers if not a.reached), answers[-1]).tier


def status_now(user_id: str, *, uow: UnitOfWork, rules: Rules, clock: Clock,
               on: dt.date | None = None) -> tiers.StatusNow:
    """The status held on `on` (default: today in Tokyo), with why (facts.reason)."""
    return tiers.status_now(_all_flights(user_id, uow), on or clock.today(), rules.status)


def status_end(user_id: str, tier_id: str | None, *, uow: UnitOfWork, rules: Rules, clock: Clock,
               on: dt.date | None = None) -> tiers.StatusEnd:
    """When `tier_id` ends (main_status_until); without a tier, the one held today (else the lowest)."""
    tier = _tier(rules, tier_id)
    on = on or clock.today()
    flights = _all_flights(user_id, uow)
    if tier is None:
        tier = tiers.status_now(flights, on, rules.status).tier or rules.status.tiers[0]
    return tiers.status_end(flights, tier, on, rules.status)


def pp_to_go(user_id: str, tier_id: str | None, *, uow: UnitOfWork, rules: Rules, clock: Clock,
             year: int | None = None) -> dict:
    """PP missing for `tier_id` this calendar year, in total and on ANA-group flights (facts)."""
    tier = _tier(rules, tier_id)
    year = year or clock.today().year
    flights = _all_flights(user_id, uow)
    return tiers.pp_to_go(flights, tier or _next_tier(flights, year, rules), year, rules.status)


MAX_WHAT_IF_FLIGHTS = 200


def what_if(user_id: str, flights: list[tuple[dt.date, int, bool]], tier_id: str | None = None, *,
            uow: UnitOfWork, rules: Rules, clock: Clock) -> tiers.WhatIf:
    """The status answer as if `flights` (date, PP, ANA group) were flown too; nothing is stored.
    The year is that of the last of those flights."""
    if not flights or len(flights) > MAX_WHAT_IF_FLIGHTS:
        raise Refusal("no_flights_given", maximum=MAX_WHAT_IF_FLIGHTS)
    extra = []
    for flown_on, premium_points, ana_group in flights:
        if flown_on.year < FIRST_PP_YEAR:
            raise Refusal("flight_too_old", flown_on=flown_on.isoformat())
        if not 0 < premium_points <= MAX_PP_PER_FLIGHT:
            raise Refusal("pp_out_of_range", given=premium_points, maximum=MAX_PP_PER_FLIGHT)
        extra.append(tiers.FlightPP(flown_on, premium_points, bool(ana_group)))
    tier = _tier(rules, tier_id)
    year = max(f.flown_on for f in extra).year
    logged = _all_flights(user_id, uow)
    return tiers.what_if(logged, extra, tier or _next_tier(logged, year, rules), year, rules.status)


MAX_YEN = 100_000_000


def cheapest(options: list[tuple[str, int, int]]) -> dict:
    """Fares (label, PP, yen) ranked by yen per PP, cheapest first (facts)."""
    if not options or len(options) > MAX_WHAT_IF_FLIGHTS:
        raise Refusal("no_fares_given", maximum=MAX_WHAT_IF_FLIGHTS)
    for label, premium_points, yen in options:
        if not 0 < premium_points <= MAX_PP_PER_FLIGHT:
            raise Refusal("pp_out_of_range", given=premium_points, maximum=MAX_PP_PER_FLIGHT)
        if not 0 < yen <= MAX_YEN:
            raise Refusal("yen_out_of_range", given=yen, maximum=MAX_YEN)
    return tiers.cheapest([(str(label), int(pp), int(yen)) for label, pp, yen in options])


def sfc_eligible_from(user_id: str, *, uow: UnitOfWork, rules: Rules, clock: Clock,
                      on: dt.date | None = None) -> tiers.SfcEligibility:
    """From when SFC can be applied for (Platinum or higher, advance service counts), or how far it is."""
    return tiers.sfc_eligibility(_all_flights(user_id, uow), on or clock.today(), rules.status,
                                 from_tier=rules.status.sfc_from_tier)


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
    if not isinstance(gateway, SandboxPartnerGateway):  # POINTSBOT_PARTNER_URL points at a real partner
        raise Refusal("sandbox_off")
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
        uow.lock_user(user_id)
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
