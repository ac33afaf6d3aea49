"""What the assistant says, in English and Japanese, and how it picks the language.

The words are data: `assistant.yml` (the conversation itself), `points.yml` and `status.yml` (one file per
domain), loaded once. Domain code returns reason codes and values; this module turns them into text:

- `t(key, locale, **values)`: one message; integers get thousands separators, lists are joined in the
  locale's way ("、" / ", "), and a value named `<name>_<locale>` (e.g. `known_ja`) stands for `<name>`
  in that locale.
- `detect_locale`, `script_locale`, `normalize_locale`: which language a message is in.
- `fmt_date`, `fmt_moment`, `fmt_int`; `refusal_text`; `notice_text` for notices from the outbox.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable

from ledger.shared.clock import TOKYO
from ledger.shared.data_files import read_yaml

LOCALES = ("en", "ja")
CATALOG_FILES = ("assistant.yml", "points.yml", "status.yml", "voice.yml")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "ja": ["月", "火", "水", "木", "金", "土", "日"]}
_SEPARATORS = {"en": ", ", "ja": "、"}


def _flatten(tree: dict, prefix: str = "") -> dict[str, dict[str, str]]:
    """{"refusal": {"not_linked": {"en": …, "ja": …}}} → {"refusal.not_linked": {"en": …, "ja": …}}."""
    flat: dict[str, dict[str, str]] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) <= set(LOCALES) and all(isinstance(v, str) for v in value.values()):
            flat[name] = value
        elif isinstance(value, dict):
            flat |= _flatten(value, f"{name}.")
        else:
            raise ValueError(f"i18n: {name} is neither a message nor a group of messages")
    return flat


def load_catalog(directory: Path = Path(__file__).resolve().parent) -> dict[str, dict[str, str]]:
    catalog: dict[str, dict[str, str]] = {}
    for name in CATALOG_FILES:
        messages = _flatten(read_yaml(directory / name) or {})
        repeated = sorted(set(messages) & set(catalog))
        if repeated:
            raise ValueError(f"i18n: {name} repeats {repeated}")
        catalog |= messages
    return catalog


CATALOG = load_catalog()

# Rule values in words ("14 days", "mid-April"…) for every message, from the rules the process runs on:
# set once by the composition of the process that speaks (actions.runtime, bot.serve); see i18n.rule_words.
_rule_words: Callable[[str], dict[str, str]] | None = None


def use_rule_words(provider: Callable[[str], dict[str, str]] | None) -> None:
    """Give every message the rule values `provider(locale)` returns (None: messages get only their own)."""
    global _rule_words
    _rule_words = provider


def normalize_locale(value: str | None) -> str | None:
    """"ja-JP", "ja", "en_US" → "ja"/"en"; anything else → None."""
    if not value:
        return None
    base = value.replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else None


# Latin words that say nothing about the writer's language (program names, units, payloads).
_NEUTRAL_WORDS = {"jal", "ana", "pp", "ponta", "saison", "docomo", "katene", "nh", "ok", "mykey", "sfc", "id", "k"}
_LATIN_WORD = re.compile(r"(?<![/{\"])\b[A-Za-z]{2,}\b")


def script_locale(text: str | None) -> str | None:
    """"ja" for Japanese script, "en" for English words, None when the text doesn't tell (numbers, names, payloads)."""
    if not text:
        return None
    if _JAPANESE.search(text):
        return "ja"
    if text.lstrip().startswith("/"):
        return None
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if any(w not in _NEUTRAL_WORDS for w in words):
        return "en"
    return None


def detect_locale(text: str | None, hint: str | None = None) -> str:
    """The message's own language when it shows one; else the client's hint; else English."""
    return script_locale(text) or normalize_locale(hint) or "en"


def fmt_date(day: dt.date | str | None, locale: str) -> str:
    if day is None:
        return "—"
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    weekday = _WEEKDAYS[locale][day.weekday()]
    if locale == "ja":
        return f"{day.year}年{day.month}月{day.day}日（{weekday}）"
    return f"{day.isoformat()} ({weekday})"


def fmt_moment(moment: dt.datetime | str, locale: str) -> str:
    """A moment in Tokyo time: 2018-06-01 (Fri) 14:30 / 2018年6月1日（金）14:30."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    local = moment.astimezone(TOKYO)
    return f"{fmt_date(local.date(), locale)} {local:%H:%M}"


def fmt_int(value: int) -> str:
    return f"{value:,}"


def list_separator(locale: str) -> str:
    return _SEPARATORS.get(locale, ", ")


def _shown(value: Any, locale: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return fmt_int(value)
    if isinstance(value, (list, tuple)):
        return list_separator(locale).join(str(_shown(v, locale)) for v in value)
    return value


def t(key: str, locale: str, **values: Any) -> str:
    entry = CATALOG[key]
    template = entry.get(locale) or entry["en"]
    if _rule_words is not None:
        values = _rule_words(locale) | values
    suffix = f"_{locale}"
    localized = {name.removesuffix(suffix): v for name, v in values.items() if name.endswith(suffix)}
    shown = {k: _shown(v, locale) for k, v in (values | localized).items()}
    return template.format(**shown)


def refusal_text(reason: str, details: dict[str, Any], locale: str) -> str:
    """A refusal in words, from its reason code and details as they are (the reason itself when no message)."""
    try:
        return t(f"refusal.{reason}", locale, **details)
    except (KeyError, IndexError):
        return reason


def notice_text(notice: dict, locale: str, municipality_name: Callable[[str, str], str],
                partner_names: Callable[[str, str], tuple[str, str]] | None = None,
                words: dict[str, str] | None = None) -> str:
    """A notice from the outbox in the user's language; `municipality_name(id, locale)` names places,
    `partner_names(id, locale)` gives a partner's (name, unit), `words` the rule values in words
    (`i18n.rule_words`)."""
    values = dict(words or {}) | {k: v for k, v in notice.items() if k in ("amount", "from_amount", "to_amount",
                                                                            "mykey_id", "pp", "tier", "days")}
    for key in ("advance_service_from", "advance_service_by", "main_status_from", "main_status_until",
                "card_expected_by", "flown_on", "valid_until"):
        if notice.get(key):
            values[key] = fmt_date(notice[key], locale)
    if notice.get("expires_at"):
        values["expires_at"] = fmt_moment(notice["expires_at"], locale)
    values["municipality"] = municipality_name(notice.get("municipality"), locale) if notice.get("municipality") else "—"
    if notice.get("partner"):
        values["partner"], values["unit"] = (partner_names(notice["partner"], locale) if partner_names
                                             else (notice["partner"], ""))
    for key in ("credited_on", "moves_on"):
        values[key] = fmt_date(notice.get(key), locale)
    return t(f"notice.{notice['kind']}", locale, **values)
