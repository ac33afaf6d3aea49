"""ANA premium status rules as data (`rules/status.yml`, `fares.yml`, `segments.yml`, `carriers.yml`): the tiers
and their thresholds, when PP are credited and when a status starts and ends, the fare tables, segment miles
and which carriers count as ANA group — each with its source.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ledger.shared.data_files import read_yaml
from ledger.shared.names import rules_date
from ledger.shared.provenance import Confirmed, RuleCheck, check_rules, confirmed
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
    card_observed_days: tuple[int, int]
    early_months_official: tuple[int, str]      # (4, "mid"): ANA's own word for Jan–Mar crossings, 「4月中旬」
    early_months_observed: tuple[int, int]      # (4, 2): seen as early as this day
    pp_formula_since: dt.date                   # the PP formula in use since (January 2008)
    confirmed: tuple[Confirmed, ...]            # thresholds, crediting, status timing, the PP formula
    sfc_from_tier: str = "platinum"
    notice_hour: int = 8                        # status notices are due at this hour (Tokyo) on their day

    @property
    def official_advance_en(self) -> str:
        """ANA's word for when Jan–Mar crossings start, as facts carry it: "mid-April"."""
        month, part = self.early_months_official
        name = calendar.month_name[month]
        return f"mid-{name}" if part == "mid" else f"{part} {name}"

    def check(self, day: dt.date, *more: Confirmed | None) -> RuleCheck:
        """Whether an answer for `day` can lean on the status rules (and on `more`, e.g. a fare table)."""
        return check_rules(day, [*self.confirmed, *more])

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
    if status["early_months_official"]["part"] not in ("early", "mid", "late"):
        raise ValueError("rules: status.early_months_official.part is early, mid or late (上旬・中旬・下旬)")
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
        early_months_official=(int(status["early_months_official"]["month"]), str(status["early_months_official"]["part"])),
        early_months_observed=(int(status["early_months_observed"]["month"]), int(status["early_months_observed"]["day"])),
        pp_formula_since=rules_date(raw["pp_formula"]["since"]),
        confirmed=(confirmed({"confirmed_on": raw["thresholds_confirmed_on"]}, "thresholds", source=raw["thresholds_source"]),
                   confirmed(crediting, "crediting"), confirmed(status, "status"),
                   confirmed(raw["pp_formula"], "pp_formula")),
        sfc_from_tier=str(raw["sfc"]["from_tier"]),
        notice_hour=int((raw.get("notices") or {}).get("morning_hour", 8)),
        sources=(raw["thresholds_source"], crediting["source"], status["source"]),
    )


def load_premium_rules(directory: Path) -> PremiumRules:
    """`status.yml`, `fares.yml`, `segments.yml` and `carriers.yml` in `directory` → PremiumRules."""
    def read(name: str) -> dict:
        return read_yaml(directory / name)

    return PremiumRules(status=_status(read("status.yml")), fares=parse_fares(read("fares.yml")),
                        segments=parse_segments(read("segments.yml")), carriers=parse_carriers(read("carriers.yml")))
