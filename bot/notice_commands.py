"""Notice settings by chat (通知の設定), handled without the NLU as slash commands in Telegram and the HTTP API:

    /notices                      what can be sent, which kinds are muted, the quiet hours
    /mute <kind | all>            stop a kind of notice (its name in either language, or its id)
    /unmute <kind | all>          send it again
    /quiet 22:00 07:00            quiet hours, Asia/Tokyo (notices due then wait for their end); /quiet off

The ledger checks every value (`mute_notices`, `set_quiet_hours`); this module only reads the words.
"""
from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import Any

from i18n import t
from ledger.shared.refusals import Refusal

COMMANDS = ("notices", "mute", "unmute", "quiet")
ALL_WORDS = {"all", "everything", "全部", "すべて", "全て", "ぜんぶ"}
OFF_WORDS = {"off", "none", "clear", "解除", "なし", "オフ"}
TIMES = re.compile(r"([0-2]?\d)[:：時]([0-5]\d)?分?")


def is_notice_command(text: str | None) -> bool:
    head = (text or "").strip().split(maxsplit=1)[0].split("@")[0].lower() if (text or "").strip() else ""
    return head.startswith("/") and head[1:] in COMMANDS


def kind_names(kinds: list[str], locale: str) -> dict[str, str]:
    return {kind: t(f"notice_kind.{kind}", locale) for kind in kinds}


def find_kind(words: str, kinds: list[str]) -> str | None:
    """A kind by its id or its name in either language (case, width and spaces ignored)."""
    def plain(text: str) -> str:
        return re.sub(r"[\s_\-・]", "", unicodedata.normalize("NFKC", text)).lower()

    wanted = plain(words)
    for kind in kinds:
        if wanted in {plain(kind), *(plain(t(f"notice_kind.{kind}", lang)) for lang in ("en", "ja"))}:
            return kind
    return None


def quiet_times(words: str) -> tuple[str, str] | None:
    found = TIMES.findall(unicodedata.normalize("NFKC", words))
    if len(found) != 2:
        return None
    return tuple(f"{int(h):02d}:{m or '00'}" for h, m in found)  # type: ignore[return-value]


async def notice_command(ledger: Any, user_id: str, text: str, locale: str) -> tuple[str, dict]:
    """(the answer in the user's language, its facts) for one notice-settings command."""
    command, _, rest = text.strip().partition(" ")
    command, rest = command.split("@")[0].lower()[1:], rest.strip()
    try:
        settings = await asyncio.to_thread(ledger.notice_settings, user_id)
        kinds = settings["kinds"]
        if command in ("mute", "unmute"):
            if not rest:
                return t("notices_usage", locale), {"kind": "notice_settings", "status": "rejected",
                                                    "reason": "usage"}
            chosen = kinds if rest.lower() in ALL_WORDS else [find_kind(rest, kinds) or rest]
            change = ledger.mute_notices if command == "mute" else ledger.unmute_notices
            for kind in chosen:
                await asyncio.to_thread(change, user_id, kind)
            settings = await asyncio.to_thread(ledger.notice_settings, user_id)
            names = "、".join(kind_names(chosen, locale).values()) if locale == "ja" else \
                ", ".join(kind_names(chosen, locale).values())
            return t(f"notices_{command}d", locale, names=names), settings | {"status": f"{command}d",
                                                                              "changed": chosen}
        if command == "quiet":
            times = (None, None) if rest.lower() in OFF_WORDS else quiet_times(rest)
            if times is None:
                raise Refusal("bad_quiet_hours", given=rest[:20])
            await asyncio.to_thread(ledger.set_quiet_hours, user_id, *times)
            settings = await asyncio.to_thread(ledger.notice_settings, user_id)
    except Refusal as refusal:
        return t(f"refusal.{refusal.reason}", locale, **refusal.details), {
            "kind": "notice_settings", "status": "rejected", "reason": refusal.reason}
    return settings_text(settings, locale), settings | {"status": "shown"}


def settings_text(settings: dict, locale: str) -> str:
    names = kind_names(settings["kinds"], locale)
    lines = [t("notices_header", locale)]
    lines += [("🔕 " if kind in settings["muted"] else "🔔 ") + name for kind, name in names.items()]
    if settings["quiet_from"]:
        lines.append(t("notices_quiet", locale, start=settings["quiet_from"], end=settings["quiet_until"]))
    else:
        lines.append(t("notices_no_quiet", locale))
    lines.append(t("notices_usage", locale))
    return "\n".join(lines)
