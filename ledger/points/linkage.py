"""ID linkage (移行用のサービスID設定): a partner reached by linkage exchanges only once the link is active.

The user logs in on the partner's own screen and consents there (docomo: the d ACCOUNT login, then
「サービス連携の同意」); the link is active after the partner's delay — docomo at once, JAL up to a week,
Saison and カテエネ an assumed delay no source gives. Delays, login and consent are the rules data's
(`partners.yml`, `linkage:`)."""
from __future__ import annotations

import datetime as dt

from ledger.points.model import LinkStatus
from ledger.points.rules import Partner, PointsRules
from ledger.points.sessions import require_login
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only


def _status(partner: Partner, active_from: dt.datetime | None, now: dt.datetime, rules: PointsRules) -> LinkStatus:
    linkage = partner.linkage
    known = dict(activation_days=linkage.activation_days, delay_verified=linkage.verified,
                 shows_set=linkage.shows_set) if linkage else {}
    check = rules.check(now.astimezone(TOKYO).date(), partner, linkage=True)
    if active_from is None:
        return LinkStatus(partner=partner.id, status="not_linked", rule_check=check, **known)
    return LinkStatus(partner=partner.id, status="active" if now >= active_from else "pending",
                      active_from=active_from.astimezone(TOKYO).date(), rule_check=check, **known)


@checked
def request_link(user_id: str, partner_id: str, *, uow: UnitOfWork, rules: PointsRules, clock: Clock,
                 sandbox: bool) -> LinkStatus:
    """Link the user's ID once they have logged in and consented on the partner's side (in sandbox: one
    confirmation); active after the partner's delay (docomo: at once; JAL: up to a week).

    Asking again while pending or active changes nothing (the date is never pushed back).
    """
    partner = rules.known_partner(partner_id)
    if partner.transfer != "link":
        raise Refusal("coupon_partner", partner=partner.id)
    now = clock.now()
    with uow:
        require_login(uow, user_id, now, sandbox)
        uow.lock_user(user_id)
        link = uow.links.get(user_id, partner.id)
        active_from = uow.links.active_from(link)
        if active_from is None:
            active_from = now + dt.timedelta(days=partner.link_activation_days)
            uow.links.upsert(user_id, partner.id, requested_at=now, active_from=active_from)
            _link_notices(uow, user_id, partner, active_from, now, rules)
            uow.commit()
        return _status(partner, active_from, now, rules)


def _link_key(user_id: str, partner_id: str, active_from: dt.datetime) -> str:
    return f"link_active:{user_id}:{partner_id}:{active_from.isoformat()}"


def _campaign_key(user_id: str, partner_id: str, campaign_id: str) -> str:
    return f"campaign_ends:{user_id}:{partner_id}:{campaign_id}"


def _link_notices(uow: UnitOfWork, user_id: str, partner: Partner, active_from: dt.datetime, now: dt.datetime,
                  rules: PointsRules) -> None:
    """Written with the link: "the ID linkage is now active" when it waits, and "a campaign rate ends in N days"
    for each campaign of the partner still running then (N: partners.yml notices)."""
    if active_from > now:
        uow.notices.add_once(user_id=user_id, kind="link_active", dedupe_key=_link_key(user_id, partner.id, active_from),
                             payload={"partner": partner.id, "active_from": active_from.isoformat()},
                             due_at=active_from, at=now)
    today = now.astimezone(TOKYO).date()
    for campaign in partner.campaigns:
        warn_on = campaign.valid_until - dt.timedelta(days=rules.campaign_notice_days)
        if campaign.valid_until >= today and warn_on >= today:
            due = dt.datetime.combine(warn_on, dt.time(9), tzinfo=TOKYO).astimezone(dt.timezone.utc)
            uow.notices.add_once(user_id=user_id, kind="campaign_ends", dedupe_key=_campaign_key(
                user_id, partner.id, campaign.id), payload={
                    "partner": partner.id, "campaign": campaign.id, "valid_until": campaign.valid_until.isoformat(),
                    "days": rules.campaign_notice_days, "municipality": campaign.municipalities[0]},
                due_at=due, at=now)


@checked
def unlink(user_id: str, partner_id: str, *, uow: UnitOfWork, rules: PointsRules, clock: Clock,
           sandbox: bool) -> LinkStatus:
    """End an ID linkage; exchanges from that partner need a new one."""
    partner = rules.known_partner(partner_id)
    now = clock.now()
    with uow:
        require_login(uow, user_id, now, sandbox)
        uow.lock_user(user_id)
        link = uow.links.get(user_id, partner.id)
        active_from = uow.links.active_from(link)
        if active_from is None:
            raise Refusal("not_linked", partner=partner.id)
        link.unlinked_at = now
        uow.notices.withdraw(_link_key(user_id, partner.id, active_from))     # they no longer hold
        for campaign in partner.campaigns:
            uow.notices.withdraw(_campaign_key(user_id, partner.id, campaign.id))
        uow.commit()
    return _status(partner, None, now, rules)


@checked
@reads_only
def link_statuses(user_id: str, *, uow: UnitOfWork, rules: PointsRules, clock: Clock) -> dict[str, LinkStatus]:
    """Every ID-linkage partner with its state: active (設定済み), pending, or not_linked."""
    now = clock.now()
    with uow:
        links = {link.partner: uow.links.active_from(link) for link in uow.links.for_user(user_id)}
    return {p.id: _status(p, links.get(p.id), now, rules) for p in rules.link_partners()}
