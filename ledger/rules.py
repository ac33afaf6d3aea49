"""Rules as data: partner rates and campaigns, status thresholds and timing, each with dates and a source.

Loaded from the versioned YAML files in `ledger/rules/`; nothing here is hard-coded policy.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # pragma: no cover
    from ledger.flights import CarrierRules
    from ledger.pp import FareRules, SegmentTable

RULES_DIR = Path(__file__).resolve().parent / "rules"


@dataclass(frozen=True)
class Rate:
    """Normal rate to reserved points (留保ポイント): `unit` partner points → `reserved_per_unit`."""

    valid_from: dt.date
    valid_until: dt.date | None
    unit: int
    reserved_per_unit: int
    minimum: int
    source: str
    verified: bool

    def applies_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Campaign:
    """A campaign rate straight to a municipality's points (自治体ポイント)."""

    id: str
    valid_from: dt.date
    valid_until: dt.date
    unit: int
    municipal_per_unit: int
    municipalities: tuple[str, ...]
    source: str
    verified: bool

    def applies_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class Partner:
    id: str
    names: dict[str, str]
    unit_name: dict[str, str]
    aliases: tuple[str, ...]
    transfer: str  # "link" (ID linkage) or "coupon"
    link_activation_days: int
    wallet_first: int
    rates: tuple[Rate, ...]
    campaigns: tuple[Campaign, ...] = field(default=())
    coupon_prefix: str = ""
    wallet_source: str = ""

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def unit(self, locale: str) -> str:
        """What its points are called: miles / マイル, points / ポイント."""
        return self.unit_name.get(locale) or self.unit_name["en"]

    def rate_on(self, day: dt.date) -> Rate | None:
        for rate in self.rates:
            if rate.applies_on(day):
                return rate
        return None

    def wallet_units(self, units: int, wallet: int) -> int:
        """Units paid from the 永久不滅ウォレット first: one per `wallet_first` held (Saison 450), never more than asked."""
        return min(units, wallet // self.wallet_first) if self.wallet_first else 0

    def campaign_on(self, day: dt.date, municipality: str) -> Campaign | None:
        """The campaign rate straight to `municipality` running on `day`, if any."""
        for campaign in self.campaigns:
            if campaign.applies_on(day) and municipality in campaign.municipalities:
                return campaign
        return None


@dataclass(frozen=True)
class Municipality:
    """A municipality (自治体) and its point service (e.g. 笠間市 → 笠間応援ポイント)."""

    id: str
    names: dict[str, str]
    prefecture: str
    prefecture_names: dict[str, str]
    service_names: dict[str, str]
    aliases: tuple[str, ...]
    source: str
    verified: bool

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def prefecture_name(self, locale: str) -> str:
        return self.prefecture_names.get(locale) or self.prefecture_names["en"]

    def point_service(self, locale: str) -> str:
        return self.service_names.get(locale) or self.service_names["en"]


@dataclass(frozen=True)
class Event:
    """A 特定支援イベント (specific support event) that reserved points can go to while it runs."""

    id: str
    names: dict[str, str]
    municipality: str
    valid_from: dt.date
    valid_until: dt.date
    aliases: tuple[str, ...]
    source: str
    verified: bool

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def open_on(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class ReservedPolicy:
    """留保ポイント: days before they move to the home municipality (基本自治体), and the notice before it."""

    auto_move_after_days: int
    notice_days_before: int
    source: str


@dataclass(frozen=True)
class CouponPolicy:
    valid_days: int
    max_failures: int
    failure_window_minutes: int
    lock_minutes: int
    verified: bool


@dataclass(frozen=True)
class Tier:
    id: str
    names: dict[str, str]
    pp: int
    ana_group_pp: int

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]


@dataclass(frozen=True)
class StatusRules:
    tiers: tuple[Tier, ...]
    ana_group_credit_days: int
    partner_credit_days: tuple[int, int]
    days_after_crediting: int
    early_months_advance_from: tuple[int, int]
    main_status_from: tuple[int, int]
    main_status_until: tuple[int, int]
    card_weeks: tuple[int, int]
    sources: tuple[str, ...]
    card_observed_days: tuple[int, int] = (10, 14)
    early_months_official: str = "mid-April"
    sfc_from_tier: str = "platinum"

    def tier(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(tier_id)


@dataclass(frozen=True)
class Rules:
    partners: dict[str, Partner]
    status: StatusRules
    municipalities: dict[str, Municipality] = field(default_factory=dict)
    prefectures: dict[str, dict[str, str]] = field(default_factory=dict)  # id → names
    prefecture_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    reserved: ReservedPolicy | None = None
    coupons: CouponPolicy | None = None
    fares: "FareRules | None" = None          # PP fare tables by flight date (rules/fares.yml, ledger.pp)
    segments: "SegmentTable | None" = None    # segment miles 区間基本マイレージ (rules/segments.yml, ledger.pp)
    carriers: "CarrierRules | None" = None    # flight-number designators: ANA group or partner (rules/carriers.yml)

    def find_municipality(self, text: str | None) -> Municipality | None:
        """The municipality meant by an id, a name, or its point service's name, in either language."""
        return _named(((m.id, m.aliases, m) for m in self.municipalities.values()), text)

    def find_prefecture(self, text: str | None) -> str | None:
        return _named(((pid, aliases, pid) for pid, aliases in self.prefecture_aliases.items()), text)

    def municipalities_in(self, prefecture: str) -> list[Municipality]:
        return [m for m in self.municipalities.values() if m.prefecture == prefecture]

    def find_event(self, text: str | None) -> Event | None:
        return _named(((e.id, e.aliases, e) for e in self.events.values()), text)

    def coupon_partner(self, prefix: str) -> Partner | None:
        return next((p for p in self.partners.values() if p.coupon_prefix and p.coupon_prefix == prefix), None)

    def link_partners(self) -> list[Partner]:
        """Partners reached by ID linkage (移行用のサービスID設定), in the rules file's order."""
        return [p for p in self.partners.values() if p.transfer == "link"]

    def find_partner(self, text: str | None) -> Partner | None:
        """The partner a user means by `text` (an id, a name or an alias in either language)."""
        return _named(((p.id, p.aliases, p) for p in self.partners.values()), text)


def normalize_name(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def _named(candidates, text: str | None):
    """The first `found` of (id, aliases, found) whose id or one of its aliases is what `text` says."""
    if not text:
        return None
    wanted = normalize_name(text)
    return next((found for cid, aliases, found in candidates if wanted == cid or wanted in aliases), None)


def _date(value) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _partner(pid: str, raw: dict) -> Partner:
    rates = tuple(
        Rate(
            valid_from=_date(r["valid_from"]),
            valid_until=_date(r.get("valid_until")),
            unit=int(r["unit"]),
            reserved_per_unit=int(r["reserved_per_unit"]),
            minimum=int(r.get("minimum", 0)),
            source=r["source"],
            verified=bool(r["verified"]),
        )
        for r in raw["rates"]
    )
    campaigns = tuple(
        Campaign(
            id=c["id"],
            valid_from=_date(c["valid_from"]),
            valid_until=_date(c["valid_until"]),
            unit=int(c["unit"]),
            municipal_per_unit=int(c["municipal_per_unit"]),
            municipalities=tuple(c["municipalities"]),
            source=c["source"],
            verified=bool(c["verified"]),
        )
        for c in raw.get("campaigns", [])
    )
    return Partner(
        id=pid,
        names=dict(raw["names"]),
        unit_name=dict(raw["unit_name"]),
        aliases=tuple(normalize_name(a) for a in raw.get("aliases", [])),
        transfer=raw["transfer"],
        link_activation_days=int(raw.get("link_activation_days", 0)),
        wallet_first=int(raw.get("wallet_first", 0)),
        rates=rates,
        campaigns=campaigns,
        coupon_prefix=str(raw.get("coupon_prefix", "")),
        wallet_source=str(raw.get("wallet_source", "")),
    )


def _names(raw: dict) -> dict[str, str]:
    return {k: str(v) for k, v in raw.items()}


def _places(raw: dict) -> tuple[dict, dict, dict, dict, ReservedPolicy]:
    municipalities: dict[str, Municipality] = {}
    prefectures: dict[str, dict[str, str]] = {}
    prefecture_aliases: dict[str, tuple[str, ...]] = {}
    for pref_id, pref in raw["prefectures"].items():
        prefectures[pref_id] = _names(pref["names"])
        prefecture_aliases[pref_id] = tuple(
            normalize_name(a) for a in [*pref.get("aliases", []), *pref["names"].values()])
        for mid, m in pref["municipalities"].items():
            aliases = [*m.get("aliases", []), *m["names"].values(), *m.get("aliases_of_service", []),
                       *m["point_service"].values()]
            municipalities[mid] = Municipality(
                id=mid, names=_names(m["names"]), prefecture=pref_id, prefecture_names=_names(pref["names"]),
                service_names=_names(m["point_service"]), aliases=tuple(normalize_name(a) for a in aliases),
                source=m["source"], verified=bool(m["verified"]),
            )
    events = {
        eid: Event(
            id=eid, names=_names(e["names"]), municipality=e["municipality"], valid_from=_date(e["valid_from"]),
            valid_until=_date(e["valid_until"]),
            aliases=tuple(normalize_name(a) for a in [*e.get("aliases", []), *e["names"].values()]),
            source=e["source"], verified=bool(e["verified"]),
        )
        for eid, e in (raw.get("events") or {}).items()
    }
    r = raw["reserved_points"]
    reserved = ReservedPolicy(auto_move_after_days=int(r["auto_move_after_days"]),
                              notice_days_before=int(r["notice_days_before"]), source=r["source"])
    return municipalities, prefectures, prefecture_aliases, events, reserved


def _status(raw: dict) -> StatusRules:
    status = raw["status"]
    crediting = raw["crediting"]
    return StatusRules(
        tiers=tuple(
            Tier(id=t["id"], names=dict(t["names"]), pp=int(t["pp"]), ana_group_pp=int(t["ana_group_pp"]))
            for t in raw["tiers"]
        ),
        ana_group_credit_days=int(crediting["ana_group_days_after_flight"]),
        partner_credit_days=tuple(int(d) for d in crediting["partner_days_after_flight"]),
        days_after_crediting=int(status["days_after_crediting"]),
        early_months_advance_from=(status["early_months_advance_from"]["month"], status["early_months_advance_from"]["day"]),
        main_status_from=(status["main_status_from"]["month"], status["main_status_from"]["day"]),
        main_status_until=(status["main_status_until"]["month"], status["main_status_until"]["day"]),
        card_weeks=tuple(int(w) for w in status["card_weeks"]),
        card_observed_days=tuple(int(d) for d in status["card_observed_days"]),
        early_months_official=str(status["early_months_official"]),
        sfc_from_tier=str(raw["sfc"]["from_tier"]),
        sources=(raw["thresholds_source"], crediting["source"], status["source"]),
    )


def load_rules(directory: Path = RULES_DIR) -> Rules:
    partners_raw = yaml.safe_load((directory / "partners.yml").read_text(encoding="utf-8"))
    status_raw = yaml.safe_load((directory / "status.yml").read_text(encoding="utf-8"))
    places_raw = yaml.safe_load((directory / "municipalities.yml").read_text(encoding="utf-8"))
    partners = {pid: _partner(pid, raw) for pid, raw in partners_raw["partners"].items()}
    municipalities, prefectures, prefecture_aliases, events, reserved = _places(places_raw)
    c = partners_raw["coupon_policy"]
    coupons = CouponPolicy(valid_days=int(c["valid_days"]), max_failures=int(c["max_failures"]),
                           failure_window_minutes=int(c["failure_window_minutes"]),
                           lock_minutes=int(c["lock_minutes"]), verified=bool(c["verified"]))
    from ledger.flights import parse_carriers  # here: these import ledger.model, not the reverse
    from ledger.pp import parse_fares, parse_segments

    fares = parse_fares(yaml.safe_load((directory / "fares.yml").read_text(encoding="utf-8")))
    segments = parse_segments(yaml.safe_load((directory / "segments.yml").read_text(encoding="utf-8")))
    carriers = parse_carriers(yaml.safe_load((directory / "carriers.yml").read_text(encoding="utf-8")))
    return Rules(partners=partners, status=_status(status_raw), municipalities=municipalities,
                 prefectures=prefectures, prefecture_aliases=prefecture_aliases, events=events,
                 reserved=reserved, coupons=coupons, fares=fares, segments=segments,
                 carriers=carriers)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return load_rules()
