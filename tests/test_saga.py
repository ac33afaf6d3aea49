"""The exchange saga: the partner debit and the ledger credit each happen exactly once, whatever fails.

Real SQLite database (migrated), the sandbox partner or the HTTP adapter against the local fake
partner server. A process dying between steps is simulated by raising from the saga's hook, and
for real by SIGKILLing a subprocess at that step.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from ledger.points import exchanges
from ledger.points.exchanges import ExchangePending, find_exchange, recover_exchanges, run_exchange
from ledger.points.http_partner import HttpPartnerGateway
from ledger.shared.refusals import Refusal
from ops.processes import free_port
from tests.fake_partner import FakePartner

REPO = Path(__file__).resolve().parent.parent
USER = "tg:2002"
FAST = httpx.Timeout(connect=1.0, read=0.3, write=1.0, pool=1.0)
NOW = dt.timedelta(0)  # recover rows however recently they were touched


class Crash(Exception):
    """The process 'dies' here."""


def crash_at(step: str):
    def hook(at: str, key: str) -> None:
        if at == step:
            raise Crash(step)
    return hook


@pytest.fixture
def fake():
    with FakePartner() as partner:
        yield partner


@pytest.fixture
def http(ledger, fake):
    """The ledger with the HTTP partner adapter pointed at the fake partner."""
    gateway = HttpPartnerGateway(fake.base_url, timeout=FAST, attempts=3, backoff=0.01)
    yield dataclasses.replace(ledger, gateway=gateway)
    gateway.close()


@pytest.fixture(autouse=True)
def reconciled(request, ledger):
    """Every fault test ends with the exchanges, the journal and the partner's debits in agreement
    (`pointsbot ledger reconcile`), asking the fake partner when the test used it (every settled exchange
    checked: none left unchecked)."""
    fake = request.getfixturevalue("fake") if "fake" in request.fixturenames else None  # torn down after this
    yield
    gateway = HttpPartnerGateway(fake.base_url, timeout=FAST, backoff=0.01) if fake is not None else None
    if fake is not None:
        fake.faults.clear()
    try:
        report = dataclasses.replace(ledger, gateway=gateway).reconcile() if gateway else ledger.reconcile()
    finally:
        if gateway is not None:
            gateway.close()
    assert (report.differences, report.unchecked) == ((), 0), report


def linked(ledger, fake=None, miles=10_000, user=USER):
    ledger.sandbox_link(user, "jal")
    if fake is not None:
        fake.grant(user, "jal", miles)
    else:
        ledger.sandbox_grant(user, "jal", miles)


def exchange(ledger, key, amount=2_000, hook=None, user=USER):
    quote = ledger.quote_conversion(user, "jal", amount)
    return run_exchange(quote, key, uow=ledger.uow(), gateway=ledger.gateway, clock=ledger.clock, hook=hook)


def recover(ledger, **kwargs):
    kwargs.setdefault("older_than", NOW)
    return recover_exchanges(uow=ledger.uow(), gateway=ledger.gateway, clock=ledger.clock, **kwargs)


def state(ledger, key):
    return find_exchange(key, uow=ledger.uow()).state


def credits(ledger, key) -> int:
    with ledger.uow() as uow:
        return 1 if uow.journal.find(key) is not None else 0


# ---------------------------------------------------------------- the happy path, both partners

def test_http_exchange_debits_the_partner_and_credits_reserved_points(http, fake):
    linked(http, fake)

    quote, credited = exchange(http, "ex-1")

    assert credited is True
    assert (quote.from_amount, quote.to, quote.to_amount) == (2_000, "reserved", 1_000)
    assert fake.held(USER, "jal") == (8_000, 0)
    assert http.balance(USER).reserved == 1_000
    assert http.balance(USER).partners == {"jal": 8_000}
    assert state(http, "ex-1") == "done"
    assert fake.posts_without_key() == []


def test_replaying_a_done_exchange_changes_nothing(http, fake):
    linked(http, fake)
    first = exchange(http, "ex-1")

    again = exchange(http, "ex-1")

    assert again == (first[0], False)
    assert fake.debits_applied == {"ex-1": 1}
    assert http.balance(USER).reserved == 1_000


def test_sandbox_exchange_follows_the_same_steps(ledger):
    linked(ledger)

    quote, credited = exchange(ledger, "ex-1")

    assert credited is True
    assert state(ledger, "ex-1") == "done"
    assert ledger.balance(USER).reserved == 1_000
    assert ledger.balance(USER).partners == {"jal": 8_000}


# ---------------------------------------------------------------- partner timed out after debiting

@pytest.mark.parametrize("kind, times", [("status_404_after", 1), ("status_400_after", 1), ("status_408_after", 3),
                                         ("error_500_after", 3), ("status_503_after", 3)])
def test_an_answer_that_is_no_documented_refusal_counts_as_maybe_debited(http, fake, kind, times):
    """Only 422 and 409 mean the partner debited nothing; a 404, a 408 or a 5xx after the debit leaves the
    exchange pending, and recovery asks the partner and credits it once."""
    linked(http, fake)
    fake.fail("debit", kind, times=times)
    with pytest.raises(ExchangePending):
        exchange(http, "ex-s")
    assert state(http, "ex-s") == "pending" and http.balance(USER).reserved == 0
    assert fake.held(USER, "jal") == (8_000, 0)   # the partner did debit
    assert recover(http).done == 1
    assert (state(http, "ex-s"), credits(http, "ex-s"), http.balance(USER).reserved) == ("done", 1, 1_000)
    assert fake.debits_applied == {"ex-s": 1}


def test_one_408_after_the_debit_is_retried_under_the_same_key(http, fake):
    linked(http, fake)
    fake.fail("debit", "status_408_after", times=1)
    exchange(http, "ex-408")
    assert (state(http, "ex-408"), http.balance(USER).reserved, fake.debits_applied) == ("done", 1_000, {"ex-408": 1})


def test_partner_timeout_after_debit_leaves_it_pending_and_recovery_credits_once(http, fake):
    linked(http, fake)
    fake.fail("debit", "hang_after", times=3, delay=2.0)

    with pytest.raises(ExchangePending) as pending:
        exchange(http, "ex-t")

    assert pending.value.reason == "exchange_pending"
    assert pending.value.details == {"status": "pending", "partner": "jal", "from_amount": 2_000, "to_amount": 1_000}
    assert state(http, "ex-t") == "pending"
    assert http.balance(USER).reserved == 0
    assert fake.held(USER, "jal") == (8_000, 0)   # the partner did debit

    report = recover(http)

    assert (report.done, report.still_pending) == (1, 0)
    assert state(http, "ex-t") == "done"
    assert http.balance(USER).reserved == 1_000
    assert recover(http) == exchanges.Recovery()  # nothing left; a second run changes nothing
    assert fake.debits_applied == {"ex-t": 1}
    assert credits(http, "ex-t") == 1
    assert http.balance(USER).reserved == 1_000


def test_the_user_retrying_a_pending_exchange_finishes_it_once(http, fake):
    linked(http, fake)
    fake.fail("debit", "hang_after", times=3, delay=2.0)
    with pytest.raises(ExchangePending):
        exchange(http, "ex-t")

    quote, credited = exchange(http, "ex-t")  # the same confirmation, delivered again

    assert credited is True and quote.to_amount == 1_000
    assert fake.debits_applied == {"ex-t": 1}
    assert http.balance(USER).reserved == 1_000
    assert recover(http) == exchanges.Recovery()


def test_recovery_while_the_partner_is_still_down_keeps_it_pending(http, fake):
    linked(http, fake)
    fake.fail("debit", "hang_after", times=3, delay=2.0)
    with pytest.raises(ExchangePending):
        exchange(http, "ex-t")
    fake.fail("status", "error_500", times=3)

    report = recover(http)

    assert (report.done, report.still_pending) == (0, 1)
    assert state(http, "ex-t") == "pending"
    assert find_exchange("ex-t", uow=http.uow()).attempts == 2
    assert recover(http).done == 1
    assert fake.debits_applied == {"ex-t": 1}
    assert credits(http, "ex-t") == 1


def test_recovery_leaves_exchanges_in_flight_alone(http, fake):
    linked(http, fake)
    fake.fail("debit", "hang_after", times=3, delay=2.0)
    with pytest.raises(ExchangePending):
        exchange(http, "ex-t")

    report = recover(http, older_than=dt.timedelta(minutes=1))

    assert report == exchanges.Recovery(waiting=1)
    assert state(http, "ex-t") == "pending"


# ---------------------------------------------------------------- the process dies between steps

@pytest.mark.parametrize("step", ["pending", "partner_debited", "debited"])
def test_http_process_dies_between_steps_and_recovery_finishes_once(http, fake, step):
    linked(http, fake)

    with pytest.raises(Crash):
        exchange(http, "ex-c", hook=crash_at(step))
    assert http.balance(USER).reserved == 0

    report = recover(http)

    assert report.done == 1
    assert fake.debits_applied == {"ex-c": 1}
    assert fake.held(USER, "jal") == (8_000, 0)
    assert credits(http, "ex-c") == 1
    assert http.balance(USER).reserved == 1_000


@pytest.mark.parametrize("step", ["pending", "partner_debited", "debited"])
def test_sandbox_process_dies_between_steps_and_recovery_finishes_once(ledger, step):
    linked(ledger)

    with pytest.raises(Crash):
        exchange(ledger, "ex-c", hook=crash_at(step))
    # the sandbox debit commits with the "debited" state, so before that nothing moved
    assert ledger.balance(USER).partners == {"jal": 8_000 if step == "debited" else 10_000}

    assert recover(ledger).done == 1
    assert ledger.balance(USER).partners == {"jal": 8_000}
    assert ledger.balance(USER).reserved == 1_000
    assert recover(ledger) == exchanges.Recovery()


CHILD = textwrap.dedent("""
    import os, signal, sys
    from ledger.bootstrap import bootstrap
    from ledger.points.exchanges import run_exchange

    step = sys.argv[1]
    ledger = bootstrap(migrate=False)          # POINTSBOT_PARTNER_URL picks the HTTP partner

    def hook(at, key):
        if at == step:
            os.kill(os.getpid(), signal.SIGKILL)

    quote = ledger.quote_conversion("tg:2002", "jal", 2000)
    run_exchange(quote, "ex-killed", uow=ledger.uow(), gateway=ledger.gateway, clock=ledger.clock, hook=hook)
    print("not killed")
