"""The MyKey Platform flows of issue 3 by chat, in English and Japanese, end to end:
HTTP API → bot → real Rasa → actions → ledger. Each flow runs on the sandbox test clock.

ID linkage (pending → refused exchange with the date → active), unlinking and the linkage status
(設定済み / 手続き中 / 未設定); coupon codes (redeem, typo in the check character, used twice, lockout);
moving reserved points by prefecture search with buttons, to a named municipality and to a support event;
the home municipality; history; route advice with numbers; the Saison → 笠間応援ポイント campaign while it
runs and after it ended.
"""
from __future__ import annotations

import pytest

from ledger.points.coupon_codes import ALPHABET, new_code
from tests.conftest import facts_of, new_user, text_of
from tests.test_conversation import has_japanese

pytestmark = pytest.mark.rasa

EN, JA = "en", "ja"
FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"} | {"-": "－"})


def buttons_of(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m.get("buttons") or []]


def said(messages: list[dict], locale: str) -> str:
    text = text_of(messages)
    assert has_japanese(text) == (locale == JA), f"answer not in {locale}: {text}"
    return text


def with_reserved(stack, user: str, miles: int) -> None:
    """Reserved points the way a user gets them: linked JAL miles exchanged (2,000 miles → 1,000)."""
    stack.ledger.sandbox_grant(user, "jal", miles)
    stack.ledger.sandbox_link(user, "jal")
    stack.ledger.convert_points(user, "jal", miles, f"setup:{user}")


# ---------------------------------------------------------------- ID linkage (移行用のサービスID設定)

@pytest.mark.parametrize("locale", [EN, JA])
def test_linkage_is_pending_for_a_week_and_exchanges_wait_for_it(stack, clock, locale):
    user = new_user("link")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_grant(user, "jal", 5000)
    en = locale == EN

    asked = stack.say(user, "link my JAL account" if en else "JALのIDを連携して")
    assert facts_of(asked, "link")["status"] == "needs_confirmation", text_of(asked)
    assert [b["payload"] for b in buttons_of(asked)] == ["/affirm", "/deny"]
    step = said(asked, locale)   # the platform's step: JAL's own login and consent, and JAL's own delay
    assert ("JAL Mileage Bank login" if en else "JALマイレージバンクのログイン画面") in step
    assert ("up to a week" if en else "最大1週間") in step and ("Sandbox" if en else "サンドボックス") in step
    assert stack.ledger.link_statuses(user)["jal"].status == "not_linked", "nothing is linked before yes"

    linked = stack.say(user, "yes" if en else "はい")
    assert facts_of(linked, "link") == {"kind": "link", "partner": "jal", "status": "pending", "active_from": "2018-06-08",
                                        "activation_days": 7, "delay_verified": True, "shows_set": True,
                                        "rule_confirmed_on": "2017-09-27", "rule_current": True}
    assert ("2018-06-08" if en else "2018年6月8日") in said(linked, locale)

    status = stack.say(user, "which accounts are linked" if en else "連携状況")
    links = facts_of(status, "link_status")["links"]
    assert links["jal"]["status"] == "pending" and links["saison"]["status"] == "not_linked"
    assert ("in progress" if en else "手続き中") in said(status, locale)

    early = stack.say(user, "convert 2000 JAL miles" if en else "JALの2000マイルを交換したい")
    refusal = facts_of(early, "conversion")
    assert (refusal["status"], refusal["reason"], refusal["active_from"]) == ("rejected", "link_pending", "2018-06-08")
    assert ("2018-06-08" if en else "2018年6月8日") in said(early, locale)
    assert stack.ledger.balance(user).partners == {"jal": 5000}

    clock("2018-06-08T10:00")
    quoted = stack.say(user, "convert 2000 JAL miles" if en else "JALの2000マイルを交換したい")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    done = stack.say(user, "yes" if en else "はい")
    assert facts_of(done, "conversion")["status"] == "done"
    assert stack.ledger.balance(user).reserved == 1000

    active = stack.say(user, "is my JAL link active yet" if en else "JALの連携はもう有効？")
    assert facts_of(active, "link_status")["links"]["jal"]["status"] == "active"
    assert facts_of(active, "link_status")["links"]["jal"]["active_from"] == "2018-06-08"
    assert ("linked (set), active since 2018-06-08" if en else "（設定済み）2018年6月8日") in said(active, locale)


