"""`pointsbot`: the command line (same database as the running services).

    pointsbot sandbox clock set 2016-06-09T10:00     # a test clock every process sees
    pointsbot sandbox clock show | reset
    pointsbot sandbox grant --user U --partner jal --amount 5000 [--wallet N]
    pointsbot sandbox link  --user U --partner jal
    pointsbot sandbox coupon --partner ponta --points 1000   # prints a new coupon code
    pointsbot reserved auto-move                     # the daily 14-day move of reserved points
    pointsbot exchanges recover [--older-than 60]    # finish or reverse exchanges a partner timeout left
    pointsbot flights import FILE --user U           # CSV: date,pp,ana_group[,origin,destination,fare,cabin,flight_number]
    pointsbot nlu test                               # cross-validation and held-out figures, side by side
    pointsbot nlu lexicon                            # nlu/data/lexicon.yml from ledger/rules/lexicon.yml
    POINTSBOT_SANDBOX=0 pointsbot db init            # a production database (sandbox commands refused)
    pointsbot ledger reconcile                       # exchanges, journal and partner debits agree (exit 1 if not)
    pointsbot notices dispatch                       # send due notices to Telegram (a process of its own)
    pointsbot run | serve | train                    # what `make run` / `make serve` do

Built with Typer (a maintained CLI library) rather than hand-rolled argparse.
"""
from __future__ import annotations

import datetime as dt
import sys
from contextlib import contextmanager
from pathlib import Path

import typer

from i18n import refusal_text, t
from ledger.bootstrap import bootstrap
from ledger.config import Settings
from ledger.shared.amounts import parse_amount
from ledger.shared.checks import MAX_CSV_BYTES
from ledger.shared.clock import TOKYO, parse_moment
from ledger.shared.refusals import Refusal

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Points & Status Assistant")
sandbox = typer.Typer(no_args_is_help=True, help="Sandbox partner accounts and the test clock")
clock = typer.Typer(no_args_is_help=True, help="The test clock shared by every process")
reserved = typer.Typer(no_args_is_help=True, help="Reserved points (留保ポイント) jobs")
exchanges = typer.Typer(no_args_is_help=True, help="Exchanges (ポイント交換) left unfinished")
app.add_typer(sandbox, name="sandbox")
app.add_typer(reserved, name="reserved")
app.add_typer(exchanges, name="exchanges")
flights = typer.Typer(no_args_is_help=True, help="Flights (搭乗) and their premium points")
app.add_typer(flights, name="flights")
nlu = typer.Typer(no_args_is_help=True, help="The Rasa NLU: how well it understands")
app.add_typer(nlu, name="nlu")
database = typer.Typer(no_args_is_help=True, help="The database: create it, and its mode")
app.add_typer(database, name="db")
ledger_cli = typer.Typer(no_args_is_help=True, help="The ledger's own checks")
app.add_typer(ledger_cli, name="ledger")
sandbox.add_typer(clock, name="clock")
notices = typer.Typer(no_args_is_help=True, help="Notices (通知) the assistant sends unprompted")
app.add_typer(notices, name="notices")


@contextmanager
def _ledger():
    """The ledger for one command, closed after it (its engine and partner client)."""
    ledger = bootstrap()
    try:
        yield ledger
    finally:
        ledger.dispose()


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _refusal(refusal: Refusal) -> None:
    details = ", ".join(f"{k}={v}" for k, v in refusal.details.items())
    _fail(f"{refusal.reason}{' (' + details + ')' if details else ''}")


@clock.command("set")
def clock_set(moment: str = typer.Argument(..., help="ISO-8601 time; without a zone it is Tokyo time")) -> None:
    """Freeze the test clock at MOMENT."""
    try:
        when = parse_moment(moment)
    except ValueError:
        _fail(f"not an ISO-8601 time: {moment!r} (e.g. 2016-06-09T10:00 or 2016-06-09T10:00+09:00)")
    try:
        with _ledger() as ledger:
            ledger.set_test_clock(when)
    except Refusal as refusal:
        _refusal(refusal)
    typer.echo(f"test clock set to {when.astimezone(TOKYO).isoformat()}")