""")


@pytest.mark.parametrize("step", ["partner_debited", "debited"])
def test_a_killed_process_after_the_partner_debit_is_finished_by_recovery(ledger, fake, tmp_path, step):
    linked(ledger, fake)
    env = os.environ | {"POINTSBOT_VAR_DIR": str(tmp_path), "POINTSBOT_SANDBOX": "1",
                        "POINTSBOT_DATABASE_URL": ledger.settings.database_url, "POINTSBOT_PARTNER_URL": fake.base_url}

    child = subprocess.run([sys.executable, "-c", CHILD, step], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=120)

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert fake.debits_applied == {"ex-killed": 1}
    http = dataclasses.replace(ledger, gateway=HttpPartnerGateway(fake.base_url, timeout=FAST, backoff=0.01))
    assert state(http, "ex-killed") == ("pending" if step == "partner_debited" else "debited")
    assert http.balance(USER).reserved == 0

    assert recover(http).done == 1

    assert fake.debits_applied == {"ex-killed": 1}
    assert credits(http, "ex-killed") == 1
    assert http.balance(USER).reserved == 1_000
    http.gateway.close()


def test_a_quote_waiting_on_a_slow_partner_does_not_hold_up_other_users(ledger, fake):
    """The quote reads the partner balance over HTTP; meanwhile another user's flight is logged (on SQLite the
    quote used to hold the write lock for the whole HTTP call, and every writer waited behind it)."""
    linked(ledger, fake, miles=2_000)
    patient = HttpPartnerGateway(fake.base_url, timeout=httpx.Timeout(5.0), attempts=1)
    slow = dataclasses.replace(ledger, gateway=patient)
    fake.fail("balances", "slow", delay=2.0)
    quotes = []
    quoting = threading.Thread(target=lambda: quotes.append(slow.quote_conversion(USER, "jal", 2_000)))
    quoting.start()
    while fake.in_flight == 0 and quoting.is_alive():  # the partner has the balance request
        time.sleep(0.01)

    facts, created = ledger.log_flight("another-user", dt.date(2018, 1, 9), 1_000, "flight-during-quote")

    assert created and quoting.is_alive(), "the flight was logged while the quote was still waiting on the partner"
    quoting.join()
    assert quotes and quotes[0].to_amount == 1_000
    patient.close()


# ---------------------------------------------------------------- refused, unreachable, reversed, expired

def test_partner_refusal_fails_the_exchange_and_a_replay_gets_the_same_answer(http, fake):
    linked(http, fake, miles=2_000)
    quote = http.quote_conversion(USER, "jal", 2_000)
    fake.grant(USER, "jal", -1_000)  # spent elsewhere after the quote

    for _ in range(2):
        with pytest.raises(Refusal) as refused:
            run_exchange(quote, "ex-r", uow=http.uow(), gateway=http.gateway, clock=http.clock)
        assert refused.value.reason == "insufficient_balance"
        assert refused.value.details["available"] == 1_000

    assert state(http, "ex-r") == "failed"
    assert fake.debits_applied == {}
    assert http.balance(USER).reserved == 0
    assert recover(http) == exchanges.Recovery()


def test_unreachable_partner_fails_at_once_and_the_same_key_can_try_again(ledger, fake):
    linked(ledger, fake)
    quote = dataclasses.replace(ledger, gateway=HttpPartnerGateway(fake.base_url)).quote_conversion(USER, "jal", 2_000)
    down = HttpPartnerGateway(f"http://127.0.0.1:{free_port()}", timeout=FAST, attempts=2, backoff=0.01)

    with pytest.raises(Refusal) as refused:
        run_exchange(quote, "ex-d", uow=ledger.uow(), gateway=down, clock=ledger.clock)

    assert refused.value.reason == "partner_unavailable"
    assert state(ledger, "ex-d") == "failed"
    up = HttpPartnerGateway(fake.base_url, timeout=FAST, backoff=0.01)
    assert run_exchange(quote, "ex-d", uow=ledger.uow(), gateway=up, clock=ledger.clock)[1] is True
    assert fake.debits_applied == {"ex-d": 1}
    assert credits(ledger, "ex-d") == 1
    down.close()
    up.close()


def test_a_debit_that_cannot_be_credited_is_refunded_and_reversed(http, fake):
    linked(http, fake)

    def someone_else_uses_the_key(step, key):
        if step == "debited":
            with http.uow() as uow:
                uow.journal.add(user_id="other", kind="coupon", idempotency_key=key, at=http.clock.now(),
                                details={}, entries=[("reserved", 5)])
                uow.commit()

    with pytest.raises(Refusal) as refused:
        exchange(http, "ex-x", hook=someone_else_uses_the_key)

    assert refused.value.reason == "exchange_reversed"
    assert refused.value.details["cause"] == "idempotency_key_reused"
    assert state(http, "ex-x") == "reversed"
    assert fake.held(USER, "jal") == (10_000, 0)
    assert fake.refunds_applied == {"ex-x": 1}
    assert [s.idempotency_key for s in fake.seen if s.path.endswith("/refund")] == ["ex-x:refund"]
    assert http.balance(USER).reserved == 0


def test_a_reversal_the_partner_did_not_answer_is_finished_by_recovery(http, fake):
    linked(http, fake)
    fake.fail("refund", "error_500", times=3)

    def someone_else_uses_the_key(step, key):
        if step == "debited":
            with http.uow() as uow:
                uow.journal.add(user_id="other", kind="coupon", idempotency_key=key, at=http.clock.now(),
                                details={}, entries=[("reserved", 5)])
                uow.commit()

    with pytest.raises(ExchangePending):
        exchange(http, "ex-x", hook=someone_else_uses_the_key)
    assert state(http, "ex-x") == "debited"

    assert recover(http).reversed == 1
    assert fake.held(USER, "jal") == (10_000, 0)
    assert fake.refunds_applied == {"ex-x": 1}


def test_an_exchange_too_old_to_finish_is_voided_and_failed(http, fake):
    linked(http, fake)
    with pytest.raises(Crash):
        exchange(http, "ex-old", hook=crash_at("pending"))  # died before calling the partner

    report = recover(http, give_up_after=dt.timedelta(0))

    assert report.failed == 1
    with pytest.raises(Refusal) as refused:
        exchange(http, "ex-old")
    assert refused.value.reason == "exchange_expired"
    # a late copy of the debit can no longer take the points
    with pytest.raises(Refusal):
        http.gateway.debit(None, USER, "jal", 2_000, idempotency_key="ex-old", at=http.clock.now())
    assert fake.held(USER, "jal") == (10_000, 0)
    assert http.balance(USER).reserved == 0


def test_a_key_used_by_another_user_is_refused(http, fake):
    linked(http, fake)
    linked(http, fake, user="tg:other")
    exchange(http, "ex-1")

    with pytest.raises(Refusal) as refused:
        exchange(http, "ex-1", user="tg:other")

    assert refused.value.reason == "idempotency_key_reused"
    assert fake.held("tg:other", "jal") == (10_000, 0)


# ---------------------------------------------------------------- concurrency

def test_concurrent_recovery_jobs_credit_each_exchange_once(http, fake):
    linked(http, fake, miles=20_000)
    for n in range(8):
        with pytest.raises(Crash):
            exchange(http, f"ex-{n}", hook=crash_at("partner_debited" if n % 2 else "debited"))
    reports: list[exchanges.Recovery] = []
    start = threading.Barrier(4)

    def job() -> None:
        start.wait()
        reports.append(recover(http))

    threads = [threading.Thread(target=job) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(r.done for r in reports) >= 8  # each job reports what it found done; none credits twice
    assert fake.debits_applied == {f"ex-{n}": 1 for n in range(8)}
    assert http.balance(USER).reserved == 8_000
    assert fake.held(USER, "jal") == (4_000, 0)
    with http.uow() as uow:
        assert uow.exchanges.count_by_state() == {"done": 8}


def test_a_retry_racing_recovery_credits_once(http, fake):
    linked(http, fake)
    with pytest.raises(Crash):
        exchange(http, "ex-race", hook=crash_at("debited"))
    start = threading.Barrier(2)
    results: list[object] = []

    def retry() -> None:
        start.wait()
        results.append(exchange(http, "ex-race")[1])

    def job() -> None:
        start.wait()
        results.append(recover(http).done)

    threads = [threading.Thread(target=retry), threading.Thread(target=job)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == 2
    assert credits(http, "ex-race") == 1
    assert http.balance(USER).reserved == 1_000
    assert fake.debits_applied == {"ex-race": 1}


# ---------------------------------------------------------------- the quote survives the round trip

def test_the_stored_quote_is_the_confirmed_one(ledger):
    linked(ledger)
    quote = ledger.quote_conversion(USER, "jal", 4_000)

    assert exchanges.quote_from_json(exchanges.quote_to_json(quote)) == dataclasses.replace(quote, rule_check=None)
    assert json.loads(exchanges.quote_to_json(quote))["quoted_on"] == quote.quoted_on.isoformat()


# ---------------------------------------------------------------- the recovery job from the command line

def test_pointsbot_exchanges_recover_finishes_what_a_dead_process_left(ledger, tmp_path):
    linked(ledger)
    with pytest.raises(Crash):
        exchange(ledger, "ex-cli", hook=crash_at("debited"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POINTSBOT_", "TELEGRAM_"))}
    env |= {"POINTSBOT_VAR_DIR": str(tmp_path), "POINTSBOT_SANDBOX": "1",
            "POINTSBOT_DATABASE_URL": ledger.settings.database_url}

    def pointsbot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ops.cli", "exchanges", "recover", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)

    waiting = pointsbot()
    assert waiting.returncode == 0, waiting.stderr
    assert "0 done" in waiting.stdout and "1 too recent" in waiting.stdout
    assert ledger.balance(USER).reserved == 0

    done = pointsbot("--older-than", "0")
    assert done.returncode == 0, done.stderr
    assert "1 done" in done.stdout
    assert ledger.balance(USER).reserved == 1_000
    assert ledger.balance(USER).partners == {"jal": 8_000}


# ---------------------------------------------------------------- through the ledger facade (services.convert_points)

def test_convert_points_tells_pending_and_a_retried_update_finishes_it(http, fake):
    linked(http, fake, miles=2_000)  # after the partner's debit nothing is left: a new quote would be refused
    fake.fail("debit", "hang_after", times=3, delay=2.0)

    with pytest.raises(Refusal) as pending:
        http.convert_points(USER, "jal", 2_000, "tg-update-7")
    assert (pending.value.reason, pending.value.details["status"]) == ("exchange_pending", "pending")
    assert fake.held(USER, "jal") == (0, 0)

    quote, did = http.convert_points(USER, "jal", 2_000, "tg-update-7")
    assert (did, quote.to_amount) == (True, 1_000)
    again, did_again = http.convert_points(USER, "jal", 2_000, "tg-update-7")
    assert (did_again, again.to_amount) == (False, 1_000)
    assert fake.debits_applied == {"tg-update-7": 1}
    assert http.balance(USER).reserved == 1_000


def test_convert_points_refuses_another_users_unfinished_key(http, fake):
    linked(http, fake)
    linked(http, fake, user="tg:other")
    fake.fail("debit", "hang_after", times=3, delay=2.0)
    with pytest.raises(ExchangePending):
        http.convert_points(USER, "jal", 2_000, "shared")

    with pytest.raises(Refusal) as refused:
        http.convert_points("tg:other", "jal", 2_000, "shared")

    assert refused.value.reason == "idempotency_key_reused"
    assert fake.held("tg:other", "jal") == (10_000, 0)


# ---------------------------------------------------------------- the user hears how a waiting exchange ended

def test_recovery_tells_the_user_the_exchange_they_waited_for_is_done(http, fake):
    from bot.notices import render

    linked(http, fake)
    fake.fail("debit", "hang_after", times=3, delay=2.0)
    with pytest.raises(ExchangePending):
        exchange(http, "ex-n")
    assert http.notices_for(USER) == []

    recover(http)
    recover(http)  # a second run writes no second notice

    notices = http.notices_for(USER)
    assert [(n["kind"], n["status"], n["to_amount"]) for n in notices] == [("exchange_done", "done", 1_000)]
    assert "2,000 miles from JAL Mileage Bank → 1,000 points" in render(http, notices[0] | {"locale": "en"})
    assert "1,000ポイントが加算" in render(http, notices[0] | {"locale": "ja"})


def test_recovery_tells_the_user_when_the_exchange_could_not_be_done(http, fake):
    from bot.notices import render

    linked(http, fake)
    with pytest.raises(Crash):
        exchange(http, "ex-f", hook=crash_at("pending"))
    fake.grant(USER, "jal", -9_000)  # spent elsewhere before recovery re-drives the debit

    assert recover(http).failed == 1

    notices = http.notices_for(USER)
    assert [(n["kind"], n["reason"]) for n in notices] == [("exchange_failed", "insufficient_balance")]
    assert "nothing was exchanged" in render(http, notices[0] | {"locale": "en"})
    assert fake.held(USER, "jal") == (1_000, 0)
    assert http.balance(USER).reserved == 0


def test_an_answered_user_gets_no_notice(http, fake):
    linked(http, fake)
    exchange(http, "ex-ok")
    assert recover(http) == exchanges.Recovery()
    assert http.notices_for(USER) == []
