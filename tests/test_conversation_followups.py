"""Conversations that go where people take them (issue 12), in English and Japanese, written as a person talks,
through the whole assistant (HTTP API → bot → real Rasa → actions → ledger), asserting the facts at each turn.

- A question gets an answer, not a commitment: a quote in whole units with what stays, and no form left open.
- "all", "half", "everything but 1,000", 全部, 半分: whole units of what the user holds, stated before confirming.
- A question inside a confirmation gets the numbers for the pending exchange, then the question again.
- Premium Points are never confused with points.
- After something was done, 「やっぱりやめる」 / "undo" says what can and cannot be undone, with the nearest step.
"""
from __future__ import annotations

import pytest

from tests.conftest import facts_of, new_user, text_of
from tests.test_conversation import has_japanese

pytestmark = pytest.mark.rasa

EN, JA = "en", "ja"


def in_language(messages: list[dict], locale: str) -> str:
    text = text_of(messages)
    assert has_japanese(text) == (locale == JA), f"answer not in {locale}: {text}"
    return text


def kinds(messages: list[dict]) -> list[str]:
    return [(m.get("facts") or {}).get("kind") for m in messages if m.get("facts")]


def jal_user(stack, miles: int) -> str:
    user = new_user("follow")
    stack.ledger.sandbox_grant(user, "jal", miles)
    stack.ledger.sandbox_link(user, "jal")
    return user


def press(stack, user: str, messages: list[dict], index: int = 0) -> list[dict]:
    buttons = [b for m in messages for b in m.get("buttons") or []]
    assert buttons, f"no buttons in {messages}"
    return stack.say(user, buttons[index]["payload"])


@pytest.fixture
def december(clock):
    clock("2026-12-01T10:00")


# ---------------------------------------------------------------- a question gets an answer, not a commitment

@pytest.mark.parametrize("locale, question", [
    (EN, "I have 12,345 JAL miles, how many municipal points would I get?"),
    (JA, "JALマイル12,345マイルだと何ポイントになりますか？"),
])
def test_a_quote_question_gets_units_and_what_stays_then_an_offer(stack, locale, question):
    user = jal_user(stack, 20_000)
    quote = stack.say(user, question)
    facts = facts_of(quote, "conversion_quote")
    assert (facts["units"], facts["used"], facts["stays"], facts["to_amount"]) == (6, 12_000, 345, 6_000)
    text = in_language(quote, locale)
    assert "12,000" in text and "345" in text and "6,000" in text
    assert "units (" not in text and "口（" not in text          # no 口 were said: none are echoed
    assert stack.ledger.balance(user).partners == {"jal": 20_000}          # nothing converted

    # no form was left open: the next question is answered as itself
    balance = stack.say(user, "what's my balance?" if locale == EN else "残高は？")
    assert kinds(balance) == ["balance"]

    # the offer converts exactly the whole units quoted, after the usual confirmation
    confirm = press(stack, user, quote)
    assert facts_of(confirm, "conversion")["status"] == "needs_confirmation"
    assert facts_of(confirm, "conversion")["from_amount"] == 12_000
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).partners == {"jal": 8_000} and stack.ledger.balance(user).reserved == 6_000


@pytest.mark.parametrize("locale, question", [
    (EN, "what if I converted 5000 miles?"), (JA, "5000マイルだと何ポイント？")])
def test_without_a_program_named_the_only_one_held_is_quoted(stack, locale, question):
    user = jal_user(stack, 9_000)
    quote = stack.say(user, question)
    facts = facts_of(quote, "conversion_quote")
    assert (facts["partner"], facts["used"], facts["stays"], facts["to_amount"]) == ("jal", 4_000, 1_000, 2_000)
    in_language(quote, locale)


# ---------------------------------------------------------------- all, half, everything but

@pytest.mark.parametrize("locale, request_, used, stays", [
    (EN, "convert all my JAL miles", 12_000, 345),
    (JA, "JALのマイルを全部交換したい", 12_000, 345),
    (EN, "convert half my JAL miles", 6_000, 172),
    (JA, "JALマイルを半分だけ交換して", 6_000, 172),
    (EN, "convert all my JAL miles except 1,000", 10_000, 1_345),
])
def test_a_share_is_whole_units_of_what_is_held_stated_before_confirming(stack, locale, request_, used, stays):
    user = jal_user(stack, 12_345)
    asked = stack.say(user, request_)
    confirm = facts_of(asked, "conversion")
    assert (confirm["status"], confirm["from_amount"]) == ("needs_confirmation", used), text_of(asked)
    text = in_language(asked, locale)
    assert "12,345" in text and f"{used:,}" in text and f"{stays:,}" in text
    assert stack.ledger.balance(user).partners == {"jal": 12_345}
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).partners == {"jal": 12_345 - used}


