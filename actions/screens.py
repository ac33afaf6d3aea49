"""The platform's list screens, by chat: the three histories (留保ポイント・自治体ポイント・特定支援イベントポイントの
履歴照会), each on its own, and the partner list (地域経済応援ポイント協力会社一覧) with this user's link to each."""
from __future__ import annotations

from typing import Text

from rasa_sdk import Action

from actions.points import place_name
from actions.runtime import ledger, locale_of, partner_names, say
from i18n import fmt_date, fmt_moment, t
from ledger.points.screens import ACCOUNTS


def _entry_line(entry, locale: str) -> str:
    moved = entry.what in ("move", "auto_move")
    key = f"{entry.what}_{'out' if entry.amount < 0 else 'in'}" if moved else entry.what
    here = "" if entry.account == "reserved" else f" ({place_name(entry.account, locale)})"
    return t(f"history_entry.{key}", locale, at=fmt_moment(entry.at, locale), amount=abs(entry.amount),
             from_amount=entry.from_amount or 0, code=entry.code or "", to_place=here,
             place=place_name(entry.counterpart, locale), **partner_names(locale, entry.partner))


class ActionShowHistory(Action):
    """履歴照会: the history the user names (reserved, municipal or event points), else all three, each on its own."""

    def name(self) -> Text:
        return "action_show_history"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        named = the_ledger.rules.histories_named((tracker.latest_message or {}).get("text"))
        accounts = [a for a in ACCOUNTS if a in named] or list(ACCOUNTS)
        histories = [the_ledger.account_history(tracker.sender_id, account) for account in accounts]
        lines = []
        for history in histories:
            lines.append(t(f"history_section.{history.account}", locale, n=sum(history.balance.values())))
            lines += [_entry_line(e, locale) for e in history.entries] or [t("history_none", locale)]
        facts = {"kind": "history", "accounts": accounts, "histories": {h.account: h.facts() for h in histories},
                 "items": the_ledger.history(tracker.sender_id)}
        say(dispatcher, locale, "history", facts=facts, extra=lines)
        return []


class ActionListPartners(Action):
    """協力会社一覧: every partner, how its points come (ID linkage or coupon code), today's rate, and this user's
    link to it."""

    def name(self) -> Text:
        return "action_list_partners"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        listed = the_ledger.partner_list(tracker.sender_id)
        lines = []
        for entry in listed.partners:
            partner = the_ledger.rules.partners[entry.partner]
            how = entry.link_status or "coupon"
            if how == "active" and partner.linkage and not partner.linkage.shows_set:
                how = "active_unmarked"
            names = partner_names(locale, entry.partner)
            rate = (t("partner_rate", locale, unit_amount=entry.unit, per_unit=entry.per_unit, **names)
                    if entry.unit else t("partner_no_rate", locale))
            places = [place_name(f"municipal:{m}", locale) for m in entry.campaigns]
            lines.append(t("partner_line", locale, how=t(f"partner_how.{how}", locale,
                                                          active_from=fmt_date(entry.active_from, locale)),
                           rate=rate, minimum=t("partner_minimum", locale, minimum=entry.minimum, **names)
                           if entry.minimum > 1 else "",
                           campaign=t("partner_campaign", locale, places=places) if places else "",
                           unverified="" if entry.verified else t("partner_unverified", locale), **names))
        say(dispatcher, locale, "partner_list", facts=listed.facts(), extra=lines)
        return []
