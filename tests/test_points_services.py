"""Converting partner points into reserved points (留保ポイント), through the Ledger facade on a real database."""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest

from ledger.points.partners import SandboxPartnerGateway
from ledger.shared.clock import TOKYO, parse_moment
from ledger.shared.refusals import Refusal
from tests.conftest import refused

A, B = "user-a", "user-b"



def jal_user(ledger, user=A, miles=10_000):
    ledger.sandbox_grant(user, "jal", miles)
    ledger.sandbox_link(user, "jal")
    return user


# ---------------------------------------------------------------- quote and convert

def test_jal_needs_id_linkage_before_converting(ledger):
    ledger.sandbox_grant(A, "jal", 4_000)

    assert refused(ledger.quote_conversion, A, "jal", 2_000).reason == "not_linked"
    assert refused(ledger.convert_points, A, "jal", 2_000, "k1").reason == "not_linked"
    assert ledger.balance(A).partners == {"jal": 4_000}

    ledger.sandbox_link(A, "jal")
    quote = ledger.quote_conversion(A, "jal", 2_000)
    assert (quote.from_amount, quote.to, quote.to_amount) == (2_000, "reserved", 1_000)


def test_quote_changes_nothing_convert_moves_the_points(ledger):
    jal_user(ledger, miles=5_000)

    quote = ledger.quote_conversion(A, "jal", 4_000)
    assert quote.to_amount == 2_000
    assert quote.units == 2
    facts = {k: v for k, v in quote.facts("needs_confirmation").items() if not k.startswith("rule_")}
    assert facts | {"rate": None} == {
        "kind": "conversion", "partner": "jal", "from_amount": 4_000, "points_used": 4_000, "wallet_used": 0,
        "to": "reserved", "to_amount": 2_000, "units": 2, "campaign": None, "campaign_until": None,
        "rate": None, "status": "needs_confirmation",
    }
    assert ledger.balance(A).reserved == 0
    assert ledger.balance(A).partners == {"jal": 5_000}

    done, done_now = ledger.convert_points(A, "jal", 4_000, "convert-1")
    assert done_now is True
    assert done.to_amount == 2_000
    balance = ledger.balance(A)
    assert balance.reserved == 2_000
    assert balance.partners == {"jal": 1_000}
    assert balance.facts()["reserved"] == 2_000


def test_partner_found_by_alias(ledger):
    jal_user(ledger)
    assert ledger.quote_conversion(A, "日本航空", 2_000).partner == "jal"


def test_amount_not_in_whole_units_suggests_the_neighbours(ledger):
    jal_user(ledger)

    refusal = refused(ledger.convert_points, A, "jal", 3_000, "k1")

    assert refusal.reason == "not_whole_units"
    assert refusal.details["unit"] == 2_000
    assert (refusal.details["lower"], refusal.details["higher"]) == (2_000, 4_000)
    assert ledger.balance(A).partners == {"jal": 10_000}
    assert ledger.balance(A).reserved == 0


def test_more_than_the_partner_balance_is_refused(ledger):
    jal_user(ledger, miles=2_000)

    refusal = refused(ledger.convert_points, A, "jal", 4_000, "k1")

    assert refusal.reason == "insufficient_balance"
    assert refusal.details["available"] == 2_000
    assert ledger.balance(A).partners == {"jal": 2_000}
    assert ledger.balance(A).reserved == 0


def test_unknown_partner_and_coupon_partner_are_refused(ledger):
    assert refused(ledger.quote_conversion, A, "foo", 2_000).reason == "unknown_partner"
    assert refused(ledger.quote_conversion, A, "ponta", 1_000).reason == "coupon_partner"


def test_docomo_minimum(ledger):
    ledger.sandbox_grant(A, "docomo", 10_000)
    ledger.sandbox_link(A, "docomo")
    refusal = refused(ledger.convert_points, A, "docomo", 4_999, "k1")
    assert refusal.reason == "below_minimum"
    assert refusal.details["minimum"] == 5_000
    assert ledger.balance(A).reserved == 0


# ---------------------------------------------------------------- idempotency

