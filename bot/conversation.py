"""One conversation turn, the same for Telegram, the HTTP API and the console.

Checks the text, picks the reply language, asks Rasa, and turns Rasa's messages into replies
with text, buttons and machine-readable facts.

Passwords never reach Rasa (its trackers keep every text): `/mykey <MyKey ID> <password>` and
`/setpassword <password>` are handled here, with the ledger, and never logged.
"""
from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bot.nlu_client import NluUnavailable, RasaClient
from bot.notice_commands import is_notice_command, notice_command
from i18n import fmt_moment, normalize_locale, script_locale, t
from ledger.shared.refusals import Refusal

log = logging.getLogger(__name__)

MAX_TEXT = 1000
REMEMBERED_USERS = 10_000  # users whose stored locale this process knows: the database is asked only on a change
PASSWORD_COMMANDS = ("/mykey", "/setpassword")


def is_password_command(text: str | None) -> bool:
    """A message that carries a password: handled without Rasa, refused in group chats, deleted when possible."""
    head = (text or "").strip().split(maxsplit=1)[0].split("@")[0].lower() if (text or "").strip() else ""
    return head in PASSWORD_COMMANDS


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons, "facts": self.facts}


def _clean(text: str) -> str:
    """Drop control characters (but keep newlines) and surrounding space."""
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C").strip()


def merge_rasa_messages(messages: list[dict[str, Any]]) -> list[Reply]:
    """Rasa sends facts (`custom`) as a message of their own right after the text they belong to."""
    replies: list[Reply] = []
    for message in messages:
        custom = message.get("custom") or {}
        if message.get("text"):
            replies.append(Reply(
                text=message["text"],
                buttons=[{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in message.get("buttons") or []],
            ))
        if custom:
            facts = custom.get("facts", custom)
            if replies and not replies[-1].facts:
                replies[-1].facts = facts
            else:
                replies.append(Reply(text="", facts=facts))
    return replies


class Conversation:
    def __init__(self, rasa: RasaClient,
                 remember_locale: Callable[[str, str], Awaitable[None]] | None = None,
                 passwords: Any = None) -> None:
        """`remember_locale(user_id, locale)` keeps the language a user writes in, for notices later;
        `passwords` (the ledger) serves `/mykey` and `/setpassword` (`password_login`, `set_mykey_password`), and
        the notice settings (`bot.notice_commands`)."""
        self.rasa = rasa
        self.remember_locale = remember_locale
        self.passwords = passwords
        self._remembered: OrderedDict[str, str] = OrderedDict()  # user → locale last stored (bounded)

    def forget_locale(self, user_id: str) -> None:
        """The user blocked the bot: when they write again, the ledger hears it (they are reachable again)."""
        self._remembered.pop(user_id, None)

    async def handle(self, user_id: str, text: str, locale_hint: str | None = None) -> list[Reply]:
        cleaned = _clean(text or "")
        script, hint = script_locale(cleaned), normalize_locale(locale_hint)
        locale = script or hint or "en"  # i18n.detect_locale, with its parts kept for locale_source
        if len(cleaned) > MAX_TEXT:
            return [Reply(t("too_long", locale, length=len(cleaned), limit=MAX_TEXT),
                          facts={"kind": "error", "status": "rejected", "reason": "text_too_long"})]
        if not cleaned:
            return [Reply(t("empty", locale), facts={"kind": "error", "status": "rejected", "reason": "empty_text"})]
        if is_password_command(cleaned):
            return await self._password_command(user_id, cleaned, hint or "ja")
        if is_notice_command(cleaned) and self.passwords is not None:
            settings_locale = script or hint or await asyncio.to_thread(self.passwords.user_locale, user_id) or "ja"
            answer, facts = await notice_command(self.passwords, user_id, cleaned, settings_locale)
            return [Reply(answer, facts=facts)]
        source = "script" if script else "client" if hint else "default"
        if self.remember_locale is not None and source != "default" and self._remembered.get(user_id) != locale:
            try:
                await self.remember_locale(user_id, locale)
                self._remembered[user_id] = locale
                self._remembered.move_to_end(user_id)
                if len(self._remembered) > REMEMBERED_USERS:
                    self._remembered.popitem(last=False)
            except Exception:  # a notice language is not worth failing the user's turn for
                log.exception("could not remember the locale of %s", user_id)
        try:
            messages = await self.rasa.send(user_id, cleaned, {"locale": locale, "locale_source": source})
        except NluUnavailable as exc:
            log.warning("NLU unavailable: %s", exc)
            return [Reply(t("nlu_down", locale), facts={"kind": "error", "status": "unavailable", "reason": "nlu_down"})]
        replies = merge_rasa_messages(messages)
        if not replies:  # every turn says something: none means a part of the assistant failed mid-turn
            replies = [Reply(t("turn_failed", locale),
                             facts={"kind": "error", "status": "unavailable", "reason": "no_answer"})]
        return replies

    async def _password_command(self, user_id: str, text: str, locale: str) -> list[Reply]:
        """`/mykey <MyKey ID> <password>` logs in; `/setpassword <password>` sets it after a card login."""
        parts = text.split()
        command = parts[0].split("@")[0].lower()
        if self.passwords is None:
            return [Reply(t("password_unavailable", locale),
                          facts={"kind": "login", "status": "rejected", "reason": "unavailable"})]
        try:
            if command == "/setpassword":
                if len(parts) != 2:
                    return [Reply(t("password_usage", locale), facts={"kind": "login", "status": "rejected",
                                                                      "reason": "usage"})]
                mykey = await asyncio.to_thread(self.passwords.set_mykey_password, user_id, parts[1])
                return [Reply(t("password_set", locale, mykey_id=mykey),
                              facts={"kind": "login", "status": "password_set", "mykey_id": mykey})]
            if len(parts) != 3:
                return [Reply(t("password_usage", locale), facts={"kind": "login", "status": "rejected",
                                                                  "reason": "usage"})]
            session = await asyncio.to_thread(self.passwords.password_login, user_id, parts[1], parts[2])
        except Refusal as refusal:
            details = dict(refusal.details)
            if details.get("until"):
                details["until"] = fmt_moment(details["until"], locale)
            return [Reply(t(f"refusal.{refusal.reason}", locale, **details),
                          facts={"kind": "login", "status": "rejected", "reason": refusal.reason})]
        return [Reply(t("password_logged_in", locale, mykey_id=session.mykey_id,
                        expires_at=fmt_moment(session.expires_at, locale)), facts=session.facts())]

