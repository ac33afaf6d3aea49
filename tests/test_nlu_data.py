"""The NLU training data agrees with itself and with the rules data — checked in milliseconds, no Rasa.

Entities come only from patterns (RegexEntityExtractor: regexes + lookup tables, word boundaries off,
case-insensitive) and EntitySynonymMapper, so the patterns are re-run here exactly as Rasa builds them
(`rasa.nlu.utils.pattern_utils`): every annotated example must yield exactly its annotations, and every
name or alias in ledger/rules must be found and mapped to its id.
"""
from __future__ import annotations

import re

import pytest
import yaml

from ledger.config import REPO_ROOT
from ledger.rules import default_rules
from ledger.shared.normalize import normalize, normalize_spans

DATA = sorted((REPO_ROOT / "nlu" / "data").glob("*.yml"))
_ANNOTATION = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)")


def _items() -> list[dict]:
    items: list[dict] = []
    for path in DATA:
        items += yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []
    return items


def _lines(block: str) -> list[str]:
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def _entities() -> set[str]:
    return set(yaml.safe_load((REPO_ROOT / "nlu" / "domain.yml").read_text(encoding="utf-8"))["entities"])


def _patterns() -> list[tuple[str, re.Pattern]]:
    """Entity patterns only: regexes named after no entity (key words) are classifier features."""
    patterns = []
    entities = _entities()
    for item in _items():
        if (item.get("regex") or item.get("lookup")) not in entities:
            continue
        if "regex" in item:
            patterns += [(item["regex"], re.compile(p, re.IGNORECASE)) for p in _lines(item["examples"])]
        if "lookup" in item:
            # pattern_utils._generate_lookup_regex with use_word_boundaries=False
            joined = "(" + "|".join(re.escape(e) for e in _lines(item["examples"])) + ")"
            patterns.append((item["lookup"], re.compile(joined, re.IGNORECASE)))
    return patterns


def _synonyms() -> dict[str, str]:
    """As EntitySynonymMapper builds them: lower-cased text → value, plus each value's own lower case."""
    table: dict[str, str] = {}
    for item in _items():
        if "synonym" in item:
            for text in _lines(item["examples"]):
                table[text.lower()] = item["synonym"]
            table.setdefault(item["synonym"].lower(), item["synonym"])
    return table


PATTERNS = _patterns()
SYNONYMS = _synonyms()


def extract(text: str) -> set[tuple[str, int, int]]:
    """The entities found in `text` as Rasa reads it: after the normalizer (`nlu/normalizer.py`), so the spans
    are in `normalize(text)`."""
    text = normalize(text)
    return {(name, m.start(), m.end()) for name, pattern in PATTERNS for m in pattern.finditer(text) if m.end() > m.start()}


def value_of(text: str, entity: str) -> str | None:
    text = normalize(text)
    found = sorted((e for e in extract(text) if e[0] == entity), key=lambda e: e[1] - e[2])
    if not found:
        return None
    _, start, end = found[0]
    surface = text[start:end]
    return SYNONYMS.get(surface.lower(), surface)


def _examples() -> list[tuple[str, str, set[tuple[str, int, int]]]]:
    out = []
    for item in _items():
        if "intent" not in item:
            continue
        for line in _lines(item["examples"]):
            plain, spans, pos = "", set(), 0
            for m in _ANNOTATION.finditer(line):
                plain += line[pos:m.start()]
                spans.add((m.group(2), len(plain), len(plain) + len(m.group(1))))
                plain += m.group(1)
                pos = m.end()
            plain += line[pos:]
            folded, moved = normalize_spans(plain, [(start, end) for _, start, end in sorted(spans)])
            out.append((item["intent"], plain, {(name, *span) for (name, _, _), span in zip(sorted(spans), moved)
                                                if span is not None}))
    return out


EXAMPLES = _examples()


def test_every_annotation_is_exactly_what_the_patterns_find():
    wrong = [(intent, text, sorted(spans), sorted(extract(text))) for intent, text, spans in EXAMPLES
             if not text.startswith("/") and extract(text) != spans]
    assert wrong == []


def test_each_intent_has_enough_examples_in_both_languages():
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    counts: dict[str, list[int]] = {}
    for intent, text, _ in EXAMPLES:
        counts.setdefault(intent, [0, 0])[1 if japanese.search(text) else 0] += 1
    issue_3 = ["link_partner", "unlink_partner", "link_status", "redeem_coupon", "move_points",
               "set_home_municipality", "show_history", "best_route", "list_events", "convert_back"]
    assert {i: c for i, c in counts.items() if i in issue_3 and min(c) < 15} == {}


