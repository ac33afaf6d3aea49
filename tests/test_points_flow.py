"""The MyKey Platform points flow beyond plain conversion: campaign rates straight to a municipality,
Saison's wallet-first rule, coupon codes, moving reserved points (留保ポイント), the 14-day automatic
move to the home municipality (基本自治体), history, and the best-route advice."""
from __future__ import annotations

import threading

from ledger.points.coupon_codes import read_code
from ledger.shared.clock import parse_moment
from ledger.shared.refusals import Refusal
from tests.conftest import refused

A, B = "user-a", "user-b"



def at(ledger, moment: str) -> None:
    ledger.set_test_clock(parse_moment(moment))


def saison_user(ledger, user=A, points=10_000, wallet=0):
    ledger.sandbox_grant(user, "saison", points, wallet)
    ledger.sandbox_link(user, "saison")
    return user


# ---------------------------------------------------------------- campaign rates and the wallet

def test_saison_campaign_gives_550_kasama_points_per_unit_until_it_ends(ledger):
    at(ledger, "2018-07-31T23:59")
    saison_user(ledger)

    quote = ledger.quote_conversion(A, "saison", 10_000, "笠間応援ポイント")
    assert (quote.to, quote.to_amount, quote.units, quote.campaign) == ("municipal:kasama", 55_000, 100,
                                                                        "saison-kasama-2018")
    assert quote.facts("needs_confirmation")["campaign_until"] == "2018-07-31"

    at(ledger, "2018-08-01T00:00")
    refusal = refused(ledger.quote_conversion, A, "saison", 10_000, "kasama")
    assert refusal.reason == "no_campaign"
    assert refusal.details["ended_on"] == "2018-07-31"
    # the normal route still works: 450 reserved points per 100
    assert ledger.quote_conversion(A, "saison", 10_000).to_amount == 45_000


def test_campaign_exchange_credits_the_municipality_not_reserved_points(ledger):
    at(ledger, "2018-06-01T10:00")
    saison_user(ledger, points=1_000)

    quote, done = ledger.convert_points(A, "saison", 1_000, "c-1", "笠間市")

    assert done and quote.to == "municipal:kasama"
    balance = ledger.balance(A)
    assert (balance.reserved, balance.municipal, balance.partners) == (0, {"kasama": 5_500}, {"saison": 0})


def test_a_municipality_without_a_campaign_is_refused_with_the_reserved_route(ledger):
    at(ledger, "2018-06-01T10:00")
    saison_user(ledger)
    refusal = refused(ledger.convert_points, A, "saison", 1_000, "k", "川崎市")
    assert refusal.reason == "no_campaign" and refusal.details["reserved_per_unit"] == 450
    assert refused(ledger.quote_conversion, A, "saison", 1_000, "Atlantis").reason == "unknown_municipality"
    assert ledger.balance(A).partners == {"saison": 10_000}


def test_saison_wallet_pays_450_per_unit_before_points(ledger):
    saison_user(ledger, points=1_000, wallet=1_000)

    quote, _ = ledger.convert_points(A, "saison", 300, "w-1")

    # three units: two paid from the wallet (2 × 450), one from points (100)
    assert (quote.wallet_used, quote.points_debited, quote.to_amount) == (900, 100, 1_350)
    assert ledger.balance(A).reserved == 1_350
    assert ledger.balance(A).partners == {"saison": 900}


def test_wallet_below_450_is_not_used(ledger):
    saison_user(ledger, points=1_000, wallet=449)
    quote = ledger.quote_conversion(A, "saison", 200)
    assert (quote.wallet_used, quote.points_debited) == (0, 200)


def test_docomo_minimum_of_5000(ledger):
    ledger.sandbox_grant(A, "docomo", 10_000)
    ledger.sandbox_link(A, "docomo")
    assert refused(ledger.quote_conversion, A, "docomo", 4_999).details["minimum"] == 5_000
    quote = ledger.quote_conversion(A, "docomo", 5_000)
    assert quote.to_amount == 5_000 and quote.verified is False  # the 1:1 rate has no source


# ---------------------------------------------------------------- coupons

def issue(ledger, points=2_000, partner="ponta") -> str:
    return ledger.sandbox_issue_coupon(partner, points).facts()["code"]


