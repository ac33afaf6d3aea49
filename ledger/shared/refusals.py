"""Refusals: something the user asked for cannot be done, and nothing in the ledger changed.

A refusal carries a stable `reason` code (the contract's facts `"reason"`) and the values needed to
explain it in either language; the words themselves live in the message catalogue (`i18n/`).
"""
from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """Something the user asked for cannot be done; nothing in the ledger changed."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class InvalidAmount(Refusal):
    """An amount that is not a whole positive number of points (e.g. "-5", "1e9", "2.5")."""
