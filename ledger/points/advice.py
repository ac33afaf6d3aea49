"""Route advice (使い道の比較): every way partner points can go today, with its numbers, and the best one."""
from __future__ import annotations

from ledger.points.model import RESERVED, Route, RouteAdvice
from ledger.points.partners import PartnerGateway
from ledger.points.rules import PointsRules
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only


@checked
@reads_only
def best_route(user_id: str, partner_id: str, amount: int, *, uow: UnitOfWork, rules: PointsRules,
               gateway: PartnerGateway, clock: Clock) -> RouteAdvice:
    """Compare every way `amount` partner points can go on today's date, and recommend one.

    Like a route-search site (ポイ探): each route with its rate, the points it gives, what is left over
    (not a whole unit), and why a route is closed (campaign ended, below the minimum, linkage).
    """
    partner = rules.known_partner(partner_id)
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    rate = partner.rate_on(today)
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=today.isoformat())
    with uow:
        link_from = uow.links.active_from(uow.links.get(user_id, partner.id)) if partner.transfer == "link" else None
        held = gateway.balance(uow, user_id, partner.id)

    def route(to: str, unit: int, per_unit: int, *, campaign=None, verified: bool, why_closed: str | None) -> Route:
        units = amount // unit if amount >= rate.minimum else 0
        return Route(to=to, unit=unit, per_unit=per_unit, units=units, remainder=amount - units * unit,
                     wallet_used=partner.wallet_units(units, held.wallet) * partner.wallet_first, verified=verified,
                     campaign=campaign.id if campaign else None,
                     campaign_until=campaign.valid_until if campaign else None, why_closed=why_closed)

    closed_all = "below_minimum" if amount < rate.minimum else None
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
    open_routes = [r for r in routes if r.open and r.to_amount > 0]
    best = max(open_routes, key=lambda r: (r.to_amount, r.to == RESERVED), default=None)
    if partner.transfer == "coupon":
        access = "coupon"
    elif link_from is None:
        access = "not_linked"
    else:
        access = "linked" if now >= link_from else "link_pending"
    return RouteAdvice(partner=partner.id, amount=amount, on=today, minimum=rate.minimum, held=held.points,
                       wallet=held.wallet, access=access,
                       active_from=link_from.astimezone(TOKYO).date() if link_from else None,
                       routes=tuple(routes), best=best, rule_check=rules.check(today, partner, rate=rate))
