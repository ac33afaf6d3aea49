"""Which language the assistant answers in, and that every refusal reads in both."""
from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

import pytest

from i18n import CATALOG, detect_locale, fmt_date, script_locale, t

REPO = Path(__file__).resolve().parent.parent

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "text, hint, expected",
    [
        ("残高", None, "ja"),
        ("残高", "en", "ja"),                      # the message's own script wins over the hint
        ("JALの2000マイルを交換したい", "en", "ja"),
        ("balance", None, "en"),
        ("balance", "ja", "en"),
        ("convert 2000 JAL miles", "ja-JP", "en"),
        ("2000", "ja", "ja"),                      # numbers say nothing: the hint decides
        ("2000", None, "en"),
        ("/affirm", "ja", "ja"),                   # button payloads say nothing either
        ('/inform{"partner":"jal"}', "ja_JP", "ja"),
        ("/affirm", None, "en"),
        ("JAL", "ja", "ja"),                       # program names are neutral
        ("JAL", None, "en"),
        ("ANA PP", "ja", "ja"),
        ("2000", "fr", "en"),                      # an unsupported hint falls back to English
        ("", "ja", "ja"),
        (None, None, "en"),
    ],
)
def test_detect_locale(text, hint, expected):
    assert detect_locale(text, hint) == expected


def test_script_locale_says_nothing_for_neutral_text():
    assert script_locale("2,000") is None
    assert script_locale("JAL 2000") is None


REASONS = [
    "unknown_partner", "coupon_partner", "not_linked", "link_pending", "no_rate", "below_minimum",
    "not_whole_units", "insufficient_balance", "not_positive", "not_a_number", "not_whole", "too_large",
    "missing_amount", "idempotency_key_reused", "flight_in_future", "flight_too_old", "pp_out_of_range",
    "bad_date", "unknown_tier", "sandbox_off",
]
# every refusal in the catalogue: the points flow (coupons, moves, campaigns, the saga, one-way) added many
ALL_REFUSALS = sorted(key.removeprefix("refusal.") for key in CATALOG if key.startswith("refusal."))


def test_the_catalogue_has_the_core_refusals():
    assert set(REASONS) <= set(ALL_REFUSALS)
    assert {"one_way", "coupon_locked", "no_campaign", "exchange_pending"} <= set(ALL_REFUSALS)


@pytest.mark.parametrize("reason", ALL_REFUSALS)
def test_every_refusal_reason_has_an_answer_in_both_languages(reason):
    entry = CATALOG[f"refusal.{reason}"]
    assert JAPANESE.search(entry["ja"])
    assert entry["en"] and entry["en"] != entry["ja"]


def _codes(pattern: str, *folders: str) -> set[str]:
    found = set()
    for folder in folders:
        for source in (REPO / folder).rglob("*.py"):
            found |= set(re.findall(pattern, source.read_text(encoding="utf-8")))
    return found


def test_no_reason_raised_anywhere_is_missing_from_the_catalogue():
    """Every refusal reason raised in the ledger or in an action, and every CSV problem code, has words."""
    raised = _codes(r'(?:Refusal|InvalidAmount)\(\s*"([a-z_]+)"', "ledger", "actions", "bot", "ops")
    assert raised >= {"not_linked", "not_positive", "unknown_tier", "one_way", "nothing_reserved"}  # the scan works
    assert sorted(r for r in raised if f"refusal.{r}" not in CATALOG) == []
    problems = _codes(r'Problem\(\s*"([a-z_]+)"', "ledger")
    assert problems >= {"bad_date", "no_pp", "route_refused"}
    assert sorted(p for p in problems if f"csv.{p}" not in CATALOG) == []


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_message_has_the_same_placeholders_in_both_languages(key):
    """A value said in one language is said in the other (e.g. the lower tier a higher one replaces)."""
    fields = {locale: {name for _, name, _, _ in string.Formatter().parse(text) if name}
              for locale, text in CATALOG[key].items()}
    assert set(CATALOG[key]) == {"en", "ja"}
    assert fields["en"] == fields["ja"]


def test_numbers_are_shown_with_thousands_separators():
    text = t("refusal.not_whole_units", "en", partner="JAL", unit=2000, given=3000, lower=2000, higher=4000)
    assert "2,000" in text and "4,000" in text and "3,000" in text
    ja = t("refusal.not_whole_units", "ja", partner="JAL", unit=2000, given=3000, lower=2000, higher=4000)
    assert "2,000" in ja and "4,000" in ja


def test_dates_in_each_language():
    assert fmt_date(dt.date(2016, 6, 10), "ja") == "2016年6月10日（金）"
    assert fmt_date("2016-06-10", "en") == "2016-06-10 (Fri)"
