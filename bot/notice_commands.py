"""Notice settings by chat (通知の設定) as slash commands, handled without the NLU in Telegram and the HTTP API:

    /notices                      what can be sent, which kinds are muted, the quiet hours
    /mute <kind | all>            stop a kind of notice (its name in either language, its id, or everyday words)
    /unmute <kind | all>          send it again
    /quiet 22:00 07:00            quiet hours, Asia/Tokyo (notices due then wait for their end); /quiet off

Said in words (「キャンペーンの通知を止めて」) the same settings go through the NLU to `actions/notices.py`, whose
answers these commands share. The ledger checks every value (`mute_notices`, `set_quiet_hours`).
"""
from __future__ import annotations

import asyncio
from typing import Any

from actions.notices import find_kind, kinds_named, notice_answer, quiet_hours_in
from i18n import t

COMMANDS = ("notices", "mute", "unmute", "quiet")


def is_notice_command(text: str | None) -> bool:
    head = (text or "").strip().split(maxsplit=1)[0].split("@")[0].lower() if (text or "").strip() else ""
    return head.startswith("/") and head[1:] in COMMANDS


async def notice_command(ledger: Any, user_id: str, text: str, locale: str) -> tuple[str, dict]:
    """(the answer in the user's language, its facts) for one notice-settings command."""
    command, _, rest = text.strip().partition(" ")
    command, rest = command.split("@")[0].lower()[1:], rest.strip()
    if command in ("mute", "unmute"):
        if not rest:
            return t("notices_usage", locale), {"kind": "notice_settings", "status": "rejected", "reason": "usage"}
        kinds = list(ledger.notice_settings(user_id)["kinds"])
        exact = find_kind(rest, kinds)
        chosen = [exact] if exact else kinds_named(rest, kinds) or [rest]   # an unknown name: the ledger says so
        return await asyncio.to_thread(notice_answer, ledger, user_id, locale, command, chosen)
    if command == "quiet":
        return await asyncio.to_thread(notice_answer, ledger, user_id, locale, "quiet", None, quiet_hours_in(rest))
    return await asyncio.to_thread(notice_answer, ledger, user_id, locale, "show")
