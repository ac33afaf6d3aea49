"""Amounts the way people type them, and the refusal each bad amount gets."""
from __future__ import annotations

import pytest

from ledger.shared.amounts import MAX_AMOUNT, parse_amount, parse_yen
from ledger.shared.refusals import InvalidAmount


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2000", 2000),
        ("2,000", 2000),
        ("２，０００", 2000),          # full-width digits and comma
        ("２０００", 2000),
        ("2千", 2000),
        ("二千", 2000),
        ("三万五千", 35000),
        ("2k", 2000),
        ("2K", 2000),
        ("1.5k", 1500),
        ("1.5万", 15000),
        ("2万5千", 25000),
        ("二千マイル", 2000),
        ("にせん", 2000),
        ("にせんまいる", 2000),
        ("いちまんごせん", 15000),
        ("two thousand", 2000),
        ("two thousand miles", 2000),
        ("fifteen hundred points", 1500),
        ("a thousand", 1000),
        ("twenty five thousand", 25000),
        ("2000マイル", 2000),
        ("2,000 miles", 2000),
        ("450ポイント", 450),
        (" 2000 ", 2000),
        ("1,000,000,000", MAX_AMOUNT),  # the largest amount still accepted
        (2000, 2000),
        (3.0, 3),
    ],
)
def test_accepted_forms_read_as_whole_points(typed, expected):
    assert parse_amount(typed) == expected


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("-5", "not_positive"),
        ("－５", "not_positive"),       # full-width minus
        ("0", "not_positive"),
        (0, "not_positive"),
        ("1e9", "not_a_number"),
        ("abc", "not_a_number"),
        ("2,00", "not_a_number"),      # commas in the wrong places are not thousands separators
        ("", "not_a_number"),
        (True, "not_a_number"),
        ("2.5", "not_whole"),
        (2.5, "not_whole"),
        ("1.2345k", "not_whole"),
        ("99999999999", "too_large"),
        ("1000000001", "too_large"),
        (None, "missing_amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(typed, reason):
    with pytest.raises(InvalidAmount) as refused:
        parse_amount(typed)
    assert refused.value.reason == reason


def test_refusal_keeps_what_the_user_typed_for_the_answer():
    with pytest.raises(InvalidAmount) as refused:
        parse_amount("２．５")
    assert refused.value.reason == "not_whole"
    assert refused.value.details["given"] == "２．５"


def test_too_large_says_the_maximum():
    with pytest.raises(InvalidAmount) as refused:
        parse_amount("99999999999")
    assert refused.value.details["maximum"] == MAX_AMOUNT



@pytest.mark.parametrize("text, yen", [
    ("23,000円", 23_000), ("2万3千5百円", 23_500), ("¥23,000", 23_000), ("￥30,000", 30_000), ("23000 yen", 23_000),
    ("2万3000円", 23_000),
    ("3万円", 30_000), ("２３，０００円", 23_000), ("1.5万円", 15_000), ("30,000 JPY", 30_000), ("三万円", 30_000),
])
def test_prices_in_yen(text, yen):
    assert parse_yen(text) == yen


@pytest.mark.parametrize("text, reason", [("-5円", "not_positive"), ("円", "not_a_number"),
                                          ("0円", "not_positive")])
def test_prices_that_are_not_prices(text, reason):
    with pytest.raises(InvalidAmount) as refused:
        parse_yen(text)
    assert refused.value.reason == reason


@pytest.mark.parametrize("text, reason", [("9" * 5_000, "too_large"), ("1," + "000," * 2_000 + "000", "too_large"),
                                          ("一" * 5_000, "not_a_number"), ("x" * 5_000, "not_a_number")])
def test_thousands_of_digits_are_refused_not_a_crash(text, reason):
    with pytest.raises(InvalidAmount) as refused:
        parse_amount(text)
    assert refused.value.reason == reason
