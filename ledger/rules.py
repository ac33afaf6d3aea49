"""The rules of both domains, as one value: everything in `ledger/rules/*.yml`, loaded once.

`Rules` is a `PointsRules` (MyKey Platform: partners, municipalities, events, policies) and a
`PremiumRules` (ANA status: tiers and timing, fares, segment miles, carriers) at once, so the composition
root hands the same value to both domains while neither knows the other. Services never load rules
themselves: they are a required argument, given by `ledger.bootstrap` (or by a test).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from ledger.points.rules import PointsRules, load_points_rules
from ledger.status.rules import PremiumRules, load_premium_rules

RULES_DIR = Path(__file__).resolve().parent / "rules"


@dataclass(frozen=True)
class Rules(PointsRules, PremiumRules):
    """Both domains' rules (each domain reads only its own part)."""


def load_rules(directory: Path = RULES_DIR) -> Rules:
    points, premium = load_points_rules(directory), load_premium_rules(directory)
    return Rules(**{f.name: getattr(points, f.name) for f in fields(PointsRules)},
                 **{f.name: getattr(premium, f.name) for f in fields(PremiumRules)})


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The packaged rules, loaded once per process (what `ledger.bootstrap` uses unless given others)."""
    return load_rules()
