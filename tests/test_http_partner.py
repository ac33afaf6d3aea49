"""The HTTP partner adapter against a local fake partner server: timeouts, retries, idempotency keys."""
from __future__ import annotations

import datetime as dt

import httpx
import pytest

from ledger.points.http_partner import HttpPartnerGateway
from ledger.points.partners import DEBITED, NOT_FOUND, REFUNDED, PartnerBalance, PartnerUnavailable
from ledger.shared.refusals import Refusal
from ops.processes import free_port
from tests.fake_partner import FakePartner

AT = dt.datetime(2018, 1, 10, tzinfo=dt.timezone.utc)
USER = "tg:1001"  # a Telegram user id, with the colon
FAST = httpx.Timeout(connect=1.0, read=0.3, write=1.0, pool=1.0)


@pytest.fixture
def fake():
    with FakePartner() as partner:
        yield partner


@pytest.fixture
def gateway(fake):
    the_gateway = HttpPartnerGateway(fake.base_url, timeout=FAST, attempts=3, backoff=0.01)
    yield the_gateway
    the_gateway.close()


def debit(gateway, key, points=2_000, wallet=0, user=USER, partner="jal"):
    gateway.debit(None, user, partner, points, idempotency_key=key, at=AT, wallet=wallet)


def test_balances_are_read_from_the_partner(fake, gateway):
    fake.grant(USER, "jal", 5_000)
    fake.grant(USER, "saison", 300, wallet=900)

    assert gateway.balances(None, USER) == {"jal": PartnerBalance(5_000), "saison": PartnerBalance(300, 900)}
    assert gateway.balance(None, USER, "saison") == PartnerBalance(300, 900)
    assert gateway.balance(None, USER, "docomo") == PartnerBalance(0)
    assert gateway.balances(None, "tg:someone-else") == {}


def test_a_debit_moves_points_once_per_idempotency_key(fake, gateway):
    fake.grant(USER, "jal", 5_000)

    debit(gateway, "ex-1")
    debit(gateway, "ex-1")  # a retried request

    assert fake.held(USER, "jal") == (3_000, 0)
    assert fake.debits_applied == {"ex-1": 1}
    assert gateway.debit_status(None, "ex-1") == DEBITED
    assert gateway.debit_status(None, "ex-never") == NOT_FOUND
    assert fake.posts_without_key() == []


def test_wallet_is_debited_with_the_points(fake, gateway):
    fake.grant(USER, "saison", 1_000, wallet=450)

    debit(gateway, "ex-w", points=100, wallet=450, partner="saison")

    assert fake.held(USER, "saison") == (900, 0)


def test_partner_refusal_debits_nothing(fake, gateway):
    fake.grant(USER, "jal", 1_000)

    with pytest.raises(Refusal) as refused:
        debit(gateway, "ex-poor")

    assert refused.value.reason == "insufficient_balance"
    assert refused.value.details["available"] == 1_000
    assert fake.held(USER, "jal") == (1_000, 0)
    assert gateway.debit_status(None, "ex-poor") == NOT_FOUND


def test_the_same_key_with_another_amount_is_refused(fake, gateway):
    fake.grant(USER, "jal", 10_000)
    debit(gateway, "ex-1", points=2_000)

    with pytest.raises(Refusal) as refused:
        debit(gateway, "ex-1", points=4_000)

    assert refused.value.reason == "idempotency_key_reused"
    assert fake.held(USER, "jal") == (8_000, 0)


@pytest.mark.parametrize("kind", ["error_500", "drop", "error_500_after", "hang_after"])
def test_a_failed_attempt_is_retried_and_debits_once(fake, gateway, kind):
    fake.grant(USER, "jal", 5_000)
    fake.fail("debit", kind, times=1, delay=2.0)

    debit(gateway, "ex-retry")

    assert fake.held(USER, "jal") == (3_000, 0)
    assert fake.debits_applied == {"ex-retry": 1}
    debit_posts = [s for s in fake.seen if s.method == "POST"]
    assert len(debit_posts) == 2 and {s.idempotency_key for s in debit_posts} == {"ex-retry"}


def test_a_slow_first_request_that_lands_late_debits_once(fake, gateway):
    fake.grant(USER, "jal", 5_000)
    fake.fail("debit", "slow", times=1, delay=0.6)  # arrives after the client gave up and retried

    debit(gateway, "ex-late")
    fake.settle()  # let the late copy land

    assert fake.debits_applied == {"ex-late": 1}
    assert fake.held(USER, "jal") == (3_000, 0)


def test_partner_times_out_after_debiting_on_every_attempt(fake, gateway):
    fake.grant(USER, "jal", 5_000)
    fake.fail("debit", "hang_after", times=3, delay=2.0)

    with pytest.raises(PartnerUnavailable) as unavailable:
        debit(gateway, "ex-lost")

    assert unavailable.value.maybe_debited is True
    assert fake.debits_applied == {"ex-lost": 1}  # three attempts, one debit
    assert gateway.debit_status(None, "ex-lost") == DEBITED


def test_persistent_5xx_gives_up_after_the_attempts(fake, gateway):
    fake.grant(USER, "jal", 5_000)
    fake.fail("debit", "error_500", times=5)

    with pytest.raises(PartnerUnavailable) as unavailable:
        debit(gateway, "ex-500")

    assert unavailable.value.maybe_debited is True  # a 5xx came from the partner: it cannot be ruled out
    assert len([s for s in fake.seen if s.method == "POST"]) == 3
    assert fake.held(USER, "jal") == (5_000, 0)


def test_an_unreachable_partner_surely_debited_nothing():
    gateway = HttpPartnerGateway(f"http://127.0.0.1:{free_port()}", timeout=FAST, attempts=2, backoff=0.01)
    try:
        with pytest.raises(PartnerUnavailable) as unavailable:
            debit(gateway, "ex-down")
        assert unavailable.value.maybe_debited is False

        with pytest.raises(Refusal) as refused:
            gateway.balance(None, USER, "jal")
        assert refused.value.reason == "partner_unavailable"
        assert refused.value.details["partner"] == "jal"
    finally:
        gateway.close()


def test_refund_gives_back_once_under_its_own_key(fake, gateway):
    fake.grant(USER, "saison", 1_000, wallet=450)
    debit(gateway, "ex-r", points=100, wallet=450, partner="saison")

    gateway.refund(None, "ex-r", at=AT)
    gateway.refund(None, "ex-r", at=AT)

    assert fake.held(USER, "saison") == (1_000, 450)
    assert fake.refunds_applied == {"ex-r": 1}
    assert gateway.debit_status(None, "ex-r") == REFUNDED
    assert [s.idempotency_key for s in fake.seen if s.path.endswith("/refund")] == ["ex-r:refund"] * 2


def test_refunding_a_key_never_debited_voids_it(fake, gateway):
    fake.grant(USER, "jal", 5_000)

    gateway.refund(None, "ex-void", at=AT)
    with pytest.raises(Refusal) as refused:
        debit(gateway, "ex-void")  # a late copy of the debit

    assert refused.value.reason == "partner_refused"
    assert fake.held(USER, "jal") == (5_000, 0)
    assert gateway.debit_status(None, "ex-void") == NOT_FOUND
