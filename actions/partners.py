"""How points get from a partner, by chat: ID linkage (移行用のサービスID設定) — link, unlink, the status of every
link — and coupon codes (クーポンコード) from partners without linkage."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction

from actions.forms import COUPON_SLOTS, LINK_SLOTS, RejectOtherIntents, message_key, reset, yes_no
from actions.points import partner_buttons, partner_names
from actions.runtime import ledger, locale_of, refuse, say
from i18n import fmt_date, t
from ledger.shared.provenance import rule_facts
from ledger.shared.refusals import Refusal


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


# ---------------------------------------------------------------- linking

class ActionAskLinkFormPartner(Action):
    def name(self) -> Text:
        return "action_ask_link_form_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_partner_link", buttons=partner_buttons(locale, ledger().rules.link_partners()))
        return []


class ValidateLinkForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_link_form"

    def validate_partner(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        checked = _validated_link_partner(value, dispatcher, tracker, "link")
        if checked.get("partner"):
            link = ledger().link_statuses(tracker.sender_id)[checked["partner"]]
            if link.status != "not_linked":  # linked or on its way: say so, nothing to confirm
                locale = locale_of(tracker)
                say(dispatcher, locale, "link_already_active" if link.status == "active" else "link_in_progress",
                    facts=link.facts(), active_from=fmt_date(link.active_from, locale),
                    **partner_names(locale, link.partner))
                return {"partner": None, "requested_slot": None}
        return checked

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm": bool(value)}


class ActionAskLinkFormConfirm(Action):
    """The linkage step as the platform runs it: the partner's own login and consent, and its delay as the
    source states it; in sandbox this one confirmation stands for both."""

    def name(self) -> Text:
        return "action_ask_link_form_confirm"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        partner = the_ledger.rules.partners[tracker.get_slot("partner")]
        extra = [t("confirm_link_sandbox", locale, partner=partner.name(locale))] if the_ledger.sandbox else None
        say(dispatcher, locale, "confirm_link", buttons=yes_no(locale, "yes_link"), extra=extra,
            facts={"kind": "link", "partner": partner.id, "status": "needs_confirmation",
                   "activation_days": partner.linkage.activation_days, "delay_verified": partner.linkage.verified},
            login=partner.linkage.login_name(locale), consent=partner.linkage.consent_name(locale),
            **partner_names(locale, partner.id))
        return []


class _ConfirmedLinkChange(Action):
    """Link or unlink once the user said yes; "no" changes nothing and says so."""

    declined = ""

    def name(self) -> Text:  # every subclass names itself; this base is never registered under this name
        return "action_link_change_base"

    def change(self, user_id: str, partner: str):
        raise NotImplementedError

    def done_key(self, link) -> str:
        raise NotImplementedError

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        partner = tracker.get_slot("partner")
        if not partner or tracker.get_slot("confirm") is None:
            return reset(*LINK_SLOTS)
        names = partner_names(locale, partner)
        if not tracker.get_slot("confirm"):
            say(dispatcher, locale, self.declined, facts={"kind": "link", "partner": partner, "status": "cancelled"},
                **names)
            return reset(*LINK_SLOTS)
        try:
            link = self.change(tracker.sender_id, partner)
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "link")
            return reset(*LINK_SLOTS)
        say(dispatcher, locale, self.done_key(link), facts=link.facts(), active_from=fmt_date(link.active_from, locale),
            **names)
        return reset(*LINK_SLOTS)


class ActionLinkPartner(_ConfirmedLinkChange):
    """Links once the user confirmed; the answer says it is done (設定済み) or names the day exchanges work."""

    declined = "not_linked_now"

    def name(self) -> Text:
        return "action_link_partner"

    def change(self, user_id: str, partner: str):
        return ledger().request_link(user_id, partner)

    def done_key(self, link) -> str:
        return "link_requested" if link.status == "pending" else "link_done_set" if link.shows_set else "link_done"


# ---------------------------------------------------------------- unlinking

class ActionAskUnlinkFormPartner(Action):
    def name(self) -> Text:
        return "action_ask_unlink_form_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_partner_unlink", buttons=partner_buttons(locale, ledger().rules.link_partners()))
        return []


class ValidateUnlinkForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_unlink_form"

    def validate_partner(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        checked = _validated_link_partner(value, dispatcher, tracker, "link")
        if checked.get("partner"):
            link = ledger().link_statuses(tracker.sender_id)[checked["partner"]]
            if link.status == "not_linked":  # nothing to unlink: say so before asking to confirm
                refuse(dispatcher, locale_of(tracker), Refusal("not_linked", partner=checked["partner"]), "link")
                return {"partner": None, "requested_slot": None}
        return checked

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"confirm": bool(value)}


class ActionAskUnlinkFormConfirm(Action):
    """The last question of the unlink form: which link ends, yes or no."""

    def name(self) -> Text:
        return "action_ask_unlink_form_confirm"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "confirm_unlink", buttons=yes_no(locale, "yes_unlink"),
            facts={"kind": "link", "partner": tracker.get_slot("partner"), "status": "needs_confirmation"},
            **partner_names(locale, tracker.get_slot("partner")))
        return []


class ActionUnlinkPartner(_ConfirmedLinkChange):
    declined = "not_unlinked"

    def name(self) -> Text:
        return "action_unlink_partner"

    def change(self, user_id: str, partner: str):
        return ledger().unlink(user_id, partner)

    def done_key(self, link) -> str:
        return "unlinked"


class ActionLinkStatus(Action):
    """Every linkage partner as the platform shows it: (設定済み), 手続き中 with its date, or 未設定."""

    def name(self) -> Text:
        return "action_link_status"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        statuses = ledger().link_statuses(tracker.sender_id)
        lines = [t(f"link_status_{link.status}" + ("_unmarked" if link.status == "active" and not link.shows_set else ""),
                   locale, active_from=fmt_date(link.active_from, locale), **partner_names(locale, pid))
                 for pid, link in statuses.items()]
        stale = next((link.rule_check for link in statuses.values() if link.rule_check and not link.rule_check.current),
                     next(iter(statuses.values())).rule_check)   # the list as a whole: its weakest rule
        say(dispatcher, locale, "link_status", extra=lines,
            facts={"kind": "link_status", "links": {pid: link.facts() for pid, link in statuses.items()}}
            | rule_facts(stale))
        return []


# ---------------------------------------------------------------- coupon codes (クーポンコード)

class ActionAskCouponFormCouponCode(Action):
    def name(self) -> Text:
        return "action_ask_coupon_form_coupon_code"

    async def run(self, dispatcher, tracker, domain):
        say(dispatcher, locale_of(tracker), "ask_coupon_code")
        return []


class ValidateCouponForm(RejectOtherIntents, FormValidationAction):
    def name(self) -> Text:
        return "validate_coupon_form"

    def validate_coupon_code(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"coupon_code": str(value).strip()[:60] or None}


class ActionRedeemCoupon(Action):
    """One service call: the ledger checks shape, check character, expiry, single use and the lockout."""

    def name(self) -> Text:
        return "action_redeem_coupon"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        code = tracker.get_slot("coupon_code")
        if not code:
            return reset(*COUPON_SLOTS)
        try:
            redeemed = ledger().redeem_coupon(tracker.sender_id, code, message_key(tracker, "coupon"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "coupon")
            return reset(*COUPON_SLOTS)
        say(dispatcher, locale, "coupon_redeemed", facts=redeemed.facts(), code=redeemed.code,
            from_amount=redeemed.from_amount, to_amount=redeemed.to_amount,
            **partner_names(locale, redeemed.partner))
        return reset(*COUPON_SLOTS)
