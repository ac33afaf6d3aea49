"""Custom actions. Each reads slots, calls one ledger service, and says the result with facts."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import ledger, locale_of, refuse, say
from ledger.amounts import parse_amount
from ledger.dates import parse_day
from ledger.i18n import fmt_date, t
from ledger.model import Refusal

CONVERSION_SLOTS = ("partner", "amount", "confirm_conversion", "quote_key", "requested_slot")
FLIGHT_SLOTS = ("flight_date", "amount", "requested_slot")


def _reset(*names: str) -> List[EventType]:
    return [SlotSet(name, None) for name in names]


class SimpleReply(Action):
    key = ""

    def name(self) -> Text:
        return f"action_{self.key}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        say(dispatcher, locale_of(tracker), self.key)
        return []


class ActionGreet(SimpleReply):
    key = "greet"


class ActionHelp(SimpleReply):
    key = "help"


class ActionGoodbye(SimpleReply):
    key = "goodbye"


class ActionFallback(SimpleReply):
    key = "fallback"


class ActionDefaultFallback(ActionFallback):
    """Replaces Rasa's default fallback (core fallback) with the same bilingual answer."""

    def name(self) -> Text:
        return "action_default_fallback"


class ActionCancel(Action):
    def name(self) -> Text:
        return "action_cancel"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "cancelled", facts={"kind": "cancelled", "status": "cancelled"})
        return [ActiveLoop(None), *_reset(*CONVERSION_SLOTS, "flight_date")]


# ---------------------------------------------------------------- conversion (交換)

class ActionAskPartner(Action):
    def name(self) -> Text:
        return "action_ask_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        buttons = [
            {"title": p.name(locale), "payload": f'/inform{{"partner":"{p.id}"}}'}
            for p in ledger().rules.link_partners()
        ]
        say(dispatcher, locale, "ask_partner", buttons=buttons)
        return []


class ActionAskAmount(Action):
    def name(self) -> Text:
        return "action_ask_amount"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if tracker.active_loop_name == "flight_form":
            say(dispatcher, locale, "ask_pp")
            return []
        the_ledger = ledger()
        partner = the_ledger.rules.find_partner(tracker.get_slot("partner"))
        rate = partner.rate_on(the_ledger.clock.today()) if partner else None
        if partner is None or rate is None:
            say(dispatcher, locale, "ask_amount_any")
        else:
            say(dispatcher, locale, "ask_amount", partner=partner.name(locale), unit=partner.unit(locale),
                unit_size=rate.unit)
        return []


class ActionAskConfirmConversion(Action):
    """States what will happen and asks yes/no; facts carry `"status": "needs_confirmation"`."""

    def name(self) -> Text:
        return "action_ask_confirm_conversion"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        try:
            quote = the_ledger.quote_conversion(tracker.sender_id, tracker.get_slot("partner"),
                                                parse_amount(tracker.get_slot("amount")))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            return [ActiveLoop(None), *_reset(*CONVERSION_SLOTS)]
        partner = the_ledger.rules.partners[quote.partner]
        key = f"conversion:{tracker.sender_id}:{uuid.uuid4().hex}"
        extra = [] if quote.verified else [t("unverified_rate", locale, source=quote.source)]
        say(dispatcher, locale, "confirm_conversion", facts=quote.facts("needs_confirmation"), extra=extra,
            buttons=[{"title": t("yes", locale), "payload": "/affirm"}, {"title": t("no", locale), "payload": "/deny"}],
            partner=partner.name(locale), unit=partner.unit(locale), from_amount=quote.from_amount,
            to_amount=quote.to_amount, rate_unit=quote.rate_unit, rate_per_unit=quote.rate_per_unit)
        return [SlotSet("quote_key", key)]


