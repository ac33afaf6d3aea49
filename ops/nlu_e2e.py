"""Held-out sentences end to end: does each one reach an answer of the right kind through the whole assistant
(HTTP API → bot → Rasa → actions → ledger)?

Every answer carries facts with a `kind` (DESIGN.md), a form's question `{"kind": "question", "form", "slot"}`.
`RIGHT_KINDS` says which kinds answer each intent. Each sentence is said by a new user who holds 5,000 linked JAL
miles, 1,000 reserved points and one logged flight, so every request has something to act on. A bare answer,
yes, no or "stop" means something only after a question: `CONTEXT` sets one up first (convert miles, move
reserved points, log a flight), and the sentence answers it. When the assistant is unsure it asks with buttons
(`kind: unsure`): that counts as "asked", and as right when the meant reading is one of the buttons.

Used by `bench/nlu_e2e.py` (the whole held-out set) and `tests/test_conversation_heldout.py` (three per family).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Callable

Say = Callable[[str, str], list]

# Which facts answer each intent: a kind, "kind:reason" for a refusal of that reason, or "q:<form>" for a question
# ("q:<about>" for a question outside a form: which days a schedule means, which program a quote is for)
# of that form.
RIGHT_KINDS: dict[str, set[str]] = {
    "convert_points": {"conversion", "q:conversion_form"},
    "convert_back": {"conversion:one_way"},
    "check_balance": {"balance"},
    "show_history": {"history"},
    "link_partner": {"link", "q:link_form"},
    "unlink_partner": {"link", "q:unlink_form"},
    "link_status": {"link_status"},
    "redeem_coupon": {"coupon", "q:coupon_form"},
    "move_points": {"move", "municipalities", "q:move_form"},
    "set_home_municipality": {"home_municipality", "municipalities", "q:home_form"},
    "best_route": {"route_advice", "q:route_form"},
    "list_events": {"events"},
    "log_flight": {"flight_logged", "pp_computed", "q:flight_form"},
    "list_flights": {"flights"},
    "edit_flight": {"flight_edited", "flight", "q:edit_flight_form"},
    "delete_flight": {"flight_deleted", "flight", "q:delete_flight_form"},
    "ask_status_now": {"status_now"},
    "ask_status_start": {"status_start"},
    "ask_status_end": {"status_end"},
    "ask_pp_to_go": {"pp_to_go"},
    "ask_what_if": {"what_if", "pp_computed", "q:schedule"},
    "ask_cheapest": {"cheapest"},
    "ask_sfc": {"sfc"},
    "ask_conversion_quote": {"conversion_quote", "q:conversion_quote"},
    "ask_pp_earned": {"pp_earned"},
    "greet": {"greeting"},
    "goodbye": {"goodbye"},
    "help": {"help"},
    # answers to a question asked first (CONTEXT)
    "affirm": {"conversion:done", "conversion:pending"},
    "deny": {"conversion:cancelled"},
    "stop": {"cancelled", "conversion:cancelled"},
    "inform": {"conversion", "q:conversion_form", "move", "q:move_form", "municipalities", "flight_logged",
               "pp_computed", "q:flight_form", "route_advice"},
}

FAMILIES = {
    "exchange": ["convert_points", "convert_back", "best_route", "ask_conversion_quote"],
    "accounts": ["check_balance", "show_history", "link_partner", "unlink_partner", "link_status", "redeem_coupon"],
    "reserved": ["move_points", "set_home_municipality", "list_events"],
    "flights": ["log_flight", "list_flights", "edit_flight", "delete_flight"],
    "status": ["ask_status_now", "ask_status_start", "ask_status_end", "ask_pp_to_go", "ask_what_if", "ask_cheapest",
               "ask_sfc", "ask_pp_earned"],
    "chat": ["greet", "goodbye", "help", "affirm", "deny", "stop", "inform"],
}


def context_for(item: dict) -> list[str]:
    """What is said first so that `item` answers a question (by its language), or nothing."""
    ja = item.get("lang") == "ja"
    intent, entities = item["intent"], item.get("entities") or {}
    if intent in ("affirm", "deny"):
        return ["JALの2000マイルを交換したい" if ja else "convert 2000 JAL miles"]
    if intent == "stop":
        return ["JALのマイルを交換したい" if ja else "I want to convert JAL miles"]
    if intent != "inform":
        return []
    if "partner" in entities:
        return ["2000マイル交換したい" if ja else "I want to convert 2000 miles"]
    if "municipality" in entities or "prefecture" in entities:
        return ["留保ポイントを移したい" if ja else "I want to move my reserved points"]
    if "amount" in entities:
        return ["JALのマイルを交換したい" if ja else "I want to convert JAL miles"]
    return ["搭乗を記録したい" if ja else "I want to log a flight"]


def kinds_of(messages: list[dict]) -> list[str]:
    """The answer kinds of a reply, in the forms RIGHT_KINDS uses."""
    out = []
    for message in messages:
        facts = message.get("facts") or {}
        kind = facts.get("kind")
        if not kind:
            continue
        if kind == "question":
            out.append(f"q:{facts.get('form') or facts.get('about')}")
            continue
        out.append(kind)
        for detail in ("reason", "status"):
            if facts.get(detail):
                out.append(f"{kind}:{facts[detail]}")
    return out


def prepare_user(ledger, prefix: str = "e2e") -> str:
    """A new user with something to act on: 5,000 linked JAL miles, 1,000 reserved points, one flight."""
    user = f"{prefix}-{uuid.uuid4().hex[:10]}"
    ledger.sandbox_grant(user, "jal", 5_000)
    ledger.sandbox_link(user, "jal")
    ledger.convert_points(user, "jal", 2_000, f"e2e-setup:{user}")   # 1,000 reserved points, 3,000 miles left
    today = ledger.clock.today()
    ledger.log_flight(user, today - dt.timedelta(days=3), 1_342, f"e2e-flight:{user}")
    return user


def drive(say: Say, ledger, item: dict) -> dict:
    """Say `item["text"]` (after its context) as a new user; how the assistant answered, and whether rightly."""
    user = prepare_user(ledger)
    for line in context_for(item):
        say(user, line)
    reply = say(user, item["text"])
    kinds = kinds_of(reply)
    gold = {item["intent"], *([item["second_intent"]] if item.get("second_intent") else [])}
    right = set().union(*(RIGHT_KINDS[g] for g in gold))
    offered = [r for m in reply for r in ((m.get("facts") or {}).get("readings") or [])]
    outcome = "right" if right & set(kinds) else "wrong"
    if "unsure" in kinds:   # the assistant asked: the user presses the reading they meant, if it is offered
        meant = next((r for r in offered if r in gold), None)
        outcome = "asked_wrong"
        if meant:
            reply = say(user, f'/choose_reading{{"reading":"{meant}"}}')
            kinds = kinds + ["→", *kinds_of(reply)]
            outcome = "right_after_asking" if right & set(kinds_of(reply)) else "asked_then_wrong"
    return {"text": item["text"], "intent": item["intent"], "lang": item.get("lang"), "outcome": outcome,
            "kinds": kinds, "offered": offered, "said": " / ".join(m.get("text") or "" for m in reply)[:300]}


def summarize(results: list[dict]) -> dict:
    """Rates of each outcome, overall and per language, and the sentences that went wrong."""
    def rates(rows: list[dict]) -> dict:
        total = len(rows) or 1
        right = sum(r["outcome"] == "right" for r in rows)
        clicked = sum(r["outcome"] == "right_after_asking" for r in rows)
        return {"sentences": len(rows), "right_first_time": round(right / total, 4),
                "right_after_one_choice": round((right + clicked) / total, 4),
                "asked": round(sum(r["outcome"].startswith("asked") or r["outcome"] == "right_after_asking"
                                   for r in rows) / total, 4)}
    return {"kind": "nlu_end_to_end", **rates(results),
            "per_language": {lang: rates([r for r in results if r["lang"] == lang]) for lang in ("ja", "en")},
            "per_family": {name: rates([r for r in results if r["intent"] in intents])
                           for name, intents in FAMILIES.items()},
            "not_right": [r for r in results if r["outcome"] not in ("right", "right_after_asking")]}
