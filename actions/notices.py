"""Notice settings (通知の設定) by chat: what people say to list their notices, mute or unmute a kind (or all of
them), and set quiet hours (通知を控える時間, Tokyo time) — 「キャンペーンの通知はもういらない」, "don't message me
between 10pm and 7am". The ledger checks every value (`mute_notices`, `set_quiet_hours`); this module reads the
words (`notice_words.yml`, the times) and words the answer. The slash commands (`bot/notice_commands.py`) use the
same answers.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Text

import yaml
from rasa_sdk import Action

from actions.runtime import ledger, locale_of
from i18n import t
from ledger.shared.refusals import Refusal

WORDS_FILE = Path(__file__).with_name("notice_words.yml")
OFF = re.compile(r"(?<![a-z])(off|cancel|remove|delete|clear|disable|no quiet|anytime|any time|whenever)(?![a-z])|"
                 r"解除|なし|無し|やめ|止め|とめ|取り消|取消|消して|削除|オフ|いつでも|なくして|いらない")
NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
EVENING = ("午後", "夜", "晩", "夕方", "pm", "p.m.", "at night", "in the evening", "tonight")
MORNING = ("午前", "朝", "深夜", "未明", "am", "a.m.", "in the morning")
TIME = re.compile(
    r"(?P<pre>午前|午後|夜中?の?|深夜|未明|朝の?|夕方の?|晩の?)?\s*(?P<h>[0-2]?[0-9])"
    r"(?:\s*(?P<sep>:|時|\.(?=[0-5][0-9]))\s*(?P<m>[0-5][0-9]|半)?\s*分?)?(?![0-9])"
    r"(?:\s*(?P<post>a\.?m\.?|p\.?m\.?|o'?clock|at night|in the evening|in the morning|tonight)(?![a-z]))?")


def plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=1)
def _words() -> tuple[frozenset[str], list[tuple[re.Pattern, tuple[str, ...]]]]:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))

    def pattern(word: str) -> re.Pattern:
        word = plain(word)
        if not word.isascii():
            return re.compile(re.escape(word))
        return re.compile(r"(?<![a-z])" + re.escape(word) + (r"(?![a-z])" if len(word) <= 3 else ""))

    pairs = [(word, tuple(entry["kinds"])) for entry in data["entries"] for word in entry["words"]]
    pairs.sort(key=lambda pair: -len(plain(pair[0])))
    return frozenset(plain(w) for w in data["all"]), [(pattern(w), kinds) for w, kinds in pairs]


def kinds_named(text: str, kinds: list[str]) -> list[str] | None:
    """The notice kinds a message names, in `kinds` order; every kind for "all"/「全部」; None when it names none."""
    every, entries = _words()
    left = plain(text)
    named: set[str] = set()
    for found, stands_for in entries:
        if found.search(left):
            named.update(stands_for)
            left = found.sub(" ", left)   # "status card" is not read again as "status"
    if named:
        return [kind for kind in kinds if kind in named]
    words = set(re.findall(r"[a-z]+", left))
    if words & every or any(w in left for w in every if not w.isascii()):
        return list(kinds)
    return None


def kind_names(kinds: list[str], locale: str) -> dict[str, str]:
    return {kind: t(f"notice_kind.{kind}", locale) for kind in kinds}


def find_kind(words: str, kinds: list[str]) -> str | None:
    """A kind by its id or its name in either language (case, width and spaces ignored)."""
    def squeeze(text: str) -> str:
        return re.sub(r"[\s_\-・]", "", plain(text))

    wanted = squeeze(words)
    for kind in kinds:
        if wanted in {squeeze(kind), *(squeeze(t(f"notice_kind.{kind}", lang)) for lang in ("en", "ja"))}:
            return kind
    return None


def _hour(match: re.Match) -> tuple[int, int, str]:
    """(hour, minute, "pm" | "am" | "") of one time as said."""
    hour = int(match["h"])
    minute = 30 if match["m"] == "半" else int(match["m"] or 0)
    said = f"{match['pre'] or ''} {match['post'] or ''}"
    half = "pm" if any(w in said for w in EVENING) else "am" if any(w in said for w in MORNING) else ""
    if half == "pm" and hour < 12:
        hour += 12
    elif hour == 12 and (half == "am" or "夜" in said or "night" in said) or hour == 24:
        hour = 0
    return hour, minute, half


def quiet_hours_in(text: str) -> tuple[str, str] | str | None:
    """Quiet hours said in a message: ("22:00", "07:00") for 「夜10時から朝7時」, "10pm to 7am", "22:00-7:00";
    "off" for "quiet hours off" / 「解除」; None when it says neither. Two bare hours with the first the larger
    ("10 to 7") are an evening and a morning."""
    said = plain(text).replace("midnight", "0:00").replace("真夜中", "0時").replace("noon", "12:00").replace("正午", "12時")
    said = re.sub(r"(?<![a-z])(" + "|".join(NUMBER_WORDS) + r")(?![a-z])", lambda m: NUMBER_WORDS[m[1]], said)
    found = [m for m in TIME.finditer(said) if int(m["h"]) <= 24]
    marked = [m for m in found if m["sep"] or m["pre"] or m["post"]]
    times = marked if len(marked) >= 2 else found
    if len(times) >= 2:
        (start, start_min, start_half), (end, end_min, _) = _hour(times[0]), _hour(times[1])
        if not start_half and start < 12 and start > end and end <= 12:
            start += 12                      # "10 to 7", "11 till 6:30 in the morning": an evening start
        return f"{start:02d}:{start_min:02d}", f"{end:02d}:{end_min:02d}"
    return "off" if OFF.search(said) else None


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


def notice_answer(the_ledger: Any, user_id: str, locale: str, command: str,
                  kinds: list[str] | None = None, quiet: tuple[str, str] | str | None = None) -> tuple[str, dict]:
    """(the answer in the user's language, its facts) for "show", "mute" or "unmute" (`kinds`, None for every
    kind) or "quiet" (`quiet`: two times, "off", or None when the times could not be read)."""
    try:
        settings = the_ledger.notice_settings(user_id)
        if command in ("mute", "unmute"):
            chosen = list(settings["kinds"]) if kinds is None else kinds
            change = the_ledger.mute_notices if command == "mute" else the_ledger.unmute_notices
            for kind in chosen:
                change(user_id, kind)
            settings = the_ledger.notice_settings(user_id)
            names = ("、" if locale == "ja" else ", ").join(kind_names(chosen, locale).values())
            return t(f"notices_{command}d", locale, names=names), settings | {"status": f"{command}d", "changed": chosen}
        if command == "quiet":
            if quiet is None:
                raise Refusal("bad_quiet_hours")
            times = (None, None) if quiet == "off" else quiet
            the_ledger.set_quiet_hours(user_id, *times)
            settings = the_ledger.notice_settings(user_id)
            if quiet == "off":
                return t("notices_quiet_off", locale), settings | {"status": "quiet_off"}
            return t("notices_quiet", locale, start=settings["quiet_from"], end=settings["quiet_until"]), \
                settings | {"status": "quiet_set"}
    except Refusal as refusal:
        return t(f"refusal.{refusal.reason}", locale, **refusal.details), {
            "kind": "notice_settings", "status": "rejected", "reason": refusal.reason}
    return settings_text(settings, locale), settings | {"status": "shown"}


class ActionNoticeSettings(Action):
    """「通知の設定を見せて」: the kinds, which are muted, the quiet hours; its subclasses change them."""
    command = "show"

    def name(self) -> Text:
        return {"show": "action_notice_settings", "quiet": "action_set_quiet_hours"}.get(self.command,
                                                                                      f"action_{self.command}_notices")

    async def run(self, dispatcher, tracker, domain):
        locale = locale_of(tracker)
        text = tracker.latest_message.get("text") or ""
        the_ledger = ledger()
        kinds = quiet = None
        if self.command in ("mute", "unmute"):
            kinds = kinds_named(text, list(the_ledger.notice_settings(tracker.sender_id)["kinds"]))
        elif self.command == "quiet":
            quiet = quiet_hours_in(text)
        answer, facts = notice_answer(the_ledger, tracker.sender_id, locale, self.command, kinds, quiet)
        dispatcher.utter_message(text=answer, json_message={"facts": facts | {"kind": "notice_settings"}})
        return []


class ActionMuteNotices(ActionNoticeSettings):
    command = "mute"


class ActionUnmuteNotices(ActionNoticeSettings):
    command = "unmute"


class ActionQuietHours(ActionNoticeSettings):
    command = "quiet"
