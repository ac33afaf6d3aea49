"""Text as people type and speak it reads the same as text typed carefully (ledger.shared.normalize)."""
from __future__ import annotations

import pytest

from ledger.shared.normalize import fold, normalize, normalize_spans


@pytest.mark.parametrize("said, read", [
    ("ＪＡＬの２０００マイル", "JALの2000マイル"),          # full-width letters and digits
    ("ｼﾞｬﾙのﾏｲﾙ", "ジャルのマイル"),                        # half-width kana, voiced marks joined
    ("ステ−タス", "ステータス"),                            # a minus sign typed for the long vowel
    ("ｽﾃｰﾀｽ", "ステータス"),
    ("HND～OKA", "HND〜OKA"),                               # every wave dash is 〜
    ("スーパー･バリュー", "スーパー・バリュー"),
    ("Flew on June 1", "Flew on June 1"),                   # case is kept: it is quoted back as typed
])
def test_forms_of_the_same_text_fold_to_one(said, read):
    assert fold(said) == read


@pytest.mark.parametrize("said, read", [
    ("二千マイル", "2000マイル"),
    ("三万五千ポイント", "35000ポイント"),
    ("2千ポイント", "2000ポイント"),
    ("1.5万ポイント", "15000ポイント"),
    ("2万5千マイル", "25000マイル"),
    ("にせんまいるこうかんしたい", "2000まいるこうかんしたい"),
    ("いちまん", "10000"),
    ("convert two thousand JAL miles", "convert 2000 JAL miles"),
    ("swap fifteen hundred points", "swap 1500 points"),
    ("a thousand miles please", "1000 miles please"),
    ("I have twenty five thousand miles", "I have 25000 miles"),
    ("Two Thousand Miles", "2000 Miles"),
    ("5k points", "5000 points"),
    ("６月八日に乗った", "6月8日に乗った"),
])
def test_numbers_said_in_words_become_digits(said, read):
    assert normalize(said) == read


@pytest.mark.parametrize("text", [
    "一覧を見せて", "十分です", "千葉に住んでる", "万一のために", "one of my flights", "I flew one flight",
    "もう一回那覇に飛んだら", "Nov 2, 1,270 PP", "PON-7K3M-9QXD-4", "NH123", "ホノルル-羽田",
])
def test_words_that_only_look_like_numbers_stay_as_they_are(text):
    assert normalize(text) == fold(text)


def test_a_run_of_thousands_of_numerals_is_left_alone_quickly():
    assert normalize("一" * 5_000) == "一" * 5_000
    assert normalize("にせん" * 2_000) == "にせん" * 2_000


def test_annotated_spans_move_with_the_text():
    text = "ＪＡＬの２，０００マイルを交換"
    folded, spans = normalize_spans(text, [(0, 3), (4, 9)])
    assert [folded[a:b] for a, b in spans] == ["JAL", "2,000"]
