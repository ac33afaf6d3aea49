"""What every action needs: the ledger (built on first use, no engine at import time), the reply language of
the turn, and saying a catalogue message — or a refusal — with its facts."""
from __future__ import annotations

import re
import threading
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from i18n import detect_locale, fmt_date, fmt_moment, normalize_locale, t, use_rule_words
from i18n.rule_words import cached_rule_words, link_delay
from ledger.bootstrap import Ledger, bootstrap
from ledger.shared.refusals import Refusal

_lock = threading.Lock()
_ledger: Ledger | None = None


def ledger() -> Ledger:
    """The action server's ledger: `bootstrap()` from the environment on first use, or the one `use_ledger` gave."""
    global _ledger
    with _lock:
        if _ledger is None:
            _ledger = bootstrap()
        return _ledger


def use_ledger(the_ledger: Ledger | None) -> None:
    """Serve actions from `the_ledger` (tests run actions on a ledger of their own); None: bootstrap again."""
    global _ledger
    with _lock:
        _ledger = the_ledger


# Every message the actions say takes its rule values from the rules the action server's ledger runs on.
use_rule_words(lambda locale: cached_rule_words(ledger().rules, locale))


_WORDS = re.compile(r"[A-Za-z\u3040-\u30ff\u3400-\u9fff]")


def only_entities(text: str | None, entities: list[dict] | None) -> bool:
    """True when every word of the message is an entity value — a coupon code, a place, a number."""
    text = text or ""
    for entity in sorted(entities or [], key=lambda e: -int(e.get("start", 0))):
        if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
            text = text[:entity["start"]] + text[entity["end"]:]
    return bool(entities) and not _WORDS.search(text)


def _shows_language(text: str | None, metadata: dict, entities: list[dict] | None) -> bool:
    return metadata.get("locale_source") == "script" and not only_entities(text, entities)


def locale_of(tracker: Tracker) -> str:
    """The reply language for this turn.

    The bot puts `locale` and `locale_source` ("script", "client" or "default") in the message
    metadata. A message whose words show no language (a button payload, a bare number, "JAL",
    a coupon code like PON-7K3M-9QXD-4, a place name) keeps the language of the user's last
    message that did; otherwise the client's locale.
    """
    latest = tracker.latest_message or {}
    user_events = [e for e in tracker.events if e.get("event") == "user"]
    metadata = latest.get("metadata") or (user_events[-1].get("metadata") if user_events else None) or {}
    if not _shows_language(latest.get("text"), metadata, latest.get("entities")):
        for event in reversed(user_events[:-1]):
            earlier = event.get("metadata") or {}
            entities = (event.get("parse_data") or {}).get("entities")
            if _shows_language(event.get("text"), earlier, entities) and normalize_locale(earlier.get("locale")):
                return normalize_locale(earlier["locale"])
    return normalize_locale(metadata.get("locale")) or detect_locale(latest.get("text"))


def say(dispatcher: CollectingDispatcher, locale: str, key: str, *, facts: dict | None = None,
        buttons: list[dict] | None = None, extra: list[str] | None = None, **values: Any) -> None:
    """Utter one catalogue message, with facts and buttons for clients that read them.

    Rule values (delays, days, the PP era) come from the rules data (`rule_words`); an answer whose facts say
    its rule may no longer hold (`rule_current: false`) says so, with the rule's date."""
    text = t(key, locale, **values)
    if extra:
        text = "\n".join([text, *extra])
    if facts is not None and facts.get("rule_current") is False:
        text = "\n".join([text, rule_warning(facts, locale)])
    message: dict[str, Any] = {"text": text}
    if buttons:
        message["buttons"] = buttons
    if facts is not None:
        message["json_message"] = {"facts": facts}
    dispatcher.utter_message(**message)


def partner_names(locale: str, partner_id: str | None) -> dict[str, str]:
    """{"partner", "unit": what its points are called, "link_delay": its linkage delay as its source says} in `locale`."""
    partner = ledger().rules.partners.get(partner_id or "")
    name = partner.name(locale) if partner else (partner_id or "")
    return {"partner": name, "unit": partner.unit(locale) if partner else "",
            "link_delay": link_delay(partner.linkage, name, locale) if partner else ""}


def rule_warning(facts: dict, locale: str) -> str:
    """The plain warning an answer carries when a rule it leans on ended or was last confirmed over a year ago."""
    confirmed_on = fmt_date(facts["rule_confirmed_on"], locale)
    if facts.get("rule_ended_on"):
        return t("rule_ended", locale, ended_on=fmt_date(facts["rule_ended_on"], locale), confirmed_on=confirmed_on)
    return t("rule_stale", locale, confirmed_on=confirmed_on)


def refusal_values(refusal: Refusal, locale: str) -> dict[str, Any]:
    """Refusal details made readable: partner ids as names, dates in the user's style."""
    rules = ledger().rules
    values: dict[str, Any] = dict(refusal.details)
    partner = rules.partners.get(values.get("partner", ""))
    if partner:
        values["partner"] = partner.name(locale)
        values.setdefault("unit", partner.unit(locale))
        values.setdefault("link_delay", link_delay(partner.linkage, partner.name(locale), locale))
    values.setdefault("unit", "")
    if isinstance(values.get("known"), list):  # partner ids as names (fare refusals carry names already)
        values["known"] = [rules.partners[p].name(locale) if p in rules.partners else p for p in values["known"]]
    municipality = rules.municipalities.get(values.get("municipality") or "")
    if municipality:
        values["municipality"] = municipality.name(locale)
    event = rules.events.get(values.get("event") or "")
    if event:
        values["event"] = event.name(locale)
    if "ended_on" in values:
        values["ended"] = t("campaign_ended", locale, on=fmt_date(values["ended_on"], locale)) if values["ended_on"] else ""
    if "attempts_left" in values:
        values["attempts_left"] = t("coupon_attempts_left", locale, n=values["attempts_left"],
                                    minutes=values.get("lock_minutes", 0))
    for key in ("active_from", "on", "flown_on", "today", "expired_on", "valid_from", "valid_until", "first_from"):
        if key in values and values[key]:
            values[key] = fmt_date(values[key], locale)
    if values.get("until"):
        values["until"] = fmt_moment(values["until"], locale)
    return values


def refuse(dispatcher: CollectingDispatcher, locale: str, refusal: Refusal, kind: str, *,
           buttons: list[dict] | None = None) -> None:
    """Tell the user why not, with facts `{"kind", "status": "rejected", "reason"}` (and what to do instead)."""
    facts = {"kind": kind, "status": "rejected", "reason": refusal.reason}
    facts.update({k: v for k, v in refusal.details.items() if isinstance(v, (int, str, list))})
    say(dispatcher, locale, f"refusal.{refusal.reason}", facts=facts, buttons=buttons,
        **refusal_values(refusal, locale))
