"""Actions without Rasa, as RasaHQ/financial-demo tests them: a tracker from a JSON dump (`Tracker.from_dict`), a
`CollectingDispatcher`, and a real SQLite ledger (`actions.runtime.use_ledger`). Each test runs in milliseconds and
checks what the user would see: the words in their language, the buttons, the facts, and the ledger after."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import chat, flight_changes, flights, partners, points, reserved, routes, runtime, status
from ledger.bootstrap import bootstrap
from ledger.shared.clock import parse_moment
from tests.conftest import make_settings

REPO = Path(__file__).resolve().parent.parent
EMPTY = json.loads((Path(__file__).parent / "data" / "empty_tracker.json").read_text(encoding="utf-8"))
USER = "action-test"


@pytest.fixture
def ledger(tmp_path):
    """A real SQLite ledger that the actions use, on the sandbox clock of 2018-06-01 (the campaign still runs)."""
    the_ledger = bootstrap(make_settings(tmp_path))
    the_ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    runtime.use_ledger(the_ledger)
    yield the_ledger
    runtime.use_ledger(None)
    the_ledger.dispose()


def tracker(text: str = "", intent: str | None = None, *, entities: list[dict] | None = None,
            slots: dict | None = None, form: str | None = None, requested: str | None = None,
            locale: str = "en") -> Tracker:
    """The JSON dump of a tracker after the user said `text` (metadata as the bot sends it)."""
    state = copy.deepcopy(EMPTY)
    state["slots"] = {"requested_slot": requested, **(slots or {})}
    state["latest_message"].update(text=text, intent={"name": intent, "confidence": 0.9},
                                   entities=entities or [],
                                   metadata={"locale": locale, "locale_source": "script" if text else "client"})
    state["events"] = [{"event": "user", "text": text, "metadata": state["latest_message"]["metadata"],
                        "parse_data": {"entities": entities or []}}]
    state["active_loop"] = {"name": form} if form else {}
    return Tracker.from_dict(state)


def entity(name: str, value: str, text: str) -> dict:
    start = text.index(value) if value in text else 0
    return {"entity": name, "value": value, "start": start, "end": start + len(value)}


async def run(action: Action, the_tracker: Tracker) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, the_tracker, {})
    return dispatcher.messages, events


def facts(messages: list[dict], kind: str | None = None) -> dict:
    for message in reversed(messages):
        found = (message.get("custom") or {}).get("facts")
        if found and (kind is None or found.get("kind") == kind):
            return found
    return {}


def words(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def slot(events: list, name: str):
    return next((e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name), "unset")


def with_jal(ledger, miles: int = 5_000) -> None:
    ledger.sandbox_grant(USER, "jal", miles)
    ledger.sandbox_link(USER, "jal")


# ---------------------------------------------------------------- the domain and the action server agree

def test_every_action_in_the_domain_is_served_and_every_ask_is_per_form():
    domain = yaml.safe_load((REPO / "nlu" / "domain.yml").read_text(encoding="utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    served = set(executor.actions)
    assert sorted(set(domain["actions"]) - served) == []
    asks = [a for a in domain["actions"] if a.startswith("action_ask_")]
    forms = domain["forms"]
    assert asks and all(any(a.startswith(f"action_ask_{form}_") for form in forms) for a in asks)
    for form, spec in forms.items():   # every slot a form may ask for has its own question
        asked = {a.removeprefix(f"action_ask_{form}_") for a in asks if a.startswith(f"action_ask_{form}_")}
        assert asked, form
        assert asked <= set(spec["required_slots"]), form


# ---------------------------------------------------------------- conversion

async def test_the_conversion_is_stated_before_it_happens_and_happens_once(ledger):
    with_jal(ledger)
    asked, events = await run(points.ActionAskConversionFormConfirmConversion(),
                              tracker("2000", "inform", slots={"partner": "jal", "amount": "2000"},
                                      form="conversion_form", requested="confirm_conversion"))
    assert facts(asked)["kind"] == "conversion" and facts(asked)["status"] == "needs_confirmation"
    assert (facts(asked)["from_amount"], facts(asked)["to_amount"]) == (2_000, 1_000)
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]
    key = slot(events, "quote_key")
    assert ledger.balance(USER).reserved == 0, "nothing changes before yes"

    confirmed = tracker("yes", "affirm", slots={"partner": "jal", "amount": "2000", "confirm_conversion": True,
                                                "quote_key": key})
    done, events = await run(points.ActionConvertPoints(), confirmed)
    assert facts(done)["status"] == "done" and "1,000" in words(done)
    assert ledger.balance(USER).reserved == 1_000 and ledger.balance(USER).partners == {"jal": 3_000}
    assert slot(events, "partner") is None, "the form's slots are cleared"
    again, _ = await run(points.ActionConvertPoints(), confirmed)   # a redelivered "yes"
    assert facts(again)["status"] == "done"
    assert ledger.balance(USER).reserved == 1_000, "the same confirmation converts once"


async def test_an_amount_between_units_is_refused_in_the_users_language(ledger):
    with_jal(ledger)
    dispatcher = CollectingDispatcher()
    result = points.ValidateConversionForm().validate_amount(
        "3000", dispatcher, tracker("3000マイル", "inform", slots={"partner": "jal"}, form="conversion_form",
                                    requested="amount", locale="ja"), {})
    assert result == {"amount": None}
    assert facts(dispatcher.messages)["kind"] == "conversion"
    assert facts(dispatcher.messages)["reason"] == "not_whole_units"
    assert "2,000" in words(dispatcher.messages) and "4,000" in words(dispatcher.messages)
    assert any("\u3040" <= ch <= "\u30ff" for ch in words(dispatcher.messages))


async def test_a_coupon_partner_stops_the_conversion_form(ledger):
    dispatcher = CollectingDispatcher()
    result = points.ValidateConversionForm().validate_partner(
        "Ponta", dispatcher, tracker("Ponta", "inform", form="conversion_form", requested="partner"), {})
    assert result["requested_slot"] is None and result["partner"] is None
    assert facts(dispatcher.messages)["reason"] == "coupon_partner"


async def test_converting_back_is_refused_with_a_way_forward(ledger):
    with_jal(ledger)
    ledger.convert_points(USER, "jal", 2_000, "c-1")
    said, _ = await run(points.ActionConvertBack(), tracker("convert my reserved points back to miles", "convert_back"))
    assert facts(said)["reason"] == "one_way"
    assert said[0]["buttons"] == [{"title": "Move reserved points (1,000)", "payload": "/move_points"}]


async def test_balance_and_best_route_in_japanese(ledger):
    with_jal(ledger)
    ledger.sandbox_grant(USER, "saison", 10_050)
    ledger.sandbox_link(USER, "saison")
    balance, _ = await run(points.ActionShowBalance(), tracker("残高", "check_balance", locale="ja"))
    assert facts(balance)["partners"] == {"jal": 5_000, "saison": 10_050}
    assert "JALマイレージバンク：5,000マイル" in words(balance)
    advice, _ = await run(routes.ActionBestRoute(), tracker("セゾン10050ポイントの使い道", "best_route", locale="ja",
                                                            slots={"partner": "saison", "amount": "10050"}))
    assert facts(advice)["best"]["to"] == "municipal:kasama" and facts(advice)["best"]["to_amount"] == 55_000
    assert "笠間" in words(advice)


# ---------------------------------------------------------------- linkage, coupons, reserved points

async def test_link_status_lists_every_linkage_partner(ledger):
    ledger.sandbox_link(USER, "saison")
    ledger.request_link(USER, "jal")
    said, _ = await run(partners.ActionLinkStatus(), tracker("which accounts are linked", "link_status"))
    links = facts(said, "link_status")["links"]
    assert (links["saison"]["status"], links["jal"]["status"], links["docomo"]["status"]) == (
        "active", "pending", "not_linked")
    assert links["jal"]["active_from"] == "2018-06-08"


async def test_a_coupon_is_redeemed_once(ledger):
    code = ledger.sandbox_issue_coupon("ponta", 2_000).code
    redeem = tracker(f"redeem {code}", "redeem_coupon", slots={"coupon_code": code})
    said, _ = await run(partners.ActionRedeemCoupon(), redeem)
    assert facts(said)["to_amount"] == 2_000 and ledger.balance(USER).reserved == 2_000
    again, _ = await run(partners.ActionRedeemCoupon(), redeem)   # the same message redelivered
    assert facts(again)["status"] == "done" and ledger.balance(USER).reserved == 2_000


async def test_moving_reserved_points_is_checked_by_the_ledger_and_confirmed_first(ledger):
    with_jal(ledger)
    ledger.convert_points(USER, "jal", 4_000, "c-1")                     # 2,000 reserved
    form = reserved.ValidateMoveForm()
    at_amount = dict(slots={"municipality": "kasama"}, form="move_form", requested="amount")
    dispatcher = CollectingDispatcher()
    assert form.validate_amount("all", dispatcher, tracker("all", "inform", **at_amount), {}) == {"amount": "2000"}
    assert form.validate_amount("2,500", dispatcher, tracker("2,500", "inform", **at_amount), {}) == {"amount": None}
    assert facts(dispatcher.messages)["reason"] == "not_enough_reserved"

    asked, events = await run(reserved.ActionAskMoveFormConfirm(),
                              tracker("500", "inform", slots={"municipality": "kasama", "amount": "500"},
                                      form="move_form", requested="confirm"))
    assert facts(asked) == {"kind": "move", "from": "reserved", "to": "municipal:kasama", "amount": 500,
                            "status": "needs_confirmation"}
    moved, _ = await run(reserved.ActionMovePoints(),
                         tracker("yes", "affirm", slots={"municipality": "kasama", "amount": "500", "confirm": True,
                                                         "quote_key": slot(events, "quote_key")}))
    assert facts(moved)["status"] == "done"
    assert ledger.balance(USER).reserved == 1_500 and ledger.balance(USER).municipal == {"kasama": 500}


async def test_with_nothing_reserved_the_move_form_ends_at_once(ledger):
    said, events = await run(reserved.ActionAskMoveFormPrefecture(),
                             tracker("move my reserved points", "move_points", form="move_form",
                                     requested="prefecture"))
    assert facts(said)["reason"] == "nothing_reserved"
    assert ActiveLoop(None) in events


async def test_the_home_form_offers_prefectures_without_events(ledger):
    said, _ = await run(reserved.ActionAskHomeFormPrefecture(),
                        tracker("set my home municipality", "set_home_municipality", form="home_form",
                                requested="prefecture"))
    payloads = [b["payload"] for b in said[0]["buttons"]]
    assert '/inform{"prefecture":"ibaraki"}' in payloads and not any('"event"' in p for p in payloads)


# ---------------------------------------------------------------- flights and status

async def test_a_flight_by_route_and_fare_is_logged_with_its_pp_explained(ledger):
    ledger.set_test_clock(parse_moment("2026-06-09T10:00"))
    said, _ = await run(flights.ActionLogFlight(), tracker(
        "6/8に羽田-那覇をスタンダードで搭乗", "log_flight", locale="ja",
        slots={"flight_date": "2026-06-08", "route": "HND-OKA", "fare": "スタンダード"}))
    assert facts(said)["pp"] == 1_774 and facts(said)["origin"] == "HND"
    assert "984" in words(said)                                # segment miles × rate × multiplier + boarding
    assert [f.pp for f in ledger.list_flights(USER, 2026)] == [1_774]


async def test_the_fare_question_offers_the_fares_sold_that_day(ledger):
    ask = flights.ActionAskFlightFormFare()
    new, _ = await run(ask, tracker("HND-OKA", "log_flight", slots={"route": "HND-OKA", "flight_date": "2026-06-08"},
                                    form="flight_form", requested="fare"))
    old, _ = await run(ask, tracker("HND-OKA", "log_flight", slots={"route": "HND-OKA", "flight_date": "2026-05-18"},
                                    form="flight_form", requested="fare"))
    assert "Simple" in [b["title"] for b in new[0]["buttons"]]
    assert "Simple" not in [b["title"] for b in old[0]["buttons"]], "the fares changed on 2026-05-19"


async def test_a_what_if_round_trip_counts_both_ways_and_stores_nothing(ledger):
    ledger.set_test_clock(parse_moment("2026-11-25T10:00"))
    text = "what if I fly HND-OKA round trip on Standard on 12/10"
    said, _ = await run(status.ActionWhatIf(), tracker(text, "ask_what_if", entities=[
        entity("airport", "HND", text), entity("airport", "OKA", text), entity("fare", "Standard", text),
        entity("date", "12/10", text)]))
    flights_said = facts(said, "what_if")["flights"]
    assert [(f["origin"], f["destination"], f["pp"], f["flown_on"]) for f in flights_said] == [
        ("HND", "OKA", 1_774, "2026-12-10"), ("OKA", "HND", 1_774, "2026-12-10")]
    assert ledger.list_flights(USER, 2026) == []


async def test_the_cheapest_fare_per_pp_is_ranked(ledger):
    ledger.set_test_clock(parse_moment("2026-11-25T10:00"))
    text = "HND-OKA Simple 23,000 yen or Standard 30,000 yen, which is cheaper per PP?"
    said, _ = await run(status.ActionCheapest(), tracker(text, "ask_cheapest", entities=[
        entity("airport", "HND", text), entity("airport", "OKA", text), entity("fare", "Simple", text),
        entity("yen", "23,000 yen", text), entity("fare", "Standard", text), entity("yen", "30,000 yen", text)]))
    found = facts(said, "cheapest")
    assert {o["yen"] for o in found["options"]} == {23_000, 30_000}
    assert found["best"] == found["options"][0]["label"]
    assert (found["origin"], found["destination"]) == ("HND", "OKA")
    assert "Standard" in words(said) and "Simple" in words(said)


async def test_status_start_in_japanese_explains_the_day(ledger):
    ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    ledger.log_flight(USER, dt.date(2016, 6, 8), 30_000, "f-1")
    said, events = await run(status.ActionStatusStart(),
                             tracker("ブロンズはいつから？", "ask_status_start", slots={"tier": "bronze"}, locale="ja"))
    assert facts(said)["advance_service_from"] == "2016-06-10"
    assert "2016年6月10日" in words(said)
    assert SlotSet("tier", None) in events


async def test_an_unknown_tier_is_refused(ledger):
    text = "how many PP to gold"
    said, _ = await run(status.ActionPpToGo(), tracker(text, "ask_pp_to_go", entities=[entity("tier", "gold", text)]))
    assert facts(said)["status"] == "rejected" and facts(said)["reason"] == "unknown_tier"


async def test_a_flight_edit_shows_before_and_after_and_changes_nothing_until_yes(ledger):
    ledger.set_test_clock(parse_moment("2026-06-09T10:00"))
    logged, _ = ledger.log_flight(USER, dt.date(2026, 6, 8), None, "f-1",
                                  segment={"origin": "HND", "destination": "OKA", "fare": "standard"})
    slots = {"flight_id": str(logged["flight_id"]), "fare": "simple"}
    asked, events = await run(flight_changes.ActionAskEditFlightFormConfirm(),
                              tracker("change the fare to Simple", "edit_flight", slots=slots, form="edit_flight_form",
                                      requested="confirm"))
    before, after = facts(asked)["before"], facts(asked)["after"]
    assert (before["pp"], after["fare"]) == (1_774, "simple") and after["pp"] < 1_774
    assert [f.pp for f in ledger.list_flights(USER, 2026)] == [1_774]
    done, _ = await run(flight_changes.ActionEditFlight(),
                        tracker("yes", "affirm", slots=slots | {"confirm": True, "quote_key": slot(events, "quote_key")}))
    assert facts(done)["status"] == "done"
    assert [f.pp for f in ledger.list_flights(USER, 2026)] == [after["pp"]]


async def test_cancel_and_leaving_a_form_say_nothing_changed(ledger):
    left, events = await run(chat.ActionLeaveForm(), tracker("残高", "check_balance", form="conversion_form",
                                                             slots={"partner": "jal"}, locale="ja"))
    assert facts(left) == {"kind": "form_left", "form": "conversion_form", "status": "cancelled"}
    assert "ポイント交換" in words(left) and SlotSet("partner", None) in events
    cancelled, events = await run(chat.ActionCancel(), tracker("cancel", "stop", form="move_form"))
    assert facts(cancelled)["status"] == "cancelled" and ActiveLoop(None) in events


def test_a_follow_up_uses_only_the_answer_just_given_and_only_while_it_is_recent():
    from actions.followups import CONTEXT_MINUTES, last_answer

    def events(*bots):
        out = []
        for at, facts in bots:
            out.append({"event": "user", "timestamp": at - 1, "text": "q"})
            out.append({"event": "bot", "timestamp": at, "data": {"custom": {"facts": facts} if facts else {}}})
        return out + [{"event": "user", "timestamp": bots[-1][0] + 5, "text": "what about Platinum?"}]

    asked = {"kind": "status_start", "tier": "bronze"}
    recent = Tracker("u", {}, {}, events((1_000.0, asked)), False, None, {}, "action_listen")
    assert last_answer(recent, now=1_000.0 + 60) == asked
    assert last_answer(recent, now=1_000.0 + CONTEXT_MINUTES * 60 + 1) is None          # expired
    changed = Tracker("u", {}, {}, events((1_000.0, asked), (1_100.0, {"kind": "balance"})), False, None, {},
                      "action_listen")
    assert last_answer(changed, now=1_200.0) == {"kind": "balance"}                      # a change of topic