@pytest.mark.parametrize("locale", [EN, JA])
def test_docomo_links_at_once_after_its_login_and_consent(stack, clock, locale):
    """Seed 000: the d ACCOUNT login, 「サービス連携の同意」, and the platform shows (設定済み) — no waiting."""
    user = new_user("docomo-link")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_grant(user, "docomo", 6000)
    en = locale == EN
    asked = stack.say(user, "link my docomo account" if en else "ドコモを連携したい")
    step = said(asked, locale)
    assert facts_of(asked, "link")["activation_days"] == 0
    assert ("d ACCOUNT login" if en else "dアカウント") in step
    assert ("service-link consent" if en else "サービス連携の同意") in step
    done = stack.say(user, "yes" if en else "はい")
    assert facts_of(done, "link")["status"] == "active"
    assert ("marks it as set" if en else "（設定済み）") in said(done, locale)
    quoted = stack.say(user, "convert 5000 d points" if en else "dポイント5000ポイントを交換して")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation", text_of(quoted)


@pytest.mark.parametrize("locale", [EN, JA])
def test_an_undocumented_delay_is_said_as_assumed_and_no_means_no_link(stack, clock, locale):
    user = new_user("katene-link")
    clock("2018-06-01T10:00")
    en = locale == EN
    asked = stack.say(user, "I'd like to link Katene" if en else "カテエネのID連携をしたい")
    assert facts_of(asked, "link")["delay_verified"] is False
    assert ("isn't documented (unverified)" if en else "公表されていません（未確認）") in said(asked, locale)
    no = stack.say(user, "no" if en else "いいえ")
    assert stack.ledger.link_statuses(user)["katene"].status == "not_linked"
    said(no, locale)


@pytest.mark.parametrize("locale", [EN, JA])
def test_saison_linked_is_never_marked_set_as_on_the_platform(stack, clock, locale):
    """Seed 000: 「セゾンカードだけは、何故かID連携しても(設定済み)の表記はない」."""
    user = new_user("saison-set")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_link(user, "saison")
    status = said(stack.say(user, "which accounts are linked" if locale == EN else "連携状況"), locale)
    saison = next(line for line in status.splitlines() if ("Saison" if locale == EN else "セゾン") in line)
    assert "2018" in saison and ("never marks" if locale == EN else "表示されません") in saison


@pytest.mark.parametrize("locale", [EN, JA])
def test_unlinking_asks_first_and_then_shows_not_set(stack, clock, locale):
    user = new_user("unlink")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_link(user, "saison")
    en = locale == EN

    asked = stack.say(user, "unlink my Saison account" if en else "セゾンとの連携をやめたい")
    assert facts_of(asked, "link")["status"] == "needs_confirmation"
    assert [b["payload"] for b in buttons_of(asked)] == ["/affirm", "/deny"]
    assert stack.ledger.link_statuses(user)["saison"].status == "active", "nothing changes before yes"

    done = stack.say(user, "yes" if en else "はい")
    assert facts_of(done, "link")["status"] == "not_linked" and facts_of(done, "link")["active_from"] is None
    said(done, locale)

    status = stack.say(user, "show my linked accounts" if en else "連携状況を教えて")
    assert facts_of(status, "link_status")["links"]["saison"]["status"] == "not_linked"
    assert ("Saison Eikyu Fumetsu: not set" if en else "セゾン永久不滅ポイント：未設定") in said(status, locale)

    again = stack.say(user, "unlink my Saison account" if en else "セゾンとの連携をやめたい")
    assert facts_of(again, "link")["reason"] == "not_linked"


def test_a_coupon_partner_cannot_be_linked(stack):
    user = new_user("ponta")
    answer = stack.say(user, "link my Ponta account")
    assert facts_of(answer, "link")["reason"] == "coupon_partner"
    assert "coupon code" in text_of(answer)


# ---------------------------------------------------------------- coupon codes (クーポンコード)

def _typo(code: str) -> str:
    """The same code with a different check character (the last one)."""
    wrong = next(c for c in ALPHABET if c != code[-1])
    return code[:-1] + wrong