def test_no_example_is_repeated():
    texts = [text.lower() for _, text, _ in EXAMPLES]
    assert sorted({t for t in texts if texts.count(t) > 1}) == []


@pytest.mark.parametrize("kind", ["partner", "municipality", "prefecture", "event"])
def test_every_name_in_the_rules_data_is_recognised(kind):
    rules = default_rules()
    names: dict[str, list[str]] = {}
    if kind == "partner":
        names = {p.id: [*p.aliases, *p.names.values()] for p in rules.partners.values()}
    elif kind == "municipality":
        names = {m.id: list(m.aliases) for m in rules.municipalities.values()}
    elif kind == "prefecture":
        names = {pid: list(aliases) for pid, aliases in rules.prefecture_aliases.items()}
    else:
        names = {e.id: [a for a in e.aliases if a not in {"特定支援イベント", "support event"}] for e in rules.events.values()}
    missed = {(ident, name, value_of(name, kind)) for ident, aliases in names.items() for name in aliases
              if value_of(name, kind) != ident}
    assert missed == set()


@pytest.mark.parametrize("text, entity, value", [
    ("JALの二千マイルを交換", "amount", "二千"),
    ("convert 2k JAL miles", "amount", "2k"),
    ("１万ポイント", "amount", "１万"),
    ("２，０００マイル", "amount", "２，０００"),
    ("2,000 miles", "amount", "2,000"),
    ("2千マイル", "amount", "2千"),
    ("一万五千ポイント", "amount", "一万五千"),
    ("move all my reserved points", "amount", "all"),
    ("留保ポイントを全部移したい", "amount", "all"),
    ("日本航空のマイル", "partner", "jal"),
    ("永久不滅ポイント", "partner", "saison"),
    ("dポイントを交換", "partner", "docomo"),
    ("convert 5000 d points", "partner", "docomo"),
    ("カテエネ", "partner", "katene"),
    ("セゾンのポイントを笠間応援ポイントにしたい", "municipality", "kasama"),
    ("ＰＯＮ－７Ｋ３Ｍ－９ＱＸＤ－４を登録", "coupon_code", "ＰＯＮ－７Ｋ３Ｍ－９ＱＸＤ－４"),
])
def test_japanese_numbers_and_names(text, entity, value):
    assert value_of(text, entity) == normalize(value)   # the text Rasa reads is normalized (二千 → 2000)


@pytest.mark.parametrize("text", ["redeem ANA-4HZX-2M9Q-R", "PON-7K3M-9QXD-4", "ＡＮＡー９Ｘ８Ｗー７Ｖ６Ｔー５"])
def test_a_coupon_code_is_not_read_as_a_partner_or_an_amount(text):
    assert {e[0] for e in extract(text)} == {"coupon_code"}


@pytest.mark.parametrize("text", ["show all my linked accounts", "that's all, thanks", "banana", "Kanagawa",
                                  "2018-07-31", "commitment"])
def test_ordinary_words_are_not_entities(text):
    assert {e[0] for e in extract(text)} <= ({"prefecture"} if text == "Kanagawa" else {"date"})


# ---------------------------------------------------------------------------------- flights and status (issue 4)
FLIGHT_INTENTS = ["list_flights", "edit_flight", "delete_flight", "ask_status_now", "ask_status_end", "ask_pp_to_go",
                  "ask_what_if", "ask_cheapest", "ask_sfc", "log_flight"]
# Also places (nlu/data/places.yml): alone they are an airport only beside a route sign, and keep the place's value.
PLACE_AIRPORT_NAMES = {"伊丹": "itami", "itami": "itami", "熊本": "kumamoto", "kumamoto": "kumamoto"}
# Codes that are English words too: airports only in capitals.
WORD_CODES = {"PER", "SIN", "SEA", "DEL", "LAX", "ORD"}


def _only(text: str, entity: str) -> list[tuple[str, int, int]]:
    return sorted(e for e in extract(text) if e[0] == entity)


def test_every_flight_and_status_intent_has_20_examples_in_each_language():
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    counts = {intent: [0, 0] for intent in FLIGHT_INTENTS}
    for intent, text, _ in EXAMPLES:
        if intent in counts:
            counts[intent][1 if japanese.search(text) else 0] += 1
    assert {i: c for i, c in counts.items() if min(c) < 20} == {}


def test_no_example_has_overlapping_entities():
    overlapping = [(text, sorted(spans)) for _, text, spans in EXAMPLES
                   if any(a != b and a[1] < b[2] and b[1] < a[2] for a in spans for b in spans)]
    assert overlapping == []


