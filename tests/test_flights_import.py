"""`pointsbot flights import FILE --user ID` (issue 4 item 1, the CSV part): every row checked first,
all or nothing, idempotent per file row, PP computed from route and fare when not given, flight numbers
deciding ANA group or partner."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from test_cli import open_ledger, pointsbot

from ledger.rules import default_rules
from ledger.shared.clock import parse_moment
from ledger.status.flights_csv import parse_flights_csv

TODAY = dt.date(2026, 11, 25)
RULES = default_rules()


def year_pp(var_dir: Path, user: str, year: int) -> list[tuple[dt.date, int, bool]]:
    the_ledger = open_ledger(var_dir)
    try:
        return [(f.flown_on, f.premium_points, f.ana_group) for f in the_ledger.flights_for_year(user, year)]
    finally:
        the_ledger.dispose()


def write(tmp_path: Path, text: str, name: str = "flights.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def var_dir(tmp_path, sqlite_template) -> Path:
    """A database the CLI will find, its test clock at 2026-11-25 12:00 (set in-process: `test_cli` covers the
    clock command itself)."""
    var = tmp_path / "var"
    var.mkdir(mode=0o700)
    shutil.copyfile(sqlite_template, var / "pointsbot.sqlite3")   # migrated once per session
    the_ledger = open_ledger(var)
    try:
        the_ledger.set_test_clock(parse_moment("2026-11-25T12:00"))
    finally:
        the_ledger.dispose()
    return var


def test_import_logs_every_row_and_a_second_import_adds_nothing(tmp_path, var_dir):
    csv_file = write(tmp_path, "date,pp,ana_group\n"
                               "2026-06-08,1342,yes\n"
                               "2026-06-08,1342,yes\n"      # the way back: same day, same PP — a second flight
                               "2026/07/01,\"2,000\",no\n"
                               "\n"
                               "2025-12-31,800,true\n")
    first = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert first.returncode == 0, first.stderr
    assert "4 flight(s) imported, 0 already there" in first.stdout
    assert "2026: 4,684 PP in total" in first.stdout
    assert year_pp(var_dir, "tg:7", 2026) == [(dt.date(2026, 6, 8), 1342, True), (dt.date(2026, 6, 8), 1342, True),
                                              (dt.date(2026, 7, 1), 2000, False)]
    again = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert again.returncode == 0, again.stderr
    assert "0 flight(s) imported, 4 already there" in again.stdout
    assert len(year_pp(var_dir, "tg:7", 2026)) == 3 and len(year_pp(var_dir, "tg:7", 2025)) == 1
    other_user = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:8")
    assert "4 flight(s) imported" in other_user.stdout  # keys are per user


def test_one_bad_row_refuses_the_whole_file_and_names_each_bad_line(tmp_path, var_dir):
    csv_file = write(tmp_path, "date,pp,ana_group\n"
                               "2026-06-08,1342,yes\n"
                               "2026-02-30,1000,yes\n"
                               "2026-06-09,-5,yes\n"
                               "2026-06-10,1e3,no\n"
                               "2026-06-11,1000,maybe\n"
                               "2026-12-01,1000,yes\n"
                               "2026-06-12,1000\n"
                               "2026-06-13,２０００,yes\n")
    result = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert result.returncode == 2
    assert "nothing was imported" in result.stderr
    for line, words in [(3, "does not exist"), (4, "'-5'"), (5, "'1e3'"), (6, "'maybe'"), (7, "in the future"),
                        (8, "2 values for 3 columns"), (9, "'２０００'")]:
        assert f"line {line}: " in result.stderr and words in result.stderr, (line, result.stderr)
    assert "line 2:" not in result.stderr
    assert year_pp(var_dir, "tg:7", 2026) == []


def test_rows_with_a_route_and_fare_get_their_pp_computed(tmp_path, var_dir):
    csv_file = write(tmp_path, "date,pp,ana_group,origin,destination,fare,flight_number\n"
                               "2026-06-08,1342,yes,HND,OKA,Standard,\n"     # PP given: kept as given
                               "2026-06-09,,yes,OKA,HND,Standard,\n"         # floor(984 × 80% × 2) + 200
                               "2026-05-18,,,羽田,那覇,バリュー,NH 471\n"     # old fares until 5/18: × 75% × 2 + 400
                               "2026-07-01,2000,,,,,ua837\n")                # a Star Alliance partner by its number
    first = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert first.returncode == 0, first.stderr
    assert "4 flight(s) imported, 0 already there" in first.stdout
    assert "2 row(s) had their PP computed from route and fare" in first.stdout
    assert "2026: 6,992 PP in total" in first.stdout
    assert year_pp(var_dir, "tg:7", 2026) == [(dt.date(2026, 5, 18), 1876, True), (dt.date(2026, 6, 8), 1342, True),
                                              (dt.date(2026, 6, 9), 1774, True), (dt.date(2026, 7, 1), 2000, False)]
    the_ledger = open_ledger(var_dir)
    try:
        listed = [f.facts() for f in the_ledger.list_flights("tg:7", 2026)]
    finally:
        the_ledger.dispose()
    assert [(f["flight_number"], f["origin"], f["destination"], f["fare"]) for f in listed] == [
        ("NH471", "HND", "OKA", "old_fare5"), (None, "HND", "OKA", "Standard"), (None, "OKA", "HND", "standard"),
        ("UA837", None, None, None)]
    again = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert "0 flight(s) imported, 4 already there" in again.stdout
    assert "2026: 6,992 PP in total" in again.stdout


def test_an_unknown_route_or_fare_refuses_the_file_with_its_line_number(tmp_path, var_dir):
    csv_file = write(tmp_path, "date,pp,ana_group,origin,destination,fare,flight_number\n"
                               "2026-06-09,,yes,HND,OKA,Standard,\n"
                               "2026-06-09,,yes,HND,Atlantis,Standard,\n"
                               "2026-05-19,,yes,HND,OKA,ANA VALUE,\n"        # VALUE was sold until 2026-05-18
                               "2026-06-10,,yes,HND,OKA,,\n"
                               "2026-06-11,1000,,,,,JL5\n"                   # JAL: no PP at ANA
                               "2026-06-12,1000,no,,,,NH5\n"                 # NH is ANA group, not a partner
                               "2026-06-13,1000,,,,,\n")
    result = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert result.returncode == 2
    assert "6 bad row(s)" in result.stderr and "nothing was imported" in result.stderr
    for line, words in [(3, "segment miles for HND–Atlantis"), (4, "2026-05-19"), (5, "Fares for that date"),
                        (6, "'JL5'"), (7, "ana_group says 'no'"), (8, "ana_group is empty")]:
        assert f"line {line}: " in result.stderr and words in result.stderr, (line, result.stderr)
    assert "line 2:" not in result.stderr
    assert year_pp(var_dir, "tg:7", 2026) == []


def test_a_reimport_does_not_bring_back_a_flight_deleted_since(tmp_path, var_dir):
    csv_file = write(tmp_path, "date,pp,ana_group\n2026-06-08,1342,yes\n2026-06-09,1000,yes\n")
    assert pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7").returncode == 0
    the_ledger = open_ledger(var_dir)
    try:
        wrong = [f.facts() for f in the_ledger.find_flights("tg:7", on=dt.date(2026, 6, 9))][0]
        the_ledger.delete_flight("tg:7", wrong["flight_id"], "chat:delete:1")
    finally:
        the_ledger.dispose()
    again = pointsbot(var_dir, "flights", "import", str(csv_file), "--user", "tg:7")
    assert again.returncode == 0, again.stderr
    assert "0 flight(s) imported, 1 already there" in again.stdout
    assert "1 row(s) are flights deleted or edited since an earlier import; not added again" in again.stdout
    assert "2026: 1,342 PP in total" in again.stdout


@pytest.mark.parametrize("text, expected", [
    ("", "empty"),
    ("date,points,ana_group\n2026-06-08,1,yes\n", "unknown column(s) 'points'"),
    ("date,pp\n2026-06-08,1\n", "missing column(s) ana_group"),
])
def test_a_bad_header_is_refused(tmp_path, var_dir, text, expected):
    result = pointsbot(var_dir, "flights", "import", str(write(tmp_path, text)), "--user", "tg:7")
    assert result.returncode == 2
    assert expected in result.stderr


def test_shift_jis_and_utf8_bom_files_are_read(tmp_path, var_dir):
    bom = write(tmp_path, "\ufeffdate,pp,ana_group\n2026-06-08,1342,yes\n", "bom.csv")
    sjis = write(tmp_path, "date,pp,ana_group,origin,destination,fare\n2026-06-09,1000,no,羽田,那覇,スーパーバリュー\n",
                 "sjis.csv", encoding="cp932")
    for path in (bom, sjis):
        result = pointsbot(var_dir, "flights", "import", str(path), "--user", "tg:7")
        assert result.returncode == 0, result.stderr
    assert len(year_pp(var_dir, "tg:7", 2026)) == 2


def test_large_files_show_progress(tmp_path, var_dir):
    rows = "".join(f"{dt.date(2025, 1, 1) + dt.timedelta(days=i)},{500 + i},{'yes' if i % 2 else 'no'}\n"
                   for i in range(240))
    result = pointsbot(var_dir, "flights", "import", str(write(tmp_path, "date,pp,ana_group\n" + rows)),
                       "--user", "tg:7")
    assert result.returncode == 0, result.stderr
    assert "240/240 rows (100%)" in result.stderr and "12/240 rows (5%)" in result.stderr
    assert "240 flight(s) imported" in result.stdout


def test_keys_depend_on_the_row_content_and_its_repeat_number():
    text = "date,pp,ana_group\n2026-06-08,1342,yes\n2026-06-08,1342,yes\n2026-06-08,1342,no\n"
    plan = parse_flights_csv(text, "u", TODAY, RULES)
    keys = [row.idempotency_key for row in plan.rows]
    assert len(set(keys)) == 3
    reordered = parse_flights_csv("date,ana_group,pp\n2026-06-08,no,1342\n2026-06-08,yes,1342\n", "u", TODAY, RULES)
    assert {r.idempotency_key for r in reordered.rows} == {keys[0], keys[2]}  # column order does not matter
    assert parse_flights_csv(text, "v", TODAY, RULES).rows[0].idempotency_key != keys[0]


def test_imported_rows_are_flights_in_the_ledger(ledger):
    ledger.set_test_clock(dt.datetime(2026, 11, 25, 3, tzinfo=dt.timezone.utc))
    plan = parse_flights_csv("date,pp,ana_group\n2026-06-08,1342,yes\n2026-06-08,1342,yes\n", "u", TODAY, RULES)
    assert plan.ok
    for _ in range(2):
        created = [ledger.log_flight("u", r.flown_on, r.premium_points, r.idempotency_key, ana_group=r.ana_group)[1]
                   for r in plan.rows]
    assert created == [False, False]
    assert sum(f.premium_points for f in ledger.flights_for_year("u", 2026)) == 2684


def test_a_failure_half_way_through_an_import_leaves_nothing(ledger):
    """The file is logged in one unit of work: stopped at row 5 of 10 (Ctrl-C, a crash), none of it is stored;
    the same file again then imports whole."""
    ledger.set_test_clock(dt.datetime(2026, 11, 25, 3, tzinfo=dt.timezone.utc))
    text = "date,pp,ana_group\n" + "".join(f"2026-06-{day:02d},{1000 + day},yes\n" for day in range(1, 11))

    def stop_at_five(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ledger.import_flights("u", text, progress=stop_at_five)
    assert ledger.flights_for_year("u", 2026) == []
    result = ledger.import_flights("u", text)
    assert (result.added, result.already, result.year_pp) == (10, 0, {2026: 10_055})
    assert len(ledger.flights_for_year("u", 2026)) == 10


def test_a_file_too_large_or_a_cell_too_long_is_refused_with_a_clear_message(tmp_path, var_dir):
    from ledger.shared.checks import MAX_CSV_BYTES

    big = tmp_path / "big.csv"
    with big.open("w") as fh:
        fh.write("date,pp,ana_group\n")
        fh.write("2026-06-08,1342,yes\n" * (MAX_CSV_BYTES // 20 + 10))
    result = pointsbot(var_dir, "flights", "import", str(big), "--user", "tg:7")
    assert result.returncode == 2 and "too large" in result.stderr and "5,242,880" in result.stderr
    long_cell = write(tmp_path, "date,pp,ana_group\n2026-06-08,1342,yes\n2026-06-09," + "9" * 500 + ",yes\n")
    result = pointsbot(var_dir, "flights", "import", str(long_cell), "--user", "tg:7")
    assert result.returncode == 2 and "line 3: the pp cell is longer than 200 characters" in result.stderr
    assert year_pp(var_dir, "tg:7", 2026) == []