@pytest.mark.parametrize("locale", [EN, JA])
def test_a_coupon_is_redeemed_once_and_a_typo_is_caught(stack, locale):
    user = new_user("coupon")
    issued = stack.ledger.sandbox_issue_coupon("ponta", 2000).facts()
    code = issued["code"]
    en = locale == EN

    typo = stack.say(user, f"redeem coupon {_typo(code)}" if en else f"クーポン{_typo(code)}を使いたい")
    assert facts_of(typo, "coupon")["reason"] == "coupon_check_digit"
    assert ("typo" if en else "入力ミス") in said(typo, locale)

    typed = code if en else code.translate(FULL_WIDTH)  # ＰＯＮ－７Ｋ３Ｍ－… as a Japanese keyboard types it
    redeemed = stack.say(user, f"redeem coupon {typed}" if en else f"{typed}を登録して")
    assert facts_of(redeemed, "coupon") == {"kind": "coupon", "code": code, "partner": "ponta", "from_amount": 2000,
                                            "to": "reserved", "to_amount": 2000, "status": "done"}
    assert "2,000" in said(redeemed, locale)
    assert stack.ledger.balance(user).reserved == 2000

    twice = stack.say(user, f"redeem coupon {code}" if en else f"クーポン{code}を使いたい")
    assert facts_of(twice, "coupon")["reason"] == "coupon_used"
    assert stack.ledger.balance(user).reserved == 2000


def test_the_form_asks_for_a_missing_code(stack):
    user = new_user("ask-code")
    code = stack.ledger.sandbox_issue_coupon("ponta", 1000).facts()["code"]
    asked = stack.say(user, "クーポンコードを登録したい")
    assert "クーポンコードを入力してください" in text_of(asked)
    redeemed = stack.say(user, code)
    assert facts_of(redeemed, "coupon")["to_amount"] == 1000
    assert has_japanese(text_of(redeemed))


@pytest.mark.parametrize("locale", [EN, JA])
def test_guessing_codes_locks_redeeming_in_plain_words(stack, clock, locale):
    user = new_user("guess")
    clock("2018-06-01T10:00")
    good = stack.ledger.sandbox_issue_coupon("ponta", 1000).facts()["code"]
    en = locale == EN
    answers = []
    for _ in range(5):
        guess = str(new_code("PON"))  # well formed, right check character, never issued
        answers.append(stack.say(user, f"redeem coupon {guess}" if en else f"クーポン{guess}を使いたい"))
    assert [facts_of(a, "coupon")["reason"] for a in answers] == ["coupon_unknown"] * 4 + ["coupon_locked"]
    assert ("4 more wrong codes" if en else "あと4回") in said(answers[0], locale)

    locked = stack.say(user, f"redeem coupon {good}" if en else f"クーポン{good}を使いたい")
    facts = facts_of(locked, "coupon")
    assert facts["reason"] == "coupon_locked" and facts["minutes"] == 30
    assert ("paused" if en else "停止") in said(locked, locale) and "10:30" in text_of(locked)
    assert stack.ledger.balance(user).reserved == 0

    clock("2018-06-01T10:31")
    opened = stack.say(user, f"redeem coupon {good}" if en else f"クーポン{good}を使いたい")
    assert facts_of(opened, "coupon")["status"] == "done"


# ---------------------------------------------------------------- reserved points → municipalities (留保ポイントの移行)

