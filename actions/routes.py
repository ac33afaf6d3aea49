"""The best use of points (使い道の比較), like ポイ探 in chat: every route partner points can take today, with its
numbers, and the one to pick — asked for by its own form, or about an exchange waiting for its yes."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction

from actions.forms import ROUTE_SLOTS, RejectOtherIntents, is_all, reset
from actions.points import partner_buttons, partner_names, place_name
from actions.runtime import ledger, locale_of, refuse, say
from i18n import fmt_date, t
from ledger.shared.amounts import parse_amount
from ledger.shared.refusals import Refusal


class ActionAskRouteFormPartner(Action):
    def name(self) -> Text:
        return "action_ask_route_form_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_partner_route",
            buttons=partner_buttons(locale, ledger().rules.partners.values()))
        return []


class ActionAskRouteFormAmount(Action):
    def name(self) -> Text:
        return "action_ask_route_form_amount"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_route_amount", **partner_names(locale, tracker.get_slot("partner")))
        return []


class ValidateRouteForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_route_form"

    def validate_partner(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        partner = ledger().rules.find_partner(str(value))
        if partner is None:
            known = list(ledger().rules.partners)
            refuse(dispatcher, locale_of(tracker), Refusal("unknown_partner", given=str(value)[:40], known=known),
                   "route_advice")
            return {"partner": None}
        return {"partner": partner.id}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if is_all(value) and tracker.get_slot("partner"):
            held = ledger().balance(tracker.sender_id).partners.get(tracker.get_slot("partner"), 0)
            if held > 0:
                return {"amount": str(held)}
        try:
            return {"amount": str(parse_amount(value))}
        except Refusal as refusal:
            refuse(dispatcher, locale_of(tracker), refusal, "route_advice")
            return {"amount": None}


class ActionBestRoute(Action):
    """Every route open on the (test-clock) date with its numbers, and the one to pick — like ポイ探, in chat."""

    def name(self) -> Text:
        return "action_best_route"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if not tracker.get_slot("partner") or not tracker.get_slot("amount"):
            return reset(*ROUTE_SLOTS)
        try:
            advice = ledger().best_route(tracker.sender_id, tracker.get_slot("partner"),
                                         parse_amount(tracker.get_slot("amount")))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "route_advice")
            return reset(*ROUTE_SLOTS)
        say_routes(dispatcher, locale, advice)
        return reset(*ROUTE_SLOTS)


def say_routes(dispatcher, locale: str, advice, **more_facts) -> None:
    """Every route with its numbers and the one to pick (ポイ探-style), in words and facts."""
    names = partner_names(locale, advice.partner)
    lines = []
    for route in advice.routes:
        place = place_name(route.to, locale)
        if not route.open:
            why = t(f"why_{route.why_closed}", locale, minimum=advice.minimum,
                    until=fmt_date(route.campaign_until, locale))
            lines.append(t("route_closed", locale, place=place, why=why))
            continue
        lines.append(t(
            "route_line", locale, place=place, to_amount=route.to_amount, units=route.units,
            unit_size=route.unit, per_unit=route.per_unit,
            until=t("route_until", locale, until=fmt_date(route.campaign_until, locale)) if route.campaign else "",
            remainder=t("route_remainder", locale, n=route.remainder, unit=names["unit"]) if route.remainder else "",
            unverified="" if route.verified else t("route_unverified", locale)))
    best = advice.best
    if best:
        lines.append(t("route_best", locale, place=place_name(best.to, locale), to_amount=best.to_amount,
                       used=best.used, unit=names["unit"]))
    else:
        lines.append(t("route_none", locale))
    access = {"not_linked": "route_not_linked", "link_pending": "route_link_pending", "coupon": "route_coupon"}
    if advice.access in access:
        lines.append(t(access[advice.access], locale, active_from=fmt_date(advice.active_from, locale), **names))
    if advice.access != "coupon" and advice.held < advice.amount:
        lines.append(t("route_held", locale, held=advice.held, **names))
    say(dispatcher, locale, "route_header", facts=advice.facts() | more_facts, extra=lines, amount=advice.amount,
        on=fmt_date(advice.on, locale), **names)

