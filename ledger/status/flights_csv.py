"""Flights from a CSV file (搭乗履歴のCSV取り込み): every row checked before anything is stored, then all rows
logged in one unit of work — a file is imported whole or not at all.

    date,pp,ana_group,origin,destination,fare,flight_number
    2026-06-08,1342,yes,,,,
    2026-06-09,,yes,OKA,HND,Standard,          ← no PP: computed from route and fare (1,774 PP)
    2026-06-10,2000,,,,,UA837                  ← the flight number's carrier says partner

Columns (any order, header required): `date` always; `pp`, or `origin` and `destination` (IATA code or
airport name, 羽田/那覇 too) with a `fare` (and optionally `cabin`) to compute the PP with `ledger.status.pp`;
`ana_group` (yes/no), which may be empty when a `flight_number` (NH123, UA837, …) says it. A row with
a route but no PP gets its PP computed while the file is checked, so an unknown route or fare is that
row's problem, named with its line number, like any other.

Problems are codes with values (`Problem`); the front end words them (`i18n`, keys `csv.*`). Each row's
idempotency key comes from its content and its occurrence number among identical rows of the file, so
importing the same file again adds nothing (a flight deleted or edited since is not brought back), and two
identical flights on one day (there and back at the same fare) stay two flights.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ledger.shared.checks import checked
from ledger.shared.clock import Clock
from ledger.shared.refusals import Refusal
from ledger.status import notices
from ledger.status import pp as pp_rules
from ledger.status.carriers import ANA, PARTNER
from ledger.status.carriers import flight_number as read_flight_number
from ledger.status.flights import add_flight
from ledger.status.model import MAX_PP_PER_FLIGHT
from ledger.status.rules import PremiumRules
from ledger.storage.unit_of_work import UnitOfWork

REQUIRED = ("date",)
OPTIONAL = ("pp", "ana_group", "origin", "destination", "fare", "cabin", "flight_number")
TRUE = {"true", "yes", "y", "1", "ana"}
FALSE = {"false", "no", "n", "0", "partner"}
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$", re.ASCII)
_PP = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$", re.ASCII)  # ASCII digits only: "２，０００" is refused
MAX_ROWS = 100_000
MAX_FIELD = 200          # characters in one cell: a date, a number, an airport, a fare name


@dataclass(frozen=True)
class Problem:
    """What is wrong with a file or a row: a code (`csv.<code>` in the message catalogue), its values, and the
    refusal behind it when a rule refused the row (an unknown route, carrier or fare)."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)
    refusal: Refusal | None = None


@dataclass(frozen=True)
class FlightRow:
    line: int
    flown_on: dt.date
    premium_points: int
    ana_group: bool
    idempotency_key: str
    segment: dict | None = None          # origin, destination, fare, cabin as given
    flight_number: str | None = None     # normalized: NH123
    pp_from_route: bool = False          # PP computed from route and fare (logged with premium_points=None)

    @property
    def given_pp(self) -> int | None:
        """The PP to log (None: computed again when logged, from the segment, with the same rules)."""
        return None if self.pp_from_route else self.premium_points


@dataclass(frozen=True)
class RowProblem:
    line: int
    problems: tuple[Problem, ...]


@dataclass
class FlightImport:
    """The checked file: rows to log, bad rows with their line numbers, or what is wrong with the header."""

    rows: list[FlightRow] = field(default_factory=list)
    bad: list[RowProblem] = field(default_factory=list)      # the whole file is refused when any
    header_problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.header_problems and not self.bad


def _date(text: str, today: dt.date, pp_since: dt.date) -> tuple[dt.date | None, Problem | None]:
    match = _DATE.match(text)
    if not match:
        return None, Problem("bad_date", {"given": text})
    try:
        day = dt.date(*map(int, match.groups()))
    except ValueError:
        return None, Problem("no_such_date", {"given": text})
    if day > today:
        return None, Problem("future_date", {"day": day.isoformat(), "today": today.isoformat()})
    if day < pp_since:
        return None, Problem("date_before_pp", {"day": day.isoformat(), "first_year": str(pp_since.year)})
    return day, None


def _pp(text: str) -> tuple[int | None, Problem | None]:
    if not _PP.match(text):
        return None, Problem("bad_pp", {"given": text})
    value = int(text.replace(",", ""))
    if not 0 < value <= MAX_PP_PER_FLIGHT:
        return None, Problem("pp_out_of_range", {"pp": value, "maximum": MAX_PP_PER_FLIGHT})
    return value, None


def _key(user_id: str, cells: tuple[str, ...], occurrence: int) -> str:
    digest = hashlib.sha256("\x1f".join((user_id, *cells, str(occurrence))).encode()).hexdigest()[:32]
    return f"csv:{user_id}:{digest}"


def _group(row: dict, rules: PremiumRules) -> tuple[bool | None, str | None, Problem | None]:
    """(ana_group, normalized flight number, problem) from the ana_group and flight_number cells."""
    group_text = row.get("ana_group", "").lower()
    if group_text and group_text not in TRUE | FALSE:
        return None, None, Problem("bad_ana_group", {"given": row["ana_group"]})
    said = (group_text in TRUE) if group_text else None
    number = None
    if row.get("flight_number"):
        try:
            number, carrier = read_flight_number(row["flight_number"], rules.carriers)
        except Refusal as refusal:
            return None, None, Problem("flight_number_refused", {"given": row["flight_number"]}, refusal)
        by_number = carrier == ANA
        if said is not None and said != by_number:
            code = "number_is_ana_group" if by_number else "number_is_partner"
            return None, None, Problem(code, {"number": number, "said": row["ana_group"]})
        said = by_number
    if said is None:
        return None, None, Problem("no_ana_group")
    return said, number, None


