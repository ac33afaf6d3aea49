"""「やっぱりやめる」, 「取り消して」, "undo" after something was done: what can and cannot be undone, and the
nearest step that is possible. An exchange is one-way (交換は一方向), a flight can be deleted, a move of reserved
points is final. Changes nothing itself: a flight is deleted only through its own confirmation."""
from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Action, Tracker

from actions.flights import another_flight
from actions.runtime import ledger, locale_of, refuse, say
from actions.status_words import airport_name
from i18n import fmt_date, t
from ledger.shared.refusals import Refusal

DONE = {"conversion": "conversion", "flight_logged": "flight", "move": "move", "coupon": "coupon"}


def last_done(tracker: Tracker, within: int = 40) -> dict[str, Any] | None:
    """The facts of the last thing this conversation did (an exchange, a flight logged, a move, a coupon), looked
    for in the last `within` events: {"what": …, **facts}, or None."""
    for event in reversed(tracker.events[-within:]):
        if event.get("event") != "bot":
            continue
        facts = ((event.get("data") or {}).get("custom") or {}).get("facts") or {}
        what = DONE.get(facts.get("kind"))
        if what and facts.get("status") == "done":
            return {"what": what, **facts}
    return None


def one_way(dispatcher, locale: str, tracker: Tracker, done: dict[str, Any] | None) -> None:
    """The exchange cannot go back; moving reserved points is the step still open (a button when there are some)."""
    reserved = ledger().balance(tracker.sender_id).reserved
    buttons = ([{"title": t("move_reserved_button", locale, n=reserved), "payload": "/move_points"}]
               if reserved else None)
    refuse(dispatcher, locale, Refusal("one_way", **({"last_to_amount": done["to_amount"]} if done else {})),
           "conversion", buttons=buttons)


def flight_undo(dispatcher, locale: str, done: dict[str, Any]) -> None:
    route = "→".join(airport_name(done[k], locale) if done.get(k) else "?" for k in ("origin", "destination"))
    say(dispatcher, locale, "undo_flight", facts={"kind": "undo", "last": "flight", "possible": True,
                                                   "flight_id": done.get("flight_id")},
        buttons=[{"title": t("undo_flight_button", locale),
                  "payload": f'/delete_flight{{"flight_id":"{done.get("flight_id")}"}}'},
                 {"title": t("undo_keep_button", locale), "payload": "/deny"}],
        route=route, day=fmt_date(done.get("flown_on"), locale), pp=done.get("pp") or 0)


def flight_undo_or_next(dispatcher, tracker: Tracker, locale: str, done: dict[str, Any]) -> None:
    """Right after a flight was logged: "and back on Simple today" logs the return; anything else offers to
    delete that flight."""
    if not another_flight(dispatcher, tracker, locale, done):
        flight_undo(dispatcher, locale, done)


def explain(dispatcher, tracker: Tracker, locale: str, done: dict[str, Any] | None) -> None:
    """What can be undone of `done` (the last thing this conversation did), with the nearest possible step."""
    if done is None:
        say(dispatcher, locale, "undo_nothing", facts={"kind": "undo", "last": None, "possible": False})
    elif done["what"] == "conversion":
        one_way(dispatcher, locale, tracker, done)
    elif done["what"] == "flight":
        flight_undo_or_next(dispatcher, tracker, locale, done)
    else:
        say(dispatcher, locale, f"undo_{done['what']}", facts={"kind": "undo", "last": done["what"], "possible": False})


class ActionUndo(Action):
    """Runs for "stop" / 「やっぱりやめる」 when no form is asking: explains the last thing done, if any."""

    def name(self) -> Text:
        return "action_undo"

    async def run(self, dispatcher, tracker, domain):
        explain(dispatcher, tracker, locale_of(tracker), last_done(tracker))
        return []
