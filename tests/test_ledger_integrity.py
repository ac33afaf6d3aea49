"""The database itself refuses what the ledger never does: changing or deleting journal rows (append-only, a
trigger on PostgreSQL and on SQLite), and values that can never be zero or negative (CHECK constraints)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.shared.clock import parse_moment

U = "integrity-user"


@pytest.fixture
def converted(ledger):
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_grant(U, "jal", 4_000)
    ledger.sandbox_link(U, "jal")
    ledger.convert_points(U, "jal", 2_000, "integrity-convert")
    return ledger


@pytest.mark.parametrize("statement", [
    "UPDATE journal_entries SET amount = amount * 100",
    "DELETE FROM journal_entries",
    "UPDATE ledger_transactions SET user_id = 'someone-else'",
    "DELETE FROM ledger_transactions",
])
def test_the_journal_is_append_only(converted, statement):
    with pytest.raises(DBAPIError):
        with converted.engine.begin() as conn:
            conn.execute(text(statement))
    assert converted.balance(U).reserved == 1_000
    assert converted.history(U)[0]["to_amount"] == 1_000


@pytest.mark.parametrize("statement", [
    "INSERT INTO flights (user_id, flown_on, premium_points, ana_group, idempotency_key, created_at) "
    "VALUES ('x', '2018-05-01', 0, true, 'k0', '2018-05-01 00:00:00+00')",
    "INSERT INTO flights (user_id, flown_on, premium_points, ana_group, idempotency_key, created_at) "
    "VALUES ('x', '2018-05-01', -5, true, 'k1', '2018-05-01 00:00:00+00')",
    "INSERT INTO coupons (code, partner, partner_points, reserved_points, issued_at, expires_at, sandbox) "
    "VALUES ('PON-X', 'ponta', 1000, -1000, '2018-05-01 00:00:00+00', '2018-11-01 00:00:00+00', true)",
    "INSERT INTO journal_entries (transaction_id, user_id, account, amount) "
    "SELECT id, user_id, 'reserved', 0 FROM ledger_transactions",
])
def test_values_that_are_never_zero_or_negative_are_refused_by_the_database(converted, statement):
    with pytest.raises(DBAPIError):
        with converted.engine.begin() as conn:
            conn.execute(text(statement))