def _header_problems(header: list[str]) -> tuple[Problem, ...]:
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    missing = [h for h in REQUIRED if h not in header]
    if "ana_group" not in header and "flight_number" not in header:
        missing.append("ana_group")
    if "pp" not in header and not {"origin", "destination"} <= set(header):
        missing.append("pp")
    problems = []
    if missing:
        problems.append(Problem("missing_columns", {"columns": ", ".join(missing)}))
    if unknown:
        problems.append(Problem("unknown_columns", {"columns": ", ".join(repr(h) for h in unknown)}))
    if len(set(header)) != len(header):
        problems.append(Problem("repeated_column"))
    return tuple(problems)


def _rows(reader, plan: FlightImport):
    """The reader's rows; a row the csv module cannot read (an unclosed quote running on, a huge field) ends the
    file with that line named as bad."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            plan.bad.append(RowProblem(reader.line_num, (Problem("unreadable_row", {"maximum": MAX_FIELD}),)))
            return


def parse_flights_csv(text: str, user_id: str, today: dt.date, rules: PremiumRules) -> FlightImport:
    """Check every row of the CSV `text` for `user_id`; `today` (Tokyo) bounds the dates. Rows with a route and a
    fare but no PP get their PP computed with `rules`."""
    plan = FlightImport()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header_row = next(reader, None)
    if header_row is None:
        plan.header_problems = (Problem("empty_file"),)
        return plan
    header = [h.strip().lower() for h in header_row]
    plan.header_problems = _header_problems(header)
    if plan.header_problems:
        return plan
    seen: dict[tuple[str, ...], int] = {}
    for cells in _rows(reader, plan):
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(plan.rows) + len(plan.bad) >= MAX_ROWS:
            plan.bad.append(RowProblem(line, (Problem("too_many_rows", {"maximum": MAX_ROWS}),)))
            break
        if len(cells) != len(header):
            plan.bad.append(RowProblem(line, (Problem("cell_count", {"cells": len(cells), "columns": len(header)}),)))
            continue
        too_long = [h for h, c in zip(header, cells) if len(c) > MAX_FIELD]
        if too_long:
            plan.bad.append(RowProblem(line, (Problem("field_too_long", {"column": too_long[0], "maximum": MAX_FIELD}),)))
            continue
        row = {h: c.strip() for h, c in zip(header, cells)}
        problems = []
        day, problem = _date(row["date"], today, rules.status.pp_formula_since)
        problems += [problem] if problem else []
        ana_group, number, problem = _group(row, rules)
        problems += [problem] if problem else []
        pp = None
        route = bool(row.get("origin") and row.get("destination"))
        if row.get("pp"):
            pp, problem = _pp(row["pp"])
            problems += [problem] if problem else []
        elif not route:
            problems.append(Problem("no_pp"))
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
                problems.append(Problem("route_refused", {"where": where}, refusal))
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


@dataclass(frozen=True)
class ImportResult:
    """What an import did: nothing when the file had a bad row (`plan.ok` is False)."""

    plan: FlightImport
    added: int = 0
    already: int = 0             # rows an earlier import of this file logged
    retired: int = 0             # rows whose flight was deleted or edited since an earlier import: not added again
    year_pp: dict[int, int] = field(default_factory=dict)

    @property
    def computed(self) -> int:
        """Rows whose PP were computed from route and fare."""
        return sum(row.pp_from_route for row in self.plan.rows)

    def facts(self) -> dict[str, Any]:
        return {"kind": "flights_import", "status": "done" if self.plan.ok else "rejected",
                "rows": len(self.plan.rows), "bad_rows": [p.line for p in self.plan.bad], "added": self.added,
                "already": self.already, "retired": self.retired, "computed": self.computed,
                "year_pp": {str(y): pp for y, pp in self.year_pp.items()}}


Progress = Callable[[int, int], None]


@checked
def import_flights(user_id: str, csv_text: str, *, progress: Progress | None = None, uow: UnitOfWork,
                   rules: PremiumRules, clock: Clock) -> ImportResult:
    """Check the whole file, then log every row in one unit of work: all rows or none, even when something fails
    half-way (a row the ledger refuses, the database, Ctrl-C). `progress(done, total)` is called as rows are logged.
    Importing the same file again adds nothing."""
    now = clock.now()
    today = clock.today()
    plan = parse_flights_csv(csv_text, user_id, today, rules)
    if not plan.ok:
        return ImportResult(plan=plan)
    added = already = retired = 0
    with uow:
        uow.lock_user(user_id)
        for done, row in enumerate(plan.rows, start=1):
            facts, created = add_flight(uow, user_id, row.flown_on, row.given_pp, row.idempotency_key, rules=rules,
                                        today=today, now=now, ana_group=row.ana_group, segment=row.segment,
                                        flight_number=row.flight_number)
            added += created
            already += not created and not facts["deleted"]
            retired += facts["deleted"]
            if progress is not None:
                progress(done, len(plan.rows))
        years = sorted({row.flown_on.year for row in plan.rows})
        year_pp = {year: uow.flights.year_total(user_id, year) for year in years}
        if added:
            notices.reschedule(uow, user_id, rules, now)   # once for the whole file
        uow.commit()
    return ImportResult(plan=plan, added=added, already=already, retired=retired, year_pp=year_pp)
