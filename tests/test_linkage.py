"""ID linkage (移行用のサービスID設定): pending for the partner's delay, then exchanges work."""
from __future__ import annotations

import pytest

from ledger.shared.clock import parse_moment
from ledger.shared.refusals import Refusal


def test_jal_link_is_pending_for_a_week_and_exchanges_wait_for_it(ledger):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.sandbox_grant("u", "jal", 5000)
    facts = ledger.request_link("u", "JAL").facts()
    assert facts == {"kind": "link", "partner": "jal", "status": "pending", "active_from": "2018-05-08",
                     "activation_days": 7, "delay_verified": True, "shows_set": True,
                     "rule_confirmed_on": "2017-09-27", "rule_current": True}
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


def test_docomo_links_at_once_and_shows_set(ledger):
    """Seed 000: d account login and 「サービス連携の同意」, then (設定済み) — no waiting."""
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.sandbox_grant("u", "docomo", 6000)
    link = ledger.request_link("u", "ドコモ")
    assert (link.status, link.active_from.isoformat(), link.activation_days) == ("active", "2018-05-01", 0)
    assert link.delay_verified and link.shows_set
    quote, done = ledger.convert_points("u", "docomo", 5000, "k1")
    assert done and quote.to_amount == 5000


@pytest.mark.parametrize("partner", ["saison", "katene"])
def test_undocumented_delays_are_assumed_and_labelled(ledger, partner):
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    facts = ledger.request_link("u", partner).facts()
    assert facts["status"] == "pending" and facts["activation_days"] == 7 and facts["delay_verified"] is False


def test_saison_never_shows_set(ledger):
    """Seed 000: 「セゾンカードだけは、何故かID連携しても(設定済み)の表記はない」."""
    ledger.set_test_clock(parse_moment("2018-05-01T10:00"))
    ledger.sandbox_link("u", "saison")
    assert ledger.link_statuses("u")["saison"].shows_set is False
    assert ledger.link_statuses("u")["docomo"].shows_set is True


def test_a_link_after_the_scheme_ended_says_its_rule_may_no_longer_hold(ledger):
    ledger.set_test_clock(parse_moment("2021-01-10T10:00"))
    facts = ledger.request_link("u", "jal").facts()
    assert facts["rule_current"] is False and facts["rule_ended_on"] == "2020-09-30"