@pytest.mark.parametrize("locale", [EN, JA])
def test_move_to_kasama_by_prefecture_search_with_buttons(stack, clock, locale):
    user = new_user("move")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 4000)  # 2,000 reserved points
    en = locale == EN

    asked = stack.say(user, "I want to move my reserved points to a municipality" if en else "留保ポイントを自治体に移したい")
    assert {"title": "Ibaraki" if en else "茨城県", "payload": '/inform{"prefecture":"ibaraki"}'} in buttons_of(asked)
    said(asked, locale)

    towns = stack.say(user, "Ibaraki" if en else "茨城")
    assert facts_of(towns, "municipalities") == {"kind": "municipalities", "prefecture": "ibaraki",
                                                 "municipalities": ["kasama"]}
    kasama = {"title": "Kasama City (Kasama support points)" if en else "笠間市（笠間応援ポイント）",
              "payload": '/inform{"municipality":"kasama"}'}
    assert kasama in buttons_of(towns)

    how_many = stack.say(user, kasama["payload"])
    assert "2,000" in said(how_many, locale)
    assert buttons_of(how_many) == [{"title": "All (2,000)" if en else "全部（2,000）", "payload": '/inform{"amount":"all"}'}]

    confirm = stack.say(user, "500")
    assert facts_of(confirm, "move") == {"kind": "move", "from": "reserved", "to": "municipal:kasama", "amount": 500,
                                         "status": "needs_confirmation"}
    assert stack.ledger.balance(user).reserved == 2000, "nothing moves before yes"

    done = stack.say(user, "yes" if en else "はい")
    assert facts_of(done, "move") == {"kind": "move", "from": "reserved", "to": "municipal:kasama", "amount": 500,
                                      "status": "done", "municipality": "kasama", "verified": True,
                                      "rule_confirmed_on": "2020-09-30", "rule_current": True}
    assert ("Kasama support points" if en else "笠間応援ポイント") in said(done, locale)
    balance = stack.ledger.balance(user)
    assert (balance.reserved, balance.municipal) == (1500, {"kasama": 500})


@pytest.mark.parametrize("text, locale", [("move all my reserved points to Itami", EN), ("留保ポイントを全部伊丹市に移して", JA)])
def test_a_named_municipality_skips_the_search_and_all_moves_everything(stack, clock, text, locale):
    user = new_user("move-all")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 2000)  # 1,000 reserved points
    confirm = stack.say(user, text)
    assert facts_of(confirm, "move") == {"kind": "move", "from": "reserved", "to": "municipal:itami", "amount": 1000,
                                         "status": "needs_confirmation"}
    said(confirm, locale)
    stack.say(user, "/affirm")
    assert stack.ledger.balance(user).municipal == {"itami": 1000}
    assert stack.ledger.balance(user).reserved == 0


def test_moving_more_than_reserved_is_refused_and_asked_again(stack, clock):
    user = new_user("too-many")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 2000)
    stack.say(user, "move my reserved points to Kasama")
    too_many = stack.say(user, "5000")
    assert facts_of(too_many, "move")["reason"] == "not_enough_reserved"
    assert "How many" in text_of(too_many)
    stack.say(user, "cancel")
    assert stack.ledger.balance(user).reserved == 1000


def test_an_unknown_prefecture_is_named_and_asked_again(stack, clock):
    user = new_user("where")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 2000)
    stack.say(user, "留保ポイントを自治体に移したい")
    unknown = stack.say(user, "アトランティス")
    assert facts_of(unknown, "move")["reason"] == "unknown_prefecture"
    assert "アトランティス" in text_of(unknown) and "どの都道府県" in text_of(unknown)
    towns = stack.say(user, "兵庫県")
    assert [b["payload"] for b in buttons_of(towns)] == ['/inform{"municipality":"itami"}']
    stack.say(user, "キャンセル")
    assert stack.ledger.balance(user).reserved == 1000


def test_a_place_said_in_passing_does_not_fill_a_later_form(stack, clock):
    user = new_user("passing")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 2000)
    stack.say(user, "Kasama")  # no form is asking: not understood as an answer to anything
    asked = stack.say(user, "I want to move my reserved points")
    assert "Which prefecture" in text_of(asked), "the form still asks where to"
    stack.say(user, "cancel")


def test_nothing_reserved_is_said_at_once(stack):
    answer = stack.say(new_user("empty"), "留保ポイントを笠間市に移したい")
    assert facts_of(answer, "move")["reason"] == "nothing_reserved"
    assert "留保ポイントがありません" in text_of(answer)


