"""The platform's screens that are lists, in chat: the three histories (留保ポイント・自治体ポイント・特定支援イベント
ポイントの履歴照会), each on its own, and the partner list (地域経済応援ポイント協力会社一覧) with this user's link
to each partner."""
from __future__ import annotations

import json

from ledger.points.model import RESERVED, AccountEntry, AccountHistory, PartnerEntry, PartnerList
from ledger.points.rules import PointsRules
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock, as_utc
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only

ACCOUNTS = ("reserved", "municipal", "event")   # the three histories, in the platform's menu order
MAX_ENTRIES = 50


def _entry(entry) -> AccountEntry:
    txn = entry.transaction
    details = json.loads(txn.details)
    others = [e.account for e in txn.entries if e.account != entry.account]
    return AccountEntry(at=as_utc(txn.created_at), account=entry.account, amount=int(entry.amount), what=txn.kind,
                        partner=details.get("partner"), from_amount=details.get("from_amount"),
                        code=details.get("code"), counterpart=others[0] if others else None)


@checked
@reads_only
def account_history(user_id: str, account: str, limit: int = 10, *, uow: UnitOfWork) -> AccountHistory:
    """One of the three histories, newest first, with that account's balance now."""
    if account not in ACCOUNTS:
        raise Refusal("unknown_account", given=str(account)[:40], known=list(ACCOUNTS))
    with uow:
        entries = tuple(_entry(e) for e in uow.journal.latest_entries(user_id, account, min(limit, MAX_ENTRIES)))
        balances = uow.journal.balances(user_id)
    if account == RESERVED:
        balance = {RESERVED: balances.get(RESERVED, 0)}
    else:
        balance = {k.split(":", 1)[1]: v for k, v in balances.items() if k.startswith(f"{account}:")}
    return AccountHistory(account=account, entries=entries, balance=balance)


@checked
@reads_only
def partner_list(user_id: str, *, uow: UnitOfWork, rules: PointsRules, clock: Clock) -> PartnerList:
    """Every partner: whether it needs ID linkage or gives coupon codes, today's rate and campaigns, and this
    user's link to it (active, pending, not linked)."""
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    with uow:
        links = {link.partner: uow.links.active_from(link) for link in uow.links.for_user(user_id)}
    entries = []
    for partner in rules.partners.values():
        rate = partner.rate_on(today)
        link_status = active_from = None
        if partner.transfer == "link":
            since = links.get(partner.id)
            link_status = "not_linked" if since is None else "active" if now >= since else "pending"
            active_from = since.astimezone(TOKYO).date() if since else None
        open_campaigns = tuple(m for c in partner.campaigns if c.applies_on(today) for m in c.municipalities)
        entries.append(PartnerEntry(
            partner=partner.id, transfer=partner.transfer, link_status=link_status, active_from=active_from,
            unit=rate.unit if rate else None, per_unit=rate.reserved_per_unit if rate else None,
            minimum=rate.minimum if rate else 0, verified=rate.verified if rate else False,
            campaigns=open_campaigns))
    return PartnerList(partners=tuple(entries), rule_check=rules.check(today))