@pytest.mark.parametrize("locale", [EN, JA])
def test_all_when_holding_less_than_a_unit_says_so_and_leaves_no_form(stack, locale):
    user = jal_user(stack, 1_500)
    asked = stack.say(user, "convert all my JAL miles" if locale == EN else "JALマイルを全部交換して")
    facts = facts_of(asked, "conversion_quote")
    assert (facts["units"], facts["held"]) == (0, 1_500)
    in_language(asked, locale)
    after = stack.say(user, "what's my balance?" if locale == EN else "残高は？")
    assert kinds(after) == ["balance"]


# ---------------------------------------------------------------- a question inside a confirmation

@pytest.mark.parametrize("locale, question", [
    (EN, "how many miles would I have left?"), (JA, "交換したら残りは何マイル？")])
def test_a_question_in_a_confirmation_gets_the_pending_numbers_then_the_question_again(stack, locale, question):
    user = jal_user(stack, 5_000)
    stack.say(user, "convert 2000 JAL miles" if locale == EN else "JALの2000マイルを交換したい")
    answer = stack.say(user, question)
    after = facts_of(answer, "balance")["after_pending_conversion"]
    assert (after["partner_after"], after["reserved_after"]) == (3_000, 1_000)
    assert facts_of(answer, "conversion")["status"] == "needs_confirmation"    # asked again, once
    assert kinds(answer).count("conversion") == 1 and kinds(answer).count("balance") == 1
    in_language(answer, locale)
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).partners == {"jal": 3_000}


# ---------------------------------------------------------------- PP are never points

@pytest.mark.parametrize("locale, questions", [
    (EN, ["How many PP do I have?", "how many PP did I earn this month?"]),
    (JA, ["今年のPPは？", "今月何PP稼いだ？"]),
])
def test_a_pp_question_gets_premium_points_never_the_balance(stack, locale, questions):
    user = jal_user(stack, 5_000)
    logged = stack.say(user, "I flew HND to OKA today on Standard" if locale == EN else "今日羽田から那覇にスタンダードで乗った")
    pp = facts_of(logged, "flight_logged")["pp"]
    year = stack.say(user, questions[0])
    assert kinds(year) == ["pp_earned"], text_of(year)
    assert facts_of(year, "pp_earned")["pp"] == pp and facts_of(year, "pp_earned")["month"] is None
    month = stack.say(user, questions[1])
    facts = facts_of(month, "pp_earned")
    assert facts["month"] is not None and facts["month_pp"] == pp
    in_language(month, locale)
    balance = stack.say(user, "what's my balance?" if locale == EN else "ポイント残高は？")
    assert kinds(balance) == ["balance"]


# ---------------------------------------------------------------- undo after an action

@pytest.mark.parametrize("locale", [EN, JA])
def test_calling_off_an_exchange_just_done_explains_it_is_one_way(stack, locale):
    user = jal_user(stack, 5_000)
    stack.say(user, "convert 2000 JAL miles" if locale == EN else "JALの2000マイルを交換したい")
    stack.say(user, "yes" if locale == EN else "はい")
    undo = stack.say(user, "undo that" if locale == EN else "やっぱりやめる")
    facts = facts_of(undo, "conversion")
    assert (facts["status"], facts["reason"]) == ("rejected", "one_way"), text_of(undo)
    assert any("/move_points" in b["payload"] for m in undo for b in m.get("buttons") or [])
    in_language(undo, locale)
    assert stack.ledger.balance(user).reserved == 1_000


@pytest.mark.parametrize("locale", [EN, JA])
def test_calling_off_a_flight_just_logged_offers_to_delete_it(stack, locale):
    user = new_user("undo-flight")
    logged = stack.say(user, "I flew HND to OKA today on Standard" if locale == EN else "今日羽田から那覇にスタンダードで乗った")
    flight_id = facts_of(logged, "flight_logged")["flight_id"]
    undo = stack.say(user, "cancel that" if locale == EN else "取り消して")
    facts = facts_of(undo, "undo")
    assert (facts["last"], facts["possible"], facts["flight_id"]) == ("flight", True, flight_id), text_of(undo)
    in_language(undo, locale)
    confirm = press(stack, user, undo)
    assert "delete" in text_of(confirm).lower() or "削除" in text_of(confirm)
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done)["kind"] == "flight_deleted", text_of(done)
    assert stack.ledger.list_flights(user) == []