class ValidateConversionForm(FormValidationAction):
    """Checks program and amount as soon as they are known, so the user hears why at once."""

    def name(self) -> Text:
        return "validate_conversion_form"

    @staticmethod
    def _stop(dispatcher, locale: str, refusal: Refusal) -> Dict[Text, Any]:
        refuse(dispatcher, locale, refusal, "conversion")
        return {"partner": None, "amount": None, "confirm_conversion": None, "requested_slot": None}

    def validate_partner(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        partner = ledger().rules.find_partner(str(value))
        if partner is None:
            known = [p.id for p in ledger().rules.link_partners()]
            refuse(dispatcher, locale, Refusal("unknown_partner", given=str(value)[:40], known=known), "conversion")
            return {"partner": None}
        if partner.transfer == "coupon":
            return self._stop(dispatcher, locale, Refusal("coupon_partner", partner=partner.id))
        return {"partner": partner.id}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        try:
            amount = parse_amount(value)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            return {"amount": None}
        partner = ledger().rules.find_partner(tracker.get_slot("partner"))
        if partner is None:
            return {"amount": str(amount)}
        try:
            ledger().quote_conversion(tracker.sender_id, partner.id, amount)
        except Refusal as refusal:
            if refusal.reason in {"not_linked", "link_pending", "no_rate", "coupon_partner"} or (
                refusal.reason == "insufficient_balance" and not refusal.details.get("available")
            ):
                return self._stop(dispatcher, locale, refusal)
            refuse(dispatcher, locale, refusal, "conversion")
            return {"amount": None}
        return {"amount": str(amount)}

    def validate_confirm_conversion(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm_conversion": bool(value)}


class ActionConvertPoints(Action):
    """Runs after the form: converts on yes (idempotent by the quote's key), says so on no."""

    def name(self) -> Text:
        return "action_convert_points"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        confirmed = tracker.get_slot("confirm_conversion")
        if confirmed is None:  # the form stopped early; the reason was already said
            return _reset(*CONVERSION_SLOTS)
        if not confirmed:
            say(dispatcher, locale, "not_converted", facts={"kind": "conversion", "status": "cancelled"})
            return _reset(*CONVERSION_SLOTS)
        the_ledger = ledger()
        key = tracker.get_slot("quote_key") or f"conversion:{tracker.sender_id}:{uuid.uuid4().hex}"
        try:
            quote, done_now = the_ledger.convert_points(tracker.sender_id, tracker.get_slot("partner"),
                                                        parse_amount(tracker.get_slot("amount")), key)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            return _reset(*CONVERSION_SLOTS)
        partner = the_ledger.rules.partners[quote.partner]
        balance = the_ledger.balance(tracker.sender_id)
        facts = quote.facts("done") | {"reserved_balance": balance.reserved,
                                       "partner_balance": balance.partners.get(quote.partner, 0)}
        say(dispatcher, locale, "converted" if done_now else "already_converted", facts=facts,
            partner=partner.name(locale), unit=partner.unit(locale), from_amount=quote.from_amount,
            to_amount=quote.to_amount, reserved=balance.reserved, left=balance.partners.get(quote.partner, 0))
        return _reset(*CONVERSION_SLOTS)


class ActionShowBalance(Action):
    def name(self) -> Text:
        return "action_show_balance"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        balance = the_ledger.balance(tracker.sender_id)
        lines = [t("balance_reserved", locale, n=balance.reserved)]
        lines += [t("balance_municipal", locale, name=name, n=n) for name, n in balance.municipal.items()]
        lines += [t("balance_municipal", locale, name=name, n=n) for name, n in balance.events.items()]
        for pid, n in balance.partners.items():
            partner = the_ledger.rules.partners.get(pid)
            lines.append(t("balance_partner", locale, partner=partner.name(locale) if partner else pid, n=n,
                           unit=partner.unit(locale) if partner else ""))
        if not balance.partners:
            lines.append(t("balance_empty", locale))
        say(dispatcher, locale, "balance", facts=balance.facts(), extra=lines)
        return []


# ---------------------------------------------------------------- flights and status (プレミアムポイント)

class ValidateFlightForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_flight_form"

    def validate_flight_date(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        try:
            day = parse_day(str(value), ledger().clock.today())
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "flight_logged")
            return {"flight_date": None}
        return {"flight_date": day.isoformat()}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        try:
            return {"amount": str(parse_amount(value))}
        except Refusal as refusal:
            refuse(dispatcher, locale_of(tracker), refusal, "flight_logged")
            return {"amount": None}


class ActionAskFlightDate(Action):
    def name(self) -> Text:
        return "action_ask_flight_date"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "ask_flight_date")
        return []


class ActionLogFlight(Action):
    def name(self) -> Text:
        return "action_log_flight"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if not tracker.get_slot("flight_date") or not tracker.get_slot("amount"):
            return _reset(*FLIGHT_SLOTS)
        flown_on = dt.date.fromisoformat(tracker.get_slot("flight_date"))
        pp = parse_amount(tracker.get_slot("amount"))
        message_id = (tracker.latest_message or {}).get("message_id") or uuid.uuid4().hex
        try:
            facts, created = ledger().log_flight(tracker.sender_id, flown_on, pp, f"flight:{tracker.sender_id}:{message_id}")
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "flight_logged")
            return _reset(*FLIGHT_SLOTS)
        say(dispatcher, locale, "flight_logged" if created else "flight_already", facts=facts | {"status": "done"},
            date=fmt_date(flown_on, locale), pp=facts["pp"], year=str(facts["year"]), year_pp=facts["year_pp"],
            group=t("ana_group" if facts["ana_group"] else "partner_flight", locale))
        return _reset(*FLIGHT_SLOTS)


