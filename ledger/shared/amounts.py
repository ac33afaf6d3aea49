"""Reading amounts the way people type them: "2,000", "２，０００", "2千", "二千", "2k", "1.5万"; and prices
in yen: "23,000円", "¥23,000", "2万3000円".

Full-width forms fold with Unicode NFKC; kanji numerals go through `kanjize` (a maintained
kanji-number converter) instead of a hand-written parser.
"""
from __future__ import annotations

import re

from kanjize import kanji2number

from ledger.shared.normalize import fold, spell_numbers
from ledger.shared.refusals import InvalidAmount

MAX_AMOUNT = 10**9      # above any real balance; larger numbers are refused as typos
MAX_TEXT = 40           # an amount as typed is never longer ("1,000,000,000 miles" is 19)

_MULTIPLIERS = {"k": 1_000, "千": 1_000, "万": 10_000, "m": 1_000_000}
_NUMBER = re.compile(r"^(?P<sign>[-+−])?(?P<digits>\d[\d,]*)(?P<fraction>\.\d+)?(?P<suffix>k|m|千|万)?$")
_KANJI = re.compile(r"^[〇零一二三四五六七八九十百千万億]+$")


def parse_amount(text: str | int | float | None) -> int:
    """A whole, positive number of points from what the user typed, or `InvalidAmount`."""
    if text is None:
        raise InvalidAmount("missing_amount")
    if isinstance(text, bool):
        raise InvalidAmount("not_a_number", given=str(text))
    if isinstance(text, int):
        return _checked(text, str(text))
    if isinstance(text, float):
        if not text.is_integer():
            raise InvalidAmount("not_whole", given=str(text))
        return _checked(int(text), str(text))
    raw = str(text)
    folded = fold(raw).strip().lower()
    folded = folded.replace("ー", "-") if folded.startswith("ー") else folded
    if len(folded) > MAX_TEXT + 10:  # 5,000 digits are a typo (or worse), not an amount: never parsed
        reason = "too_large" if re.fullmatch(r"[-+−]?[\d,. ]+", folded) else "not_a_number"
        raise InvalidAmount(reason, given=raw[:40], maximum=MAX_AMOUNT)
    folded = spell_numbers(folded).replace(" ", "")   # "two thousand", "にせん", "2万5千" → digits
    for word in ("マイル", "まいる", "ポイント", "ぽいんと", "miles", "mile", "points", "point", "pts", "pt", "pp", "口"):
        if folded.endswith(word):
            folded = folded[: -len(word)]
    if len(folded) > MAX_TEXT:
        reason = "too_large" if re.fullmatch(r"[-+−]?[\d,.]+", folded) else "not_a_number"
        raise InvalidAmount(reason, given=raw[:40], maximum=MAX_AMOUNT)
    if _KANJI.match(folded):
        try:
            return _checked(int(kanji2number(folded)), raw)
        except Exception as exc:  # kanjize raises plain ValueError/KeyError on odd input
            raise InvalidAmount("not_a_number", given=raw) from exc
    match = _NUMBER.match(folded)
    if not match:
        raise InvalidAmount("not_a_number", given=raw)
    digits = match["digits"]
    if "," in digits and not re.fullmatch(r"\d{1,3}(,\d{3})+", digits):
        raise InvalidAmount("not_a_number", given=raw)
    value_text = digits.replace(",", "") + (match["fraction"] or "")
    multiplier = _MULTIPLIERS.get(match["suffix"] or "", 1)
    if match["fraction"]:
        # "1.5万" is whole; "2.5" points is not.
        whole, frac = value_text.split(".")
        scaled = int(whole) * multiplier + (int(frac) * multiplier) // (10 ** len(frac))
        if (int(frac) * multiplier) % (10 ** len(frac)):
            raise InvalidAmount("not_whole", given=raw)
        value = scaled
    else:
        value = int(value_text) * multiplier
    if match["sign"] in ("-", "−"):
        raise InvalidAmount("not_positive", given=raw)
    return _checked(value, raw)


def _checked(value: int, raw: str) -> int:
    if value <= 0:
        raise InvalidAmount("not_positive", given=raw)
    if value > MAX_AMOUNT:
        raise InvalidAmount("too_large", given=raw, maximum=MAX_AMOUNT)
    return value


_YEN_MARKS = re.compile(r"[円¥￥]|yen|jpy", re.I)
_MAN_YEN = re.compile(r"([0-9０-９]+)万([0-9０-９,，]*)")


def parse_yen(text: str) -> int:
    """A price in yen: "23,000円", "¥23,000", "23000 yen", "2万3000円" (23,000), "3万円" (30,000).

    The "2万3000" form is read only for prices: as an amount of points it would be a typo.
    """
    plain = _YEN_MARKS.sub("", str(text or "")).strip()
    match = _MAN_YEN.fullmatch(plain)
    if match:
        rest = match.group(2)
        return _checked(parse_amount(match.group(1)) * 10_000 + (parse_amount(rest) if rest else 0), str(text))
    return parse_amount(plain)
