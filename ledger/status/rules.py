"""ANA premium status rules as data (`rules/status.yml`, `fares.yml`, `segments.yml`, `carriers.yml`): the tiers
and their thresholds, when PP are credited and when a status starts and ends, the fare tables, segment miles
and which carriers count as ANA group — each with its source.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.shared.data_files import read_yaml
from ledger.status.carriers import CarrierRules, parse_carriers
from ledger.status.fares import FareRules, SegmentTable, parse_fares, parse_segments


@dataclass(frozen=True)
class Tier:
    """A premium tier (ブロンズ・プラチナ・ダイヤモンド): PP in a calendar year, and how many on ANA-group flights."""

    id: str
    names: dict[str, str]
    pp: int
    ana_group_pp: int

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]


@dataclass(frozen=True)
class StatusRules:
    """The tiers, and the timing of crediting and of a status (事前サービス, main status, the card)."""

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
class PremiumRules:
    """Everything the status side (ANA プレミアムメンバー) decides by, loaded from the rules files."""

    status: StatusRules
    fares: FareRules            # PP fare tables by flight date (ledger.status.fares)
    segments: SegmentTable      # segment miles 区間基本マイレージ
    carriers: CarrierRules      # flight-number designators: ANA group or partner


def _status(raw: dict) -> StatusRules:
    status = raw["status"]
    crediting = raw["crediting"]
    return StatusRules(
        tiers=tuple(Tier(id=t["id"], names=dict(t["names"]), pp=int(t["pp"]), ana_group_pp=int(t["ana_group_pp"]))
                    for t in raw["tiers"]),
        ana_group_credit_days=int(crediting["ana_group_days_after_flight"]),
        partner_credit_days=tuple(int(d) for d in crediting["partner_days_after_flight"]),
        days_after_crediting=int(status["days_after_crediting"]),
        early_months_advance_from=(status["early_months_advance_from"]["month"],
                                   status["early_months_advance_from"]["day"]),
        main_status_from=(status["main_status_from"]["month"], status["main_status_from"]["day"]),
        main_status_until=(status["main_status_until"]["month"], status["main_status_until"]["day"]),
        card_weeks=tuple(int(w) for w in status["card_weeks"]),
        card_observed_days=tuple(int(d) for d in status["card_observed_days"]),
        early_months_official=str(status["early_months_official"]),
        sfc_from_tier=str(raw["sfc"]["from_tier"]),
        sources=(raw["thresholds_source"], crediting["source"], status["source"]),
    )


def load_premium_rules(directory: Path) -> PremiumRules:
    """`status.yml`, `fares.yml`, `segments.yml` and `carriers.yml` in `directory` → PremiumRules."""
    def read(name: str) -> dict:
        return read_yaml(directory / name)

    return PremiumRules(status=_status(read("status.yml")), fares=parse_fares(read("fares.yml")),
                        segments=parse_segments(read("segments.yml")), carriers=parse_carriers(read("carriers.yml")))