@pytest.mark.parametrize("locale", [EN, JA])
def test_calling_off_with_nothing_done_changes_nothing(stack, locale):
    user = new_user("undo-nothing")
    undo = stack.say(user, "cancel" if locale == EN else "やっぱりやめる", locale=locale)
    assert facts_of(undo, "undo") == {"kind": "undo", "last": None, "possible": False}
    in_language(undo, locale)


# ---------------------------------------------------------------- a plan to a status (修行の計画)

@pytest.mark.parametrize("locale, question, fare", [
    (EN, "How many HND-OKA round trips on Standard to Platinum?", "standard"),
    (JA, "プラチナまであと何回沖縄往復が必要？", None),
])
def test_the_central_planning_question_gets_a_number_of_trips(stack, locale, question, fare):
    user = new_user("plan")
    answer = stack.say(user, question)
    facts = facts_of(answer, "status_plan")
    assert (facts["tier"], facts["origin"], facts["destination"], facts["round_trip"]) == (
        "platinum", "HND", "OKA", True), text_of(answer)
    trips = {o["fare"]: o["trips"] for o in facts["options"]}
    assert facts["pp_needed"] == 50_000
    for option in facts["options"]:
        assert option["trips"] * option["pp_per_trip"] >= 50_000 > (option["trips"] - 1) * option["pp_per_trip"]
    if fare:
        assert list(trips) == [fare]
    else:
        assert {"standard", "simple"} <= set(trips)
    text = in_language(answer, locale)
    assert str(trips.get("standard", "")) in text


@pytest.mark.parametrize("locale, question", [
    (EN, "how many HND-OKA round trips to platinum with Standard 30,000 yen or Simple 23,000 yen?"),
    (JA, "羽田沖縄往復でプラチナまで何回？スタンダード30000円、シンプル23000円"),
])
def test_with_prices_the_plan_gives_the_cheapest_mix(stack, locale, question):
    user = new_user("plan-mix")
    answer = stack.say(user, question)
    facts = facts_of(answer, "status_plan")
    per_trip = {o["fare"]: o["pp_per_trip"] for o in facts["options"]}
    assert set(per_trip) == {"standard", "simple"}, text_of(answer)
    mix = {m["fare"]: m["trips"] for m in facts["cheapest_mix"]}
    assert sum(per_trip[f] * n for f, n in mix.items()) >= 50_000
    assert facts["cheapest_mix_yen"] <= min(o["total_yen"] for o in facts["options"])
    assert f"{facts['cheapest_mix_yen']:,}" in in_language(answer, locale)


# ---------------------------------------------------------------- follow-ups use the conversation's context

@pytest.mark.parametrize("locale, first, follow, tier", [
    (EN, "when does Bronze start for me?", "what about Platinum?", "platinum"),
    (JA, "ブロンズはいつから？", "ダイヤだと？", "diamond"),
])
def test_a_status_follow_up_asks_the_last_question_with_the_new_tier(stack, locale, first, follow, tier):
    user = new_user("follow-tier")
    asked = stack.say(user, first)
    assert facts_of(asked, "status_start")["tier"] == "bronze"
    again = stack.say(user, follow)
    assert facts_of(again, "status_start")["tier"] == tier, text_of(again)
    in_language(again, locale)


@pytest.mark.parametrize("locale, first, follow", [
    (EN, "how many points would I get for 4000 JAL miles?", "and for 10,000?"),
    (JA, "JALマイル4000マイルだと何ポイント？", "じゃあ1万マイルなら？"),
])
def test_a_quote_follow_up_changes_only_the_amount(stack, locale, first, follow):
    user = jal_user(stack, 20_000)
    stack.say(user, "link my Saison account" if locale == EN else "セゾンを連携して")
    stack.say(user, "yes" if locale == EN else "はい")   # two programs linked now (Saison pending)
    stack.ledger.sandbox_grant(user, "saison", 3_000)
    assert facts_of(stack.say(user, first), "conversion_quote")["used"] == 4_000
    again = stack.say(user, follow)
    facts = facts_of(again, "conversion_quote")
    assert (facts["partner"], facts["amount"], facts["to_amount"]) == ("jal", 10_000, 5_000), text_of(again)
    in_language(again, locale)


