"""PP for one flight: segment miles × fare rate × route multiplier + boarding points, floor-rounded, by flight date."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules import default_rules, load_rules
from ledger.shared.refusals import Refusal
from ledger.status.pp import compute_pp

RULES = load_rules()
NEW = dt.date(2026, 5, 19)     # first day of the new domestic fares
OLD = dt.date(2026, 5, 18)     # last day of the old ones


def pp(*args, **kwargs):
    return compute_pp(*args, rules=RULES, **kwargs)


def refusal(*args, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as caught:
        pp(*args, **kwargs)
    return caught.value


def test_haneda_naha_standard_economy_is_1774():
    result = pp("HND", "OKA", NEW, "standard")
    assert (result.pp, result.segment_miles, result.rate, result.multiplier, result.boarding_points) == (
        1774, 984, 80, Decimal(2), 200)
    assert (result.fare_id, result.table_id, result.cabin, result.verified) == (
        "standard", "ana_domestic_2026", "economy", True)
    assert "ana.co.jp" in result.source and result.facts()["pp"] == 1774


def test_japanese_names_and_aliases_give_the_same_answer():
    assert pp("羽田", "那覇", NEW, "スタンダード").pp == 1774
    assert pp("Haneda", "okinawa", NEW, "Standard").pp == 1774
    assert pp("ＨＮＤ", "ＯＫＡ", NEW, "ｽﾀﾝﾀﾞｰﾄﾞ").pp == 1774      # full-width / half-width kana
    assert pp("伊丹", "新千歳", NEW, "フレックス").segment_miles == 666
    assert pp("関空", "那覇", NEW, "株主優待").fare_id == "shareholder"


def test_routes_are_symmetric():
    there, back = pp("HND", "OKA", NEW, "simple"), pp("OKA", "HND", NEW, "simple")
    assert there.pp == back.pp and (back.origin, back.destination) == ("OKA", "HND")


def test_fare_switch_on_2026_05_19():
    # the day before: the old table — Super Value 75 %, no boarding points; "standard" did not exist yet
    assert pp("HND", "OKA", OLD, "スーパーバリュー").pp == 1476            # floor(984 × 0.75 × 2) + 0
    assert pp("HND", "OKA", OLD, "スーパーバリュー").table_id == "ana_domestic_until_2026_05_18"
    old_standard = refusal("HND", "OKA", OLD, "standard")
    assert old_standard.reason == "fare_not_valid_on"
    assert old_standard.details["valid_from"] == "2026-05-19" and old_standard.details["changed_on"] == "2026-05-19"
    # the day of the change: the new table, and the old fare names are gone
    assert pp("HND", "OKA", NEW, "standard").pp == 1774
    gone = refusal("HND", "OKA", NEW, "super value")
    assert (gone.reason, gone.details["valid_until"], gone.details["changed_on"]) == (
        "fare_not_valid_on", "2026-05-18", "2026-05-19")
    # the same word means different fares on either side: Flex 100 % + 400 in both, from a different table
    assert pp("HND", "FUK", OLD, "flex").table_id != pp("HND", "FUK", NEW, "flex").table_id


def test_floor_not_round():
    # HND–FUK 567 mi, Simple economy: 567 × 0.70 × 2 = 793.8 → 793 (round() would give 794), + 100
    assert pp("HND", "FUK", NEW, "シンプル").pp == 893
    # FUK–OKA 537 mi, old Value 75 %: 537 × 0.75 × 2 = 805.5 → 805 (Python's round() gives 806), + 400
    assert pp("FUK", "OKA", OLD, "運賃5").pp == 1205
    # international ×1.5: HND–SIN 3,312 mi, L/K 30 %: 1490.4 → 1490
    assert pp("HND", "SIN", NEW, "L").pp == 1490


def test_first_class_and_cabin_names():
    assert pp("HND", "OKA", NEW, "standard", cabin="ファーストクラス").pp == 2958   # 984 × 1.3 × 2 = 2558.4 → 2558 + 400
    assert pp("HND", "OKA", NEW, "standard", cabin="プレミアムクラス").pp == 2958
    assert pp("HND", "OKA", NEW, "standard", cabin="economy").pp == 1774
    # a fare sold only in economy, asked for in first: ask
    assert refusal("HND", "OKA", NEW, "島民割引", cabin="first").reason == "fare_not_in_cabin"
    # a fare sold only in first (old Fare 1), no cabin said: the only cabin it has
    assert pp("HND", "OKA", OLD, "運賃1").cabin == "first"
    assert refusal("HND", "OKA", NEW, "standard", cabin="window seat").reason == "unknown_cabin"


@pytest.mark.parametrize(
    "destination, multiplier, region",
    [("OKA", Decimal(2), "japan"), ("SIN", Decimal("1.5"), "asia"), ("SYD", Decimal("1.5"), "oceania"),
     ("LAX", Decimal(1), "north_america"), ("LHR", Decimal(1), "europe"), ("HNL", Decimal(1), "north_america")],
)
def test_route_multiplier_per_region(destination, multiplier, region):
    fare = "standard" if region == "japan" else "Y"
    result = pp("HND", destination, NEW, fare)
    assert (result.multiplier, result.region) == (multiplier, region)


def test_international_booking_classes():
    # NRT–LHR 6,220 mi, J 150 % ×1 + 400
    assert pp("成田", "ロンドン", NEW, "J").pp == 6220 * 3 // 2 + 400
    # NRT–BKK 2,869 mi, M 100 % ×1.5 + 400 = 4303.5 → 4303 + 400
    assert pp("NRT", "BKK", NEW, "m").pp == 4703
    # U/H/Q earn no boarding points
    assert pp("NRT", "BKK", NEW, "Q").boarding_points == 0
    # a cabin name is not a booking class: ask for the class
    assert refusal("NRT", "BKK", NEW, "business").reason == "unknown_fare"


@pytest.mark.parametrize("rate, boarding", [(99, 0), (100, 400), (125, 400), (50, 0)])
def test_partner_boarding_points_from_100_percent(rate, boarding):
    result = pp("NRT", "SIN", NEW, carrier="partner", partner_rate=rate)
    assert (result.boarding_points, result.multiplier, result.fare_id) == (boarding, Decimal(1), "partner")
    assert result.pp == 3312 * rate // 100 + boarding


def test_partner_flight_needs_its_rate():
    assert refusal("NRT", "SIN", NEW, carrier="partner").reason == "partner_rate_needed"
    assert refusal("NRT", "SIN", NEW, carrier="partner", partner_rate="lots").reason == "bad_partner_rate"
    assert refusal("NRT", "SIN", NEW, carrier="partner", partner_rate=-5).reason == "bad_partner_rate"
    assert pp("NRT", "SIN", NEW, carrier="partner", partner_rate="125%").rate == 125
    assert refusal("NRT", "SIN", NEW, "Y", carrier="jal").reason == "unknown_carrier"


def test_unknown_route_asks_instead_of_guessing():
    unknown_airport = refusal("HND", "Atlantis", NEW, "standard")
    assert unknown_airport.reason == "unknown_route"
    assert unknown_airport.details["origin"] == "HND" and unknown_airport.details["destination"] == "Atlantis"
    assert unknown_airport.details["known_destination"] is False
    # both airports known, but no segment miles for the pair
    no_pair = refusal("ISG", "CTS", NEW, "standard")
    assert no_pair.reason == "unknown_route" and no_pair.details["known_origin"] is True
    assert refusal("HND", "HND", NEW, "standard").reason == "unknown_route"


def test_unknown_fare_lists_the_fares_of_that_date():
    unknown = refusal("HND", "OKA", NEW, "super duper saver")
    assert unknown.reason == "unknown_fare" and unknown.details["given"] == "super duper saver"
    assert "Standard" in unknown.details["known"] and "Fare 7 – ANA SUPER VALUE" not in unknown.details["known"]
    assert "スタンダード" in unknown.details["known_ja"]
    assert refusal("HND", "OKA", NEW, None).reason == "unknown_fare"
    # a flight before the oldest table: no fare table applies, so nothing is computed
    assert refusal("HND", "OKA", dt.date(2015, 6, 8), "flex").reason == "no_fare_table"


def test_low_confidence_data_is_marked():
    assert pp("HND", "OKA", OLD, "スーパーバリュー").verified is False      # old table: community transcription
    assert pp("OKA", "TAK", NEW, "standard").verified is False             # an older chart year only
    assert pp("OKA", "TAK", NEW, "standard").segment_miles == 677


def test_every_route_names_known_airports_and_sources():
    segments = RULES.segments
    for segment in segments.segments.values():
        assert segment.a in segments.airports and segment.b in segments.airports
        assert segment.sources and all(s in segments.sources for s in segment.sources)
        assert 50 < segment.miles < 8000
    assert len([a for a in segments.airports.values() if a.region == "japan"]) >= 25


def test_refusal_texts_read_in_both_languages():
    from i18n import t

    unknown = refusal("HND", "OKA", NEW, "super duper saver")
    details = {**unknown.details, "known": ", ".join(unknown.details["known"])}
    assert "Standard" in t("refusal.unknown_fare", "en", **details)
    assert "スタンダード" in t("refusal.unknown_fare", "ja", **details)
    switched = refusal("HND", "OKA", OLD, "スタンダード")
    assert "2026-05-19" in t("refusal.fare_not_valid_on", "ja", **switched.details)
    cabin = refusal("HND", "OKA", NEW, "島民割引", cabin="first")
    assert "島民割引" in t("refusal.fare_not_in_cabin", "ja", **cabin.details)


def test_default_rules_carry_the_tables():
    assert compute_pp("HND", "CTS", NEW, "flex", rules=default_rules()).pp == 1420   # 510 × 1 × 2 + 400


ROUTES = sorted((s.a, s.b) for s in RULES.segments.segments.values())
DOMESTIC_NEW_ECONOMY = [f for t in RULES.fares.tables if t.id == "ana_domestic_2026"
                        for f in t.fares if "economy" in f.cabins]


@settings(max_examples=200, deadline=None)
@given(route=st.sampled_from(ROUTES), low=st.integers(0, 300), high=st.integers(0, 300),
       day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
def test_pp_never_decreases_when_the_partner_rate_increases(route, low, high, day):
    low, high = min(low, high), max(low, high)
    lower = pp(*route, day, carrier="partner", partner_rate=low).pp
    higher = pp(*route, day, carrier="partner", partner_rate=high).pp
    assert higher >= lower


@settings(max_examples=200, deadline=None)
@given(route=st.sampled_from([r for r in ROUTES if RULES.segments.airports[r[0]].region == "japan"
                              and RULES.segments.airports[r[1]].region == "japan"]),
       a=st.sampled_from(DOMESTIC_NEW_ECONOMY), b=st.sampled_from(DOMESTIC_NEW_ECONOMY))
def test_a_fare_with_a_higher_rate_and_no_fewer_boarding_points_never_earns_less(route, a, b):
    if (a.cabins["economy"].rate, a.cabins["economy"].boarding) > (b.cabins["economy"].rate, b.cabins["economy"].boarding):
        a, b = b, a
    if b.cabins["economy"].boarding >= a.cabins["economy"].boarding:
        assert pp(*route, NEW, b.id).pp >= pp(*route, NEW, a.id).pp
    # and the computed PP always sits between the mileage part and the mileage part + 1
    result = pp(*route, NEW, a.id)
    exact = Decimal(result.segment_miles) * result.rate / 100 * result.multiplier
    assert exact - 1 < result.pp - result.boarding_points <= exact


def test_a_fare_is_named_as_the_table_of_its_day_calls_it():
    fares = default_rules().fares
    assert fares.fare_name("standard", dt.date(2026, 6, 8), "ja") == "スタンダード"
    assert fares.fare_name("standard", "2026-06-08", "en") == "Standard"
    assert "VALUE" in fares.fare_name("old_fare5", dt.date(2026, 5, 18), "en")
    assert fares.fare_name("125%", dt.date(2026, 6, 8), "en") == "125%"  # a partner flight's accrual rate
