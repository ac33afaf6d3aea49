"""Exchanging partner points (ポイント交換): the quote told before the user confirms, the exchange itself, the
balance and the history.

Partner points go to reserved points (留保ポイント) at the normal rate, or straight to a municipality's points
(自治体ポイント) at a campaign rate while the campaign runs. The exchange runs as a saga (`exchanges`).
"""
from __future__ import annotations

import datetime as dt
import json

from ledger.points import exchanges
from ledger.points.model import RESERVED, Balance, ConversionPreview, Quote
from ledger.points.partners import PartnerGateway
from ledger.points.rules import Partner, PointsRules
from ledger.points.sessions import require_login
from ledger.shared.amounts import Share
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock, as_utc
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only


def make_quote(uow: UnitOfWork, user_id: str, partner: Partner, amount: int, *, rules: PointsRules,
               gateway: PartnerGateway, now: dt.datetime, destination: str | None = None) -> Quote:
    """What exchanging `amount` gives, read inside the caller's unit of work. Raises a Refusal naming what is wrong:
    a coupon partner, an unknown municipality, no linkage yet, no rate or campaign today, not whole units, or
    more than the user holds."""
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
    units = partner.whole_units(amount, unit, rate.minimum)
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
        rule_check=rules.check(today, partner, rate=rate, campaign=campaign),
    )


@checked
@reads_only
def quote_conversion(user_id: str, partner_id: str, amount: int, destination: str | None = None, *,
                     uow: UnitOfWork, rules: PointsRules, gateway: PartnerGateway, clock: Clock) -> Quote:
    """What converting `amount` partner points would give, without changing anything."""
    partner = rules.known_partner(partner_id)
    now = clock.now()
    with uow:
        return make_quote(uow, user_id, partner, amount, rules=rules, gateway=gateway, now=now, destination=destination)


@checked
@reads_only
def preview_conversion(user_id: str, partner_id: str, amount: int | None = None, share: Share | None = None,
                       destination: str | None = None, units: int | None = None, *, uow: UnitOfWork,
                       rules: PointsRules, gateway: PartnerGateway, clock: Clock) -> ConversionPreview:
    """What `amount` (or a `share` of what the user holds: 全部, 半分, "all but 1,000") would give, in whole units,
    with what stays: the answer to "how many would I get for 12,345 miles?". Never refused for odd amounts or
    for holding too little; refused only when no exchange is possible (a coupon partner, no rate today, no
    campaign to that municipality), or when a share is asked of a program not linked yet (nothing is known).
    `units` is a number of 口 as the platform's screens count them (1口 = 100 Saison points): 5口 is 500 points."""
    partner = rules.known_partner(partner_id)
    if sum(x is not None for x in (amount, share, units)) != 1:
        raise Refusal("missing_amount")
    today = clock.now().astimezone(TOKYO).date()
    if partner.transfer == "coupon":
        raise Refusal("coupon_partner", partner=partner.id)
    rate = partner.rate_on(today)
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=today.isoformat())
    municipality = rules.find_municipality(destination) if destination else None
    if destination and municipality is None:
        raise Refusal("unknown_municipality", given=destination)
    campaign = partner.campaign_on(today, municipality.id) if municipality else None
    if municipality is not None and campaign is None:
        raise Refusal("no_campaign", partner=partner.id, municipality=municipality.id, on=today.isoformat(),
                      ended_on=None, reserved_per_unit=rate.reserved_per_unit, unit_size=rate.unit)
    unit = campaign.unit if campaign else rate.unit
    with uow:
        linked = uow.links.active_from(uow.links.get(user_id, partner.id)) is not None
        held = gateway.balance(uow, user_id, partner.id).points if linked else None
    if share is not None and held is None:
        raise Refusal("not_linked", partner=partner.id)
    asked = share.of(held) if share is not None else units * unit if units is not None else amount
    whole = asked // unit if asked >= rate.minimum else 0
    return ConversionPreview(
        partner=partner.id, asked=asked, share=share.kind if share else None, units_said=units, held=held,
        linked=linked,
        to=f"municipal:{municipality.id}" if campaign else RESERVED, units=whole, rate_unit=unit,
        rate_per_unit=campaign.municipal_per_unit if campaign else rate.reserved_per_unit, minimum=rate.minimum,
        verified=(campaign or rate).verified, source=(campaign or rate).source,
        campaign=campaign.id if campaign else None, campaign_until=campaign.valid_until if campaign else None,
        rule_check=rules.check(today, partner, rate=rate, campaign=campaign))


QUOTE_VALID = dt.timedelta(minutes=10)


def _terms(quote: Quote) -> tuple:
    """What the user agrees to: what is debited (points and wallet), where it goes, how much arrives, at what rate."""
    return (quote.partner, quote.from_amount, quote.points_debited, quote.wallet_used, quote.to, quote.to_amount,
            quote.rate_unit, quote.rate_per_unit, quote.campaign)


