"""Finding a thing by what people call it, and reading dates out of the rules files."""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Iterable, TypeVar

Found = TypeVar("Found")


def normalize_name(text: str) -> str:
    """NFKC, trimmed, lower case: "ＪＡＬ", " jal " and "Jal" are the same name."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def find_named(candidates: Iterable[tuple[str, tuple[str, ...], Found]], text: str | None) -> Found | None:
    """The first `found` of (id, aliases, found) whose id or one of its (normalized) aliases is what `text` says."""
    if not text:
        return None
    wanted = normalize_name(text)
    return next((found for cid, aliases, found in candidates if wanted == cid or wanted in aliases), None)


def rules_date(value) -> dt.date | None:
    """A date as YAML gives it (a date, or an ISO string), or None."""
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