def test_no_synonym_text_has_two_values():
    seen: dict[str, set[str]] = {}
    for item in _items():
        if "synonym" in item:
            for text in _lines(item["examples"]):
                seen.setdefault(text.lower(), set()).add(item["synonym"])
    assert {t: v for t, v in seen.items() if len(v) > 1} == {}


def test_every_airport_name_alias_and_code_is_recognised_and_resolves_to_its_airport():
    segments = default_rules().segments
    missed = []
    for code, airport in segments.airports.items():
        names = [*airport.names.values(), *yaml.safe_load((REPO_ROOT / "ledger" / "rules" / "segments.yml")
                                                          .read_text(encoding="utf-8"))["airports"][code].get("aliases", [])]
        names += [code] + ([] if code in WORD_CODES else [code.lower()])
        for name in names:
            text = f"HND-{name}" if name.lower() in PLACE_AIRPORT_NAMES else name
            found = _only(text, "airport")
            whole = ("airport", len(text) - len(name), len(text))
            value = SYNONYMS.get(name.lower(), name)
            expected = PLACE_AIRPORT_NAMES.get(name.lower(), code)
            resolved = segments.find_airport(value)
            expected_spans = ([("airport", 0, 3)] if text != name else []) + [whole]
            if found != expected_spans or value != expected or resolved is None or resolved.code != code:
                missed.append((code, name, found, value))
    assert missed == []


@pytest.mark.parametrize("text, codes", [
    ("6/8に羽田-那覇をスタンダードで搭乗", ["HND", "OKA"]),
    ("I flew HND to OKA on Value yesterday", ["HND", "OKA"]),
    ("hnd to oka", ["HND", "OKA"]),
    ("HND-OKA", ["HND", "OKA"]),
    ("東京（羽田）から沖縄（那覇）", ["HND", "OKA"]),
    ("中部国際空港から新千歳", ["NGO", "CTS"]),
    ("伊丹から那覇", ["itami", "OKA"]),
    ("羽田から熊本", ["HND", "kumamoto"]),
    ("from Itami to Haneda", ["itami", "HND"]),
    ("NRT to PER", ["NRT", "PER"]),
    ("ニューヨーク(JFK)から羽田", ["JFK", "HND"]),
])
def test_airports_in_a_sentence_in_order(text, codes):
    found = _only(text, "airport")
    assert [SYNONYMS.get(text[s:e].lower(), text[s:e]) for _, s, e in found] == codes


@pytest.mark.parametrize("text, entity", [
    ("中部電力のポイント", "partner"),          # 中部 (Chubu Centrair) inside a points partner's name
    ("chubu electric points", "partner"),
    ("シンガポール航空で帰国", "carrier"),       # シンガポール (SIN) inside an airline's name
    ("Singapore Airlines", "carrier"),
    ("伊丹市に移したい", "municipality"),       # 伊丹 / 熊本 are places unless beside a route sign
    ("move my reserved points to Itami", "municipality"),
    ("熊本県の自治体", "prefecture"),
    ("熊本の市に移したい", "prefecture"),
    ("cheaper per PP", None),                   # per / sea / sin are words, not Perth / Seattle / Singapore
    ("a flight over the sea", None),
    ("クロスセール", "fare"),
])
def test_airport_names_inside_other_names_are_not_airports(text, entity):
    assert {e[0] for e in extract(text)} == ({entity} if entity else set())


def _domestic_fare_aliases() -> list[str]:
    raw = yaml.safe_load((REPO_ROOT / "ledger" / "rules" / "fares.yml").read_text(encoding="utf-8"))
    return sorted({alias for table in raw["tables"] if table["scope"] == "domestic"
                   for fare in table["fares"] for alias in [*fare.get("aliases", []), fare["names"]["ja"]]
                   if " " not in alias or alias.isascii()})


@pytest.mark.parametrize("alias", _domestic_fare_aliases())
def test_every_domestic_fare_alias_is_recognised_and_known_to_the_fare_tables(alias):
    fares = default_rules().fares
    assert _only(alias, "fare") == [("fare", 0, len(alias))]
    value = SYNONYMS.get(alias.lower(), alias)
    assert any(t.find(value) for t in fares.tables if t.scope == "domestic")


@pytest.mark.parametrize("text, value", [
    ("スタンダード", "スタンダード"), ("Super Value", "Super Value"), ("supervalue", "supervalue"),
    ("トランジット", "value transit"), ("ビジネス切符", "ビジネスきっぷ"), ("ANA VALUE", "ANA VALUE"),
])
def test_fare_spellings(text, value):
    assert value_of(text, "fare") == normalize(value)
    assert any(t.find(normalize(value)) for t in default_rules().fares.tables if t.scope == "domestic")


