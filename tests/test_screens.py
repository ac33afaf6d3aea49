"""The platform's list screens in the ledger (issue 13 item 6): the three histories each on their own, the partner
list with this user's links, and the home municipality (基本自治体) on the balance."""
from __future__ import annotations

import pytest

from ledger.shared.clock import parse_moment
from ledger.shared.refusals import Refusal

USER = "screens"


@pytest.fixture
def user(ledger):
    """JAL miles exchanged (reserved +1,000), 300 moved to Kasama, 200 to an event, a Saison campaign exchange."""
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_grant(USER, "jal", 4_000)
    ledger.sandbox_link(USER, "jal")
    ledger.convert_points(USER, "jal", 2_000, "c1")
    ledger.move_reserved(USER, "笠間市", 300, "m1")
    event = next(iter(ledger.rules.events))          # open from 2017-09-25 to 2020-09-30
    ledger.set_test_clock(parse_moment("2018-06-02T10:00"))
    ledger.move_reserved(USER, event, 200, "m2")
    return event


def test_each_history_on_its_own(ledger, user):
    reserved = ledger.account_history(USER, "reserved")
    assert [(e.what, e.amount) for e in reserved.entries] == [("move", -200), ("move", -300), ("conversion", 1_000)]
    assert reserved.balance == {"reserved": 500}
    assert reserved.entries[-1].partner == "jal" and reserved.entries[1].counterpart == "municipal:kasama"

    municipal = ledger.account_history(USER, "municipal")
    assert [(e.account, e.amount) for e in municipal.entries] == [("municipal:kasama", 300)]
    assert municipal.balance == {"kasama": 300}

    events = ledger.account_history(USER, "event")
    assert [(e.account, e.amount, e.counterpart) for e in events.entries] == [(f"event:{user}", 200, "reserved")]
    assert events.facts()["kind"] == "account_history"


def test_an_unknown_history_or_limit_is_refused(ledger):
    for account, limit, reason in (("partners", 10, "unknown_account"), ("reserved", 0, "bad_input"),
                                   ("reserved", 10_000, "bad_input"), ("reserved", True, "bad_input")):
        with pytest.raises(Refusal) as refused:
            ledger.account_history(USER, account, limit)
        assert refused.value.reason == reason


def test_the_partner_list_says_how_each_partner_converts_and_this_users_links(ledger):
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_link(USER, "jal")
    ledger.request_link(USER, "saison")
    listed = {p.partner: p for p in ledger.partner_list(USER).partners}
    assert set(listed) == set(ledger.rules.partners)
    assert (listed["jal"].transfer, listed["jal"].link_status, listed["jal"].convertible) == ("link", "active", True)
    assert (listed["saison"].link_status, listed["saison"].convertible) == ("pending", False)
    assert listed["saison"].campaigns == ("kasama",), "the Kasama campaign runs until 2018-07-31"
    assert (listed["docomo"].link_status, listed["docomo"].minimum) == ("not_linked", 5_000)
    assert (listed["ponta"].transfer, listed["ponta"].link_status, listed["ponta"].convertible) == ("coupon", None, True)
    ledger.set_test_clock(parse_moment("2018-08-01T10:00"))
    assert {p.partner: p for p in ledger.partner_list(USER).partners}["saison"].campaigns == ()


def test_the_balance_marks_the_home_municipality(ledger):
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    assert ledger.balance(USER).facts()["home_municipality"] is None
    ledger.set_home_municipality(USER, "笠間市")
    assert ledger.balance(USER).facts()["home_municipality"] == "kasama"