def test_coupon_redeems_once_for_reserved_points(ledger):
    at(ledger, "2018-06-01T10:00")
    code = issue(ledger, 2_000)

    facts = ledger.redeem_coupon(A, code, "r-1").facts()
    assert (facts["to"], facts["to_amount"], facts["partner"]) == ("reserved", 2_000, "ponta")
    assert ledger.balance(A).reserved == 2_000

    assert refused(ledger.redeem_coupon, A, code, "r-2").reason == "coupon_used"
    assert refused(ledger.redeem_coupon, B, code, "r-3").reason == "coupon_used"
    assert ledger.balance(B).reserved == 0
    assert ledger.balance(A).reserved == 2_000
    # the same request again (a retried update) answers the same and credits nothing more
    assert ledger.redeem_coupon(A, code, "r-1").facts()["to_amount"] == 2_000
    assert ledger.balance(A).reserved == 2_000


def test_coupon_typed_in_full_width_lower_case_without_hyphens(ledger):
    code = issue(ledger)
    full_width = str.maketrans("0123456789abcdefghijklmnopqrstuvwxyz ",
                               "０１２３４５６７８９ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ　")
    typed = code.replace("-", " ").lower().translate(full_width)
    assert ledger.redeem_coupon(A, typed, "r-1").facts()["code"] == code


def test_one_mistyped_character_is_caught_by_the_check_character(ledger):
    code = issue(ledger)
    body_char = code[4]
    typo = code[:4] + ("7" if body_char != "7" else "8") + code[5:]
    refusal = refused(ledger.redeem_coupon, A, typo, "r-1")
    assert refusal.reason == "coupon_check_digit"
    assert ledger.balance(A).reserved == 0
    assert refused(ledger.redeem_coupon, A, "hello there", "r-2").reason == "coupon_malformed"


def test_expired_coupon_is_refused_with_its_date(ledger):
    at(ledger, "2018-01-10T10:00")
    code = issue(ledger)
    at(ledger, "2018-07-09T10:00")  # 180 days later
    refusal = refused(ledger.redeem_coupon, A, code, "r-1")
    assert refusal.reason == "coupon_expired" and refusal.details["expired_on"] == "2018-07-09"
    assert ledger.balance(A).reserved == 0


def well_formed_wrong_code(prefix="PON") -> str:
    from ledger.points.coupon_codes import new_code
    return str(new_code(prefix))  # a valid check character, but never issued


def test_guessing_locks_the_user_after_five_failures_then_opens_again(ledger):
    at(ledger, "2018-06-01T10:00")
    good = issue(ledger)
    reasons = [refused(ledger.redeem_coupon, A, well_formed_wrong_code(), f"g-{i}").reason for i in range(5)]
    assert reasons == ["coupon_unknown"] * 4 + ["coupon_locked"]

    # locked: even a good code is refused, with the time it opens again
    at(ledger, "2018-06-01T10:20")
    locked = refused(ledger.redeem_coupon, A, good, "r-1")
    assert locked.reason == "coupon_locked" and locked.details["minutes"] == 10
    assert ledger.balance(A).reserved == 0
    # other users are not locked out
    assert refused(ledger.redeem_coupon, B, well_formed_wrong_code(), "b-1").reason == "coupon_unknown"

    at(ledger, "2018-06-01T10:31")
    assert ledger.redeem_coupon(A, good, "r-2").facts()["to_amount"] == 2_000


def test_attempts_left_are_told(ledger):
    refusal = refused(ledger.redeem_coupon, A, well_formed_wrong_code(), "g-1")
    assert refusal.details["attempts_left"] == 4


