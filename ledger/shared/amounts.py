"""Reading amounts the way people type them: "2,000", "２，０００", "2千", "二千", "2k", "1.5万"; and prices
in yen: "23,000円", "¥23,000", "2万3000円".

Full-width forms fold with Unicode NFKC; kanji numerals go through `kanjize` (a maintained
kanji-number converter) instead of a hand-written parser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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


# ---------------------------------------------------------------- a share of what is held (全部・半分)

_ALL = (r"(?:all|everything|every\s+(?:mile|point)|the\s+whole\s+(?:lot|balance)"
        r"|全部|全額|すべて|全て|ぜんぶ|まるごと|丸ごと|残り全部)")
_HALF = r"(?:half|半分|はんぶん|半額)"
_NUM = r"([0-9][0-9,]*(?:\.[0-9]+)?(?:k|千|万)?)"
_UNIT = r"\s*(?:マイル|まいる|ポイント|ぽいんと|miles?|points?|pts?|口)?"
_ALL_BUT = [
    re.compile(rf"(?<![a-z]){_ALL}(?:\s+[^\s,.]+){{0,4}}?,?\s*(?:but|except(?:\s+for)?|minus|apart\s+from|save)\s+{_NUM}",
               re.I),
    re.compile(rf"(?<![a-z])(?:keep(?:ing)?|leave|leaving|save)\s+{_NUM}", re.I),
    re.compile(rf"{_NUM}{_UNIT}\s*(?:だけ)?(?:を)?\s*(?:残して|のこして|残し|以外|を除いて|除いて|手元に残)", re.I),
]
_HALF_RE = re.compile(rf"(?<![a-z]){_HALF}(?![a-z])", re.I)
_ALL_RE = re.compile(rf"(?<![a-z]){_ALL}(?![a-z])", re.I)


@dataclass(frozen=True)
class Share:
    """A part of what the user holds, as said: 全部 / "all", 半分 / "half", "everything but 1,000" /
    「1000マイル残して」. Turned into an amount only against a balance (`of`), in whole units (`whole`)."""

    kind: str          # "all" | "half" | "all_but"
    keep: int = 0      # for "all_but": what stays

    def of(self, held: int) -> int:
        """The amount this share is of `held` points (never negative)."""
        if self.kind == "half":
            return held // 2
        return max(held - self.keep, 0)

    def whole(self, held: int, unit: int) -> int:
        """The share of `held` rounded down to whole units of `unit` (1口 = 100 points, 2,000 miles…)."""
        share = self.of(held)
        return share - share % unit if unit > 0 else share


def parse_share(text: str | None) -> Share | None:
    """The share a message asks for ("convert all my JAL miles", 「半分だけ交換」, "all but 1,000"), else None.

    "everything but 1,000" keeps 1,000; a bare number is an amount, not a share, and is left to `parse_amount`."""
    folded = spell_numbers(fold(str(text or "")).lower())[:400]
    for pattern in _ALL_BUT:
        match = pattern.search(folded)
        if match:
            try:
                return Share("all_but", parse_amount(match.group(1)))
            except InvalidAmount:
                return None
    if _HALF_RE.search(folded):
        return Share("half")
    if _ALL_RE.search(folded):
        return Share("all")
    return None


# ---------------------------------------------------------------- units (口): the platform counts exchanges in units

_UNITS = re.compile(r"(?<![0-9a-z.,])([0-9][0-9,]*|[〇一二三四五六七八九十百千]+)\s*(?:口分?|口数|units?(?![a-z]))", re.I)


def parse_units(text: str | None) -> int | None:
    """A number of units as the platform's screens count them (口数: 1口 = 100 Saison points): 「5口」, 「5口分」,
    "5 units", "five units", "五口" → 5; None when no units are said."""
    folded = spell_numbers(fold(str(text or "")).lower())[:400]
    match = _UNITS.search(folded)
    if not match:
        return None
    try:
        return parse_amount(match.group(1))
    except InvalidAmount:
        return None