@pytest.mark.parametrize("locale, follow", [(EN, "what about Platinum?"), (JA, "プラチナは？")])
def test_a_follow_up_with_nothing_to_follow_asks_to_rephrase(stack, locale, follow):
    user = new_user("follow-nothing")
    answer = stack.say(user, follow, locale=locale)
    assert kinds(answer) in (["unsure"], ["status_start"], ["pp_to_go"], ["status_now"]), text_of(answer)
    in_language(answer, locale)


@pytest.mark.parametrize("locale, first, back", [
    (EN, "I flew HND to OKA today on Standard", "and back on Simple today"),
    (JA, "今日羽田から那覇にスタンダードで乗った", "帰りはシンプルで"),
])
def test_the_way_back_is_the_return_of_the_route_just_logged(stack, locale, first, back):
    user = new_user("follow-back")
    out = facts_of(stack.say(user, first), "flight_logged")
    returned = stack.say(user, back)
    facts = facts_of(returned, "flight_logged")
    assert (facts["origin"], facts["destination"], facts["fare"]) == ("OKA", "HND", "simple"), text_of(returned)
    assert facts["flown_on"] == out["flown_on"] and facts["flight_id"] != out["flight_id"]
    assert [f.origin for f in stack.ledger.list_flights(user)] == ["HND", "OKA"]
    in_language(returned, locale)


@pytest.mark.parametrize("locale, again, days", [
    (EN, "the same again next Friday", 3),       # the test clock's today is a Tuesday
    (JA, "来週の金曜も同じ便で", 10),
])
def test_the_same_again_on_a_day_to_come_is_a_what_if_on_that_day(stack, clock, locale, again, days):
    import datetime as dt

    clock("2026-12-01T10:00")
    user = new_user("follow-same")
    first = facts_of(stack.say(user, "I flew HND to OKA today on Standard" if locale == EN
                               else "今日羽田から那覇にスタンダードで乗った"), "flight_logged")
    answer = stack.say(user, again)
    planned = facts_of(answer, "what_if")["flights"]
    assert len(planned) == 1, text_of(answer)
    assert (planned[0]["origin"], planned[0]["destination"], planned[0]["fare"]) == ("HND", "OKA", first["fare"])
    assert planned[0]["flown_on"] == (dt.date(2026, 12, 1) + dt.timedelta(days=days)).isoformat()
    assert len(stack.ledger.list_flights(user)) == 1                     # nothing logged for a day to come
    in_language(answer, locale)


# ---------------------------------------------------------------- more questions inside a confirmation

@pytest.mark.parametrize("locale, question", [(EN, "is that the best rate?"), (JA, "それが一番お得なレート？")])
def test_the_best_rate_asked_in_a_confirmation_compares_that_exchange_then_asks_again(stack, locale, question):
    user = jal_user(stack, 5_000)
    stack.say(user, "convert 2000 JAL miles" if locale == EN else "JALの2000マイルを交換したい")
    answer = stack.say(user, question)
    advice = facts_of(answer, "route_advice")
    assert (advice["partner"], advice["amount"], advice.get("pending")) == ("jal", 2_000, True), text_of(answer)
    assert facts_of(answer, "conversion")["status"] == "needs_confirmation"
    assert kinds(answer).count("conversion") == 1
    in_language(answer, locale)
    done = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(done, "conversion")["status"] == "done"


@pytest.mark.parametrize("locale, question", [
    (EN, "until when does the campaign run?"), (JA, "キャンペーンはいつまで？")])
def test_the_campaign_end_asked_in_a_confirmation_is_that_campaigns(stack, clock, locale, question):
    clock("2018-06-01T10:00")
    user = new_user("campaign-until")
    stack.ledger.sandbox_grant(user, "saison", 10_000)
    stack.ledger.sandbox_link(user, "saison")
    stack.say(user, "convert 1000 Saison points to Kasama" if locale == EN else "セゾンの1000ポイントを笠間市に交換したい")
    answer = stack.say(user, question)
    campaign = facts_of(answer, "campaign")
    assert (campaign["campaign"], campaign["until"]) == ("saison-kasama-2018", "2018-07-31"), text_of(answer)
    assert facts_of(answer, "conversion")["status"] == "needs_confirmation"
    assert ("July 31" in text_of(answer) or "2018-07-31" in text_of(answer)) if locale == EN \
        else "2018年7月31日" in text_of(answer)


