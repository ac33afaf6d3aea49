"""Rules as data: partner rates and campaigns, status thresholds and timing, each with dates and a source.

Loaded from the versioned YAML files in `ledger/rules/`; nothing here is hard-coded policy.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

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

    def tier(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(tier_id)


@dataclass(frozen=True)
class Rules:
    partners: dict[str, Partner]
    status: StatusRules

    def link_partners(self) -> list[Partner]:
        """Partners reached by ID linkage (移行用のサービスID設定), in the rules file's order."""
        return [p for p in self.partners.values() if p.transfer == "link"]

    def find_partner(self, text: str | None) -> Partner | None:
        """The partner a user means by `text` (an id, a name or an alias in either language)."""
        if not text:
            return None
        wanted = normalize_name(text)
        for partner in self.partners.values():
            if wanted == partner.id or wanted in partner.aliases:
                return partner
        return None


def normalize_name(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


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
    )


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
        sources=(raw["thresholds_source"], crediting["source"], status["source"]),
    )


def load_rules(directory: Path = RULES_DIR) -> Rules:
    partners_raw = yaml.safe_load((directory / "partners.yml").read_text(encoding="utf-8"))
    status_raw = yaml.safe_load((directory / "status.yml").read_text(encoding="utf-8"))
    partners = {pid: _partner(pid, raw) for pid, raw in partners_raw["partners"].items()}
    return Rules(partners=partners, status=_status(status_raw))


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return load_rules()
