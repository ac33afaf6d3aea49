"""Every service checks its own input, whoever calls it: each entry of the Ledger facade is called with hostile
values (negative, zero, huge, floats, bools, None, unicode, SQL and template strings, wrong types). Each call is
either refused with a reason code the assistant can put into words, or works; and a refusal changes nothing."""
from __future__ import annotations

import datetime as dt
import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from i18n import CATALOG
from ledger.bootstrap import SERVICES
from ledger.shared.checks import DEPENDENCIES
from ledger.shared.clock import TOKYO
from ledger.shared.refusals import Refusal
from ledger.storage.orm import Base

USER = "hostile-user"
D = dt.date
VALID = {
    "user_id": USER, "idempotency_key": "hostile-key", "quote_key": "hostile-offer", "key": "delivery-1",
    "amount": 2_000, "partner_points": 1_000,
    "wallet": 0, "premium_points": 1_342, "limit": 10, "lease_seconds": 60, "notice_id": 1, "year": 2018,
    "flight_id": 1, "partner_id": "jal", "destination": "kasama", "municipality_text": "笠間市", "place_text": "茨城県",
    "code_text": "PON-7K3M-9QXD-4", "csv_text": "date,pp,ana_group\n2018-05-01,1000,yes\n", "tier_id": "bronze",
    "fare": "standard", "cabin": "economy", "origin": "HND", "flight_number": "NH123", "user_prefix": "tg:",
    "locale": "ja", "flown_on": D(2018, 5, 1), "on": D(2018, 6, 1), "day": D(2026, 6, 1),
    "moment": dt.datetime(2018, 6, 1, 10, tzinfo=TOKYO), "carrier": "ana", "partner_rate": 125, "ana_group": True,
    "round_trip": False, "segment": {"origin": "HND", "destination": "OKA", "fare": "standard"},
    "flights": [(D(2018, 6, 1), 1_000, True)], "airports": ["HND", "OKA"], "days": [D(2026, 6, 1)],
    "fares": ["standard"], "options": [("a", 1_000, 20_000)], "priced_fares": [("standard", 30_000)],
    "older_than": dt.timedelta(0), "give_up_after": dt.timedelta(hours=24), "hook": None, "progress": None,
    "share": None, "month": 6, "schedule": [D(2026, 6, 6)], "units": None, "account": "reserved",
    "kind": "campaign_ends", "quiet_from": "22:00", "quiet_to": "07:00",
    "pairing_code": "ABCD-EFGH", "challenge_id": "0" * 32, "certificate": b"0", "signature": b"0",
    "password": "horse-battery-42", "mykey_id_text": "MKAAAAAAAAAAAAAA",
    "claimer": "dispatcher-1", "channel": "telegram", "per_second": 30.0, "slots": 4,
    "spoken": True, "reachable": False, "pause_seconds": 1.0, "permanent": False,
    "counts": True, "uncertain": False, "notice_ids": [1], "user_ids": [USER],
}
HOSTILE_TEXT = ["", " ", "'; DROP TABLE journal_entries; --", "' OR '1'='1", "{amount}", "{0.__class__.__mro__}",
                "%s%s%s%n", "${jndi:ldap://x/a}", "<script>alert(1)</script>", "\x00", "ＪＡＬ", "２，０００", "-5",
                "1e9", "🎌" * 50, "a" * 5_000, "tg:", "../../etc/passwd", "NaN", "Infinity", "null", "true"]
HOSTILE = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1, 10**9, 10**9 + 1, 2**63, -(2**63), 10**4300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(),
    st.text(max_size=200), st.sampled_from(HOSTILE_TEXT),
    st.dates(), st.datetimes(), st.datetimes(timezones=st.just(dt.timezone.utc)),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers()), max_size=3),
    st.timedeltas(), st.binary(max_size=20),
)
UNCHANGED_ON_REFUSAL = [t.name for t in Base.metadata.sorted_tables
                        if t.name not in ("coupon_attempts", "login_attempts")]  # the lockout logs


def _params(service) -> list[str]:
    return [name for name, p in inspect.signature(service).parameters.items() if name not in DEPENDENCIES]


def _snapshot_query(dialect: str) -> str:
    """One statement that renders every row of every table but the lockout log (a refusal must change none)."""
    parts = []
    for table in Base.metadata.sorted_tables:
        if table.name not in UNCHANGED_ON_REFUSAL:
            continue
        if dialect == "postgresql":
            key = next(iter(table.primary_key.columns)).name
            parts.append(f'(SELECT string_agg(t::text, \'\n\' ORDER BY t."{key}") FROM "{table.name}" t)')
        else:
            row = " || '|' || ".join(f"coalesce(quote(\"{c.name}\"), '')" for c in table.columns)
            parts.append(f'(SELECT group_concat({row}, char(10)) FROM (SELECT * FROM "{table.name}" ORDER BY 1))')
    return "SELECT " + ", ".join(parts)


def _snapshot(ledger) -> tuple:
    with ledger.engine.connect() as conn:
        return tuple(conn.execute(text(_snapshot_query(conn.dialect.name))).one())


@pytest.fixture
def prepared(ledger):
    """A user with partner points, reserved points and a flight, so that hostile calls reach past the first check."""
    ledger.set_test_clock(dt.datetime(2018, 6, 1, 10, tzinfo=TOKYO))
    ledger.sandbox_grant(USER, "jal", 10_000)
    ledger.sandbox_link(USER, "jal")
    ledger.convert_points(USER, "jal", 2_000, "hostile-setup")
    ledger.log_flight(USER, D(2018, 5, 1), 1_342, "hostile-flight")
    return ledger


SKIPPED = {"run_reserved_auto_moves", "read_test_clock"}   # no input to be hostile with


@pytest.mark.parametrize("service", [s for s in SERVICES if s.__name__ not in SKIPPED], ids=lambda s: s.__name__)
def test_hostile_values_are_refused_with_a_reason_or_work(prepared, service):
    ledger = prepared
    names = _params(service)
    call = getattr(ledger, service.__name__)

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.fixed_dictionaries({name: st.one_of(st.just(VALID[name]), HOSTILE) for name in names}))
    def attempt(arguments):
        before = _snapshot(ledger)
        try:
            call(**arguments)
        except Refusal as refusal:
            assert f"refusal.{refusal.reason}" in CATALOG, refusal.reason
            assert _snapshot(ledger) == before, f"{service.__name__} refused ({refusal.reason}) but changed the ledger"

    attempt()


def test_the_snapshot_sees_any_change(prepared):
    """The check above is not vacuous: an insert, and an update in place, both change the snapshot."""
    ledger = prepared
    before = _snapshot(ledger)
    ledger.request_link(USER, "saison")                       # an insert
    linked = _snapshot(ledger)
    ledger.unlink(USER, "jal")                                # an update in place (unlinked_at)
    assert before != linked != _snapshot(ledger)