def test_same_key_twice_converts_once(ledger):
    jal_user(ledger, miles=10_000)

    first, first_done = ledger.convert_points(A, "jal", 2_000, "tg-update-42")
    second, second_done = ledger.convert_points(A, "jal", 2_000, "tg-update-42")

    assert (first_done, second_done) == (True, False)
    assert second.to_amount == first.to_amount == 1_000
    assert ledger.balance(A).reserved == 1_000
    assert ledger.balance(A).partners == {"jal": 8_000}


def test_a_key_used_by_another_user_is_refused(ledger):
    jal_user(ledger, A)
    jal_user(ledger, B)
    ledger.convert_points(A, "jal", 2_000, "shared-key")

    assert refused(ledger.convert_points, B, "jal", 2_000, "shared-key").reason == "idempotency_key_reused"
    assert ledger.balance(B).reserved == 0
    assert ledger.balance(B).partners == {"jal": 10_000}
    assert ledger.balance(A).reserved == 1_000


# ---------------------------------------------------------------- isolation

def test_users_never_see_or_spend_each_others_points(ledger):
    jal_user(ledger, A, miles=6_000)
    ledger.convert_points(A, "jal", 2_000, "a-1")

    b = ledger.balance(B)
    assert b.reserved == 0
    assert b.partners == {}
    assert refused(ledger.convert_points, B, "jal", 2_000, "b-1").reason == "not_linked"

    ledger.sandbox_link(B, "jal")
    refusal = refused(ledger.convert_points, B, "jal", 2_000, "b-2")
    assert refusal.reason == "insufficient_balance"
    assert refusal.details["available"] == 0
    assert ledger.balance(A).partners == {"jal": 4_000}
    assert ledger.balance(A).reserved == 1_000


# ---------------------------------------------------------------- one transaction

class PartnerFailsAfterDebit(SandboxPartnerGateway):
    """The partner debits, then the call fails (e.g. a timeout): nothing may stay half done."""

    def debit(self, uow, user_id, partner, amount, *, idempotency_key, at, wallet=0):
        super().debit(uow, user_id, partner, amount, idempotency_key=idempotency_key, at=at, wallet=wallet)
        raise ConnectionError("partner timed out")


def test_failed_partner_debit_credits_nothing_and_the_key_stays_usable(ledger):
    jal_user(ledger, miles=4_000)
    failing = dataclasses.replace(ledger, gateway=PartnerFailsAfterDebit())

    with pytest.raises(ConnectionError):
        failing.convert_points(A, "jal", 2_000, "k1")

    assert ledger.balance(A).reserved == 0
    assert ledger.balance(A).partners == {"jal": 4_000}
    _, done_now = ledger.convert_points(A, "jal", 2_000, "k1")
    assert done_now is True
    assert ledger.balance(A).reserved == 1_000
    assert ledger.balance(A).partners == {"jal": 2_000}


def test_concurrent_conversions_never_overspend(ledger):
    jal_user(ledger, miles=10_000)
    start = threading.Barrier(8)
    outcomes: list[object] = []
    lock = threading.Lock()

    def convert(n: int) -> None:
        start.wait()
        try:
            result = ledger.convert_points(A, "jal", 2_000, f"race-{n}")[1]
        except Refusal as refusal:
            result = refusal.reason
        except Exception as exc:  # noqa: BLE001 - a database error must fail the test, not vanish
            result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=convert, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(map(str, outcomes)) == sorted(["True"] * 5 + ["insufficient_balance"] * 3)
    balance = ledger.balance(A)
    assert balance.reserved == 5_000
    assert balance.partners == {"jal": 0}


# ---------------------------------------------------------------- test clock and rate dates

def test_test_clock_moves_today_and_reset_returns_to_real_time(ledger):
    ledger.set_test_clock(dt.datetime(2016, 6, 9, 10, 0, tzinfo=TOKYO))
    assert ledger.clock.today() == dt.date(2016, 6, 9)
    assert ledger.clock.is_test_clock()

    ledger.set_test_clock(None)
    assert not ledger.clock.is_test_clock()
    assert ledger.clock.today() == dt.datetime.now(TOKYO).date()


