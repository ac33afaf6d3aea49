"""Text as people type and speak it, folded to one form before anything reads it (表記ゆれの正規化).

The NLU runs this before tokenising (`nlu/normalizer.py`, in training, `rasa test` and serving alike), and
`parse_amount` runs it on what a form takes as an answer, so both read "ＪＡＬの２０００ﾏｲﾙ", "二千", "にせん
マイル", "two thousand", "2k" and "1.5万" the same way:

- `fold`: Unicode NFKC (full-width letters and digits, half-width kana) and the variants of 〜, ー and ・.
  Case is folded where text is compared, not in the text: the NLU's tokens and lemmas are counted in lower case
  and every pattern matches without case, so "JAL", "Jal" and "jal" read the same while what the user typed is
  quoted back as typed ("no flight on “June 1”"), and the few airport codes that are English words too still
  count only in capitals (SIN, PER).
- `spell_numbers`: numbers written or spoken in words become digits — kanji (二千, 三万五千), digits with 千/万
  (2千, 1.5万, 2万5千), hiragana said before a unit (にせんマイル), English words (two thousand, fifteen
  hundred, a thousand) and k (2k). Thousands separators stay ("Nov 2, 1,270 PP" must not become a year).

Kanji numerals go through `kanjize` and English number words through `text2num` (both maintained libraries);
the hiragana readings are a small table here, since neither library reads them.
"""
from __future__ import annotations

import re
import unicodedata

from kanjize import kanji2number
from text_to_num import alpha2digit

KATAKANA = r"\u30a1-\u30fa\u30fc"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\ufe63\uff0d\uff70"   # ‐‑‒–—―−─━﹣－ｰ
_WAVES = "~\u223c\u301c\u3030\uff5e\u2053"                                               # ~∼〜〰～⁓
_DOTS = "\u00b7\u2027\u2219\u22c5\u30fb\uff65"                                            # ·‧∙⋅・･
# A dash after katakana is a long vowel (ステ−タス) unless a kanji, a letter or a digit follows (ホノルル−羽田 is a route).
_LONG_VOWEL = re.compile(f"(?<=[{KATAKANA}])[{_DASHES}](?![\u4e00-\u9fffA-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a])")
_DASH = re.compile(f"[{_DASHES}]")
_WAVE = re.compile(f"[{_WAVES}]")
_DOT = re.compile(f"[{_DOTS}]")


def fold(text: str) -> str:
    """NFKC, one 〜, one ー (a dash after katakana is a long vowel: ステ−タス), and one ・."""
    text = _LONG_VOWEL.sub("ー", text)   # before NFKC, which turns － into "-"
    text = unicodedata.normalize("NFKC", text)
    text = _LONG_VOWEL.sub("ー", text)
    text = _DASH.sub("-", text)
    text = _WAVE.sub("〜", text)
    return _DOT.sub("・", text)


# ------------------------------------------------------------------ numbers
MAX_RUN = 20   # no number people say is longer (一千二百三十四万五千六百七十八 is 16); longer runs stay as typed
_KANJI_DIGITS = "〇零一二三四五六七八九"
_KANJI_PLACES = "十百千万億"
_RUN = re.compile(rf"(?:\d+(?:\.\d+)?|[{_KANJI_DIGITS}{_KANJI_PLACES}])+")
# A single kanji numeral is a number only before a unit or a date part (一覧, 十分, 千葉 stay as they are).
_UNIT_AFTER = re.compile(r"\s?(?:マイル|まいる|ポイント|ぽいんと|pp|PP|pt|円|えん|口|月|日|年)")
_SCALED = re.compile(r"(?<![\w.-])(\d+(?:\.\d+)?)\s?(thousand|hundred|million|grand|k)(?![A-Za-z0-9])", re.I)
_A_SCALE = re.compile(r"(?<![a-z])(?:a|one)\s+(thousand|hundred|million|grand)(?![a-z])", re.I)
_SCALES = {"thousand": 1_000, "grand": 1_000, "k": 1_000, "hundred": 100, "million": 1_000_000}
_HIRAGANA_NUMBERS = {
    "いち": "一", "いっ": "一", "に": "二", "さん": "三", "よん": "四", "ご": "五", "ろく": "六", "ろっ": "六",
    "なな": "七", "しち": "七", "はち": "八", "はっ": "八", "きゅう": "九", "じゅう": "十", "じゅっ": "十",
    "ひゃく": "百", "びゃく": "百", "ぴゃく": "百", "せん": "千", "ぜん": "千", "まん": "万", "おく": "億",
}
_HIRAGANA_RUN = re.compile("(?:" + "|".join(sorted(_HIRAGANA_NUMBERS, key=len, reverse=True)) + ")+")
_HIRAGANA_UNIT = re.compile(r"\s?(?:マイル|まいる|ポイント|ぽいんと|ぴーぴー|pp|PP|円|えん)")


