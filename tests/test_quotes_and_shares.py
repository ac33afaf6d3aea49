"""Questions get answers, not commitments (issue 12): a quote in whole units with what stays, shares of what is
held (全部, 半分, "everything but 1,000"), and the Premium Points earned — through the Ledger facade on a real
database, and the parsers the actions use."""
from __future__ import annotations

import datetime as dt

import pytest

from actions.status import month_asked
from ledger.shared.amounts import Share, parse_share, parse_units
from ledger.shared.clock import parse_moment
from tests.conftest import refused

A = "quote-user"


@pytest.mark.parametrize("said, share", [
    ("convert all my JAL miles", Share("all")),
    ("全部交換して", Share("all")),
    ("ぜんぶ", Share("all")),
    ("半分だけ交換したい", Share("half")),
    ("convert half my miles", Share("half")),
    ("everything but 1,000", Share("all_but", 1000)),
    ("all my d points except for five hundred", Share("all_but", 500)),
    ("1000マイル残して全部", Share("all_but", 1000)),
    ("千マイルだけ残して", Share("all_but", 1000)),
    ("ＪＡＬマイル全部", Share("all")),
])
def test_shares_are_read_as_people_say_them(said, share):
    assert parse_share(said) == share


@pytest.mark.parametrize("said", ["2000マイル", "convert 2000 JAL miles", "how many miles do I have", ""])
def test_an_amount_or_nothing_is_not_a_share(said):
    assert parse_share(said) is None


def test_a_share_becomes_whole_units_of_what_is_held():
    assert Share("all").whole(12_345, 2_000) == 12_000
    assert Share("half").whole(12_345, 2_000) == 6_000            # half is 6,172: three units
    assert Share("all_but", 1_000).whole(12_345, 2_000) == 10_000  # 11,345 to spare: five units
    assert Share("all_but", 20_000).whole(12_345, 2_000) == 0


def linked(ledger, miles: int) -> None:
    ledger.sandbox_grant(A, "jal", miles)
    ledger.sandbox_link(A, "jal")


def test_a_quote_for_an_odd_amount_says_the_units_and_what_stays(ledger):
    linked(ledger, 20_000)
    preview = ledger.preview_conversion(A, "jal", 12_345)
    facts = preview.facts()
    assert (facts["units"], facts["used"], facts["stays"], facts["to_amount"]) == (6, 12_000, 345, 6_000)
    assert facts["kind"] == "conversion_quote" and facts["enough"] and facts["to"] == "reserved"
    assert facts["units_said"] is None                      # an amount said, not a number of 口
    assert ledger.balance(A).partners == {"jal": 20_000} and ledger.balance(A).reserved == 0


def test_a_quote_is_given_before_linking_and_for_more_than_is_held(ledger):
    ledger.sandbox_grant(A, "jal", 3_000)
    before = ledger.preview_conversion(A, "jal", 4_000)
    assert (before.linked, before.held, before.to_amount, before.enough) == (False, None, 2_000, False)
    ledger.sandbox_link(A, "jal")
    short = ledger.preview_conversion(A, "jal", 4_000)
    assert (short.linked, short.held, short.enough) == (True, 3_000, False)


def test_a_share_is_of_what_is_held_now(ledger):
    linked(ledger, 12_345)
    all_of_it = ledger.preview_conversion(A, "jal", share=Share("all"))
    assert (all_of_it.asked, all_of_it.used, all_of_it.stays, all_of_it.to_amount) == (12_345, 12_000, 345, 6_000)
    half = ledger.preview_conversion(A, "jal", share=Share("half"))
    assert (half.asked, half.used, half.to_amount) == (6_172, 6_000, 3_000)
    but = ledger.preview_conversion(A, "jal", share=Share("all_but", 1_000))
    assert (but.asked, but.used) == (11_345, 10_000)


def test_a_share_of_a_program_not_linked_is_refused_and_amount_or_share_is_required(ledger):
    ledger.sandbox_grant(A, "saison", 5_000)
    assert refused(ledger.preview_conversion, A, "saison", share=Share("all")).reason == "not_linked"
    assert refused(ledger.preview_conversion, A, "jal").reason == "missing_amount"
    assert refused(ledger.preview_conversion, A, "jal", -5).reason == "not_positive"
    assert refused(ledger.preview_conversion, A, "jal", share="all").reason == "bad_input"


def test_below_one_unit_gives_nothing_and_says_so(ledger):
    linked(ledger, 1_500)
    preview = ledger.preview_conversion(A, "jal", share=Share("all"))
    assert (preview.units, preview.to_amount, preview.stays) == (0, 0, 1_500)


def test_pp_earned_counts_the_years_flights_by_month(ledger):
    ledger.set_test_clock(parse_moment("2026-12-01T10:00"))
    try:
        for day, pp in (("2026-03-02", 1_500), ("2026-03-20", 900), ("2026-11-29", 1_342), ("2025-12-30", 700)):
            ledger.log_flight(A, dt.date.fromisoformat(day), pp, f"pp:{day}")
        year = ledger.pp_earned(A)
        facts = year.facts()
        assert (facts["kind"], facts["year"], facts["pp"], facts["flights"]) == ("pp_earned", 2026, 3_742, 3)
        assert facts["by_month"] == {"3": 2_400, "11": 1_342}
        assert ledger.pp_earned(A, 2026, 3).month_total == 2_400
        assert ledger.pp_earned(A, 2026, 12).month_total == 0
        assert ledger.pp_earned(A, 2025).total == 700
        assert refused(ledger.pp_earned, A, 2026, 13).reason == "bad_month"
    finally:
        ledger.set_test_clock(None)


@pytest.mark.parametrize("said, asked", [
    ("今年のPPは？", (2026, None)), ("今月何PP稼いだ？", (2026, 12)), ("先月のPP", (2026, 11)),
    ("how many PP did I earn in March", (2026, 3)), ("去年の3月のPP", (2025, 3)), ("how many pp may I have", (2026, None)),
    ("PP last month", (2026, 11)),
])
def test_the_month_a_pp_question_names(said, asked):
    assert month_asked(said, dt.date(2026, 12, 1)) == asked


@pytest.mark.parametrize("said, units", [("5口", 5), ("5口分", 5), ("５口", 5), ("5 units", 5), ("五口", 5),
                                         ("セゾンのポイントを10口交換したい", 10), ("500ポイント", None), ("", None)])
def test_units_are_read_as_the_platform_counts_them(said, units):
    assert parse_units(said) == units


def test_five_units_of_saison_are_500_points(ledger):
    ledger.sandbox_grant(A, "saison", 2_000)
    ledger.sandbox_link(A, "saison")
    preview = ledger.preview_conversion(A, "saison", units=5)
    assert (preview.asked, preview.used, preview.to_amount, preview.facts()["units_said"]) == (500, 500, 2_250, 5)
    assert refused(ledger.preview_conversion, A, "saison", 500, units=5).reason == "missing_amount"