def test_two_users_racing_for_one_coupon_only_one_gets_it(ledger):
    code = issue(ledger, 5_000)
    results: dict[str, str] = {}

    def redeem(user):
        try:
            ledger.redeem_coupon(user, code, f"race-{user}")
            results[user] = "ok"
        except Refusal as refusal:
            results[user] = refusal.reason

    threads = [threading.Thread(target=redeem, args=(f"racer-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["coupon_used"] * 5 + ["ok"]
    assert sum(ledger.balance(u).reserved for u in results) == 5_000


def test_coupon_codes_read_back_what_was_printed():
    from ledger.points.coupon_codes import new_code
    for _ in range(200):
        code = new_code("ANA")
        assert read_code(str(code)) == code and code.check_ok


# ---------------------------------------------------------------- reserved points → municipality or event

def reserved_user(ledger, user=A, miles=4_000):
    ledger.sandbox_grant(user, "jal", miles)
    ledger.sandbox_link(user, "jal")
    ledger.convert_points(user, "jal", miles, f"{user}-convert-{miles}")
    return user


def test_municipalities_found_by_prefecture_or_name(ledger):
    assert [m.id for m in ledger.find_municipalities("茨城県")] == ["kasama"]
    assert [m.id for m in ledger.find_municipalities("Kanagawa")] == ["kawasaki", "sagamihara"]
    assert [m.id for m in ledger.find_municipalities("かさま")] == ["kasama"]
    assert ledger.find_municipalities("Narnia") == []
    kasama = ledger.find_municipalities("笠間")[0]
    assert (kasama.point_service("ja"), kasama.prefecture_name("ja")) == ("笠間応援ポイント", "茨城県")


def test_move_reserved_points_to_a_municipality_one_way(ledger):
    reserved_user(ledger)  # 2,000 reserved

    facts = ledger.move_reserved(A, "笠間市", 500, "m-1").facts()
    assert (facts["to"], facts["amount"]) == ("municipal:kasama", 500)
    assert ledger.balance(A).reserved == 1_500
    assert ledger.balance(A).municipal == {"kasama": 500}

    assert ledger.move_reserved(A, "笠間市", 500, "m-1").facts()["amount"] == 500  # same key: once
    assert ledger.balance(A).reserved == 1_500

    refusal = refused(ledger.move_reserved, A, "kasama", 1_501, "m-2")
    assert refusal.reason == "not_enough_reserved" and refusal.details["available"] == 1_500
    ledger.move_reserved(A, "いたみんポイント", None, "m-3")  # all the rest
    assert ledger.balance(A).facts() | {"partners": None} == {
        "kind": "balance", "reserved": 0, "municipal": {"kasama": 500, "itami": 1_500}, "events": {}, "partners": None,
        "home_municipality": None}
    assert refused(ledger.move_reserved, A, "kasama", None, "m-4").reason == "nothing_reserved"


def test_a_move_is_quoted_with_the_same_checks_and_changes_nothing(ledger):
    """quote_move: what the confirmation says, refused for the same reasons as the move itself."""
    reserved_user(ledger)  # 2,000 reserved
    quote = ledger.quote_move(A, "笠間応援ポイント", 500)
    assert (quote.to, quote.amount, quote.municipality) == ("municipal:kasama", 500, "kasama")
    assert quote.confirmation_facts()["status"] == "needs_confirmation"
    assert ledger.quote_move(A, "itami").amount == 2_000                       # no amount: all of them
    assert refused(ledger.quote_move, A, "kasama", 2_001).reason == "not_enough_reserved"
    assert refused(ledger.quote_move, A, "Atlantis", 100).reason == "unknown_municipality"
    for bad, reason in ((0, "not_positive"), (-5, "not_positive"), (True, "not_a_number"), (2.5, "not_a_number"),
                        ("500", "not_a_number"), (10**12, "too_large")):
        assert refused(ledger.quote_move, A, "kasama", bad).reason == reason
        assert refused(ledger.move_reserved, A, "kasama", bad, f"bad-{bad!r}").reason == reason
    assert ledger.balance(A).reserved == 2_000 and ledger.history(A)[0]["what"] == "conversion"
    assert refused(ledger.quote_move, B, "kasama", 100).reason == "nothing_reserved"


def test_move_to_a_support_event_only_while_it_runs(ledger):
    at(ledger, "2019-01-10T10:00")
    reserved_user(ledger)
    facts = ledger.move_reserved(A, "被災地応援イベント", 1_000, "e-1").facts()
    assert facts["to"] == "event:sandbox-disaster-support"
    assert ledger.balance(A).events == {"sandbox-disaster-support": 1_000}

    at(ledger, "2020-10-01T10:00")
    refusal = refused(ledger.move_reserved, A, "被災地応援イベント", 100, "e-2")
    assert refusal.reason == "event_closed" and refusal.details["valid_until"] == "2020-09-30"
    assert refused(ledger.move_reserved, A, "Atlantis", 100, "e-3").reason == "unknown_municipality"


def test_unmoved_reserved_points_move_home_after_14_days_announced_first(ledger):
    at(ledger, "2018-06-01T10:00")
    reserved_user(ledger, miles=4_000)          # 2,000 reserved on June 1
    ledger.set_home_municipality(A, "笠間市")
    at(ledger, "2018-06-05T10:00")
    reserved_user(ledger, miles=2_000)          # 1,000 more on June 5
    ledger.move_reserved(A, "itami", 500, "m-1").facts()  # takes the oldest first

    assert [lot["moves_on"] for lot in ledger.reserved_schedule(A)["lots"]] == ["2018-06-15", "2018-06-19"]

    at(ledger, "2018-06-11T09:00")
    assert ledger.run_reserved_auto_moves()["moved"] == 0
    assert [n["kind"] for n in ledger.notices_for(A)] == []
    at(ledger, "2018-06-12T09:00")              # three days before: announced, nothing moved
    ledger.run_reserved_auto_moves()
    notices = ledger.notices_for(A)
    assert [(n["kind"], n["amount"], n["moves_on"]) for n in notices] == [("reserved_move_soon", 1_500, "2018-06-15")]
    assert ledger.balance(A).reserved == 2_500

    at(ledger, "2018-06-15T00:05")
    assert ledger.run_reserved_auto_moves()["moved"] == 1_500
    assert ledger.run_reserved_auto_moves()["moved"] == 0  # a second run changes nothing
    balance = ledger.balance(A)
    assert (balance.reserved, balance.municipal) == (1_000, {"kasama": 1_500, "itami": 500})
    assert "reserved_moved" in [n["kind"] for n in ledger.notices_for(A)]
    assert ledger.history(A)[0]["what"] == "auto_move"


def test_without_a_home_municipality_nothing_moves_and_the_user_is_asked(ledger):
    at(ledger, "2018-06-01T10:00")
    reserved_user(ledger)
    at(ledger, "2018-06-20T10:00")
    ledger.run_reserved_auto_moves()
    assert ledger.balance(A).reserved == 2_000
    assert [n["kind"] for n in ledger.notices_for(A)] == ["reserved_needs_home"]


def test_history_newest_first(ledger):
    at(ledger, "2018-06-01T10:00")
    reserved_user(ledger)
    at(ledger, "2018-06-02T10:00")
    ledger.move_reserved(A, "kasama", 100, "m-1")
    at(ledger, "2018-06-03T10:00")
    ledger.redeem_coupon(A, issue(ledger, 1_000), "c-1")

    items = ledger.history(A)
    assert [(i["what"], i.get("to"), i.get("to_amount", i.get("amount"))) for i in items] == [
        ("coupon", "reserved", 1_000), ("move", "municipal:kasama", 100), ("conversion", "reserved", 2_000)]
    assert ledger.history(B) == []


# ---------------------------------------------------------------- best route

def test_best_route_prefers_the_campaign_while_it_runs(ledger):
    at(ledger, "2018-06-01T10:00")
    saison_user(ledger, points=20_000)

    advice = ledger.best_route(A, "saison", 10_050).facts()
    by_to = {r["to"]: r for r in advice["routes"]}
    assert by_to["reserved"]["to_amount"] == 45_000
    assert by_to["municipal:kasama"]["to_amount"] == 55_000
    assert by_to["municipal:kasama"]["remainder"] == 50
    assert advice["best"]["to"] == "municipal:kasama"
    assert advice["access"] == "linked"

    at(ledger, "2018-08-01T10:00")
    advice = ledger.best_route(A, "saison", 10_000).facts()
    by_to = {r["to"]: r for r in advice["routes"]}
    assert by_to["municipal:kasama"]["open"] is False
    assert by_to["municipal:kasama"]["why_closed"] == "campaign_ended"
    assert advice["best"]["to"] == "reserved" and advice["best"]["to_amount"] == 45_000


def test_best_route_below_the_minimum_has_no_open_route(ledger):
    advice = ledger.best_route(A, "docomo", 4_000).facts()
    assert advice["best"] is None
    assert all(r["why_closed"] == "below_minimum" for r in advice["routes"])
    assert advice["access"] == "not_linked"


def test_a_sandbox_coupon_is_never_redeemable_in_a_production_database(tmp_path):
    """A coupon row marked sandbox (copied in from a sandbox database, say) is unknown to a production one."""
    import datetime as dt

    from ledger.bootstrap import bootstrap
    from ledger.config import Settings
    from ledger.points.coupon_codes import new_code

    production = bootstrap(Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path), "POINTSBOT_SANDBOX": "0"}))
    try:
        code = str(new_code("PON"))
        now = dt.datetime.now(dt.timezone.utc)
        with production.uow() as uow:
            uow.coupons.add(code=code, partner="ponta", partner_points=1_000, reserved_points=1_000, issued_at=now,
                            expires_at=now + dt.timedelta(days=30), sandbox=True)
            uow.commit()
        assert refused(production.redeem_coupon, A, code, "r-1").reason == "login_required"
        with production.uow() as uow:    # a logged-in user (tests/test_card_login.py logs in for real)
            uow.card_logins.open_session(A, "MKTEST", "card", now, now + dt.timedelta(hours=1))
            uow.commit()
        assert refused(production.redeem_coupon, A, code, "r-1").reason == "coupon_unknown"
        assert production.balance(A).reserved == 0
        assert refused(production.sandbox_issue_coupon, "ponta", 1_000).reason == "sandbox_off"
    finally:
        production.dispose()
