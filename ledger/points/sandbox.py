"""The sandbox partner (サンドボックス): balances, ID linkages and coupon codes for trying the assistant without
a real partner. Refused when sandbox mode is off, or when a real partner's API is configured."""
from __future__ import annotations

import datetime as dt

from ledger.points import coupon_codes
from ledger.points.model import CouponIssued
from ledger.points.partners import PartnerGateway, SandboxPartnerGateway
from ledger.points.rules import PointsRules
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork


def require_sandbox(sandbox: bool) -> None:
    if not sandbox:
        raise Refusal("sandbox_off")


@checked
def sandbox_grant(user_id: str, partner_id: str, amount: int, wallet: int = 0, *, uow: UnitOfWork,
                  rules: PointsRules, gateway: PartnerGateway, clock: Clock, sandbox: bool) -> int:
    """Add `amount` points (and `wallet` 永久不滅ウォレット) at a sandbox partner; returns the points held after."""
    require_sandbox(sandbox)
    if not isinstance(gateway, SandboxPartnerGateway):  # POINTSBOT_PARTNER_URL points at a real partner
        raise Refusal("sandbox_off")
    partner = rules.known_partner(partner_id)
    now = clock.now()
    with uow:
        gateway.grant(uow, user_id, partner.id, amount, wallet, now)
        uow.commit()
        return gateway.balance(uow, user_id, partner.id).points


@checked
def sandbox_link(user_id: str, partner_id: str, *, uow: UnitOfWork, rules: PointsRules, clock: Clock,
                 sandbox: bool) -> None:
    """An ID linkage that is active at once (sandbox only)."""
    require_sandbox(sandbox)
    partner = rules.known_partner(partner_id)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        uow.links.upsert(user_id, partner.id, requested_at=now, active_from=now)
        uow.commit()


@checked
def sandbox_issue_coupon(partner_id: str, partner_points: int, *, uow: UnitOfWork, rules: PointsRules, clock: Clock,
                         sandbox: bool) -> CouponIssued:
    """The sandbox partner exchanges `partner_points` and issues a coupon code for their reserved points."""
    require_sandbox(sandbox)
    partner = rules.known_partner(partner_id)
    if partner.transfer != "coupon" or not partner.coupon_prefix:
        raise Refusal("link_partner_no_coupon", partner=partner.id)
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    rate = partner.rate_on(today)
    if rate is None:
        raise Refusal("no_rate", partner=partner.id, on=today.isoformat())
    reserved_points = partner.whole_units(partner_points, rate.unit, rate.minimum) * rate.reserved_per_unit
    expires_at = now + dt.timedelta(days=rules.coupons.valid_days)
    with uow:
        while True:  # 32**8 codes per partner: a collision is all but impossible, but never reuse one
            code = str(coupon_codes.new_code(partner.coupon_prefix))
            if uow.coupons.get(code) is None:
                break
        uow.coupons.add(code=code, partner=partner.id, partner_points=partner_points,
                        reserved_points=reserved_points, issued_at=now, expires_at=expires_at, sandbox=True)
        uow.commit()
    return CouponIssued(code=code, partner=partner.id, partner_points=partner_points, reserved_points=reserved_points,
                        expires_on=expires_at.astimezone(TOKYO).date(), verified=rate.verified)
