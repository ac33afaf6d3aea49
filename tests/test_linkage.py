"""ID linkage (移行用のサービスID設定): pending for the partner's delay, then exchanges work."""
from __future__ import annotations

import pytest

from ledger.shared.clock import parse_moment
from ledger.shared.refusals import Refusal


def test_jal_link_is_pending_for_a_week_and_exchanges_wait_for_it(ledger):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.sandbox_grant("u", "jal", 5000)
    facts = ledger.request_link("u", "JAL").facts()
    assert facts == {"kind": "link", "partner": "jal", "status": "pending", "active_from": "2018-05-08"}
    with pytest.raises(Refusal) as refused:
        ledger.quote_conversion("u", "jal", 2000)
    assert refused.value.reason == "link_pending" and refused.value.details["active_from"] == "2018-05-08"

    ledger.set_test_clock(parse_moment("2018-05-08T09:59"))
    assert ledger.link_statuses("u")["jal"].status == "pending"
    ledger.set_test_clock(parse_moment("2018-05-08T10:00"))
    assert ledger.link_statuses("u")["jal"].status == "active"
    quote, done = ledger.convert_points("u", "jal", 2000, "k1")
    assert done and quote.to_amount == 1000


def test_asking_again_never_pushes_the_date_back(ledger):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.request_link("u", "jal")
    ledger.set_test_clock(parse_moment("2018-05-05T10:00"))
    assert ledger.request_link("u", "jal").facts()["active_from"] == "2018-05-08"


def test_statuses_list_every_linkage_partner(ledger):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.sandbox_link("u", "saison")
    statuses = ledger.link_statuses("u")
    assert set(statuses) == {"jal", "saison", "docomo", "katene"}
    assert statuses["saison"].status == "active"
    assert statuses["jal"].status == "not_linked"
    assert ledger.link_statuses("someone-else")["saison"].status == "not_linked"


def test_unlink_stops_exchanges_and_relinking_waits_again(ledger):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.sandbox_grant("u", "jal", 5000)
    ledger.sandbox_link("u", "jal")
    assert ledger.unlink("u", "jal").facts()["status"] == "not_linked"
    with pytest.raises(Refusal) as refused:
        ledger.quote_conversion("u", "jal", 2000)
    assert refused.value.reason == "not_linked"
    assert ledger.request_link("u", "jal").facts()["status"] == "pending"
    with pytest.raises(Refusal) as again:
        ledger.unlink("other", "jal")
    assert again.value.reason == "not_linked"


def test_coupon_partners_have_no_linkage(ledger):
    with pytest.raises(Refusal) as refused:
        ledger.request_link("u", "ponta")
    assert refused.value.reason == "coupon_partner"
