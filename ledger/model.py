"""Domain values and refusals. Plain Python: no database, no framework.

A refusal carries a stable `reason` code (the contract's facts `"reason"`) and the numbers
needed to explain it in either language.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

RESERVED = "reserved"  # 留保ポイント
MAX_AMOUNT = 10**9      # above any real balance; larger numbers are refused as typos


class Refusal(Exception):
    """Something the user asked for cannot be done; nothing in the ledger changed."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class InvalidAmount(Refusal):
    """An amount that is not a whole positive number of points (e.g. "-5", "1e9", "2.5")."""


@dataclass(frozen=True)
class Quote:
    """What an exchange will do, told to the user before they confirm."""

    user_id: str
    partner: str
    from_amount: int        # partner points or miles the user asked to exchange
    wallet_used: int        # Saison 永久不滅ウォレット used first (450 for a unit)
    to: str                 # "reserved" or "municipal:<id>"
    to_amount: int
    units: int
    rate_unit: int
    rate_per_unit: int
    verified: bool
    source: str
    quoted_on: dt.date
    points_used: int | None = None  # partner points actually debited (from_amount less the units paid from the wallet)
    campaign: str | None = None     # campaign id when the rate is a campaign's (直接 to a municipality)
    campaign_until: dt.date | None = None

    @property
    def points_debited(self) -> int:
        return self.from_amount if self.points_used is None else self.points_used

    def entries(self) -> list[tuple[str, int]]:
        """The journal entries this exchange writes: one credit, to reserved points or to a municipality."""
        return [(self.to, self.to_amount)]

    def facts(self, status: str) -> dict[str, Any]:
        return {
            "kind": "conversion",
            "partner": self.partner,
            "from_amount": self.from_amount,
            "points_used": self.points_debited,
            "wallet_used": self.wallet_used,
            "to": self.to,
            "to_amount": self.to_amount,
            "units": self.units,
            "rate": {"unit": self.rate_unit, "per_unit": self.rate_per_unit, "verified": self.verified},
            "campaign": self.campaign,
            "campaign_until": self.campaign_until.isoformat() if self.campaign_until else None,
            "status": status,
        }


@dataclass(frozen=True)
class Balance:
    reserved: int
    municipal: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    partners: dict[str, int] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        return {
            "kind": "balance",
            "reserved": self.reserved,
            "municipal": dict(self.municipal),
            "events": dict(self.events),
            "partners": dict(self.partners),
        }