@pytest.mark.parametrize("locale", [EN, JA])
def test_support_events_are_listed_and_a_button_moves_points_there(stack, clock, locale):
    user = new_user("event")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 2000)
    en = locale == EN
    listed = stack.say(user, "which support events are open" if en else "特定支援イベントの一覧")
    facts = facts_of(listed, "events")
    assert facts["on"] == "2018-06-01" and [e["id"] for e in facts["events"]] == ["sandbox-disaster-support"]
    said(listed, locale)
    button = buttons_of(listed)[0]
    assert button["payload"] == '/move_points{"event":"sandbox-disaster-support"}'

    how_many = stack.say(user, button["payload"])
    assert "1,000" in said(how_many, locale)
    confirm = stack.say(user, "all" if en else "全部")
    assert facts_of(confirm, "move")["amount"] == 1000
    done = stack.say(user, "/affirm")
    assert facts_of(done, "move")["to"] == "event:sandbox-disaster-support"
    assert stack.ledger.balance(user).events == {"sandbox-disaster-support": 1000}

    clock("2021-01-01T10:00")
    closed = stack.say(user, "特定支援イベントの一覧")
    assert facts_of(closed, "events")["events"] == []


@pytest.mark.parametrize("locale", [EN, JA])
def test_home_municipality_by_name_and_by_search(stack, locale):
    user = new_user("home")
    en = locale == EN
    named = stack.say(user, "set my home municipality to Kasama" if en else "基本自治体を笠間市にして")
    assert facts_of(named, "home_municipality") == {"kind": "home_municipality", "municipality": "kasama",
                                                    "verified": True, "status": "done"}
    said(named, locale)
    assert stack.ledger.reserved_schedule(user)["home_municipality"] == "kasama"

    asked = stack.say(user, "change my home municipality" if en else "基本自治体を変更したい")
    assert {"title": "Hyogo" if en else "兵庫県", "payload": '/inform{"prefecture":"hyogo"}'} in buttons_of(asked)
    towns = stack.say(user, '/inform{"prefecture":"hyogo"}')
    assert buttons_of(towns) == [{"title": "Itami City (Itamin points)" if en else "伊丹市（いたみんポイント）",
                                  "payload": '/inform{"municipality":"itami"}'}]
    stack.say(user, '/inform{"municipality":"itami"}')
    assert stack.ledger.reserved_schedule(user)["home_municipality"] == "itami"


# ---------------------------------------------------------------- history, route advice, campaign

@pytest.mark.parametrize("locale", [EN, JA])
def test_history_lists_conversions_coupons_and_moves(stack, clock, locale):
    user = new_user("history")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 4000)
    stack.ledger.redeem_coupon(user, stack.ledger.sandbox_issue_coupon("ponta", 1000).facts()["code"], f"h:{user}")
    stack.ledger.move_reserved(user, "kasama", 700, f"m:{user}")
    en = locale == EN

    answer = stack.say(user, "show my history" if en else "履歴")
    items = facts_of(answer, "history")["items"]
    assert [i["what"] for i in items] == ["move", "coupon", "conversion"]
    text = said(answer, locale)
    assert "700" in text and "1,000" in text and "4,000" in text and "2,000" in text
    assert ("Kasama support points" if en else "笠間応援ポイント") in text


@pytest.mark.parametrize("text, locale", [
    ("what is the best way to use my 10,000 Saison points", EN),
    ("セゾン1万ポイントの一番お得な使い道は？", JA),
])
def test_best_route_compares_with_numbers_on_the_date(stack, clock, text, locale):
    user = new_user("route")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_grant(user, "saison", 10_000)
    stack.ledger.sandbox_link(user, "saison")

    answer = stack.say(user, text)
    advice = facts_of(answer, "route_advice")
    assert (advice["partner"], advice["amount"], advice["on"], advice["access"]) == ("saison", 10_000, "2018-06-01",
                                                                                     "linked")
    assert advice["best"]["to"] == "municipal:kasama" and advice["best"]["to_amount"] == 55_000
    assert {r["to"]: r["to_amount"] for r in advice["routes"]} == {"reserved": 45_000, "municipal:kasama": 55_000}
    words = said(answer, locale)
    assert "55,000" in words and "45,000" in words
    assert ("Kasama support points" if locale == EN else "笠間応援ポイント") in words

    clock("2018-08-01T10:00")
    later = facts_of(stack.say(user, text), "route_advice")
    assert later["best"]["to"] == "reserved" and later["best"]["to_amount"] == 45_000
    closed = next(r for r in later["routes"] if r["to"] == "municipal:kasama")
    assert (closed["open"], closed["why_closed"]) == (False, "campaign_ended")


