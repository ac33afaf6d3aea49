"""Custom actions. Each reads slots, calls one ledger service, and says the result with facts."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import ledger, locale_of, only_entities, refuse, say
from ledger.amounts import parse_amount
from ledger.dates import parse_day
from ledger.i18n import fmt_date, fmt_moment, t
from ledger.model import Refusal

CONVERSION_SLOTS = ("partner", "amount", "municipality", "confirm_conversion", "quote_key", "requested_slot")
FLIGHT_SLOTS = ("flight_date", "amount", "route", "fare", "cabin", "flight_number", "carrier", "requested_slot")
FLIGHT_CHANGE_SLOTS = ("flight_id", "flight_lookup", "amount", "fare", "confirm", "quote_key", "requested_slot")
LINK_SLOTS = ("partner", "confirm", "requested_slot")
COUPON_SLOTS = ("coupon_code", "requested_slot")
MOVE_SLOTS = ("prefecture", "municipality", "event", "amount", "confirm", "quote_key", "requested_slot")
ROUTE_SLOTS = ("partner", "amount", "requested_slot")
EVERY_FORM_SLOT = tuple(dict.fromkeys(CONVERSION_SLOTS + FLIGHT_SLOTS + FLIGHT_CHANGE_SLOTS + LINK_SLOTS + COUPON_SLOTS + MOVE_SLOTS
                                      + ("flight_date",)))
ALL_WORDS = {"all", "全部", "全額", "すべて", "全て", "ぜんぶ", "all of them", "all of it", "everything"}

# Intents that answer a form's question; any other intent is a change of subject (see nlu/data/rules.yml).
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "stop", "nlu_fallback"})
# The intent that starts each form: said again while that form asks, it is still about the same task.
FORM_OF_INTENT = {"convert_points": "conversion_form", "log_flight": "flight_form", "link_partner": "link_form",
                  "unlink_partner": "unlink_form", "redeem_coupon": "coupon_form", "move_points": "move_form",
                  "set_home_municipality": "home_form", "best_route": "route_form",
                  "edit_flight": "edit_flight_form", "delete_flight": "delete_flight_form"}


def _reset(*names: str) -> List[EventType]:
    return [SlotSet(name, None) for name in names]


def _yes_no(locale: str, yes: str = "yes") -> list[dict]:
    return [{"title": t(yes, locale), "payload": "/affirm"}, {"title": t("no", locale), "payload": "/deny"}]


def _key(tracker: Tracker, what: str) -> str:
    """An idempotency key for this user message: a redelivered message acts once."""
    message_id = (tracker.latest_message or {}).get("message_id") or uuid.uuid4().hex
    return f"{what}:{tracker.sender_id}:{message_id}"


def _is_all(value: Any) -> bool:
    return str(value or "").strip().lower() in ALL_WORDS


def _since_last_user_message(tracker: Tracker) -> List[Dict[Text, Any]]:
    last = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
    return tracker.events[last + 1:]


def changes_subject(tracker: Tracker, form: str) -> bool:
    """True when the message `form` is about to validate is not an answer to its question.

    That is a message whose intent is neither an answer (a number, a name, yes/no…) nor the form's own
    task, and which says more than entity values (a bare "JAL" or "2000" is an answer whatever the
    classifier thought). Only a fresh message counts: after a question was answered in between, the
    form runs again to ask its question, and that run is never rejected.
    """
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    if not intent or intent in ANSWER_INTENTS or FORM_OF_INTENT.get(intent) == form:
        return False
    if tracker.active_loop_name != form:
        return False
    if any(e.get("event") == "action" and e.get("name") not in (form, "action_listen")
           for e in _since_last_user_message(tracker)):
        return False
    return not only_entities(latest.get("text"), latest.get("entities"))


class RejectOtherIntents:
    """Mixed into every form validation: a change of subject is rejected, never validated as the answer.

    Most such messages fill nothing (`from_text` takes only answers, nlu/domain.yml) and the form rejects
    them by itself; this also covers one whose entity the form uses ("link my JAL account" while the
    conversion asks for the program). Rasa then lets the rules answer it (nlu/data/rules.yml).
    """

    async def run(self, dispatcher, tracker, domain):
        if changes_subject(tracker, self.form_name()):
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            raise ActionExecutionRejection(self.name(), f"{intent} is not an answer to {self.form_name()}")
        return await super().run(dispatcher, tracker, domain)


def place_name(to: str | None, locale: str) -> str:
    """"reserved", "municipal:kasama", "event:<id>" (or a bare id) as the user reads it."""
    rules = ledger().rules
    kind, _, ident = (to or "").rpartition(":")
    if (to or "") == "reserved":
        return t("place_reserved", locale)
    if kind in ("", "municipal") and ident in rules.municipalities:
        m = rules.municipalities[ident]
        return t("place_municipal", locale, service=m.point_service(locale), name=m.name(locale))
    if kind in ("", "event") and ident in rules.events:
        return rules.events[ident].name(locale)
    return to or "—"


def _partner_names(locale: str, partner_id: str | None) -> dict[str, str]:
    partner = ledger().rules.partners.get(partner_id or "")
    return {"partner": partner.name(locale) if partner else (partner_id or ""),
            "unit": partner.unit(locale) if partner else ""}


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


class ActionLeaveForm(Action):
    """Runs before every new task: ends the form that was still asking, if any, and clears its slots.

    Says which request was left (nothing was changed) with facts `{"kind": "form_left", "form", "status":
    "cancelled"}`. Slots this very message filled are kept (the program in "link my JAL account"), so the
    new form does not ask for them. The same task asked again keeps its answers and just goes on.
    """

    def name(self) -> Text:
        return "action_leave_form"

    async def run(self, dispatcher, tracker, domain):
        left = tracker.active_loop_name
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if left and FORM_OF_INTENT.get(intent) == left:
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        said_now = {e.get("name") for e in _since_last_user_message(tracker) if e.get("event") == "slot"}
        stale = [n for n in EVERY_FORM_SLOT if n not in said_now and tracker.get_slot(n) is not None]
        if left:
            locale = locale_of(tracker)
            say(dispatcher, locale, "form_left", facts={"kind": "form_left", "form": left, "status": "cancelled"},
                task=t(f"task.{left}", locale))
        return [ActiveLoop(None), *_reset(*stale, "requested_slot")]


class ActionConvertBack(Action):
    """Conversions are one-way: 自治体ポイント and 留保ポイント never go back to miles or partner points.

    Says so, with what the user can do instead (use municipal points at their municipality, move reserved
    points while they are still reserved — with a button when there are some); changes nothing.
    """

    def name(self) -> Text:
        return "action_convert_back"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        reserved = ledger().balance(tracker.sender_id).reserved
        buttons = ([{"title": t("move_reserved_button", locale, n=reserved), "payload": "/move_points"}]
                   if reserved else None)
        refuse(dispatcher, locale, Refusal("one_way"), "conversion", buttons=buttons)
        return []


class ActionCancel(Action):
    def name(self) -> Text:
        return "action_cancel"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "cancelled", facts={"kind": "cancelled", "status": "cancelled"})
        return [ActiveLoop(None), *_reset(*EVERY_FORM_SLOT)]


# ---------------------------------------------------------------- conversion (交換)

class ActionAskPartner(Action):
    def name(self) -> Text:
        return "action_ask_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        rules = ledger().rules
        key = {"link_form": "ask_partner_link", "unlink_form": "ask_partner_unlink",
               "route_form": "ask_partner_route"}.get(tracker.active_loop_name or "", "ask_partner")
        partners = list(rules.partners.values()) if key == "ask_partner_route" else rules.link_partners()
        buttons = [{"title": p.name(locale), "payload": f'/inform{{"partner":"{p.id}"}}'} for p in partners]
        say(dispatcher, locale, key, buttons=buttons)
        return []


class ActionAskAmount(Action):
    def name(self) -> Text:
        return "action_ask_amount"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if tracker.active_loop_name == "flight_form":
            say(dispatcher, locale, "ask_pp")
            return []
        if tracker.active_loop_name == "edit_flight_form":
            say(dispatcher, locale, "ask_flight_change")
            return []
        if tracker.active_loop_name == "move_form":
            reserved = ledger().balance(tracker.sender_id).reserved
            if reserved <= 0:
                refuse(dispatcher, locale, Refusal("nothing_reserved"), "move")
                return [ActiveLoop(None), *_reset(*MOVE_SLOTS)]
            place = place_name(tracker.get_slot("event") or tracker.get_slot("municipality"), locale)
            say(dispatcher, locale, "ask_move_amount", reserved=reserved, place=place,
                buttons=[{"title": t("all_button", locale, n=reserved), "payload": '/inform{"amount":"all"}'}])
            return []
        if tracker.active_loop_name == "route_form":
            say(dispatcher, locale, "ask_route_amount", **_partner_names(locale, tracker.get_slot("partner")))
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
                                                parse_amount(tracker.get_slot("amount")),
                                                destination=tracker.get_slot("municipality"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            return [ActiveLoop(None), *_reset(*CONVERSION_SLOTS)]
        partner = the_ledger.rules.partners[quote.partner]
        key = f"conversion:{tracker.sender_id}:{uuid.uuid4().hex}"
        unit = partner.unit(locale)
        extra = [t("wallet_first", locale, wallet_used=quote.wallet_used, points_used=quote.points_debited, unit=unit)
                 ] if quote.wallet_used else []
        if not quote.verified:
            extra.append(t("unverified_rate", locale, source=quote.source))
        template = "confirm_conversion_municipal" if quote.campaign else "confirm_conversion"
        say(dispatcher, locale, template, facts=quote.facts("needs_confirmation"), extra=extra,
            buttons=_yes_no(locale), partner=partner.name(locale), unit=unit, from_amount=quote.from_amount,
            to_amount=quote.to_amount, rate_unit=quote.rate_unit, rate_per_unit=quote.rate_per_unit,
            place=place_name(quote.to, locale), until=fmt_date(quote.campaign_until, locale))
        return [SlotSet("quote_key", key)]


class ValidateConversionForm(RejectOtherIntents, FormValidationAction):
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
        destination = tracker.get_slot("municipality")
        try:
            try:
                ledger().quote_conversion(tracker.sender_id, partner.id, amount, destination=destination)
            except Refusal as refusal:
                if refusal.reason not in ("no_campaign", "unknown_municipality"):
                    raise
                # No campaign straight to that municipality today: say so, and offer reserved points instead.
                refuse(dispatcher, locale, refusal, "conversion")
                ledger().quote_conversion(tracker.sender_id, partner.id, amount)
                return {"amount": str(amount), "municipality": None}
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
                                                        parse_amount(tracker.get_slot("amount")), key,
                                                        destination=tracker.get_slot("municipality"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            return _reset(*CONVERSION_SLOTS)
        partner = the_ledger.rules.partners[quote.partner]
        balance = the_ledger.balance(tracker.sender_id)
        facts = quote.facts("done") | {"reserved_balance": balance.reserved,
                                       "partner_balance": balance.partners.get(quote.partner, 0)}
        template = "already_converted" if not done_now else "converted_municipal" if quote.campaign else "converted"
        say(dispatcher, locale, template, facts=facts,
            partner=partner.name(locale), unit=partner.unit(locale), from_amount=quote.from_amount,
            to_amount=quote.to_amount, reserved=balance.reserved, left=balance.partners.get(quote.partner, 0),
            place=place_name(quote.to, locale))
        return _reset(*CONVERSION_SLOTS)


class ActionShowBalance(Action):
    def name(self) -> Text:
        return "action_show_balance"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        balance = the_ledger.balance(tracker.sender_id)
        lines = [t("balance_reserved", locale, n=balance.reserved)]
        lines += [t("balance_municipal", locale, name=place_name(f"municipal:{ident}", locale), n=n)
                  for ident, n in balance.municipal.items()]
        lines += [t("balance_municipal", locale, name=place_name(f"event:{ident}", locale), n=n)
                  for ident, n in balance.events.items()]
        for pid, n in balance.partners.items():
            partner = the_ledger.rules.partners.get(pid)
            lines.append(t("balance_partner", locale, partner=partner.name(locale) if partner else pid, n=n,
                           unit=partner.unit(locale) if partner else ""))
        if not balance.partners:
            lines.append(t("balance_empty", locale))
        say(dispatcher, locale, "balance", facts=balance.facts(), extra=lines)
        return []


# ---------------------------------------------------------------- flights and status (プレミアムポイント)

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


# ---------------------------------------------------------------- ID linkage (移行用のサービスID設定)

def _validated_link_partner(value: Any, dispatcher, tracker, kind: str) -> Dict[Text, Any]:
    """A partner reached by ID linkage, or the reason it isn't (the form stops for a coupon partner)."""
    locale = locale_of(tracker)
    rules = ledger().rules
    partner = rules.find_partner(str(value))
    if partner is None:
        known = [p.id for p in rules.link_partners()]
        refuse(dispatcher, locale, Refusal("unknown_partner", given=str(value)[:40], known=known), kind)
        return {"partner": None}
    if partner.transfer != "link":
        refuse(dispatcher, locale, Refusal("coupon_partner", partner=partner.id), kind)
        return {"partner": None, "requested_slot": None}
    return {"partner": partner.id}


class ValidateLinkForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_link_form"

    def validate_partner(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return _validated_link_partner(value, dispatcher, tracker, "link")


class ActionLinkPartner(Action):
    """Asks the partner to link; the answer names the day exchanges should work."""

    def name(self) -> Text:
        return "action_link_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if not tracker.get_slot("partner"):
            return _reset(*LINK_SLOTS)
        try:
            facts = ledger().request_link(tracker.sender_id, tracker.get_slot("partner"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "link")
            return _reset(*LINK_SLOTS)
        say(dispatcher, locale, "link_already_active" if facts["status"] == "active" else "link_requested",
            facts=facts, active_from=fmt_date(facts["active_from"], locale), **_partner_names(locale, facts["partner"]))
        return _reset(*LINK_SLOTS)


class ValidateUnlinkForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_unlink_form"

    def validate_partner(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        checked = _validated_link_partner(value, dispatcher, tracker, "link")
        if checked.get("partner"):
            status = ledger().link_statuses(tracker.sender_id)[checked["partner"]]
            if status["status"] == "not_linked":  # nothing to unlink: say so before asking to confirm
                refuse(dispatcher, locale_of(tracker), Refusal("not_linked", partner=checked["partner"]), "link")
                return {"partner": None, "requested_slot": None}
        return checked

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm": bool(value)}


class ActionAskConfirm(Action):
    """The last question of the move and unlink forms: what will happen, yes or no."""

    def name(self) -> Text:
        return "action_ask_confirm"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        if tracker.active_loop_name in ("edit_flight_form", "delete_flight_form"):
            from actions.flights import ask_confirm_flight_change
            return ask_confirm_flight_change(dispatcher, tracker, locale)
        if tracker.active_loop_name == "unlink_form":
            say(dispatcher, locale, "confirm_unlink", buttons=_yes_no(locale, "yes_unlink"),
                facts={"kind": "link", "partner": tracker.get_slot("partner"), "status": "needs_confirmation"},
                **_partner_names(locale, tracker.get_slot("partner")))
            return []
        destination = tracker.get_slot("event") or tracker.get_slot("municipality")
        to = f"event:{destination}" if tracker.get_slot("event") else f"municipal:{destination}"
        amount = int(tracker.get_slot("amount"))
        say(dispatcher, locale, "confirm_move", buttons=_yes_no(locale, "yes_move"),
            facts={"kind": "move", "from": "reserved", "to": to, "amount": amount, "status": "needs_confirmation"},
            amount=amount, place=place_name(to, locale))
        return [SlotSet("quote_key", f"move:{tracker.sender_id}:{uuid.uuid4().hex}")]


class ActionUnlinkPartner(Action):
    def name(self) -> Text:
        return "action_unlink_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        partner = tracker.get_slot("partner")
        if not partner or tracker.get_slot("confirm") is None:
            return _reset(*LINK_SLOTS)
        names = _partner_names(locale, partner)
        if not tracker.get_slot("confirm"):
            say(dispatcher, locale, "not_unlinked", facts={"kind": "link", "partner": partner, "status": "cancelled"},
                **names)
            return _reset(*LINK_SLOTS)
        try:
            facts = ledger().unlink(tracker.sender_id, partner)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "link")
            return _reset(*LINK_SLOTS)
        say(dispatcher, locale, "unlinked", facts=facts, **names)
        return _reset(*LINK_SLOTS)


class ActionLinkStatus(Action):
    """Every linkage partner as the platform shows it: (設定済み), 手続き中 with its date, or 未設定."""

    def name(self) -> Text:
        return "action_link_status"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        statuses = ledger().link_statuses(tracker.sender_id)
        lines = [t(f"link_status_{facts['status']}", locale, active_from=fmt_date(facts["active_from"], locale),
                   **_partner_names(locale, pid)) for pid, facts in statuses.items()]
        say(dispatcher, locale, "link_status", facts={"kind": "link_status", "links": statuses}, extra=lines)
        return []


# ---------------------------------------------------------------- coupon codes (クーポンコード)

class ActionAskCouponCode(Action):
    def name(self) -> Text:
        return "action_ask_coupon_code"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "ask_coupon_code")
        return []


class ValidateCouponForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_coupon_form"

    def validate_coupon_code(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"coupon_code": str(value).strip()[:60] or None}


class ActionRedeemCoupon(Action):
    """One facade call: the ledger checks shape, check character, expiry, single use and the lockout."""

    def name(self) -> Text:
        return "action_redeem_coupon"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        code = tracker.get_slot("coupon_code")
        if not code:
            return _reset(*COUPON_SLOTS)
        try:
            facts = ledger().redeem_coupon(tracker.sender_id, code, _key(tracker, "coupon"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "coupon")
            return _reset(*COUPON_SLOTS)
        say(dispatcher, locale, "coupon_redeemed", facts=facts, code=facts["code"], from_amount=facts["from_amount"],
            to_amount=facts["to_amount"], **_partner_names(locale, facts["partner"]))
        return _reset(*COUPON_SLOTS)


# ---------------------------------------------------------------- places: prefecture → municipality, events

class ActionAskPrefecture(Action):
    """Offers the prefectures that have municipalities (and, when moving points, the open events) as buttons."""

    def name(self) -> Text:
        return "action_ask_prefecture"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        rules = the_ledger.rules
        moving = tracker.active_loop_name == "move_form"
        if moving and the_ledger.balance(tracker.sender_id).reserved <= 0:
            refuse(dispatcher, locale, Refusal("nothing_reserved"), "move")
            return [ActiveLoop(None), *_reset(*MOVE_SLOTS)]
        prefectures = dict.fromkeys(m.prefecture for m in rules.municipalities.values())
        buttons = [{"title": rules.prefectures[p].get(locale) or rules.prefectures[p]["en"],
                    "payload": f'/inform{{"prefecture":"{p}"}}'} for p in prefectures]
        if moving:
            buttons += [{"title": e.name(locale), "payload": f'/inform{{"event":"{e.id}"}}'}
                        for e in the_ledger.events_open()]
        say(dispatcher, locale, "ask_prefecture" if moving else "ask_prefecture_home", buttons=buttons)
        return []


class ActionAskMunicipality(Action):
    """The municipalities of the chosen prefecture as buttons: 笠間市（笠間応援ポイント）."""

    def name(self) -> Text:
        return "action_ask_municipality"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        found = the_ledger.find_municipalities(tracker.get_slot("prefecture") or "")
        buttons = [{"title": t("municipality_button", locale, name=m.name(locale), service=m.point_service(locale)),
                    "payload": f'/inform{{"municipality":"{m.id}"}}'} for m in found]
        prefecture = found[0].prefecture_name(locale) if found else (tracker.get_slot("prefecture") or "")
        say(dispatcher, locale, "ask_municipality", prefecture=prefecture, buttons=buttons,
            facts={"kind": "municipalities", "prefecture": found[0].prefecture if found else None,
                   "municipalities": [m.id for m in found]})
        return []


class ActionAskEvent(Action):
    def name(self) -> Text:
        return "action_ask_event"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        buttons = [{"title": e.name(locale), "payload": f'/inform{{"event":"{e.id}"}}'} for e in ledger().events_open()]
        say(dispatcher, locale, "ask_event", buttons=buttons)
        return []


class PlaceFormValidation(RejectOtherIntents, FormValidationAction):
    """Prefecture → municipality, shared by the move and home-municipality forms."""

    kind = ""  # facts "kind" of its refusals

    def name(self) -> Text:  # the SDK registers every subclass by name; this base is never called
        return "validate_place_form"

    def validate_prefecture(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("municipality") or tracker.get_slot("event"):
            return {"prefecture": None}  # a place was named or pressed instead: nothing to search
        found = ledger().find_municipalities(str(value))
        if not found:
            refuse(dispatcher, locale_of(tracker), Refusal("unknown_prefecture", given=str(value)[:40]), self.kind)
            return {"prefecture": None}
        if len(found) == 1 and ledger().rules.find_prefecture(str(value)) is None:
            return {"prefecture": found[0].prefecture, "municipality": found[0].id}  # they named the town itself
        return {"prefecture": found[0].prefecture}

    def validate_municipality(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        municipality = ledger().rules.find_municipality(str(value))
        if municipality is None:
            refuse(dispatcher, locale_of(tracker), Refusal("unknown_municipality", given=str(value)[:40]), self.kind)
            return {"municipality": None}
        return {"municipality": municipality.id}


class ValidateMoveForm(PlaceFormValidation):
    """Asks only what is missing: a named municipality or event skips the prefecture search."""

    kind = "move"

    def name(self) -> Text:
        return "validate_move_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if tracker.get_slot("event"):
            return ["event", "amount", "confirm"]
        if tracker.get_slot("municipality"):
            return ["municipality", "amount", "confirm"]
        return ["prefecture", "municipality", "amount", "confirm"]

    def validate_event(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        the_ledger = ledger()
        event = the_ledger.rules.find_event(str(value))
        if event is None:
            refuse(dispatcher, locale, Refusal("unknown_event", given=str(value)[:40]), "move")
            return {"event": None}
        if event not in the_ledger.events_open():
            today = the_ledger.clock.today()
            refuse(dispatcher, locale, Refusal("event_closed", event=event.id, on=today.isoformat(),
                                               valid_from=event.valid_from.isoformat(),
                                               valid_until=event.valid_until.isoformat()), "move")
            return {"event": None, "requested_slot": None}
        return {"event": event.id}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        reserved = ledger().balance(tracker.sender_id).reserved
        try:
            amount = reserved if _is_all(value) else parse_amount(value)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "move")
            return {"amount": None}
        if reserved <= 0:
            refuse(dispatcher, locale, Refusal("nothing_reserved"), "move")
            return {"amount": None, "requested_slot": None}
        if amount > reserved:
            refuse(dispatcher, locale, Refusal("not_enough_reserved", available=reserved, given=amount), "move")
            return {"amount": None}
        return {"amount": str(amount)}

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm": bool(value)}


class ActionMovePoints(Action):
    """On yes: one move (idempotent by the confirmation's key); facts as the ledger returns them."""

    def name(self) -> Text:
        return "action_move_points"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        confirmed = tracker.get_slot("confirm")
        destination = tracker.get_slot("event") or tracker.get_slot("municipality")
        if confirmed is None or not destination or not tracker.get_slot("amount"):
            return _reset(*MOVE_SLOTS)
        if not confirmed:
            say(dispatcher, locale, "not_moved", facts={"kind": "move", "status": "cancelled"})
            return _reset(*MOVE_SLOTS)
        key = tracker.get_slot("quote_key") or _key(tracker, "move")
        try:
            facts = ledger().move_reserved(tracker.sender_id, destination, int(tracker.get_slot("amount")), key)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "move")
            return _reset(*MOVE_SLOTS)
        say(dispatcher, locale, "moved", facts=facts, amount=facts["amount"], place=place_name(facts["to"], locale))
        return _reset(*MOVE_SLOTS)


class ValidateHomeForm(PlaceFormValidation):
    kind = "home_municipality"

    def name(self) -> Text:
        return "validate_home_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        return ["municipality"] if tracker.get_slot("municipality") else ["prefecture", "municipality"]


class ActionSetHomeMunicipality(Action):
    def name(self) -> Text:
        return "action_set_home_municipality"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        reset = _reset("prefecture", "municipality", "requested_slot")
        if not tracker.get_slot("municipality"):
            return reset
        try:
            facts = ledger().set_home_municipality(tracker.sender_id, tracker.get_slot("municipality"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "home_municipality")
            return reset
        municipality = ledger().rules.municipalities[facts["municipality"]]
        extra = [] if facts.get("verified", True) else [t("unverified_place", locale, name=municipality.name(locale))]
        say(dispatcher, locale, "home_set", facts=facts, extra=extra,
            place=place_name(f"municipal:{municipality.id}", locale))
        return reset


class ActionListEvents(Action):
    """Support events (特定支援イベント) open today, each with a button that starts a move to it."""

    def name(self) -> Text:
        return "action_list_events"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        today = the_ledger.clock.today()
        events = the_ledger.events_open(today)
        facts = {"kind": "events", "on": today.isoformat(),
                 "events": [{"id": e.id, "municipality": e.municipality, "valid_from": e.valid_from.isoformat(),
                             "valid_until": e.valid_until.isoformat(), "verified": e.verified} for e in events]}
        if not events:
            say(dispatcher, locale, "no_events_open", facts=facts, on=fmt_date(today, locale))
            return []
        lines = [t("event_line", locale, name=e.name(locale), until=fmt_date(e.valid_until, locale),
                   municipality=place_name(f"municipal:{e.municipality}", locale)) for e in events]
        buttons = [{"title": t("event_button", locale, name=e.name(locale)),
                    "payload": f'/move_points{{"event":"{e.id}"}}'} for e in events]
        say(dispatcher, locale, "events", facts=facts, extra=lines, buttons=buttons, on=fmt_date(today, locale))
        return []


# ---------------------------------------------------------------- history and route advice

class ActionShowHistory(Action):
    def name(self) -> Text:
        return "action_show_history"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        items = ledger().history(tracker.sender_id)
        facts = {"kind": "history", "items": items}
        if not items:
            say(dispatcher, locale, "history_empty", facts=facts)
            return []
        lines = []
        for item in items:
            what = item.get("what") if item.get("what") in ("conversion", "coupon", "move", "auto_move") else "move"
            lines.append(t(f"history_{what}", locale, at=fmt_moment(item["at"], locale),
                           place=place_name(item.get("to"), locale), code=item.get("code", ""),
                           amount=item.get("amount", 0), from_amount=item.get("from_amount", 0),
                           to_amount=item.get("to_amount", 0), **_partner_names(locale, item.get("partner"))))
        say(dispatcher, locale, "history", facts=facts, extra=lines)
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
        if _is_all(value) and tracker.get_slot("partner"):
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
            return _reset(*ROUTE_SLOTS)
        try:
            advice = ledger().best_route(tracker.sender_id, tracker.get_slot("partner"),
                                         parse_amount(tracker.get_slot("amount")))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "route_advice")
            return _reset(*ROUTE_SLOTS)
        names = _partner_names(locale, advice["partner"])
        lines = []
        for route in advice["routes"]:
            place = place_name(route["to"], locale)
            if not route["open"]:
                why = t(f"why_{route['why_closed']}", locale, minimum=advice["minimum"],
                        until=fmt_date(route.get("campaign_until"), locale))
                lines.append(t("route_closed", locale, place=place, why=why))
                continue
            lines.append(t(
                "route_line", locale, place=place, to_amount=route["to_amount"], units=route["units"],
                unit_size=route["unit"], per_unit=route["per_unit"],
                until=t("route_until", locale, until=fmt_date(route["campaign_until"], locale)) if route["campaign"] else "",
                remainder=t("route_remainder", locale, n=route["remainder"], unit=names["unit"]) if route["remainder"] else "",
                unverified="" if route["verified"] else t("route_unverified", locale)))
        best = advice["best"]
        if best:
            lines.append(t("route_best", locale, place=place_name(best["to"], locale), to_amount=best["to_amount"],
                           used=best["used"], unit=names["unit"]))
        else:
            lines.append(t("route_none", locale))
        access = {"not_linked": "route_not_linked", "link_pending": "route_link_pending", "coupon": "route_coupon"}
        if advice["access"] in access:
            lines.append(t(access[advice["access"]], locale, active_from=fmt_date(advice["active_from"], locale), **names))
        if advice["access"] != "coupon" and advice["held"] < advice["amount"]:
            lines.append(t("route_held", locale, held=advice["held"], **names))
        say(dispatcher, locale, "route_header", facts=advice, extra=lines, amount=advice["amount"],
            on=fmt_date(advice["on"], locale), **names)
        return _reset(*ROUTE_SLOTS)
