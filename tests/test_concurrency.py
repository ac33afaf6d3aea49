"""Eight workers doing the same thing at once (a redelivered update racing the original, a double
tap) get one result, not a database error — on SQLite and on PostgreSQL (the per-user lock)."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from ledger.shared.clock import parse_moment


def all_at_once(call, workers: int = 8) -> list:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda _: call(), range(workers)))


def test_one_flight_logged_by_eight_redeliveries(ledger):
    ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    results = all_at_once(lambda: ledger.log_flight("u", dt.date(2016, 6, 8), 1_342, "tg-update-7"))
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert ledger.status_start("u", "bronze").pp == 1_342


def test_one_link_request_from_eight_taps(ledger):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    results = all_at_once(lambda: ledger.request_link("u", "jal").facts())
    assert {r["active_from"] for r in results} == {"2018-05-08"}
    assert ledger.link_statuses("u")["jal"].status == "pending"


def test_home_municipality_and_locale_set_at_once(ledger):
    all_at_once(lambda: ledger.set_home_municipality("u", "kasama"))
    all_at_once(lambda: ledger.remember_locale("u", "ja"))
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_grant("u", "jal", 2_000)
    ledger.sandbox_link("u", "jal")
    ledger.convert_points("u", "jal", 2_000, "c1")
    ledger.set_test_clock(parse_moment("2018-06-15T10:00"))
    ledger.run_reserved_auto_moves()
    assert ledger.balance("u").municipal == {"kasama": 1_000}
    assert {n["locale"] for n in ledger.notices_for("u")} == {"ja"}
