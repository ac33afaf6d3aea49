"""`cardbridge`: the agent on the user's own computer, next to the card reader.

    cardbridge readers                         the readers pcscd sees, and whether a card is in each
    cardbridge status                          the card's PIN tries left (none is spent)
    cardbridge login CODE [--server URL]       log in to the chat with the pairing code it showed
    cardbridge serve [--port 8765]             the same login as a page on http://127.0.0.1:8765 only

The PIN is typed here only (never echoed, never sent, never logged) and dropped after VERIFY.
"""
from __future__ import annotations

import getpass
import locale as system_locale
import os
import sys

import typer

from cardbridge import agent
from cardbridge.errors import CardError
from cardbridge.jpki import JpkiCard

app = typer.Typer(add_completion=False, help=__doc__)


def _locale() -> str:
    chosen = os.environ.get("CARDBRIDGE_LANG") or (system_locale.getlocale()[0] or "")
    return "ja" if chosen.lower().startswith("ja") else "en"


def _fail(error: CardError) -> None:
    typer.echo(error.message(_locale()), err=True)
    raise typer.Exit(2)


@app.command()
def readers() -> None:
    """The readers and whether a card is in each."""
    from cardbridge.pcsc import readers as list_readers
    try:
        found = list_readers()
    except CardError as error:
        _fail(error)
    if not found:
        _fail(CardError("no_reader"))
    for reader in found:
        typer.echo(f"{reader.name}\t{'card' if reader.card_present else 'empty'}")


@app.command()
def status(reader: str = typer.Option(None, help="reader name (default: the first with a card)")) -> None:
    """The authentication PIN's tries left (reading it spends none)."""
    from cardbridge.pcsc import PyscardTransport
    try:
        transport = PyscardTransport(reader)
        try:
            left = JpkiCard(transport).tries_left()
        finally:
            transport.close()
    except CardError as error:
        _fail(error)
    typer.echo(("暗証番号の残り回数：" if _locale() == "ja" else "PIN tries left: ") + str(left))


@app.command()
def login(code: str, server: str = typer.Option(os.environ.get("CARDBRIDGE_SERVER", "http://127.0.0.1:8080"),
                                                 help="the assistant's address"),
          reader: str = typer.Option(None, help="reader name (default: the first with a card)")) -> None:
    """Log in with the pairing code the chat showed."""
    from cardbridge.pcsc import PyscardTransport
    language = _locale()

    def ask_pin(approval: agent.Approval) -> str:
        typer.echo(approval.text(language))
        return getpass.getpass("利用者証明用の暗証番号（4桁）: " if language == "ja" else "Authentication PIN (4 digits): ")

    def confirm_last() -> bool:
        return typer.confirm("次が最後の1回です。続けますか？" if language == "ja" else "This is the last try. Go on?",
                             default=False)

    try:
        transport = PyscardTransport(reader)
        try:
            done = agent.login(server, code, transport, ask_pin=ask_pin, confirm_last_try=confirm_last)
        finally:
            transport.close()
    except CardError as error:
        _fail(error)
    typer.echo("ログインしました。チャットに戻ってください。" if language == "ja" else "Logged in. Go back to the chat.")
    if done.get("mykey_id"):
        typer.echo(f"MyKey ID: {done['mykey_id']}")


@app.command()
def serve(server: str = typer.Option(os.environ.get("CARDBRIDGE_SERVER", "http://127.0.0.1:8080"),
                                     help="the assistant's address"),
          port: int = typer.Option(8765, help="the page's port on 127.0.0.1"),
          reader: str = typer.Option(None, help="reader name (default: the first with a card)")) -> None:
    """The login page on http://127.0.0.1:PORT (this computer only)."""
    from cardbridge.page import serve_page
    from cardbridge.pcsc import PyscardTransport
    typer.echo(f"http://127.0.0.1:{port}/")
    serve_page(server, lambda: PyscardTransport(reader), port=port, locale=_locale())


def main() -> None:
    app(prog_name="cardbridge")


if __name__ == "__main__":
    sys.exit(main())
