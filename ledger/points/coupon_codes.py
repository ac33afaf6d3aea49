"""Coupon codes (クーポンコード): how they look, how they are made, how a typed one is read back.

A code is `PPP-XXXX-XXXX-C`: the partner's prefix, eight random characters, and a Luhn mod N check
character over them in the same 32-character alphabet (python-stdnum), which catches every single mistyped
character and most swapped neighbours before the database is asked. The alphabet is Crockford's
base 32: no I, L, O or U, and a typed O is read as 0, I and L as 1.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from stdnum import luhn

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(r"^([A-Z]{2,4})([0-9A-Z]{%d})([0-9A-Z])$" % BODY_LENGTH)


@dataclass(frozen=True)
class CouponCode:
    prefix: str
    body: str
    check: str

    def __str__(self) -> str:
        return f"{self.prefix}-{self.body[:4]}-{self.body[4:]}-{self.check}"

    @property
    def check_ok(self) -> bool:
        return luhn.calc_check_digit(self.body, alphabet=ALPHABET) == self.check


def new_code(prefix: str) -> CouponCode:
    """A fresh random code; the check character covers the random part (the prefix names a known partner)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return CouponCode(prefix, body, luhn.calc_check_digit(body, alphabet=ALPHABET))


def read_code(text: str) -> CouponCode | None:
    """A typed code in its canonical form, or None when it does not have a coupon code's shape.

    Accepts full-width characters, lower case, spaces or no separators, and look-alike letters
    in the random part (O → 0, I/L → 1).
    """
    cleaned = unicodedata.normalize("NFKC", text or "").upper()
    cleaned = re.sub(r"[\s\-‐－ー_]", "", cleaned)
    match = _SHAPE.match(cleaned)
    if match is None:
        return None
    prefix, body, check = match.groups()
    body, check = body.translate(_LOOKALIKES), check.translate(_LOOKALIKES)
    if any(c not in ALPHABET for c in body + check):
        return None
    return CouponCode(prefix, body, check)
