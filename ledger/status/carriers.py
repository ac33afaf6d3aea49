"""Carriers and flight numbers (便名): which airline a flight number names, and whether its PP count as ANA group.

- `parse_carriers(raw)`: `rules/carriers.yml` → `CarrierRules` (sourced: NH is ANA group, Star Alliance codes
  are partners).
- `flight_number(text, carriers)`: a flight number as typed — "NH123", "nh 123", "ANA 0123", "ＮＨ１２３便" —
  normalized to "NH123", with the carrier that decides how its PP count: "ana" (ANA group, toward the
  ANA-group part of a status) or "partner" (a Star Alliance member, toward the total only).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ledger.shared.refusals import Refusal

ANA = "ana"
PARTNER = "partner"
MAX_FLIGHT_NUMBER_DIGITS = 4
_IATA = re.compile(r"^([A-Z][A-Z0-9]|[0-9][A-Z])(\d{1,4})$", re.ASCII)
_ICAO = re.compile(r"^([A-Z]{3})(\d{1,4})$", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-‐‑–—ー_.]+")


@dataclass(frozen=True)
class Carrier:
    code: str                 # IATA designator: NH, UA, …
    icao: str                 # ANA, UAL, … ("" when not listed)
    kind: str                 # "ana" | "partner"
    names: dict[str, str]
    source: str
    verified: bool

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]


@dataclass(frozen=True)
class CarrierRules:
    carriers: dict[str, Carrier]      # by IATA code
    by_icao: dict[str, Carrier]

    def find(self, code: str) -> Carrier | None:
        return self.carriers.get(code) or self.by_icao.get(code)


def parse_carriers(raw: dict) -> CarrierRules:
    sources = {k: " ".join(str(v).split()) for k, v in raw["sources"].items()}
    carriers: dict[str, Carrier] = {}
    for kind, key in ((ANA, "ana_group"), (PARTNER, "partner")):
        for c in raw[key]:
            code = str(c["code"]).upper()
            if code in carriers:
                raise ValueError(f"carriers.yml: {code} listed twice")
            if c["source"] not in sources:
                raise ValueError(f"carriers.yml: {code} cites an unknown source {c['source']}")
            carriers[code] = Carrier(code=code, icao=str(c.get("icao", "")).upper(), kind=kind,
                                     names={k: str(v) for k, v in c["names"].items()},
                                     source=sources[c["source"]], verified=bool(c["verified"]))
    by_icao = {c.icao: c for c in carriers.values() if c.icao}
    return CarrierRules(carriers=carriers, by_icao=by_icao)


def flight_number(text: str, carriers: CarrierRules) -> tuple[str, str]:
    """("NH123", "ana") for "NH123", "nh 123", "ANA123", "ANA 0123", "ＮＨ１２３", "NH-123便".

    Refusal("bad_flight_number") when it is not a flight number (a designator and 1–4 digits);
    Refusal("unknown_carrier") when the designator is not ANA group nor a Star Alliance member.
    """
    given = str(text or "")[:40]
    folded = unicodedata.normalize("NFKC", given).upper().strip()
    folded = _SEPARATORS.sub("", folded.removesuffix("便"))
    match = _ICAO.match(folded)
    if match and (carriers.by_icao.get(match.group(1)) or not _IATA.match(folded)):
        code, digits = match.groups()
    else:
        match = _IATA.match(folded)
        if not match:
            raise Refusal("bad_flight_number", given=given)
        code, digits = match.groups()
    number = int(digits)
    if number == 0:
        raise Refusal("bad_flight_number", given=given)
    carrier = carriers.find(code)
    if carrier is None:
        raise Refusal("unknown_carrier", given=code, known=["ana", "partner"])
    return f"{carrier.code}{number}", carrier.kind
