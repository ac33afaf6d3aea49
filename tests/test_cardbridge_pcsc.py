"""The card bridge through the real PC/SC stack (issue 14): our own pcscd, vsmartcard's virtual reader (vpcd) with
the emulated card plugged into it (cardbridge.vpicc), pyscard in the agent — and OpenSC's JPKI driver, a peer
implementation, reading the same emulated card. `make test` installs all of it (scripts/setup.sh --card)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from cardbridge import agent, pcsc
from cardbridge.emulator import EmulatedCa, new_card
from cardbridge.errors import CardError
from cardbridge.jpki import JpkiCard
from cardbridge.vpicc import VirtualCard

SOCKET = Path("/run/pcscd/pcscd.comm")
pytestmark = pytest.mark.pcsc   # one virtual reader, answered in time: `make test` runs these alone, in order


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory):
    """pcscd in the foreground, started for these tests and stopped after (one already running is used as is)."""
    assert shutil.which("pcscd"), "make test installs pcscd (scripts/setup.sh --card)"
    running = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode == 0
    process = None
    if not running:
        log = tmp_path_factory.mktemp("pcscd") / "pcscd.log"
        SOCKET.parent.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(["pcscd", "--foreground", "--apdu"], stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not SOCKET.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if pcsc.readers():
                break
        except CardError:
            pass
        time.sleep(0.2)
    yield
    if process is not None:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def ca():
    return EmulatedCa.create()


def wait_for_card(present: bool = True, timeout: float = 15.0) -> list[pcsc.Reader]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = pcsc.readers()
        if any(r.card_present for r in found) == present:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no reader reported card_present={present}")


def test_readers_and_an_empty_reader(pcscd):
    found = wait_for_card(present=False)
    assert found and all(r.name.startswith("Virtual PCD") for r in found)
    with pytest.raises(CardError) as empty:
        pcsc.PyscardTransport()
    assert empty.value.code == "no_card"


def test_the_whole_flow_through_pcscd(pcscd, ca):
    card = new_card(ca)
    with VirtualCard(card):
        wait_for_card()
        transport = pcsc.PyscardTransport()
        try:
            jpki = JpkiCard(transport)
            assert jpki.tries_left() == 3
            der = jpki.read_auth_certificate()
            assert der == card.auth_cert
            jpki.verify_pin("1234")
            signature = jpki.sign(b"through pcscd")
        finally:
            transport.close()
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256
    x509.load_der_x509_certificate(der).public_key().verify(signature, b"through pcscd", PKCS1v15(), SHA256())


def test_a_wrong_pin_and_a_card_pulled_mid_read(pcscd, ca):
    card = new_card(ca)
    with VirtualCard(card):
        wait_for_card()
        transport = pcsc.PyscardTransport()
        try:
            with pytest.raises(CardError) as wrong:
                JpkiCard(transport).verify_pin("0000")
            assert (wrong.value.code, wrong.value.details["tries_left"]) == ("wrong_pin", 2)
        finally:
            transport.close()
    pulled = new_card(ca, remove_after=6)
    with VirtualCard(pulled):
        wait_for_card()
        transport = pcsc.PyscardTransport()
        try:
            with pytest.raises(CardError) as removed:
                JpkiCard(transport).read_auth_certificate()
            assert removed.value.code == "card_removed"
        finally:
            transport.close()
    wait_for_card(present=False)


def test_another_program_holding_the_card_is_a_sharing_violation(pcscd, ca):
    card = new_card(ca)
    with VirtualCard(card):
        wait_for_card()
        holder = pcsc.PyscardTransport()          # holds the card in an exclusive transaction
        try:
            with pytest.raises(CardError) as busy:
                pcsc.PyscardTransport()
            assert busy.value.code == "sharing_violation", busy.value.details
            assert "ほかのプログラム" in busy.value.message("ja")
        finally:
            holder.close()


def test_opensc_reads_the_emulated_card_as_a_jpki_card(pcscd, ca):
    """A peer implementation: OpenSC's JPKI driver lists the auth certificate and verifies the PIN."""
    card = new_card(ca)
    serial = x509.load_der_x509_certificate(card.auth_cert).serial_number
    with VirtualCard(card):
        wait_for_card()
        listed = subprocess.run(["pkcs15-tool", "--reader", "0", "--list-certificates"], capture_output=True,
                                text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert "User Authentication Certificate" in listed.stdout and f"{serial:X}"[-8:] in listed.stdout.replace(" ", "")
        pins = subprocess.run(["pkcs15-tool", "--reader", "0", "--list-pins"], capture_output=True, text=True, timeout=60)
        assert "Tries left     : 3" in pins.stdout
        verified = subprocess.run(["pkcs15-tool", "--reader", "0", "--verify-pin", "--auth-id", "01", "--pin", "1234"],
                                  capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0 and card.tries == 3
        wrong = subprocess.run(["pkcs15-tool", "--reader", "0", "--verify-pin", "--auth-id", "01", "--pin", "9999"],
                               capture_output=True, text=True, timeout=60)
        assert wrong.returncode != 0 and card.tries == 2


def test_a_login_through_pcscd_with_the_agent(pcscd, ca, ledger):
    """The agent's login with pyscard, against the ledger's endpoints (in process)."""
    from starlette.testclient import TestClient

    from bot.http_api import create_api
    from ledger.common.card_trust import sandbox_ca

    card = new_card(sandbox_ca(ledger.settings.var_dir))
    code = ledger.start_card_login("tg:1").code
    app = create_api(None, "x" * 40, {}, card_challenge=ledger.card_challenge,
                     complete_card_login=ledger.complete_card_login)
    with VirtualCard(card), TestClient(app, base_url="http://127.0.0.1:8080") as client:
        wait_for_card()
        transport = pcsc.PyscardTransport()
        try:
            done = agent.login("http://127.0.0.1:8080", code, transport, ask_pin=lambda a: "1234",
                               confirm_last_try=lambda: False, client=client)
        finally:
            transport.close()
    assert done["status"] == "logged_in" and ledger.login_session("tg:1").method == "card"


def test_pointsbot_sandbox_card_puts_a_ready_card_in_the_virtual_reader(pcscd, tmp_path):
    """`pointsbot sandbox card` prints the PIN of an emulated card that pyscard then reads through pcscd."""
    env = {**os.environ, "POINTSBOT_VAR_DIR": str(tmp_path), "POINTSBOT_SANDBOX": "1"}
    process = subprocess.Popen([sys.executable, "-m", "ops.cli", "sandbox", "card", "--seconds", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout.readline().strip() == "PIN: 1234"
        wait_for_card()
        transport = pcsc.PyscardTransport()
        try:
            assert JpkiCard(transport).tries_left() == 3
        finally:
            transport.close()
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.parametrize("lang, words", [("ja", "pcscd"), ("en", "not running")])
def test_no_pcscd_is_said_plainly(tmp_path, lang, words):
    """With no PC/SC service to talk to, `cardbridge readers` says so in the user's language (exit 2)."""
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-such-socket"), "CARDBRIDGE_LANG": lang}
    done = subprocess.run([sys.executable, "-m", "cardbridge.cli", "readers"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2 and words in done.stderr, done.stderr