def test_tokyo_day_boundary(ledger):
    ledger.set_test_clock(dt.datetime(2016, 6, 8, 15, 30, tzinfo=dt.timezone.utc))  # 00:30 in Tokyo
    assert ledger.clock.today() == dt.date(2016, 6, 9)


def test_link_and_conversion_are_dated_by_the_test_clock(ledger):
    ledger.set_test_clock(dt.datetime(2018, 1, 10, 9, 0, tzinfo=TOKYO))
    jal_user(ledger)

    quote, _ = ledger.convert_points(A, "jal", 2_000, "k1")

    assert quote.quoted_on == dt.date(2018, 1, 10)


def test_no_rate_before_the_platform_started_exchanges(ledger):
    ledger.set_test_clock(dt.datetime(2017, 9, 24, 12, 0, tzinfo=TOKYO))
    jal_user(ledger)

    refusal = refused(ledger.convert_points, A, "jal", 2_000, "k1")

    assert refusal.reason == "no_rate"
    assert refusal.details["on"] == "2017-09-24"
    assert ledger.balance(A).reserved == 0
    assert ledger.balance(A).partners == {"jal": 10_000}

    ledger.set_test_clock(dt.datetime(2017, 9, 25, 0, 0, tzinfo=TOKYO))  # first day with a rate
    assert ledger.convert_points(A, "jal", 2_000, "k1")[0].to_amount == 1_000


def test_a_link_made_later_is_not_active_in_the_past(ledger):
    ledger.set_test_clock(dt.datetime(2018, 5, 1, 12, 0, tzinfo=TOKYO))
    jal_user(ledger)
    ledger.set_test_clock(dt.datetime(2018, 4, 30, 12, 0, tzinfo=TOKYO))

    refusal = refused(ledger.quote_conversion, A, "jal", 2_000)

    assert refusal.reason == "link_pending"
    assert refusal.details["active_from"] == "2018-05-01"


# ---------------------------------------------------------------- sandbox switch

def test_sandbox_commands_refused_when_sandbox_is_off(ledger):
    production = dataclasses.replace(ledger, sandbox=False)   # a production database (its mode, not the env's)

    assert refused(production.sandbox_grant, A, "jal", 2_000).reason == "sandbox_off"
    assert refused(production.sandbox_link, A, "jal").reason == "sandbox_off"
    assert refused(production.set_test_clock, dt.datetime(2016, 6, 9, tzinfo=TOKYO)).reason == "sandbox_off"
    assert ledger.balance(A).partners == {}
    assert not ledger.clock.is_test_clock()


def test_the_quote_offered_is_the_one_carried_out(ledger):
    """offer_conversion keeps the quote under the confirmation's key; convert_points with that key refuses if the
    wallet, the balance or the rate changed, or if the offer is too old, and moves nothing."""
    ledger.set_test_clock(parse_moment("2018-09-01T10:00"))
    ledger.sandbox_grant(A, "saison", 10_000)
    ledger.sandbox_link(A, "saison")
    offered = ledger.offer_conversion(A, "saison", 1_000, "offer-1")
    assert (offered.points_debited, offered.wallet_used) == (1_000, 0)
    ledger.sandbox_grant(A, "saison", 100, wallet=900)
    changed = refused(ledger.convert_points, A, "saison", 1_000, "offer-1")
    assert changed.reason == "quote_changed"
    assert (changed.details["points_used_before"], changed.details["points_used"]) == (1_000, 800)
    assert ledger.balance(A).reserved == 0 and ledger.balance(A).partners["saison"] == 10_100
    ledger.offer_conversion(A, "saison", 1_000, "offer-2")
    ledger.set_test_clock(parse_moment("2018-09-01T10:10:30"))
    assert refused(ledger.convert_points, A, "saison", 1_000, "offer-2").reason == "quote_expired"
    ledger.offer_conversion(A, "saison", 1_000, "offer-3")
    quote, done = ledger.convert_points(A, "saison", 1_000, "offer-3")
    assert done and (quote.points_debited, quote.wallet_used, quote.to_amount) == (800, 900, 4_500)
    assert refused(ledger.convert_points, "someone-else", "saison", 1_000, "offer-3").reason == "idempotency_key_reused"