@checked
def offer_conversion(user_id: str, partner_id: str, amount: int, quote_key: str, destination: str | None = None,
                     *, uow: UnitOfWork, read_uow: UnitOfWork, rules: PointsRules, gateway: PartnerGateway,
                     clock: Clock) -> Quote:
    """The quote shown before the user confirms, kept under the confirmation's key for QUOTE_VALID: `convert_points`
    with that key carries out this quote or, if the rate, the wallet or the balance changed meanwhile, refuses
    (`quote_changed`, `quote_expired`) so the new quote is shown and asked again. Never a different amount silently."""
    partner = rules.known_partner(partner_id)
    now = clock.now()
    with read_uow:  # the partner is asked without holding a write lock
        quote = make_quote(read_uow, user_id, partner, amount, rules=rules, gateway=gateway, now=now,
                           destination=destination)
    with uow:
        uow.quotes.purge(now - dt.timedelta(days=1))
        uow.quotes.put(quote_key=quote_key, user_id=user_id, quote=exchanges.quote_to_json(quote), at=now,
                       expires_at=now + QUOTE_VALID)
        uow.commit()
    return quote


def _offered(reader: UnitOfWork, key: str, user_id: str, quote: Quote, now: dt.datetime) -> None:
    """Refuse if the quote shown under `key` expired or differs from `quote` (what would be carried out now)."""
    offered = reader.quotes.get(key)
    if offered is None:
        return
    if offered.user_id != user_id:
        raise Refusal("idempotency_key_reused")
    shown = exchanges.quote_from_json(offered.quote)
    if now > as_utc(offered.expires_at):
        raise Refusal("quote_expired", partner=quote.partner, minutes=int(QUOTE_VALID.total_seconds() // 60))
    if _terms(shown) != _terms(quote):
        raise Refusal("quote_changed", partner=quote.partner, from_amount=quote.from_amount,
                      to_amount_before=shown.to_amount, to_amount=quote.to_amount,
                      points_used_before=shown.points_debited, points_used=quote.points_debited,
                      wallet_used_before=shown.wallet_used, wallet_used=quote.wallet_used)


@checked
def convert_points(user_id: str, partner_id: str, amount: int, idempotency_key: str, destination: str | None = None,
                   *, uow: UnitOfWork, read_uow: UnitOfWork, rules: PointsRules, gateway: PartnerGateway,
                   clock: Clock, sandbox: bool) -> tuple[Quote, bool]:
    """Debit the partner and credit reserved points (留保ポイント) — or a municipality's points at a
    campaign rate — as a saga (`ledger.points.exchanges`): each happens once, even across a partner timeout
    or a process that dies in between. The quote is made on `read_uow` (reads only), so a slow partner API is
    never waited on while holding the database's write lock.

    Returns the quote and whether this call did the work (False when the key was already used,
    e.g. a retried Telegram update or a double-pressed button). Raises ExchangePending (reason
    `exchange_pending`, status `pending`) when the partner did not answer; a retry with the same key
    or the recovery job finishes it. When a quote was offered under the key (`offer_conversion`), only that
    quote is carried out: Refusal `quote_changed` or `quote_expired` otherwise, and nothing moves.
    """
    partner = rules.known_partner(partner_id)
    now = clock.now()
    with read_uow:  # only reads here; the saga takes the per-user lock for each step
        require_login(read_uow, user_id, now, sandbox)
        done = read_uow.journal.find(idempotency_key)
        if done is not None:
            if done.user_id != user_id:
                raise Refusal("idempotency_key_reused")
            return _stored_quote(done), False
        started = read_uow.exchanges.get(idempotency_key)  # a retry of an unfinished exchange continues it
        if started is not None and started.user_id != user_id:
            raise Refusal("idempotency_key_reused")
        if started is not None:
            quote = exchanges.quote_from_json(started.quote)
        else:
            quote = make_quote(read_uow, user_id, partner, amount, rules=rules, gateway=gateway, now=now,
                               destination=destination)
            _offered(read_uow, idempotency_key, user_id, quote, now)
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


@checked
@reads_only
def balance(user_id: str, *, uow: UnitOfWork, gateway: PartnerGateway) -> Balance:
    """Reserved points, each municipality's points, event points, and partner balances."""
    with uow:
        accounts = uow.journal.balances(user_id)
        partners = {p: b.points for p, b in sorted(gateway.balances(uow, user_id).items())}
        home = uow.profiles.home_municipality(user_id)
    return Balance(home=home,
        reserved=accounts.get(RESERVED, 0),
        municipal={k.split(":", 1)[1]: v for k, v in accounts.items() if k.startswith("municipal:")},
        events={k.split(":", 1)[1]: v for k, v in accounts.items() if k.startswith("event:")},
        partners=partners,
    )


@checked
@reads_only
def history(user_id: str, limit: int = 10, *, uow: UnitOfWork) -> list[dict]:
    """The user's latest changes, newest first: conversions, coupons, moves (automatic ones too)."""
    with uow:
        rows = uow.journal.history(user_id, limit)
        return [json.loads(txn.details) | {"what": txn.kind, "at": as_utc(txn.created_at).isoformat()} for txn in rows]
