"""Answers made for the ear (音声向けの応答): what `/v1/voice` and the Alexa skill say.

A chat answer is written for the eye: lines, bullets, emoji, ISO dates, "30,000 PP". Spoken, it must be short and
read naturally. `voice_answer` turns one turn's replies into speech:

- a status answer is built from its facts (`i18n/voice.yml`): the date and the one-line reason;
- any other answer is the chat text made speakable — no emoji, markdown, bullets or URLs; dates as the voice
  says them (「2016年6月10日」, "June tenth, twenty sixteen"); English numbers and units in words ("two thousand
  miles"); a list of more than three lines as its first three "and N more";
- it stops at a sentence within about 150 characters of Japanese or 60 words of English and offers the rest,
  which "more" / 「続けて」 continues (`VoiceSessions` keeps it);
- buttons become spoken choices ("Say yes or no."); the session stays open with a reprompt while a question is
  open, and `spoken_choice` maps the answer (「はい」, 「やっぱりやめる」, "sure", a button's title) to its button.
The full answer and its facts come back beside the speech, for screens.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from num2words import num2words

from bot.conversation import Reply
from i18n import script_locale, t

LIMIT = {"ja": 150, "en": 60}           # characters of Japanese, words of English: about 20 s of speech
STATUS_LIMIT = {"ja": 150, "en": 30}    # a status answer: its date and one reason
LIST_HEAD = 3                            # list lines read before "and N more"
SESSION_SECONDS = 600                    # a continuation or an open question is kept this long

MORE_WORDS = {"more", "continue", "go on", "keep going", "next", "tell me more", "続けて", "続き", "つづけて", "続きを",
              "もっと", "次", "続きをお願い", "続けてください"}
YES_WORDS = ("はい", "ええ", "うん", "お願い", "それで", "そうして", "いいよ", "オッケー", "大丈夫", "yes", "yeah", "yep",
             "sure", "ok", "okay", "please do", "go ahead", "do it", "confirm", "correct", "right")
NO_WORDS = ("いいえ", "いや", "やめて", "やめる", "やめとく", "やっぱりやめ", "キャンセル", "結構です", "けっこうです", "しない",
            "no", "nope", "cancel", "don't", "do not", "stop", "never mind", "nevermind")
CHART_WORDS = re.compile(r"chart|graph|plot|グラフ|チャート|図", re.IGNORECASE)

_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MARKDOWN = re.compile(r"[*_`#>|~]+")
_BULLET = re.compile(r"^\s*(?:(?:[•・\-–—*]|\d+[.)])\s+|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]\uFE0F?\s*)")
_EMOJI_LABELS = re.compile("[ \\t]*[（(][^)）\\n]*[\U0001F000-\U0001FAFF\u2600-\u27BF][^)）\\n]*[)）]")   # "(🔔 on, 🔕 muted)"
_JAPANESE = re.compile(r"[、。「」]?[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+[、。「」]?")
_COMMAND = re.compile(r"(?<![\w/])/[a-z_]+")   # a slash command: typed, never said
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:\s*\((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\))?")
_JA_DAY = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日)[（(][月火水木金土日][)）]")
_NUMBER = re.compile(r"(?<![\w.:/])(\d{1,3}(?:,\d{3})+|\d+)(?![\w/]|:\d|\.\d)")
_EN_UNITS = [(re.compile(r"(?<![A-Za-z])PP(?![A-Za-z])"), "premium points"), (re.compile(r"\bpts?\b\.?"), "points"),
             (re.compile(r"¥\s?([\d,]+)"), r"\1 yen"), (re.compile(r"([\d,]+)\s?円"), r"\1 yen"),
             (re.compile(r"\s?[→⇒]\s?"), " to "), (re.compile(r"\s?[–〜~]\s?(?=\d)|\s[–—]\s"), " to "),
             (re.compile(r"&"), " and ")]
_JA_UNITS = [(re.compile(r"\s?[→⇒]\s?"), "から"), (re.compile(r"¥\s?([\d,]+)"), r"\1円")]
_SENTENCE = {"ja": re.compile(r"(?<=[。！？!?])"), "en": re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")}


def spoken_day(day: dt.date, locale: str) -> str:
    """「2016年6月10日」 / "June tenth, twenty sixteen"."""
    if locale == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.strftime('%B')} {num2words(day.day, to='ordinal')}, {num2words(day.year, to='year')}"


def spoken_number(value: int, locale: str) -> str:
    return f"{value:,}" if locale == "ja" else num2words(value)


def and_more(n: int, locale: str) -> str:
    return t("voice.and_more", locale, n=spoken_number(n, locale))


def speakable(text: str, locale: str) -> str:
    """One chat text as the voice reads it (see the module's docstring); lines kept as lines."""
    text = _URL.sub("", unicodedata.normalize("NFC", text))
    text = _EMOJI.sub("", _EMOJI_LABELS.sub("", text))
    text = _ISO_DAY.sub(lambda m: spoken_day(dt.date(*map(int, m.groups())), locale), text)
    text = _JA_DAY.sub(r"\1", text)
    lines = []
    for line in text.splitlines():
        line = _MARKDOWN.sub("", _BULLET.sub("", line)).strip()
        if not line or _COMMAND.search(line):
            lines.append("")   # kept as a line, so lines still match the chat text's; dropped by `sentences`
            continue
        for pattern, said in (_EN_UNITS if locale == "en" else _JA_UNITS):
            line = pattern.sub(said, line)
        if locale == "en":
            line = _JAPANESE.sub("", line)   # 「事前サービス」 beside the English words: an English voice cannot say it
            line = re.sub(r"\s*[(（][\s,、]*[)）]", "", line)
            line = _NUMBER.sub(lambda m: num2words(int(m[1]), to="year") if len(m[1]) == 4 and 1900 <= int(m[1]) <= 2100
                               else num2words(int(m[1].replace(",", ""))), line)
            line = re.sub(r"\s*[(（]([^)）]*)[)）]", r", \1,", line).replace(",,", ",").replace(",.", ".")
        line = re.sub(r"\s*,\s*([?.!:;,])", r"\1", re.sub(r"\s{2,}", " ", line))
        lines.append(line.strip(" ,"))
    return "\n".join(lines)


def _finish(line: str, locale: str) -> str:
    end = "。" if locale == "ja" else "."
    return line if line.endswith(("。", "！", "？", ".", "!", "?", ":", "：")) else line + end


def sentences(text: str, locale: str, *, bullets: list[int] | None = None) -> list[str]:
    """Spoken sentences of a chat text; a list of more than LIST_HEAD lines is summarised."""
    raw_lines = [line for line in text.splitlines() if line.strip()]
    listed = [i for i, line in enumerate(raw_lines) if _BULLET.match(line)] if bullets is None else bullets
    spoken_lines = speakable("\n".join(raw_lines), locale).splitlines()
    if len(listed) > LIST_HEAD:
        head = [spoken_lines[i] for i in listed[:LIST_HEAD]]
        joined = ("、" if locale == "ja" else "; ").join(head)
        summary = joined + ("、" if locale == "ja" else "; ") + and_more(len(listed) - LIST_HEAD, locale)
        spoken_lines = spoken_lines[:listed[0]] + [summary] + [line for i, line in enumerate(spoken_lines)
                                                               if i > listed[0] and i not in listed]
    out: list[str] = []
    for line in spoken_lines:
        out += [_finish(s.strip(), locale) for s in _SENTENCE[locale].split(line) if s.strip()]
    return out


def measure(text: str, locale: str) -> int:
    return len(text) if locale == "ja" else len(text.split())


def take(parts: list[str], locale: str, limit: int) -> tuple[list[str], list[str]]:
    """The sentences that fit in `limit` (at least one), and the rest."""
    used, size = [], 0
    for i, sentence in enumerate(parts):
        if used and size + measure(sentence, locale) > limit:
            return used, parts[i:]
        used.append(sentence)
        size += measure(sentence, locale)
    return used, []


def status_speech(facts: dict, locale: str, tier_name: str) -> str | None:
    """The date and the one-line reason of a status answer (from its facts), or None for another answer."""
    if facts.get("kind") != "status_start":
        return None

    def day(key: str) -> str:
        return spoken_day(dt.date.fromisoformat(facts[key]), locale) if facts.get(key) else ""

    if not facts.get("reached"):
        return t("voice.status_not_yet", locale, tier=tier_name, missing=spoken_number(facts["pp_missing"], locale),
                 pp=spoken_number(facts["pp"], locale))
    values = {"tier": tier_name, "advance_from": day("advance_service_from"), "flight_on": day("flight_on"),
              "pp": spoken_number(facts["pp"], locale)}
    if facts.get("early_months_rule"):
        return t("voice.status_early", locale, **values)
    if facts.get("advance_service_by"):
        return t("voice.status_window", locale, advance_by=day("advance_service_by"), **values)
    if locale == "en":   # the year once is enough: "from June tenth, twenty sixteen. … flight on June eighth"
        values["flight_on"] = values["flight_on"].split(",")[0]
    return t("voice.status_reached", locale, **values)


def ssml(parts: list[str], locale: str) -> str:
    """W3C SSML 1.1: the language on <speak>, a sentence per <s>."""
    lang = "ja-JP" if locale == "ja" else "en-US"
    body = "".join(f"<s>{escape(p)}</s>" for p in parts)
    return f'<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="{lang}"><p>{body}</p></speak>'


def choices_prompt(buttons: list[dict], locale: str) -> str:
    payloads = {b.get("payload") for b in buttons}
    if {"/affirm", "/deny"} <= payloads:
        return t("voice.yes_or_no", locale)
    titles = [speakable(b.get("title", ""), locale) for b in buttons[:LIST_HEAD]]
    said = ("、" if locale == "ja" else ", ").join(titles[:-1]) + t("voice.or", locale) + titles[-1] \
        if len(titles) > 1 else "".join(titles)
    if len(buttons) > LIST_HEAD:
        said += ("、" if locale == "ja" else ", ") + and_more(len(buttons) - LIST_HEAD, locale)
    return t("voice.choose", locale, choices=said)


def _plain(text: str) -> str:
    return re.sub(r"[\s。、！？!?.,]+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def is_more(text: str) -> bool:
    return _plain(text) in {_plain(w) for w in MORE_WORDS}


def spoken_choice(text: str, buttons: list[dict]) -> str | None:
    """The payload of the button a spoken answer picks: yes/no words for a confirmation, or a button's title."""
    said = _plain(text)
    if not said or not buttons:
        return None
    for button in buttons:
        title = _plain(button.get("title", ""))
        if title and (said == title or len(title) >= 3 and title in said):
            return button.get("payload")
    payloads = {b.get("payload") for b in buttons}
    if "/deny" in payloads and _says(said, NO_WORDS):   # no before yes: 「やっぱりやめる」, "no, don't"
        return "/deny"
    if "/affirm" in payloads and _says(said, YES_WORDS):
        return "/affirm"
    return None


def _says(said: str, words: tuple[str, ...]) -> bool:
    for word in words:
        word = _plain(word)
        if word.isascii() and re.search(rf"(?<![a-z']){re.escape(word)}(?![a-z'])", said):
            return True
        if not word.isascii() and word in said:
            return True
    return False


@dataclass
class VoiceAnswer:
    speech: str
    ssml: str
    end_session: bool
    reprompt: str | None
    rest: list[str]
    buttons: list[dict]
    locale: str
    messages: list[dict] = field(default_factory=list)   # the full answer and its facts, for screens

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"speech": self.speech, "ssml": self.ssml, "end_session": self.end_session,
                                "messages": self.messages}
        if self.reprompt:
            body["reprompt"] = self.reprompt
        return body


def speak(parts: list[str], locale: str, *, buttons: list[dict], messages: list[dict],
          limit: int | None = None) -> VoiceAnswer:
    """A spoken turn from its sentences: the first that fit, the offer of the rest, the choices of a question."""
    said, rest = take(parts, locale, limit or LIMIT[locale])
    question = choices_prompt(buttons, locale) if buttons else None
    tail = [t("voice.more_offer", locale)] if rest else ([question] if question else [])
    spoken = said + tail
    open_question = bool(rest or buttons)
    reprompt = (question or t("voice.more_offer", locale)) if open_question else None
    joiner = "" if locale == "ja" else " "
    return VoiceAnswer(joiner.join(spoken), ssml(spoken, locale), not open_question, reprompt, rest, buttons,
                       locale, messages)


def voice_answer(replies: list, locale_hint: str | None = None, tier_names: dict[str, str] | None = None) -> VoiceAnswer:
    """One turn's replies (`bot.conversation.Reply`) as a spoken answer."""
    text = "\n".join(r.text for r in replies)
    locale = locale_hint if locale_hint in LIMIT else script_locale(text) or "en"   # the user's language
    buttons = [b for r in replies for b in r.buttons]
    messages = [r.as_json() for r in replies]
    for reply in replies:
        tier = reply.facts.get("tier")
        spoken = status_speech(reply.facts, locale, (tier_names or {}).get(tier, str(tier).capitalize()))
        if spoken:
            return speak(sentences(spoken, locale), locale, buttons=buttons, messages=messages,
                         limit=STATUS_LIMIT[locale])
    return speak(sentences(text, locale), locale, buttons=buttons, messages=messages)


class VoiceSessions:
    """Per user, what a spoken conversation keeps between turns: the sentences not yet said and the buttons of an
    open question. In memory and short-lived (SESSION_SECONDS): a restart forgets only an offer to continue."""

    def __init__(self, max_users: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, VoiceAnswer]] = {}
        self.max_users = max_users

    def keep(self, user_id: str, answer: VoiceAnswer) -> None:
        with self._lock:
            self._kept.pop(user_id, None)
            if answer.rest or answer.buttons:
                if len(self._kept) >= self.max_users:   # the oldest first
                    self._kept.pop(next(iter(self._kept)))
                self._kept[user_id] = (time.monotonic() + SESSION_SECONDS, answer)

    def last(self, user_id: str) -> VoiceAnswer | None:
        with self._lock:
            kept = self._kept.get(user_id)
            if kept and kept[0] < time.monotonic():
                del self._kept[user_id]
                return None
            return kept[1] if kept else None

    def state(self, user_id: str) -> dict | None:
        """What to carry to the next turn when the platform keeps it (Alexa's session attributes)."""
        answer = self.last(user_id)
        return {"rest": answer.rest, "buttons": answer.buttons, "locale": answer.locale} if answer else None

    @classmethod
    def carrying(cls, user_id: str, state: object) -> "VoiceSessions":
        """One user's sessions from a carried `state`; anything malformed is dropped (checked like input)."""
        sessions = cls(max_users=1)
        if not isinstance(state, dict) or state.get("locale") not in LIMIT:
            return sessions
        rest, buttons = state.get("rest") or [], state.get("buttons") or []
        if not (isinstance(rest, list) and len(rest) <= 100 and all(isinstance(r, str) and len(r) <= 1000 for r in rest)):
            return sessions
        if not (isinstance(buttons, list) and len(buttons) <= 30 and all(
                isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
                and len(b["title"]) <= 200 and len(b["payload"]) <= 300 for b in buttons)):
            return sessions
        sessions.keep(user_id, VoiceAnswer("", "", False, None, rest, buttons, state["locale"]))
        return sessions


