"""Flights from a CSV file (搭乗履歴のCSV取り込み), checked row by row before anything is stored.

    date,pp,ana_group,origin,destination,fare,flight_number
    2026-06-08,1342,yes,,,,
    2026-06-09,,yes,OKA,HND,Standard,          ← no PP: computed from route and fare (1,774 PP)
    2026-06-10,2000,,,,,UA837                  ← the flight number's carrier says partner

Columns (any order, header required): `date` always; `pp`, or `origin` and `destination` (IATA code or
airport name, 羽田/那覇 too) with a `fare` (and optionally `cabin`) to compute the PP with `ledger.pp`;
`ana_group` (yes/no), which may be empty when a `flight_number` (NH123, UA837, …) says it. A row with
a route but no PP gets its PP computed here, at planning time, so an unknown route or fare is that
row's problem, named with its line number, like any other.

Pure: text in, a `FlightImport` plan out (rows to log, bad rows with their line numbers). The caller
logs the rows with `Ledger.log_flight` only when no row is bad. Each row's idempotency key comes from
its content and its occurrence number among identical rows of the file, so importing the same file
again adds nothing (a flight deleted or edited since is not brought back), and two identical flights
on one day (there and back at the same fare) stay two flights.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field

from ledger import pp as pp_rules
from ledger.flights import ANA, PARTNER, flight_number as read_flight_number
from ledger.i18n import t
from ledger.model import Refusal
from ledger.rules import Rules, default_rules
from ledger.services import FIRST_PP_YEAR, MAX_PP_PER_FLIGHT

REQUIRED = ("date",)
OPTIONAL = ("pp", "ana_group", "origin", "destination", "fare", "cabin", "flight_number")
TRUE = {"true", "yes", "y", "1", "ana"}
FALSE = {"false", "no", "n", "0", "partner"}
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$", re.ASCII)
_PP = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$", re.ASCII)  # ASCII digits only: "２，０００" is refused
MAX_ROWS = 100_000


@dataclass(frozen=True)
class FlightRow:
    line: int
    flown_on: dt.date
    premium_points: int
    ana_group: bool
    idempotency_key: str
    segment: dict | None = None          # origin, destination, fare, cabin as given
    flight_number: str | None = None     # normalized: NH123
    pp_from_route: bool = False          # PP computed from route and fare (log with premium_points=None)

    @property
    def given_pp(self) -> int | None:
        """The PP to hand to `Ledger.log_flight` (None: computed again there from the segment, same rules)."""
        return None if self.pp_from_route else self.premium_points


@dataclass(frozen=True)
class RowProblem:
    line: int
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(self.problems)


@dataclass
class FlightImport:
    rows: list[FlightRow] = field(default_factory=list)
    bad: list[RowProblem] = field(default_factory=list)      # the whole file is refused when any
    header_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.header_error is None and not self.bad


def _date(text: str, today: dt.date) -> tuple[dt.date | None, str | None]:
    match = _DATE.match(text)
    if not match:
        return None, f"date {text!r} is not a date like 2026-06-08"
    try:
        day = dt.date(*map(int, match.groups()))
    except ValueError:
        return None, f"date {text!r} does not exist"
    if day > today:
        return None, f"date {day.isoformat()} is in the future (today is {today.isoformat()})"
    if day.year < FIRST_PP_YEAR:
        return None, f"date {day.isoformat()} is before {FIRST_PP_YEAR}, when premium points began"
    return day, None


def _pp(text: str) -> tuple[int | None, str | None]:
    if not _PP.match(text):
        return None, f"pp {text!r} is not a whole number of points"
    value = int(text.replace(",", ""))
    if not 0 < value <= MAX_PP_PER_FLIGHT:
        return None, f"pp {value:,} is not between 1 and {MAX_PP_PER_FLIGHT:,}"
    return value, None


def _key(user_id: str, cells: tuple[str, ...], occurrence: int) -> str:
    digest = hashlib.sha256("\x1f".join((user_id, *cells, str(occurrence))).encode()).hexdigest()[:32]
    return f"csv:{user_id}:{digest}"


def _refusal_text(refusal: Refusal) -> str:
    """A refusal in English words, as the assistant would say it."""
    details = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v) for k, v in refusal.details.items()}
    try:
        return t(f"refusal.{refusal.reason}", "en", **details)
    except KeyError:
        return refusal.reason


def _group(row: dict, rules: Rules) -> tuple[bool | None, str | None, str | None]:
    """(ana_group, normalized flight number, problem) from the ana_group and flight_number cells."""
    group_text = row.get("ana_group", "").lower()
    if group_text and group_text not in TRUE | FALSE:
        return None, None, f"ana_group {row['ana_group']!r} is not yes/no (true/false, 1/0)"
    said = (group_text in TRUE) if group_text else None
    number = None
    if row.get("flight_number"):
        try:
            number, carrier = read_flight_number(row["flight_number"], rules)
        except Refusal as refusal:
            return None, None, f"flight_number {row['flight_number']!r}: {_refusal_text(refusal)}"
        by_number = carrier == ANA
        if said is not None and said != by_number:
            return None, None, (f"flight_number {number} is {'an ANA-group' if by_number else 'a partner'} flight "
                                f"but ana_group says {row['ana_group']!r}")
        said = by_number
    if said is None:
        return None, None, "ana_group is empty (give yes/no, or a flight_number)"
    return said, number, None


def parse_flights_csv(text: str, user_id: str, today: dt.date, rules: Rules | None = None) -> FlightImport:
    """Check every row of the CSV `text` for `user_id`; `today` (Tokyo) bounds the dates.

    Rows with a route and a fare but no PP get their PP computed with `rules` (default: the packaged rules)."""
    rules = rules or default_rules()
    plan = FlightImport()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header_row = next(reader, None)
    if header_row is None:
        plan.header_error = "the file is empty (expected a header: date,pp,ana_group)"
        return plan
    header = [h.strip().lower() for h in header_row]
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    missing = [h for h in REQUIRED if h not in header]
    if "ana_group" not in header and "flight_number" not in header:
        missing.append("ana_group")
    if "pp" not in header and not {"origin", "destination"} <= set(header):
        missing.append("pp")
    if unknown or missing or len(set(header)) != len(header):
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(repr(h) for h in unknown))
        if len(set(header)) != len(header):
            parts.append("a column appears twice")
        plan.header_error = ("header: " + "; ".join(parts) + " (expected date,pp,ana_group and optionally "
                             "origin,destination,fare,cabin,flight_number)")
        return plan
    seen: dict[tuple[str, ...], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(plan.rows) + len(plan.bad) >= MAX_ROWS:
            plan.bad.append(RowProblem(line, (f"more than {MAX_ROWS:,} rows; split the file",)))
            break
        if len(cells) != len(header):
            plan.bad.append(RowProblem(line, (f"{len(cells)} values for {len(header)} columns",)))
            continue
        row = {h: c.strip() for h, c in zip(header, cells)}
        problems = []
        day, problem = _date(row["date"], today)
        problems += [problem] if problem else []
        ana_group, number, problem = _group(row, rules)
        problems += [problem] if problem else []
        pp = None
        route = bool(row.get("origin") and row.get("destination"))
        if row.get("pp"):
            pp, problem = _pp(row["pp"])
            problems += [problem] if problem else []
        elif not route:
            problems.append("pp is empty (give the PP, or origin, destination and fare to compute them)")
        segment = None
        if route:  # a partner's "fare" is its accrual rate in percent (125 or 125%), as ANA's partner chart gives it
            segment = {"origin": row["origin"], "destination": row["destination"], "fare": row.get("fare") or None,
                       "cabin": row.get("cabin") or None, "carrier": ANA if ana_group else PARTNER,
                       "partner_rate": None if ana_group else row.get("fare") or None}
        if not problems and pp is None:
            try:
                pp = pp_rules.compute_pp(segment["origin"], segment["destination"], day, segment["fare"],
                                         cabin=segment["cabin"], carrier=segment["carrier"],
                                         partner_rate=segment["partner_rate"], rules=rules).pp
            except Refusal as refusal:
                where = " ".join(x for x in (f"{row['origin']}–{row['destination']}", row.get("fare", "")) if x)
                problems.append(f"{where}: {_refusal_text(refusal)}")
        if problems:
            plan.bad.append(RowProblem(line, tuple(problems)))
            continue
        content = (day.isoformat(), str(pp) if row.get("pp") else "", str(ana_group), row.get("origin", "").upper(),
                   row.get("destination", "").upper(), row.get("fare", ""))
        content += tuple(f"{k}:{v}" for k, v in (("flight_number", number), ("cabin", row.get("cabin"))) if v)
        seen[content] = seen.get(content, 0) + 1
        plan.rows.append(FlightRow(line, day, pp, ana_group, _key(user_id, content, seen[content]),
                                   segment=segment, flight_number=number, pp_from_route=not row.get("pp")))
    return plan
