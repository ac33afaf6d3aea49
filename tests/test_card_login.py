"""Logging in with a My Number card (issue 14), in process: the chat's pairing code, the HTTP endpoints the card
bridge calls, the agent with an emulated card, and the server's checks — signature, chain, validity, revocation,
single-use challenges — each refusal with its reason code."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.testclient import TestClient

from bot.http_api import create_api
from cardbridge import agent
from cardbridge.emulator import EmulatedCa, EmulatedJpkiCard, InProcessTransport, new_card
from cardbridge.errors import CardError
from ledger.common.card_login import CardTrust, CrlChecker
from ledger.common.card_trust import empty_crl, sandbox_ca
from ledger.shared.refusals import Refusal

USER = "tg:4242"
ORIGIN = "http://127.0.0.1:8080"


@pytest.fixture
def ca(ledger):
    return sandbox_ca(ledger.settings.var_dir)


@pytest.fixture
def api(ledger):
    app = create_api(None, "x" * 40, {}, card_challenge=ledger.card_challenge,
                     complete_card_login=ledger.complete_card_login)
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


def log_in(api, ledger, card, *, pin="1234", code=None, server=ORIGIN, confirm=lambda: False):
    code = code or ledger.start_card_login(USER).code
    return agent.login(server, code, InProcessTransport(card), ask_pin=lambda approval: pin,
                       confirm_last_try=confirm, client=api)


def refusal_of(call, *args) -> str:
    with pytest.raises(Refusal) as refused:
        call(*args)
    return refused.value.reason


def test_a_card_login_opens_a_session_bound_to_the_mykey_id(ledger, api, ca):
    card = new_card(ca)
    shown = []
    code = ledger.start_card_login(USER).code
    done = agent.login(ORIGIN, code, InProcessTransport(card), client=api, confirm_last_try=lambda: False,
                       ask_pin=lambda approval: shown.append(approval.text("ja")) or "1234")
    assert done["status"] == "logged_in" and done["kind"] == "login" and done["mykey_id"].startswith("MK")
    assert "http://127.0.0.1:8080 へのログイン" in shown[0], "the user sees what they approve before the PIN"
    session = ledger.login_session(USER)
    assert session.mykey_id == done["mykey_id"] and session.method == "card"
    cert = x509.load_der_x509_certificate(card.auth_cert)
    assert cert.subject.rfc4514_string().split("=")[-1] not in done["mykey_id"], "no certificate data in the id"
    assert [n["kind"] for n in ledger.notices_for(USER)] == ["card_login", "session_expiring"], "the chat is told"
    again = log_in(api, ledger, card)
    assert again["mykey_id"] == done["mykey_id"], "the same card is the same MyKey ID"
    assert log_in(api, ledger, new_card(ca))["mykey_id"] != done["mykey_id"]
    assert ledger.logout(USER) is True and ledger.login_session(USER) is None


def test_a_challenge_is_single_use_and_expires(ledger, api, ca):
    card = new_card(ca)
    code = ledger.start_card_login(USER).code
    challenge = ledger.card_challenge(code)
    from cardbridge.jpki import JpkiCard
    from cardbridge.message import login_message
    jpki = JpkiCard(InProcessTransport(card))
    der = jpki.read_auth_certificate()
    jpki.verify_pin("1234")
    signature = jpki.sign(login_message(ORIGIN, challenge.challenge_id, challenge.challenge, challenge.issued_at))
    ledger.complete_card_login(challenge.challenge_id, der, signature)
    assert refusal_of(ledger.complete_card_login, challenge.challenge_id, der, signature) == "challenge_replayed"
    assert refusal_of(ledger.complete_card_login, "f" * 32, der, signature) == "challenge_unknown"
    assert refusal_of(ledger.card_challenge, code) == "pairing_unknown_or_expired", "a used code is spent"

    later = ledger.start_card_login(USER).code
    late = ledger.card_challenge(later)
    ledger.set_test_clock(ledger.clock.now() + dt.timedelta(minutes=6))
    assert refusal_of(ledger.complete_card_login, late.challenge_id, der, signature) == "challenge_expired"


def test_a_signature_for_another_challenge_origin_or_key_is_refused(ledger, api, ca):
    card = new_card(ca)
    with pytest.raises(CardError) as other_origin:
        log_in(api, ledger, card, server="http://127.0.0.1:9999")   # the agent signs for the server the user named
    assert (other_origin.value.code, other_origin.value.details["reason"]) == ("server_refused", "bad_signature")

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    impostor = EmulatedJpkiCard(auth_key=key, auth_cert=card.auth_cert)      # someone else's key behind the cert
    with pytest.raises(CardError) as wrong_key:
        log_in(api, ledger, impostor)
    assert wrong_key.value.details["reason"] == "bad_signature"
    assert ledger.login_session(USER) is None


def test_untrusted_expired_and_non_auth_certificates_are_refused(ledger, api, ca):
    with pytest.raises(CardError) as foreign:
        log_in(api, ledger, new_card(EmulatedCa.create()))
    assert foreign.value.details["reason"] == "untrusted_chain"

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    old = ca.issue(key, not_before=dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc), days=365)
    with pytest.raises(CardError) as expired:
        log_in(api, ledger, EmulatedJpkiCard(auth_key=key, auth_cert=old.public_bytes(Encoding.DER)))
    assert expired.value.details["reason"] == "certificate_expired"

    mail = ca.issue(key, client_auth=False)
    with pytest.raises(CardError) as usage:
        log_in(api, ledger, EmulatedJpkiCard(auth_key=key, auth_cert=mail.public_bytes(Encoding.DER)))
    assert usage.value.details["reason"] == "not_an_auth_certificate"


def test_a_revoked_certificate_and_unknown_revocation_are_refused(ledger, ca):
    card = new_card(ca)
    serial = x509.load_der_x509_certificate(card.auth_cert).serial_number
    now = dt.datetime.now(dt.timezone.utc)
    revoked = (x509.CertificateRevocationListBuilder().issuer_name(ca.ca_cert.subject).last_update(now)
               .next_update(now + dt.timedelta(days=1))
               .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now)
                                        .build())
               .sign(ca.ca_key, hashes.SHA256()))
    trust = ledger.trust()
    for crls, reason in (([revoked], "certificate_revoked"), ([], "revocation_unknown"),
                         ([empty_crl(EmulatedCa.create(), now)], "revocation_unknown")):
        checked = dataclasses.replace(ledger, card_trust=dataclasses.replace(trust, revocation=CrlChecker(crls)))
        app = create_api(None, "x" * 40, {}, card_challenge=checked.card_challenge,
                         complete_card_login=checked.complete_card_login)
        with TestClient(app, base_url=ORIGIN) as client:
            with pytest.raises(CardError) as refused:
                log_in(client, checked, card)
        assert refused.value.details["reason"] == reason


def test_bad_codes_and_bodies_are_refused_before_any_card_work(ledger, api, ca):
    card = new_card(ca)
    with pytest.raises(CardError) as bad:
        log_in(api, ledger, card, code="not a code")
    assert bad.value.code == "bad_code" and card.log == [], "nothing reached the card"
    with pytest.raises(CardError) as unknown:
        log_in(api, ledger, card, code="ABCD-EFGH")
    assert unknown.value.details["reason"] == "pairing_unknown_or_expired" and card.log == []
    assert api.post("/v1/card-login/complete", json={"challenge_id": "x", "certificate": "!!", "signature": ""}
                    ).json()["error"]["reason"] == "bad_certificate"
    assert api.post("/v1/card-login/challenge", content=b"[]").status_code == 400


def test_a_wrong_pin_and_a_locked_card_say_so_and_log_nobody_in(ledger, api, ca):
    card = new_card(ca)
    with pytest.raises(CardError) as wrong:
        log_in(api, ledger, card, pin="9999")
    assert (wrong.value.code, wrong.value.details) == ("wrong_pin", {"tries_left": 2})
    card.tries = 1
    with pytest.raises(CardError) as declined:
        log_in(api, ledger, card, pin="9999", confirm=lambda: False)
    assert declined.value.code == "last_try_declined" and card.tries == 1
    card.tries = 0
    with pytest.raises(CardError) as locked:
        log_in(api, ledger, card)
    assert locked.value.code == "pin_locked" and ledger.login_session(USER) is None


def test_the_trust_is_dated_by_the_ca_too(ledger, ca):
    trust = ledger.trust()
    assert isinstance(trust, CardTrust) and ca.ca_cert in trust.cas and trust.origin == ORIGIN


def test_production_changes_need_a_session_and_the_sandbox_does_not(tmp_path, ledger):
    """In production, exchanges, linkage, moves and coupons need a logged-in session; in sandbox, as before."""
    from ledger.bootstrap import bootstrap
    from ledger.config import Settings

    production = bootstrap(Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path / "prod"), "POINTSBOT_SANDBOX": "0"}))
    try:
        for call, args in ((production.convert_points, (USER, "jal", 2_000, "k1")),
                           (production.request_link, (USER, "jal")), (production.unlink, (USER, "jal")),
                           (production.move_reserved, (USER, "kasama", 100, "m1")),
                           (production.redeem_coupon, (USER, "PON-7K3M-9QXD-4", "r1"))):
            assert refusal_of(call, *args) == "login_required", call.__name__
        assert production.trust().revocation.status(None, None) == "unknown", "no revocation data: fail closed"
    finally:
        production.dispose()
    assert ledger.request_link(USER, "jal").status == "pending", "the sandbox needs no login"


class OcspStandIn:
    """A local OCSP responder (127.0.0.1) for the test CA: answers good, revoked or garbage as told."""

    def __init__(self, ca, answer: str = "good", *, sign_with=None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from cryptography.hazmat.primitives import serialization
        from cryptography.x509 import ocsp

        stand_in = self
        self.answer, self.requests = answer, 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                stand_in.requests += 1
                request = ocsp.load_der_ocsp_request(self.rfile.read(int(self.headers["content-length"])))
                if stand_in.answer == "garbage":
                    body = b"not an OCSP response"
                else:
                    now = dt.datetime.now(dt.timezone.utc)
                    status = ocsp.OCSPCertStatus.GOOD if stand_in.answer == "good" else ocsp.OCSPCertStatus.REVOKED
                    leaf = stand_in.leaves[request.serial_number]
                    builder = ocsp.OCSPResponseBuilder().add_response(
                        cert=leaf, issuer=ca.ca_cert, algorithm=hashes.SHA256(), cert_status=status,
                        this_update=now, next_update=now + dt.timedelta(hours=1),
                        revocation_time=now if status == ocsp.OCSPCertStatus.REVOKED else None,
                        revocation_reason=None).responder_id(ocsp.OCSPResponderEncoding.HASH, ca.ca_cert)
                    body = builder.sign(sign_with or ca.ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
                self.send_response(200)
                self.send_header("content-type", "application/ocsp-response")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.leaves: dict[int, x509.Certificate] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ocsp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("answer, reason", [("good", None), ("revoked", "certificate_revoked"),
                                            ("garbage", "revocation_unknown"), ("forged", "revocation_unknown")])
def test_revocation_by_an_ocsp_stand_in(ledger, ca, answer, reason):
    from ledger.common.card_login import OcspChecker

    card = new_card(ca)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stand_in = OcspStandIn(ca, "good" if answer == "forged" else answer,
                           sign_with=forger if answer == "forged" else None)
    stand_in.leaves[x509.load_der_x509_certificate(card.auth_cert).serial_number] = \
        x509.load_der_x509_certificate(card.auth_cert)
    try:
        trust = dataclasses.replace(ledger.trust(), revocation=OcspChecker(stand_in.url))
        checked = dataclasses.replace(ledger, card_trust=trust)
        app = create_api(None, "x" * 40, {}, card_challenge=checked.card_challenge,
                         complete_card_login=checked.complete_card_login)
        with TestClient(app, base_url=ORIGIN) as client:
            if reason is None:
                assert log_in(client, checked, card)["status"] == "logged_in"
            else:
                with pytest.raises(CardError) as refused:
                    log_in(client, checked, card)
                assert refused.value.details["reason"] == reason
        assert stand_in.requests == 1
    finally:
        stand_in.close()