class VoiceChannel:
    """A spoken turn: "more" continues the last answer, a spoken yes/no or button title answers an open question,
    a chart is described in words, anything else goes to the conversation like a chat message."""

    def __init__(self, conversation: Any, *, chart_caption: Any = None, tier_names: Any = None,
                 sessions: VoiceSessions | None = None) -> None:
        self.conversation = conversation
        self.chart_caption = chart_caption     # (user_id, locale) → the year's PP in words
        self.tier_names = tier_names           # locale → {tier id: name}
        self.sessions = sessions or VoiceSessions()

    async def turn(self, user_id: str, text: str, locale: str | None = None, *,
                   sessions: VoiceSessions | None = None) -> VoiceAnswer:
        """`sessions`: where this turn's state is kept when the platform keeps it (Alexa's session attributes)."""
        kept = sessions or self.sessions
        last = kept.last(user_id)
        said_locale = script_locale(text) or (last.locale if last else None) or locale or "en"
        said_locale = said_locale if said_locale in LIMIT else "en"
        if is_more(text):
            if last and last.rest:
                answer = speak(last.rest, last.locale, buttons=last.buttons, messages=[])
            else:
                nothing = t("voice.nothing_more", said_locale)
                answer = speak([nothing], said_locale, buttons=[], messages=[{"text": nothing, "buttons": [],
                                                                             "facts": {"kind": "voice_more"}}])
            kept.keep(user_id, answer)
            return answer
        chosen = spoken_choice(text, last.buttons) if last and last.buttons else None
        if chosen is None and self.chart_caption and CHART_WORDS.search(text):
            caption = await asyncio.to_thread(self.chart_caption, user_id, said_locale)
            words = t("voice.chart_in_words", said_locale, caption=caption)
            answer = voice_answer([Reply(words, facts={"kind": "chart_in_words"})], said_locale)
        else:
            replies = await self.conversation.handle(user_id, chosen or text, locale or said_locale)
            names = self.tier_names(said_locale) if self.tier_names else None
            answer = voice_answer(replies, said_locale, names)
        kept.keep(user_id, answer)
        return answer
