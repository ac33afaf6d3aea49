"""Points by chat (マイキープラットフォーム): converting partner points, the balance, the history, the best use of
points, and the one-way rule. Each action reads slots, asks one ledger service, and says the result with facts."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa_sdk import Action, FormValidationAction
from rasa_sdk.events import ActiveLoop, SlotSet

from actions.forms import CONVERSION_SLOTS, RejectOtherIntents, intent_of, new_key, reset, stop_form, yes_no
from actions.runtime import ledger, locale_of, partner_names, refuse, say
from actions.undo import explain, last_done, one_way
from i18n import fmt_date, t
from ledger.shared.amounts import Share, parse_amount, parse_share, parse_units
from ledger.shared.refusals import Refusal


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


def partner_buttons(locale: str, partners) -> list[dict]:
    return [{"title": p.name(locale), "payload": f'/inform{{"partner":"{p.id}"}}'} for p in partners]


# ---------------------------------------------------------------- conversion (交換)

class ActionAskConversionFormPartner(Action):
    def name(self) -> Text:
        return "action_ask_conversion_form_partner"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        say(dispatcher, locale, "ask_partner", buttons=partner_buttons(locale, ledger().rules.link_partners()))
        return []


class ActionAskConversionFormAmount(Action):
    def name(self) -> Text:
        return "action_ask_conversion_form_amount"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        partner = the_ledger.rules.find_partner(tracker.get_slot("partner"))
        rate = partner.rate_on(the_ledger.clock.today()) if partner else None
        if partner is None or rate is None:
            say(dispatcher, locale, "ask_amount_any")
        else:
            say(dispatcher, locale, "ask_amount", partner=partner.name(locale), unit=partner.unit(locale),
                unit_size=rate.unit)
        return []


class ActionAskConversionFormConfirmConversion(Action):
    """States what will happen and asks yes/no; facts carry `"status": "needs_confirmation"`."""

    def name(self) -> Text:
        return "action_ask_conversion_form_confirm_conversion"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        the_ledger = ledger()
        key = new_key(tracker, "conversion")
        try:  # the quote shown is kept under the confirmation's key: "yes" carries out exactly this one
            quote = the_ledger.offer_conversion(tracker.sender_id, tracker.get_slot("partner"),
                                                parse_amount(tracker.get_slot("amount")), key,
                                                destination=tracker.get_slot("municipality"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            return stop_form(*CONVERSION_SLOTS)
        partner = the_ledger.rules.partners[quote.partner]
        unit = partner.unit(locale)
        extra = [t("wallet_first", locale, wallet_used=quote.wallet_used, points_used=quote.points_debited, unit=unit)
                 ] if quote.wallet_used else []
        if not quote.verified:
            extra.append(t("unverified_rate", locale, source=quote.source))
        template = "confirm_conversion_municipal" if quote.campaign else "confirm_conversion"
        say(dispatcher, locale, template, facts=quote.facts("needs_confirmation"), extra=extra,
            buttons=yes_no(locale), partner=partner.name(locale), unit=unit, from_amount=quote.from_amount,
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

    async def extract_amount(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        """"convert all my JAL miles", 「半分交換して」: a share said with the request is its amount."""
        if tracker.get_slot("amount") is not None or tracker.get_slot("requested_slot") not in (None, "amount"):
            return {}
        said = (tracker.latest_message or {}).get("text")
        if intent_of(tracker) not in ("convert_points", "inform", "nlu_fallback"):
            return {}
        share, units = parse_share(said), parse_units(said)
        if share is not None:
            return {"amount": {"all": "all", "half": "half"}.get(share.kind, f"all but {share.keep}")}
        return {"amount": f"{units}口"} if units is not None else {}

    def _share(self, share: Share, dispatcher, tracker) -> Dict[Text, Any]:
        """A share of what is held, in whole units, said before the confirmation asks."""
        locale = locale_of(tracker)
        partner = ledger().rules.find_partner(tracker.get_slot("partner"))
        if partner is None:
            return {"amount": None}
        try:
            preview = ledger().preview_conversion(tracker.sender_id, partner.id, None, share)
        except Refusal as refusal:
            return self._stop(dispatcher, locale, refusal)
        names = partner_names(locale, partner.id)
        if not preview.units:
            say(dispatcher, locale, "quote_none", facts=preview.facts(), asked=preview.asked,
                extra=[share_line(preview, locale, **names),
                       t("quote_below_unit", locale, asked=preview.asked, rate_unit=preview.rate_unit,
                         minimum=max(preview.minimum, preview.rate_unit), **names)], **names)
            return {"partner": None, "amount": None, "confirm_conversion": None, "requested_slot": None}
        lines = [t("quote_stays", locale, stays=preview.stays, **names)] if preview.stays else []
        say(dispatcher, locale, "share_resolved", extra=lines, share=share_line(preview, locale, **names),
            units=preview.units, used=preview.used, rate_unit=preview.rate_unit, **names)
        return {"amount": str(preview.used)}

    def validate_amount(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        locale = locale_of(tracker)
        said = (tracker.latest_message or {}).get("text") if intent_of(tracker) in (
            "convert_points", "inform", "nlu_fallback") else None
        share = parse_share(said) or (parse_share(str(value)) if not str(value).strip().isdigit() else None)
        if share is not None:       # "all my miles except 1,000": the share, not the 1,000 said in it
            return self._share(share, dispatcher, tracker)
        units = parse_units(said) or parse_units(str(value))
        if units is not None:       # 「5口」: units as the platform's screens count them (1口 = 100 Saison points)
            partner = ledger().rules.find_partner(tracker.get_slot("partner"))
            if partner is None:
                return {"amount": f"{units}口"}
            try:
                used = ledger().preview_conversion(tracker.sender_id, partner.id, units=units,
                                                   destination=tracker.get_slot("municipality")).used
            except Refusal as refusal:
                return self._stop(dispatcher, locale, refusal)
            say(dispatcher, locale, "units_resolved", units=units, used=used, **partner_names(locale, partner.id))
            value = used
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
            return reset(*CONVERSION_SLOTS)
        if not confirmed:
            say(dispatcher, locale, "not_converted", facts={"kind": "conversion", "status": "cancelled"})
            return reset(*CONVERSION_SLOTS)
        the_ledger = ledger()
        key = tracker.get_slot("quote_key") or new_key(tracker, "conversion")
        try:
            quote, done_now = the_ledger.convert_points(tracker.sender_id, tracker.get_slot("partner"),
                                                        parse_amount(tracker.get_slot("amount")), key,
                                                        destination=tracker.get_slot("municipality"))
        except Refusal as refusal:
            refuse(dispatcher, locale, refusal, "conversion")
            if refusal.reason in ("quote_changed", "quote_expired"):  # the form asks again, with the new quote
                return [ActiveLoop("conversion_form"), SlotSet("confirm_conversion", None),
                        SlotSet("quote_key", None), SlotSet("requested_slot", None)]
            return reset(*CONVERSION_SLOTS)
        partner = the_ledger.rules.partners[quote.partner]
        balance = the_ledger.balance(tracker.sender_id)
        facts = quote.facts("done") | {"reserved_balance": balance.reserved,
                                       "partner_balance": balance.partners.get(quote.partner, 0)}
        template = "already_converted" if not done_now else "converted_municipal" if quote.campaign else "converted"
        say(dispatcher, locale, template, facts=facts,
            partner=partner.name(locale), unit=partner.unit(locale), from_amount=quote.from_amount,
            to_amount=quote.to_amount, reserved=balance.reserved, left=balance.partners.get(quote.partner, 0),
            place=place_name(quote.to, locale))
        return reset(*CONVERSION_SLOTS)


class ActionConvertBack(Action):
    """Conversions are one-way: 自治体ポイント and 留保ポイント never go back to miles or partner points.

    Says so, with what the user can do instead (use municipal points at their municipality, move reserved
    points while they are still reserved — with a button when there are some); changes nothing.
    """

    def name(self) -> Text:
        return "action_convert_back"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        done = last_done(tracker)
        if done and not latest_entity(tracker, "partner"):
            explain(dispatcher, tracker, locale, done)   # "undo" right after something: that thing ("and back on…")
        else:
            one_way(dispatcher, locale, tracker, None)
        return []


# ---------------------------------------------------------------- a quote to a question (試算)

def latest_entity(tracker, name: str) -> str | None:
    return next((str(e.get("value")) for e in (tracker.latest_message or {}).get("entities") or []
                 if e.get("entity") == name and e.get("value") is not None), None)


def share_line(preview, locale: str, **names: str) -> str:
    """"All your 12,345 miles" / 「お持ちの12,345マイルの半分（6,172マイル）」: how a share became an amount."""
    return t(f"share_{preview.share}", locale, held=preview.held or 0, asked=preview.asked,
             keep=(preview.held or 0) - preview.asked, **names)


def quote_lines(preview, locale: str) -> tuple[str, list[str]]:
    """The quote in words: the template key and the extra lines (what stays, linkage, holding, campaign)."""
    names = partner_names(locale, preview.partner)
    lines = []
    if preview.share:
        lines.append(share_line(preview, locale, **names))
    if preview.units_said:
        lines.append(t("units_resolved", locale, units=preview.units_said, used=preview.asked, **names))
    if not preview.units:
        lines.append(t("quote_below_unit", locale, asked=preview.asked, rate_unit=preview.rate_unit,
                       minimum=max(preview.minimum, preview.rate_unit), **names))
        return "quote_none", lines
    if preview.stays:
        lines.append(t("quote_stays", locale, stays=preview.stays, **names))
    if not preview.linked:
        lines.append(t("quote_not_linked", locale, **names))
    elif not preview.enough:
        lines.append(t("quote_holding_short", locale, held=preview.held, **names))
    if preview.campaign:
        lines.append(t("quote_campaign", locale, until=fmt_date(preview.campaign_until, locale)))
    if not preview.verified:
        lines.append(t("unverified_rate", locale, source=preview.source))
    return "quote", lines


class ActionQuoteConversion(Action):
    """"How many would I get for 12,345 JAL miles?", 「全部だと何ポイント？」: the quote (no form, nothing changed)."""

    def name(self) -> Text:
        return "action_quote_conversion"

    async def run(self, dispatcher, tracker, domain):
        quote(dispatcher, tracker, locale_of(tracker))
        return []


def quote(dispatcher, tracker, locale: str, partner_id: str | None = None) -> None:
    """The quote for the amount (or share) in the latest message; the program named there, else `partner_id`
    (a follow-up: "and for 10,000?"), else the only one the user holds, else a question with buttons."""
    the_ledger = ledger()
    text = (tracker.latest_message or {}).get("text") or ""
    said = latest_entity(tracker, "amount")
    share = parse_share(text) or (parse_share(said) if said else None)
    units = None if share else parse_units(text)
    partner = the_ledger.rules.find_partner(latest_entity(tracker, "partner") or partner_id or "")
    if partner is None:
        held = the_ledger.balance(tracker.sender_id).partners
        linked = [p for p in the_ledger.rules.link_partners() if held.get(p.id)]
        partner = linked[0] if len(linked) == 1 else None
    if partner is None:
        amount_text = said if not share else {"all": "all", "half": "half"}.get(share.kind, f"all but {share.keep}")
        payload = '/ask_conversion_quote{{"partner":"{}"' + (f',"amount":"{amount_text}"' if amount_text else "") + "}}"
        say(dispatcher, locale, "quote_which_partner", facts={"kind": "question", "about": "conversion_quote"},
            buttons=[{"title": p.name(locale), "payload": payload.format(p.id)}
                     for p in the_ledger.rules.link_partners()])
        return
    try:
        amount = None if share or units else parse_amount(said)
        preview = the_ledger.preview_conversion(tracker.sender_id, partner.id, amount, share,
                                                destination=latest_entity(tracker, "municipality"), units=units)
    except Refusal as refusal:
        refuse(dispatcher, locale, refusal, "conversion_quote")
        return
    names = partner_names(locale, preview.partner)
    key, lines = quote_lines(preview, locale)
    buttons = None
    if preview.units and preview.linked and preview.enough:
        buttons = [{"title": t("quote_convert_button", locale, used=preview.used, **names),
                    "payload": f'/convert_points{{"partner":"{preview.partner}","amount":"{preview.used}"}}'}]
    say(dispatcher, locale, key, facts=preview.facts(), extra=lines, buttons=buttons, asked=preview.asked,
        units=preview.units, used=preview.used, to_amount=preview.to_amount, rate_unit=preview.rate_unit,
        place=place_name(preview.to, locale), **names)


# ---------------------------------------------------------------- balance (history: actions/screens.py)

class ActionShowBalance(Action):
    def name(self) -> Text:
        return "action_show_balance"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        balance = ledger().balance(tracker.sender_id)
        lines = [t("balance_reserved", locale, n=balance.reserved)]
        municipal = balance.municipal if balance.home is None else {balance.home: 0} | balance.municipal
        lines += [t("balance_home" if ident == balance.home else "balance_municipal", locale,
                    name=place_name(f"municipal:{ident}", locale), n=n) for ident, n in municipal.items()]
        lines += [t("balance_municipal", locale, name=place_name(f"event:{ident}", locale), n=n)
                  for ident, n in balance.events.items()]
        lines += [t("balance_partner", locale, n=n, **partner_names(locale, pid)) for pid, n in balance.partners.items()]
        if not balance.partners:
            lines.append(t("balance_empty", locale))
        facts = balance.facts()
        after = after_pending_conversion(tracker, balance)
        if after:   # "how many miles would I have left?" while an exchange waits for its yes
            facts["after_pending_conversion"] = after
            lines.append(t("balance_after_conversion", locale, from_amount=after["from_amount"],
                           left=after["partner_after"], reserved=after["reserved_after"],
                           place=place_name(after["to"], locale), to_amount=after["to_amount"],
                           **partner_names(locale, after["partner"])))
        say(dispatcher, locale, "balance", facts=facts, extra=lines)
        return []


def after_pending_conversion(tracker, balance) -> dict | None:
    """What the balance would be after the exchange the conversion form is asking to confirm, or None."""
    if tracker.active_loop_name != "conversion_form" or tracker.get_slot("requested_slot") != "confirm_conversion":
        return None
    try:
        quote = ledger().quote_conversion(tracker.sender_id, tracker.get_slot("partner"),
                                          parse_amount(tracker.get_slot("amount")),
                                          destination=tracker.get_slot("municipality"))
    except Refusal:
        return None
    held = balance.partners.get(quote.partner, 0)
    return {"partner": quote.partner, "from_amount": quote.from_amount, "to": quote.to, "to_amount": quote.to_amount,
            "partner_after": held - quote.points_debited,
            "reserved_after": balance.reserved + (quote.to_amount if quote.to == "reserved" else 0)}