class ActionStatusStart(Action):
    """When does Bronze/Platinum/Diamond start — with the reason, to the day."""

    def name(self) -> Text:
        return "action_status_start"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        tier_id = (tracker.get_slot("tier") or "").lower() or None
        today = the_ledger.clock.today()
        try:
            answer = the_ledger.status_start(tracker.sender_id, tier_id)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "status_start")
            return [SlotSet("tier", None)]
        tier = answer.tier.name(locale)
        d = lambda day: fmt_date(day, locale)  # noqa: E731
        if not answer.reached:
            missing_group = (t("status_missing_group", locale, n=answer.ana_group_pp_missing)
                             if answer.ana_group_pp_missing and answer.ana_group_pp_missing != answer.pp_missing else "")
            say(dispatcher, locale, "status_not_yet", facts=answer.facts(), tier=tier, pp=answer.pp,
                year=str(answer.year), group_pp=answer.ana_group_pp, need=answer.tier.pp,
                need_group=answer.tier.ana_group_pp, missing=max(answer.pp_missing, answer.ana_group_pp_missing),
                missing_group=missing_group)
            return [SlotSet("tier", None)]
        lines = []
        partner_window = answer.pp_credited_by != answer.pp_credited_on
        if partner_window:
            lines.append(t("status_why_partner", locale, flight_on=d(answer.flight_on), pp=answer.pp,
                           year=str(answer.year), credited=d(answer.pp_credited_on), credited_by=d(answer.pp_credited_by),
                           advance_from=d(answer.advance_service_from), advance_by=d(answer.advance_service_by)))
        else:
            lines.append(t("status_why", locale, flight_on=d(answer.flight_on), pp=answer.pp, year=str(answer.year),
                           group_pp=answer.ana_group_pp, tier=tier, need=answer.tier.pp,
                           need_group=answer.tier.ana_group_pp, credited=d(answer.pp_credited_on)))
        if answer.pp_credited_on <= today < answer.advance_service_from and not answer.early_months_rule \
                and not partner_window:
            lines.append(t("status_today_gap", locale))
        if answer.early_months_rule:
            lines.append(t("status_early_months", locale))
        lines.append(t("status_main", locale, main_from=d(answer.main_status_from), main_until=d(answer.main_status_until)))
        key = "status_started" if answer.advance_service_from <= today else "status_will_start"
        say(dispatcher, locale, key, facts=answer.facts(), extra=lines, tier=tier,
            advance_from=d(answer.advance_service_from), advance_until=d(answer.advance_service_until))
        return [SlotSet("tier", None)]
