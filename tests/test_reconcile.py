"""`pointsbot ledger reconcile`: the exchanges, the journal and the partner's debits agree, and when they do not,
each difference is named (the fault tests run it at their end and require none)."""
from __future__ import annotations

from sqlalchemy import text
from test_cli import open_ledger, pointsbot

from ledger.shared.clock import parse_moment

U = "reconcile-user"


def _exchanged(ledger) -> None:
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_grant(U, "jal", 6_000)
    ledger.sandbox_link(U, "jal")
    ledger.convert_points(U, "jal", 2_000, "ex-1")
    ledger.convert_points(U, "jal", 2_000, "ex-2")


def test_a_sound_ledger_has_no_differences(ledger):
    _exchanged(ledger)
    report = ledger.reconcile()
    assert (report.exchanges, report.unfinished, report.differences) == (2, 0, ())


def test_each_kind_of_difference_is_named(ledger):
    _exchanged(ledger)
    with ledger.uow() as uow:   # what a bug or a hand in the database could leave behind
        uow.exchanges.move("ex-2", ("done",), "failed", ledger.clock.now())            # done, but now says failed
        uow.sandbox.add(user_id=U, partner="jal", bucket="points", amount=-500, idempotency_key="stray",
                        created_at=ledger.clock.now())                                    # a debit nobody asked for
        uow.journal.add(user_id=U, kind="conversion", idempotency_key="ghost", at=ledger.clock.now(),
                        details={"partner": "jal"}, entries=[("reserved", 100)])           # a credit with no exchange
        uow.commit()
    kinds = sorted((d.kind, d.key) for d in ledger.reconcile().differences)
    assert kinds == [("credit_unexpected", "ex-2"), ("credit_without_exchange", "ghost"),
                     ("debit_without_exchange", "stray"), ("partner_disagrees", "ex-2")]


def test_the_command_prints_differences_and_fails(tmp_path):
    var = tmp_path / "var"
    the_ledger = open_ledger(var)
    try:
        _exchanged(the_ledger)
    finally:
        the_ledger.dispose()
    clean = pointsbot(var, "ledger", "reconcile")
    assert clean.returncode == 0 and "2 exchanges checked: 0 difference(s)" in clean.stdout
    the_ledger = open_ledger(var)
    try:
        with the_ledger.engine.begin() as conn:
            conn.execute(text("UPDATE exchanges SET to_amount = 5000 WHERE idempotency_key = 'ex-1'"))
    finally:
        the_ledger.dispose()
    broken = pointsbot(var, "ledger", "reconcile")
    assert broken.returncode == 1
    assert "difference: credit_wrong ex-1" in broken.stdout