@clock.command("show")
def clock_show() -> None:
    """Print the current time as the services see it."""
    with _ledger() as ledger:
        now = ledger.clock.now().astimezone(TOKYO)
        frozen = ledger.clock.is_test_clock()
    typer.echo(f"{now.isoformat()} ({'test clock' if frozen else 'real time'})")


@clock.command("reset")
def clock_reset() -> None:
    """Back to real time."""
    try:
        with _ledger() as ledger:
            ledger.set_test_clock(None)
    except Refusal as refusal:
        _refusal(refusal)
    typer.echo("test clock reset to real time")


def _amount(value: str, what: str) -> int:
    try:
        return parse_amount(value)
    except Refusal as refusal:
        _fail(f"--{what} {value!r}: {refusal.reason}")


@sandbox.command("grant")
def grant(user: str = typer.Option(..., help="user id (Telegram users are tg:<id>)"),
          partner: str = typer.Option(..., help="jal, ana, saison, docomo, katene, ponta"),
          amount: str = typer.Option(..., help="points or miles to add at the sandbox partner"),
          wallet: str = typer.Option("0", help="Saison 永久不滅ウォレット to add")) -> None:
    """Add a balance at a sandbox partner."""
    points = _amount(amount, "amount")
    wallet_amount = 0 if wallet in ("0", "") else _amount(wallet, "wallet")
    try:
        with _ledger() as ledger:
            total = ledger.sandbox_grant(user, partner, points, wallet_amount)
    except Refusal as refusal:
        _refusal(refusal)
    typer.echo(f"{user} now has {total:,} at sandbox partner {partner}")


@sandbox.command("link")
def link(user: str = typer.Option(...), partner: str = typer.Option(...)) -> None:
    """An ID linkage (移行用のサービスID設定) that is active at once."""
    try:
        with _ledger() as ledger:
            ledger.sandbox_link(user, partner)
    except Refusal as refusal:
        _refusal(refusal)
    typer.echo(f"{user} is linked to {partner} (active now)")


@sandbox.command("coupon")
def coupon(partner: str = typer.Option(..., help="a coupon partner: ponta, ana"),
           points: str = typer.Option(..., help="partner points exchanged for the coupon (whole units)")) -> None:
    """Print a new coupon code from a sandbox partner (details on stderr, the code alone on stdout)."""
    partner_points = _amount(points, "points")
    try:
        with _ledger() as ledger:
            issued = ledger.sandbox_issue_coupon(partner, partner_points)
    except Refusal as refusal:
        _refusal(refusal)
    typer.echo(issued.code)
    typer.echo(f"{issued.partner}: {issued.partner_points:,} points → {issued.reserved_points:,} reserved points, "
               f"valid until {issued.expires_on.isoformat()}{'' if issued.verified else ' (unverified rate)'}", err=True)


@sandbox.command("card")
def card(pin: str = typer.Option("1234", help="the emulated card's 4-digit authentication PIN"),
         seconds: float = typer.Option(0, help="remove the card after this many seconds (0: until Ctrl-C)")) -> None:
    """Put an emulated My Number card, issued by this sandbox's CA, into vsmartcard's virtual reader (vpcd), and
    print its PIN for a manual try with `cardbridge login <code>`."""
    import time

    from cardbridge.emulator import new_card
    from cardbridge.jpki import PIN
    from cardbridge.vpicc import VPCD_PORT, VirtualCard
    from ledger.common.card_trust import sandbox_ca

    if not PIN.match(pin):
        _fail("--pin: 4 digits")
    with _ledger() as ledger:
        if not ledger.sandbox:
            _fail("sandbox card: this database is not a sandbox")
        emulated = new_card(sandbox_ca(ledger.settings.var_dir), pin=pin)
    try:
        virtual = VirtualCard(emulated).insert(timeout=3)
    except OSError:
        _fail(f"no virtual reader on 127.0.0.1:{VPCD_PORT}: install pcscd and vsmartcard-vpcd "
              "(make test installs them) and start pcscd")
    typer.echo(f"PIN: {pin}")
    typer.echo("An emulated My Number card is in the reader “Virtual PCD 00 00”. "
               "Ask the chat for a code (/login), then run: cardbridge login <code>", err=True)
    try:
        deadline = time.monotonic() + seconds if seconds > 0 else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        virtual.remove()


