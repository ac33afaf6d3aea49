"""Logging in by chat: 「マイナンバーカードでログイン」, "log in with my card" or /login gives a one-time pairing code
for the card bridge on the user's computer (the PIN is typed there, never here); 「ログアウト」 ends the session.
The chat is told "logged in" by a notice when the card bridge completes the login."""
from __future__ import annotations

from typing import Text

from rasa_sdk import Action

from actions.runtime import ledger, locale_of, say
from i18n import fmt_moment


class ActionCardLogin(Action):
    def name(self) -> Text:
        return "action_card_login"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        pairing = ledger().start_card_login(tracker.sender_id)
        say(dispatcher, locale, "card_login_code", facts=pairing.facts(), code=pairing.code,
            until=fmt_moment(pairing.expires_at, locale))
        return []


class ActionLogout(Action):
    def name(self) -> Text:
        return "action_logout"

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        ended = ledger().logout(tracker.sender_id)
        say(dispatcher, locale, "logged_out" if ended else "not_logged_in",
            facts={"kind": "login", "status": "logged_out" if ended else "not_logged_in"})
        return []