# ---------------------------------------------------------------- what-ifs with schedules

@pytest.mark.parametrize("locale, question", [
    (EN, "What if I fly HND-OKA round trips on Standard every weekend in December?"),
    (JA, "12月の毎週土曜に羽田沖縄往復をスタンダードで乗ったらどうなる？"),
])
def test_a_weekly_what_if_is_every_trip_dated_and_shown(stack, december, locale, question):
    user = new_user("schedule")
    answer = stack.say(user, question)
    facts = facts_of(answer, "what_if")
    flown = sorted({f["flown_on"] for f in facts["flights"]})
    assert flown == ["2026-12-05", "2026-12-12", "2026-12-19", "2026-12-26"], text_of(answer)
    assert len(facts["flights"]) == 8 and {f["fare"] for f in facts["flights"]} == {"standard"}
    assert facts["pp"] == sum(f["pp"] for f in facts["flights"])
    text = in_language(answer, locale)
    assert ("December 26" in text or "Dec 26" in text or "2026-12-26" in text) if locale == EN else "12月26日" in text


@pytest.mark.parametrize("locale, question", [
    (EN, "what if I do 3 HND-OKA round trips on Standard?"),
    (JA, "羽田沖縄往復をスタンダードで3回したら？"),
])
def test_an_open_schedule_asks_which_days_then_answers_with_them(stack, december, locale, question):
    user = new_user("schedule-open")
    asked = stack.say(user, question)
    question_facts = facts_of(asked, "question")
    assert question_facts["about"] == "schedule" and len(question_facts["options"]) == 2, text_of(asked)
    assert not facts_of(asked, "what_if")                                    # no date assumed
    in_language(asked, locale)
    answer = press(stack, user, asked, 0)
    facts = facts_of(answer, "what_if")
    assert sorted({f["flown_on"] for f in facts["flights"]}) == question_facts["options"][0] == [
        "2026-12-05", "2026-12-12", "2026-12-19"]
    stale = stack.say(user, '/choose_schedule{"schedule_option":"1"}')     # the choice was used: nothing pending
    assert facts_of(stale)["reason"] == "schedule_gone"


@pytest.mark.parametrize("locale, undo", [(EN, "undo that"), (JA, "やっぱりやめる")])
def test_calling_off_a_move_just_done_says_it_is_final(stack, clock, locale, undo):
    clock("2018-06-01T10:00")
    user = jal_user(stack, 2_000)
    stack.ledger.convert_points(user, "jal", 2_000, f"setup:{user}")
    stack.say(user, "move my reserved points to Kasama" if locale == EN else "留保ポイントを笠間市に移したい")
    stack.say(user, "1000")
    moved = stack.say(user, "yes" if locale == EN else "はい")
    assert facts_of(moved, "move")["status"] == "done", text_of(moved)
    answer = stack.say(user, undo)
    facts = facts_of(answer, "undo") or facts_of(answer, "conversion")
    assert facts.get("last") == "move" and facts.get("possible") is False, text_of(answer)
    in_language(answer, locale)
    assert stack.ledger.balance(user).municipal == {"kasama": 1_000}


@pytest.mark.parametrize("locale, question", [
    (EN, "how many HND-OKA round trips on Standard to Bronze if I fly every Saturday in December?"),
    (JA, "12月の毎週土曜に羽田沖縄往復をスタンダードで、ブロンズまで何回？"),
])
def test_a_plan_with_a_schedule_says_when_the_status_would_start(stack, december, locale, question):
    import datetime as dt
    user = new_user("plan-schedule")
    stack.ledger.log_flight(user, dt.date(2026, 6, 1), 25_000, f"setup:{user}")      # 5,000 PP to Bronze
    answer = stack.say(user, question)
    facts = facts_of(answer, "status_plan")
    assert facts["tier"] == "bronze" and facts["options"][0]["trips"] == 2, text_of(answer)
    assert facts["scheduled"] == ["2026-12-05", "2026-12-12"]
    assert facts["status_reached_with_schedule"] is True
    assert facts["advance_service_from"] > "2026-12-12"
    text = in_language(answer, locale)
    assert ("2026-12-12" in text or "December 12" in text or "Dec 12" in text) if locale == EN else "12月12日" in text