@reserved.command("auto-move")
def auto_move() -> None:
    """Run the daily job once: announce, then carry out, the 14-day move of reserved points (留保ポイント)."""
    with _ledger() as ledger:
        result = ledger.run_reserved_auto_moves()
    typer.echo(f"{result['users']} users with reserved points; moved {result['moved']:,} points; "
               f"{result['announced']} notices written")


@exchanges.command("recover")
def recover(older_than: float = typer.Option(60.0, min=0, help="take over only exchanges untouched for this many "
                                             "seconds (0 while the test clock is frozen)")) -> None:
    """Finish or reverse exchanges left pending by a partner timeout or a process that died."""
    with _ledger() as ledger:
        report = ledger.recover_exchanges(older_than=dt.timedelta(seconds=older_than))
    typer.echo(f"exchanges: {report.done} done, {report.failed} failed, {report.reversed} reversed, "
               f"{report.still_pending} still waiting for the partner, {report.waiting} too recent to take over")


PROGRESS_FROM_ROWS = 200  # below this an import takes a few seconds; larger files say how far they are
LOCALE = "en"  # the command line speaks English


def _problem_text(problem) -> str:
    """One problem of a CSV file in words (codes and values from `ledger.status.flights_csv`)."""
    refusal = problem.refusal
    values = dict(problem.values)
    if refusal is not None:
        values["refusal"] = refusal_text(refusal.reason, refusal.details, LOCALE)
    return t(f"csv.{problem.code}", LOCALE, **values)


def _read_text(file: Path) -> str:
    size = file.stat().st_size
    if size > MAX_CSV_BYTES:
        _fail(f"{file}: {size:,} bytes; " + t("refusal.file_too_large", LOCALE, maximum=MAX_CSV_BYTES))
    raw = file.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):  # Excel in Japan saves Shift_JIS
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    _fail(f"{file}: not UTF-8 or Shift_JIS text")


