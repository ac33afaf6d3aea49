"""Flights from a CSV file (搭乗履歴のCSV取り込み), checked row by row before anything is stored.

    date,pp,ana_group[,origin,destination,fare]
    2026-06-08,1342,yes
    2026-06-09,,yes,OKA,HND,ANA VALUE 3     ← no PP: needs PP computation, skipped for now

Pure: text in, a `FlightImport` plan out (rows to log, bad rows with their line numbers, rows that
need PP computation). The caller logs the rows with `Ledger.log_flight` only when no row is bad.
Each row's idempotency key comes from its content and its occurrence number among identical rows
of the file, so importing the same file again adds nothing, and two identical flights on one day
(there and back at the same fare) stay two flights.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field

from ledger.services import FIRST_PP_YEAR, MAX_PP_PER_FLIGHT

REQUIRED = ("date", "ana_group")
OPTIONAL = ("pp", "origin", "destination", "fare")
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
    needs_pp: list[int] = field(default_factory=list)         # line numbers: route given, PP not (yet) computed
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


def parse_flights_csv(text: str, user_id: str, today: dt.date) -> FlightImport:
    """Check every row of the CSV `text` for `user_id`; `today` (Tokyo) bounds the dates."""
    plan = FlightImport()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header_row = next(reader, None)
    if header_row is None:
        plan.header_error = "the file is empty (expected a header: date,pp,ana_group)"
        return plan
    header = [h.strip().lower() for h in header_row]
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    missing = [h for h in REQUIRED if h not in header]
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
        plan.header_error = ("header: " + "; ".join(parts) +
                             " (expected date,pp,ana_group and optionally origin,destination,fare)")
        return plan
    seen: dict[tuple[str, ...], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(plan.rows) + len(plan.bad) + len(plan.needs_pp) >= MAX_ROWS:
            plan.bad.append(RowProblem(line, (f"more than {MAX_ROWS:,} rows; split the file",)))
            break
        if len(cells) != len(header):
            plan.bad.append(RowProblem(line, (f"{len(cells)} values for {len(header)} columns",)))
            continue
        row = {h: c.strip() for h, c in zip(header, cells)}
        problems = []
        day, problem = _date(row["date"], today)
        problems += [problem] if problem else []
        group_text = row["ana_group"].lower()
        if group_text not in TRUE | FALSE:
            problems.append(f"ana_group {row['ana_group']!r} is not yes/no (true/false, 1/0)")
        pp = None
        if row.get("pp"):
            pp, problem = _pp(row["pp"])
            problems += [problem] if problem else []
        elif not (row.get("origin") and row.get("destination")):
            problems.append("pp is empty (give the PP, or origin and destination for a later computation)")
        if problems:
            plan.bad.append(RowProblem(line, tuple(problems)))
            continue
        if pp is None:
            plan.needs_pp.append(line)
            continue
        ana_group = group_text in TRUE
        content = (day.isoformat(), str(pp), str(ana_group), row.get("origin", "").upper(),
                   row.get("destination", "").upper(), row.get("fare", ""))
        seen[content] = seen.get(content, 0) + 1
        plan.rows.append(FlightRow(line, day, pp, ana_group, _key(user_id, content, seen[content])))
    return plan