@pytest.mark.parametrize("text", ["F", "Y", "M", "a", "I flew in Y class"])
def test_international_booking_classes_are_not_fares(text):
    assert _only(text, "fare") == []


@pytest.mark.parametrize("text, value", [
    ("premium class", "first"), ("プレミアムクラス", "first"), ("プレミアム", "first"), ("premium", "first"),
    ("first class", "first"), ("ファーストクラス", "first"), ("economy", "economy"), ("エコノミー", "economy"),
    ("エコノミークラス", "economy"), ("普通席", "economy"), ("economy class", "economy"),
])
def test_cabins(text, value):
    assert value_of(text, "cabin") == value
    assert default_rules().fares.find_cabin(value) == value


@pytest.mark.parametrize("text", ["1,342 premium points", "premium points", "プレミアムポイント", "my premium status",
                                  "プレミアム運賃", "value premium", "バリュープレミアム", "プレミアムステータス", "PP"])
def test_the_premium_of_premium_points_or_a_fare_is_not_a_cabin(text):
    assert _only(text, "cabin") == []


@pytest.mark.parametrize("text", ["NH123", "ANA 123", "nh0123", "ＮＨ１２３", "UA837", "LH715", "NH 995", "ANA123",
                                  "SQ12", "ual 837"])
def test_flight_numbers_are_neither_amounts_nor_the_partner(text):
    assert extract(text) == {("flight_number", 0, len(text))}


def test_every_carrier_code_makes_a_flight_number_and_every_partner_airline_is_a_partner():
    raw = yaml.safe_load((REPO_ROOT / "ledger" / "rules" / "carriers.yml").read_text(encoding="utf-8"))
    airlines = [*raw["ana_group"], *raw["partner"]]
    bad_numbers = [a["code"] for a in airlines for text in (f"{a['code']}123", f"{a['icao']} 45")
                   if extract(text) != {("flight_number", 0, len(text))}]
    bad_names = [(name, value_of(name, "carrier")) for a in raw["partner"] for name in a["names"].values()
                 if value_of(name, "carrier") != "partner"]
    assert (bad_numbers, bad_names) == ([], [])


@pytest.mark.parametrize("text", ["partner airline", "a partner flight", "Star Alliance", "提携航空会社", "提携便",
                                  "スターアライアンス", "United", "Lufthansa", "ユナイテッド", "ルフトハンザ",
                                  "シンガポール航空"])
def test_partner_airline_words(text):
    assert value_of(text, "carrier") == "partner"


@pytest.mark.parametrize("text", ["ANA 2000 miles", "ANA 2,000 miles", "convert 2000 ANA miles"])
def test_ana_with_miles_is_still_the_points_partner(text):
    assert {e[0] for e in extract(text)} == {"partner", "amount"}


@pytest.mark.parametrize("text", ["redeem PON-7K3M-9QXD-4", "ANA-7Z7Z-K2K2-M", "PON7K3M9QXD4"])
def test_coupon_codes_are_not_flight_numbers(text):
    assert _only(text, "flight_number") == []


@pytest.mark.parametrize("text", ["23,000円", "¥23,000", "￥30,000", "23000 yen", "2万3000円", "3万円", "２３，０００円",
                                  "1.5万円", "30,000 JPY", "三万円"])
def test_prices_are_yen_not_amounts(text):
    assert extract(text) == {("yen", 0, len(normalize(text)))}


def test_a_price_and_pp_in_one_question():
    text = "1,774 PP for 30,000 yen or 1,100 PP for 23,000 yen"
    assert sorted((e, text[s:t]) for e, s, t in extract(text)) == [
        ("amount", "1,100"), ("amount", "1,774"), ("yen", "23,000 yen"), ("yen", "30,000 yen")]


@pytest.mark.parametrize("text, dates", [
    ("flew NH123 on June 8, 1,342 PP", ["June 8"]), ("12/10", ["12/10"]), ("１２／１０", ["１２／１０"]),
    ("December 10", ["December 10"]), ("12月10日", ["12月10日"]), ("what if I fly tomorrow", ["tomorrow"]),
    ("明日飛んだら", ["明日"]),
])
def test_flight_dates(text, dates):
    assert [text[s:e] for _, s, e in _only(text, "date")] == dates


def test_a_fare_number_is_not_an_amount():
    assert {e[0] for e in extract("運賃5で搭乗")} == {"fare"}
    assert {e[0] for e in extract("fare 5")} == {"fare"}
