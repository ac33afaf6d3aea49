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
    from_amount: int        # partner points or miles debited
    wallet_used: int        # Saison 永久不滅ウォレット used first
    to: str                 # "reserved" or "municipal:<id>"
    to_amount: int
    units: int
    rate_unit: int
    rate_per_unit: int
    verified: bool
    source: str
    quoted_on: dt.date

    def facts(self, status: str) -> dict[str, Any]:
        return {
            "kind": "conversion",
            "partner": self.partner,
            "from_amount": self.from_amount,
            "to": self.to,
            "to_amount": self.to_amount,
            "rate": {"unit": self.rate_unit, "per_unit": self.rate_per_unit, "verified": self.verified},
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