def _whole(value: float | int) -> str | None:
    return str(int(value)) if float(value).is_integer() and 0 <= value < 10**13 else None


def _kanji_run(match: re.Match) -> str:
    run, after = match[0], match.string[match.end():]
    if run.replace(".", "").isdigit() or run[0] in "万億" or len(run) > MAX_RUN:   # 万一 is "just in case"
        return run
    if len(run) == 1 and not _UNIT_AFTER.match(after):
        return run
    try:
        return _whole(kanji2number(run)) or run
    except (ValueError, KeyError, IndexError):   # kanjize's answer to a run that is not one number
        return run


def _hiragana_run(match: re.Match) -> str:
    run, text = match[0], match.string
    if len(run) > 3 * MAX_RUN:
        return run
    spoken_alone = text[: match.start()].strip() == "" and text[match.end():].strip() == ""
    if not (_HIRAGANA_UNIT.match(text, match.end()) or spoken_alone):
        return run
    if not any(place in run for place in ("じゅう", "じゅっ", "ゃく", "せん", "ぜん", "まん", "おく")):
        return run   # "に", "ご" alone are particles or words, not numbers
    kanji = _HIRAGANA_RUN.sub(lambda m: "".join(_reading_to_kanji(m[0])), run)
    try:
        return _whole(kanji2number(kanji)) or run
    except (ValueError, KeyError, IndexError):
        return run


def _reading_to_kanji(run: str) -> list[str]:
    out, i = [], 0
    readings = sorted(_HIRAGANA_NUMBERS, key=len, reverse=True)
    while i < len(run):
        reading = next(r for r in readings if run.startswith(r, i))
        out.append(_HIRAGANA_NUMBERS[reading])
        i += len(reading)
    return out


def _scaled(match: re.Match) -> str:
    return _whole(float(match[1]) * _SCALES[match[2].lower()]) or match[0]


def spell_numbers(text: str) -> str:
    """Numbers in words, kanji or with 千/万/k as digits; expects `fold`ed text."""
    text = _HIRAGANA_RUN.sub(_hiragana_run, text)
    text = _RUN.sub(_kanji_run, text)
    if re.search(r"[A-Za-z]", text):
        text = _A_SCALE.sub(r"1 \1", text)
        text = _SCALED.sub(_scaled, text)
        text = alpha2digit(text, "en")
        text = _SCALED.sub(_scaled, text)   # "two k" → "2 k" → 2000
    return text


def normalize(text: str) -> str:
    """`fold` then `spell_numbers`: the one form the NLU and the amount parser read."""
    return spell_numbers(fold(text))


def normalize_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int] | None]]:
    """`normalize(text)` and where each (start, end) span of `text` stands in it (None if it cannot be found).

    For annotated training examples: a span's own text is normalized and looked for from where the text before it
    ends up, so "ＪＡＬの[２，０００](amount)" keeps its annotation on "2000".
    """
    folded = normalize(text)
    if folded == text:
        return folded, list(spans)
    moved: list[tuple[int, int] | None] = []
    for start, end in spans:
        said = normalize(text[start:end])
        found = folded.find(said, max(0, len(normalize(text[:start])) - 4)) if said else -1
        moved.append((found, found + len(said)) if found >= 0 else None)
    return folded, moved