@pytest.mark.parametrize("text, locale", [
    ("convert my Saison points to Kasama at the campaign rate", EN),
    ("セゾンのポイントを笠間応援ポイントにしたい", JA),
])
def test_campaign_to_kasama_while_it_runs_and_after_it_ended(stack, clock, text, locale):
    user = new_user("campaign")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_grant(user, "saison", 10_000)
    stack.ledger.sandbox_link(user, "saison")
    en = locale == EN

    asked = stack.say(user, text)
    said(asked, locale)
    quoted = stack.say(user, "1000")
    quote = facts_of(quoted, "conversion")
    assert (quote["to"], quote["to_amount"], quote["campaign"], quote["campaign_until"], quote["status"]) == (
        "municipal:kasama", 5500, "saison-kasama-2018", "2018-07-31", "needs_confirmation")
    assert ("2018-07-31" if en else "2018年7月31日") in said(quoted, locale)
    stack.say(user, "yes" if en else "はい")
    assert stack.ledger.balance(user).municipal == {"kasama": 5500}

    clock("2018-08-01T10:00")
    stack.say(user, text)
    after = stack.say(user, "1000")
    refusal = facts_of(after, "conversion")
    assert any(m["facts"].get("reason") == "no_campaign" for m in after)
    assert refusal["status"] == "needs_confirmation" and refusal["to"] == "reserved" and refusal["to_amount"] == 4500
    assert ("2018-07-31" if en else "2018年7月31日") in said(after, locale)
    stack.say(user, "no" if en else "いいえ")
    assert stack.ledger.balance(user).reserved == 0


def test_an_unverified_rate_is_said_so(stack, clock):
    user = new_user("docomo")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_grant(user, "docomo", 6000)
    stack.ledger.sandbox_link(user, "docomo")
    answer = stack.say(user, "convert 5000 d points")
    assert facts_of(answer, "conversion")["rate"]["verified"] is False
    assert "unverified rate" in text_of(answer)
    stack.say(user, "no")


# ---------------------------------------------------------------- the quote confirmed is the one carried out

@pytest.mark.parametrize("locale", [EN, JA])
def test_a_quote_that_changed_before_yes_is_shown_again_not_carried_out(stack, clock, locale):
    """The wallet filled between the quote and "yes": the new quote is shown and asked again; nothing moves."""
    clock("2018-09-01T10:00")
    user = new_user("requote")
    stack.ledger.sandbox_grant(user, "saison", 10_000)
    stack.ledger.sandbox_link(user, "saison")
    asked = stack.say(user, "convert 1000 Saison points" if locale == EN else "セゾンの1000ポイントを交換したい")
    shown = facts_of(asked, "conversion")
    assert (shown["status"], shown["points_used"], shown["wallet_used"]) == ("needs_confirmation", 1_000, 0)

    stack.ledger.sandbox_grant(user, "saison", 100, wallet=900)        # 900 wallet now pays two units first
    changed = stack.say(user, "yes" if locale == EN else "はい")
    assert [m["facts"].get("reason") for m in changed][0] == "quote_changed"
    again = facts_of(changed, "conversion")
    assert (again["status"], again["points_used"], again["wallet_used"]) == ("needs_confirmation", 800, 900)
    said(changed, locale)
    assert stack.ledger.balance(user).reserved == 0 and stack.ledger.balance(user).partners["saison"] == 10_100

    done = facts_of(stack.say(user, "yes" if locale == EN else "はい"), "conversion")
    assert (done["status"], done["points_used"], done["wallet_used"], done["to_amount"]) == ("done", 800, 900, 4_500)
    assert stack.ledger.balance(user).partners["saison"] == 9_300


def test_a_quote_confirmed_too_late_is_shown_again(stack, clock):
    clock("2018-09-01T10:00")
    user = new_user("late")
    stack.ledger.sandbox_grant(user, "jal", 4_000)
    stack.ledger.sandbox_link(user, "jal")
    assert facts_of(stack.say(user, "convert 2000 JAL miles"), "conversion")["status"] == "needs_confirmation"
    clock("2018-09-01T10:11")                                             # eleven minutes later
    late = stack.say(user, "yes")
    assert [m["facts"].get("reason") for m in late][0] == "quote_expired"
    assert facts_of(late, "conversion")["status"] == "needs_confirmation"
    assert stack.ledger.balance(user).reserved == 0
    assert facts_of(stack.say(user, "yes"), "conversion")["status"] == "done"
    assert stack.ledger.balance(user).reserved == 1_000


