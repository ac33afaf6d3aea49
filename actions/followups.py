"""Follow-ups that use the conversation's context (issue 12): "what about Platinum?", 「ダイヤだと？」 after a status
question; "and for 10,000?", 「じゃあ1万マイルなら？」 after a quote; "and back on Simple today", 「帰りはシンプルで」
(the return of the route just logged) and "the same again next Friday" (that flight again) after a flight.
The last answer's facts are the context: the question is asked again with the one value the user changed. The
context holds for `CONTEXT_MINUTES` and only for the answer just given: any other answer in between is a change
of topic. Also the questions about an exchange waiting for its yes ("is that the best rate?", 「キャンペーンは
いつまで？」), answered for that exchange before the form asks again."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Text

from rasa_sdk import Action, Tracker

from actions.chat import ActionFallback
from actions.flights import another_flight
from actions.forms import intent_of
from actions.points import latest_entity, partner_names, quote
from actions.routes import say_routes
from actions.runtime import ledger, locale_of, refuse, say
from actions.status import ActionPpToGo, ActionStatusEnd, ActionStatusStart
from actions.status_words import tier_of
from i18n import fmt_date
from ledger.shared.amounts import parse_amount
from ledger.shared.refusals import Refusal

CONTEXT_MINUTES = 10

STATUS_FOLLOW_UPS = {"status_start": ActionStatusStart, "status_end": ActionStatusEnd, "pp_to_go": ActionPpToGo}


def last_answer(tracker: Tracker, now: float | None = None) -> dict[str, Any] | None:
    """The facts of the answer just given (the last bot message with facts before this message), if it is recent."""
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    for event in reversed(events[:last_user]):
        if event.get("event") != "bot":
            continue
        facts = ((event.get("data") or {}).get("custom") or {}).get("facts")
        if not facts:
            continue
        said_at = event.get("timestamp") or 0
        now = now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
        return facts if now - said_at <= CONTEXT_MINUTES * 60 else None
    return None


class ActionFollowUp(Action):
    """A bare value when no form asks ("what about Platinum?", "and for 10,000?"): the last question again with it;
    otherwise the usual "could you put that another way?"."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        context = last_answer(tracker) or {}
        kind = context.get("kind")
        if kind in STATUS_FOLLOW_UPS and tier_of(tracker):
            return await STATUS_FOLLOW_UPS[kind]().run(dispatcher, tracker, domain)
        if kind == "conversion_quote" and (latest_entity(tracker, "amount") or latest_entity(tracker, "partner")):
            quote(dispatcher, tracker, locale, partner_id=context.get("partner"))
            return []
        if kind == "flight_logged" and another_flight(dispatcher, tracker, locale, context):
            return []
        return await ActionFallback().run(dispatcher, tracker, domain)


class ActionPendingQuestion(Action):
    """"Is that the best rate?", 「キャンペーンはいつまで？」 while the conversion form asks (nlu/data/rules.yml):
    the numbers of the pending exchange; a status question that only sounded alike ("when does my Platinum end?")
    gets its own answer. Either way Rasa then runs the form again, which asks its question once more."""

    def name(self) -> Text:
        return "action_pending_question"

    async def run(self, dispatcher, tracker, domain):
        if answer_pending_question(dispatcher, tracker):
            return []
        if (tracker.latest_message or {}).get("intent", {}).get("name") == "ask_status_end":
            return await ActionStatusEnd().run(dispatcher, tracker, domain)
        return await ActionFallback().run(dispatcher, tracker, domain)


# ---------------------------------------------------------------- questions about the exchange waiting for its yes

_RATE_QUESTION = re.compile(r"best rate|better rate|best deal|better deal|best option|good rate|一番お得|いちばんお得|"
                            r"お得な|得なの|ベスト|レート(?:は|って)|最適", re.I)
_UNTIL_QUESTION = re.compile(r"いつまで|期限|until when|till when|how long|when does .*end|ends?\?|end date|expire", re.I)


def answer_pending_question(dispatcher, tracker) -> bool:
    """"Is that the best rate?", 「キャンペーンはいつまで？」 while a conversion is asked for: the answer for the
    exchange it will make (True); the form then asks its question again. False when the question is about
    something else, or the program and amount are not known yet."""
    if not (tracker.get_slot("partner") and tracker.get_slot("amount")):
        return False
    text = (tracker.latest_message or {}).get("text") or ""
    asks_until = bool(_UNTIL_QUESTION.search(text)) and bool(re.search(r"キャンペーン|campaign|レート|rate", text, re.I))
    asks_rate = not asks_until and (intent_of(tracker) == "best_route" or bool(_RATE_QUESTION.search(text)))
    if not (asks_rate or asks_until):
        return False
    locale = locale_of(tracker)
    partner, amount = tracker.get_slot("partner"), parse_amount(tracker.get_slot("amount"))
    try:
        if asks_until:
            pending = ledger().quote_conversion(tracker.sender_id, partner, amount,
                                                destination=tracker.get_slot("municipality"))
            names = partner_names(locale, partner)
            if pending.campaign:
                say(dispatcher, locale, "pending_campaign_until", facts={
                    "kind": "campaign", "campaign": pending.campaign, "until": pending.campaign_until.isoformat(),
                    "pending": True}, until=fmt_date(pending.campaign_until, locale), **names)
            else:
                say(dispatcher, locale, "pending_no_campaign", facts={"kind": "campaign", "campaign": None,
                                                                       "until": None, "pending": True}, **names)
        else:
            say_routes(dispatcher, locale, ledger().best_route(tracker.sender_id, partner, amount), pending=True)
    except Refusal as refusal:
        refuse(dispatcher, locale, refusal, "route_advice" if asks_rate else "campaign")
    return True