@flights.command("import")
def flights_import(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                               help="CSV with a header: date,pp,ana_group[,origin,destination,fare,"
                                                    "cabin,flight_number]"),
                   user: str = typer.Option(..., help="user id (Telegram users are tg:<id>)")) -> None:
    """Import flights from a CSV file: every row is checked first, and nothing is imported if any row is bad.

    Rows with a route and a fare but no PP get their PP computed (an unknown route or fare is a bad
    row); a flight_number column decides ANA group or partner. The file is imported in one transaction:
    all of it or, if anything fails half-way (Ctrl-C too), none of it. Importing the same file again adds
    nothing (each row's key comes from its content), and brings back no flight deleted or edited since.
    """
    text = _read_text(file)

    def progress(done: int, total: int) -> None:
        step = max(1, total // 20)
        if total >= PROGRESS_FROM_ROWS and (done % step == 0 or done == total):
            typer.echo(f"  {done:,}/{total:,} rows ({done * 100 // total}%)", err=True)

    try:
        with _ledger() as ledger:
            result = ledger.import_flights(user, text, progress=progress)
    except Refusal as refusal:  # checked before; only a clock moved back since could get here
        _fail(f"{file}: {refusal_text(refusal.reason, refusal.details, LOCALE)}; nothing was imported")
    plan = result.plan
    if plan.header_problems:
        problems = "; ".join(_problem_text(p) for p in plan.header_problems)
        _fail(f"{file}: " + (problems if plan.header_problems[0].code == "empty_file"
                             else t("csv.header", LOCALE, problems=problems)))
    if plan.bad:
        for bad in plan.bad:
            typer.echo(f"{file}: " + t("csv.line", LOCALE, line=str(bad.line),
                                       problems="; ".join(_problem_text(p) for p in bad.problems)), err=True)
        _fail(f"{len(plan.bad)} bad row(s) in {file}; nothing was imported. Fix them and import the file again.")
    typer.echo(f"{user}: {result.added:,} flight(s) imported, {result.already:,} already there")
    if result.retired:
        typer.echo(f"{result.retired:,} row(s) are flights deleted or edited since an earlier import; not added again")
    if result.computed:
        typer.echo(f"{result.computed:,} row(s) had their PP computed from route and fare")
    for year, pp in result.year_pp.items():
        typer.echo(f"{year}: {pp:,} PP in total")


@ledger_cli.command("reconcile")
def ledger_reconcile() -> None:
    """Check that the exchanges, the journal and the partner's debits agree; print every difference (exit 1)."""
    with _ledger() as ledger:
        report = ledger.reconcile()
    for difference in report.differences:
        typer.echo(f"difference: {difference}")
    typer.echo(f"{report.exchanges:,} exchanges checked: {len(report.differences)} difference(s), "
               f"{report.unfinished} unfinished (recovery finishes them), {report.unchecked} not checked "
               f"(the partner did not answer)")
    raise typer.Exit(1 if report.differences else 0)


@notices.command("dispatch")
def notices_dispatch(lease: int = typer.Option(15, min=1, max=3600, help="seconds a claimed notice stays ours"),
                     per_second: float = typer.Option(30.0, min=0.1, max=1000, help="Telegram's overall limit"),
                     idle_exit: float = typer.Option(0, min=0, help="stop after this many seconds with nothing "
                                                                     "due (0: run until Ctrl-C)"),
                     user_prefix: str = typer.Option("tg:", help="only users whose id starts so (tg:…)")) -> None:
    """Send due notices to Telegram users (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL), as `serve` does, in a
    process of its own: run several against one PostgreSQL database and none is sent twice."""
    from ops.dispatch import dispatch

    settings = Settings.from_env()
    if not settings.telegram_token:
        _fail("TELEGRAM_BOT_TOKEN is not set")
    with _ledger() as ledger:
        sent = dispatch(ledger, settings, lease=lease, per_second=per_second, idle_exit=idle_exit,
                        user_prefix=user_prefix)
    typer.echo(f"{sent:,} notice(s) sent")


@database.command("init")
def db_init() -> None:
    """Create (or upgrade) the database. A new database records the mode of POINTSBOT_SANDBOX (on by default): set
    POINTSBOT_SANDBOX=0 for a production database, which refuses every sandbox command from then on."""
    with _ledger() as ledger:
        mode = "a sandbox database (sandbox partners, test clock)" if ledger.sandbox else \
            "a production database (every sandbox command is refused)"
        typer.echo(f"{ledger.settings.database_url.split('@')[-1]}: {mode}")


@nlu.command("test")
def nlu_test() -> None:
    """Cross-validate the NLU on the production config (cached by a hash of its inputs); report under var/."""
    from ops.supervisor import test_nlu

    raise typer.Exit(test_nlu(Settings.from_env()))


@nlu.command("lexicon")
def nlu_lexicon() -> None:
    """Write nlu/data/lexicon.yml from ledger/rules/lexicon.yml (what people call programs, tiers and the rest)."""
    from ops.lexicon import write

    typer.echo(f"wrote {write()} (train again: `make run` or `python -m ops.supervisor train`)")


@nlu.command("alexa-model")
def nlu_alexa_model() -> None:
    """Write the Alexa interaction model (voice/alexa/*.json) from the NLU training data."""
    from ops.alexa_model import write

    for path in write():
        typer.echo(f"wrote {path}")


@app.command()
def run() -> None:
    """Start everything and chat in this terminal (Telegram when TELEGRAM_BOT_TOKEN is set)."""
    from ops.supervisor import main as supervise

    raise typer.Exit(supervise(["run"]))


@app.command()
def serve() -> None:
    """Start everything headless, with the HTTP API, in the foreground."""
    from ops.supervisor import main as supervise

    raise typer.Exit(supervise(["serve"]))


@app.command()
def train() -> None:
    """Train the Rasa model if its inputs changed."""
    from ops.supervisor import main as supervise

    raise typer.Exit(supervise(["train"]))


def main() -> None:
    app(prog_name="pointsbot")


if __name__ == "__main__":
    sys.exit(main())