@pytest.mark.parametrize("text, locale", [
    ("セゾンのポイントを5口交換したい", JA),
    ("セゾンの永久不滅ポイント5口分を交換して", JA),
    ("convert 5 units of Saison points", EN),
])
def test_units_are_what_the_platform_calls_them_and_the_quote_says_both(stack, text, locale):
    user = new_user("units")
    stack.ledger.sandbox_grant(user, "saison", 2_000)
    stack.ledger.sandbox_link(user, "saison")
    asked = stack.say(user, text)
    quote = facts_of(asked, "conversion")
    assert (quote["status"], quote["from_amount"], quote["to_amount"]) == ("needs_confirmation", 500, 2_250), \
        text_of(asked)
    said_text = said(asked, locale)
    assert ("5口" in said_text and "500ポイント" in said_text) if locale == JA else "5 units (500 points)" in said_text
    stack.say(user, "はい" if locale == JA else "yes")
    assert stack.ledger.balance(user).partners == {"saison": 1_500}


# ---------------------------------------------------------------- the platform's list screens (issue 13 item 6)

@pytest.mark.parametrize("locale", [EN, JA])
def test_each_history_on_its_own_and_all_three_when_none_is_named(stack, clock, locale):
    user = new_user("histories")
    clock("2018-06-01T10:00")
    with_reserved(stack, user, 4000)                        # reserved +2,000
    stack.ledger.move_reserved(user, "kasama", 700, f"m:{user}")
    en = locale == EN

    reserved = stack.say(user, "show my reserved points history" if en else "留保ポイントの履歴を見せて")
    facts = facts_of(reserved, "history")
    assert facts["accounts"] == ["reserved"], text_of(reserved)
    assert [e["amount"] for e in facts["histories"]["reserved"]["entries"]] == [-700, 2000]
    text = said(reserved, locale)
    assert "1,300" in text and "700" in text and ("Kasama support points" if en else "笠間応援ポイント") in text

    municipal = stack.say(user, "municipal points history" if en else "自治体ポイントの履歴")
    facts = facts_of(municipal, "history")
    assert facts["accounts"] == ["municipal"], text_of(municipal)
    assert [(e["account"], e["amount"]) for e in facts["histories"]["municipal"]["entries"]] == [("municipal:kasama", 700)]

    every = stack.say(user, "show my history" if en else "履歴")
    assert facts_of(every, "history")["accounts"] == ["reserved", "municipal", "event"]
    assert ("Event points" if en else "特定支援イベントポイントの履歴") in said(every, locale)


@pytest.mark.parametrize("text, locale", [("which programs can I convert?", EN), ("協力会社一覧を見せて", JA)])
def test_the_partner_list_shows_how_each_converts_and_my_links(stack, clock, text, locale):
    user = new_user("partner-list")
    clock("2018-06-01T10:00")
    stack.ledger.sandbox_link(user, "jal")
    answer = stack.say(user, text)
    listed = {p["partner"]: p for p in facts_of(answer, "partner_list")["partners"]}
    assert set(listed) == {"jal", "saison", "docomo", "katene", "ponta", "ana"}, text_of(answer)
    assert listed["jal"]["link_status"] == "active" and listed["ponta"]["transfer"] == "coupon"
    words = said(answer, locale)
    jal = next(line for line in words.splitlines() if ("JAL Mileage" if locale == EN else "JALマイレージ") in line)
    assert ("linked" if locale == EN else "設定済み") in jal and "2,000" in jal
    ponta = next(line for line in words.splitlines() if "Ponta" in line)
    assert ("coupon code" if locale == EN else "クーポンコード") in ponta


@pytest.mark.parametrize("locale", [EN, JA])
def test_the_balance_marks_the_home_municipality(stack, clock, locale):
    user = new_user("home-balance")
    clock("2018-06-01T10:00")
    stack.ledger.set_home_municipality(user, "笠間市")
    answer = stack.say(user, "balance" if locale == EN else "残高")
    assert facts_of(answer, "balance")["home_municipality"] == "kasama"
    assert ("(home municipality): 0" if locale == EN else "（基本自治体）：0ポイント") in said(answer, locale)
