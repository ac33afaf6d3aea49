"""Logging in with a My Number card (マイナンバーカードでログイン), through the card bridge on the user's computer.

1. The chat asks for a card login: `start_card_login` gives a one-time pairing code (its hash is stored) that lasts
   `CardTrust.pairing_minutes`.
2. The agent sends the code: `card_challenge` gives a fresh random challenge (single use, a few minutes).
3. The agent signs `cardbridge.message.login_message(origin, challenge id, challenge, issued at)` with the card's
   user-authentication key and sends the signature and the certificate: `complete_card_login` rebuilds the message
   with this server's own origin, checks the signature, the chain against the configured CA certificates, the
   validity dates and revocation (behind `RevocationChecker`; J-LIS data is only for registered verifiers), uses
   the challenge up, and opens a session bound to the MyKey ID: a salted hash of the certificate's subject and
   serial, never the certificate itself.
Refusals carry stable reason codes; nothing secret is logged.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509.oid import ExtendedKeyUsageOID

from cardbridge.message import SERVICE_ID, login_message
from ledger.shared.checks import checked
from ledger.shared.clock import Clock, as_utc
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"   # no 0/O, 1/I/L: read aloud and typed without mistakes
CODE_LENGTH = 8
AUTH_POLICY = x509.ObjectIdentifier("1.2.392.200149.8.5.1.3.30")   # JPKI 利用者証明用


class RevocationChecker(Protocol):
    """Whether a certificate is revoked: "good", "revoked", or "unknown" (which refuses: fail closed)."""

    def status(self, cert: x509.Certificate, issuer: x509.Certificate) -> str: ...


class CrlChecker:
    """Revocation from CRLs the operator provides (signed by the issuer; a CRL past its next update is unknown)."""

    def __init__(self, crls: list[x509.CertificateRevocationList], clock_now=None) -> None:
        self.crls = crls
        self.now = clock_now or (lambda: dt.datetime.now(dt.timezone.utc))

    def status(self, cert: x509.Certificate, issuer: x509.Certificate) -> str:
        for crl in self.crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
                continue
            if crl.next_update_utc is not None and crl.next_update_utc < self.now():
                return "unknown"
            return "revoked" if crl.get_revoked_certificate_by_serial_number(cert.serial_number) else "good"
        return "unknown"


class OcspChecker:
    """Revocation from an OCSP responder (the J-LIS one answers registered verifiers only; tests run a stand-in).

    The response must be signed by the issuer (or a responder it certified for OCSP signing), be about this
    certificate, and be fresh; anything else is "unknown", which refuses the login."""

    def __init__(self, url: str, *, timeout: float = 5.0, now=None) -> None:
        self.url = url
        self.timeout = timeout
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))

    def status(self, cert: x509.Certificate, issuer: x509.Certificate) -> str:
        import httpx
        from cryptography.hazmat.primitives import serialization
        from cryptography.x509 import ocsp

        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, SHA256()).build()
        try:
            answer = httpx.post(self.url, content=request.public_bytes(serialization.Encoding.DER),
                                headers={"content-type": "application/ocsp-request"}, timeout=self.timeout)
            response = ocsp.load_der_ocsp_response(answer.content)
        except (httpx.HTTPError, ValueError):
            return "unknown"
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL or \
                response.serial_number != cert.serial_number:
            return "unknown"
        signer = issuer
        if response.certificates:
            delegated = response.certificates[0]
            try:
                delegated.verify_directly_issued_by(issuer)
                eku = delegated.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
                return "unknown"
            if x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
                return "unknown"
            signer = delegated
        try:
            signer.public_key().verify(response.signature, response.tbs_response_bytes, PKCS1v15(),
                                       response.signature_hash_algorithm)
        except (InvalidSignature, TypeError):
            return "unknown"
        now = self.now()
        if response.this_update_utc > now + dt.timedelta(minutes=5) or (
                response.next_update_utc is not None and response.next_update_utc < now):
            return "unknown"
        return {ocsp.OCSPCertStatus.GOOD: "good", ocsp.OCSPCertStatus.REVOKED: "revoked"}.get(
            response.certificate_status, "unknown")


@dataclass(frozen=True)
class CardTrust:
    """What a card login is checked against: the CA certificates, revocation, this server's origin, the MyKey ID
    salt, and how long codes, challenges and sessions last."""

    cas: tuple[x509.Certificate, ...]
    revocation: RevocationChecker
    origin: str
    salt: bytes
    pairing_minutes: int = 10
    challenge_minutes: int = 5
    session_hours: int = 12
    session_notice_minutes: int = 30      # "your login session will expire" this long before it does


@dataclass(frozen=True)
class Pairing:
    code: str
    expires_at: dt.datetime

    def facts(self) -> dict:
        return {"kind": "card_pairing", "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True)
class Challenge:
    challenge_id: str
    challenge: bytes
    issued_at: str
    expires_at: dt.datetime

    def as_json(self) -> dict:
        return {"challenge_id": self.challenge_id, "challenge": base64.b64encode(self.challenge).decode(),
                "issued_at": self.issued_at, "expires_at": self.expires_at.isoformat(), "service_id": SERVICE_ID}


@dataclass(frozen=True)
class LoginSession:
    user_id: str
    mykey_id: str
    method: str
    expires_at: dt.datetime

    def facts(self) -> dict:
        return {"kind": "login", "status": "logged_in", "method": self.method, "mykey_id": self.mykey_id,
                "expires_at": self.expires_at.isoformat()}


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize_code(code: str) -> str:
    """"abcd-2345" → "ABCD2345"; anything else is refused before any lookup."""
    folded = "".join(ch for ch in str(code or "").upper() if ch not in "- ")[:40]
    if len(folded) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in folded):
        raise Refusal("bad_pairing_code")
    return folded


def mykey_id(cert: x509.Certificate, salt: bytes) -> str:
    """The MyKey ID bound to a certificate: HMAC-SHA256(salt, subject DER ‖ serial), never the certificate's data."""
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big")
    digest = hmac.new(salt, cert.subject.public_bytes() + b"\x00" + serial, hashlib.sha256).digest()
    return "MK" + base64.b32encode(digest).decode()[:14]


def verify_certificate(der: bytes, trust: CardTrust, now: dt.datetime) -> x509.Certificate:
    """The user-authentication certificate, checked: issued by a configured CA, valid now, the JPKI auth profile
    (digitalSignature, clientAuth, the 利用者証明用 policy), RSA, and not revoked."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise Refusal("bad_certificate") from None
    issuer = next((ca for ca in trust.cas if ca.subject == cert.issuer), None)
    if issuer is None:
        raise Refusal("untrusted_chain")
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        raise Refusal("untrusted_chain") from None
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc) or not (
            issuer.not_valid_before_utc <= now <= issuer.not_valid_after_utc):
        raise Refusal("certificate_expired")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        raise Refusal("not_an_auth_certificate") from None
    if not usage.digital_signature or ExtendedKeyUsageOID.CLIENT_AUTH not in eku or \
            AUTH_POLICY not in [p.policy_identifier for p in policies] or \
            not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise Refusal("not_an_auth_certificate")
    state = trust.revocation.status(cert, issuer)
    if state == "revoked":
        raise Refusal("certificate_revoked")
    if state != "good":
        raise Refusal("revocation_unknown")
    return cert


# ---------------------------------------------------------------- services

@checked
def start_card_login(user_id: str, *, uow: UnitOfWork, clock: Clock, card_trust: CardTrust) -> Pairing:
    """A one-time pairing code for the card bridge (`cardbridge login <code>`); only its hash is kept."""
    now = clock.now()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = now + dt.timedelta(minutes=card_trust.pairing_minutes)
    with uow:
        uow.card_logins.add_pairing(_code_hash(code), user_id, now, expires_at)
        uow.commit()
    return Pairing(code=f"{code[:4]}-{code[4:]}", expires_at=expires_at)


@checked
def card_challenge(pairing_code: str, *, uow: UnitOfWork, clock: Clock, card_trust: CardTrust) -> Challenge:
    """A fresh single-use challenge for a live pairing code; the code itself stays usable until a login uses it."""
    code = normalize_code(pairing_code)
    now = clock.now()
    with uow:
        pairing = uow.card_logins.pairing(_code_hash(code))
        if pairing is None or pairing.used_at is not None or as_utc(pairing.expires_at) <= now:
            raise Refusal("pairing_unknown_or_expired")
        challenge = Challenge(challenge_id=secrets.token_hex(16), challenge=secrets.token_bytes(32),
                              issued_at=now.isoformat(timespec="seconds"),
                              expires_at=now + dt.timedelta(minutes=card_trust.challenge_minutes))
        uow.card_logins.add_challenge(challenge.challenge_id, pairing.id, challenge.challenge, now,
                                      challenge.expires_at)
        uow.commit()
    return challenge


@checked
def complete_card_login(challenge_id: str, certificate: bytes, signature: bytes, *, uow: UnitOfWork, clock: Clock,
                        card_trust: CardTrust) -> LoginSession:
    """Check the signed challenge and the certificate; the challenge is used up whatever the outcome."""
    now = clock.now()
    with uow:
        found = uow.card_logins.challenge(str(challenge_id)[:64])
        if found is None:
            raise Refusal("challenge_unknown")
        challenge, pairing = found
        if challenge.used_at is not None:
            log.warning("card login: replayed challenge %s…", challenge.id[:6])
            raise Refusal("challenge_replayed")
        challenge.used_at = now                          # single use, even when the checks below refuse
        uow.commit()
        if as_utc(challenge.expires_at) <= now or pairing.used_at is not None or as_utc(pairing.expires_at) <= now:
            raise Refusal("challenge_expired")
        cert = verify_certificate(certificate, card_trust, now)
        message = login_message(card_trust.origin, challenge.id, bytes(challenge.challenge),
                                as_utc(challenge.issued_at).isoformat(timespec="seconds"))
        try:
            cert.public_key().verify(signature, message, PKCS1v15(), SHA256())
        except InvalidSignature:
            log.warning("card login: a signature that does not verify (challenge %s…)", challenge.id[:6])
            raise Refusal("bad_signature") from None
        pairing.used_at = now
        key = mykey_id(cert, card_trust.salt)
        expires_at = now + dt.timedelta(hours=card_trust.session_hours)
        open_session(uow, pairing.user_id, key, "card", now, expires_at, card_trust)
        # the chat says "logged in" (the outbox, in the same transaction as the session)
        uow.notices.add_once(user_id=pairing.user_id, kind="card_login", dedupe_key=f"card_login:{challenge.id}",
                             payload={"mykey_id": key, "expires_at": expires_at.isoformat()}, due_at=now, at=now)
        uow.commit()
        user_id = pairing.user_id
    log.info("card login: session opened for a user (MyKey ID %s…)", key[:6])
    return LoginSession(user_id=user_id, mykey_id=key, method="card", expires_at=expires_at)


def open_session(uow: UnitOfWork, user_id: str, key: str, method: str, now: dt.datetime, expires_at: dt.datetime,
                 trust: CardTrust) -> None:
    """A new session (ending the user's others), with its "will expire" notice in the same transaction."""
    uow.notices.withdraw_unsent(user_id, ("session_expiring",), keep=set())
    session = uow.card_logins.open_session(user_id, key, method, now, expires_at)
    warn_at = expires_at - dt.timedelta(minutes=trust.session_notice_minutes)
    if warn_at > now:
        uow.notices.add_once(user_id=user_id, kind="session_expiring", dedupe_key=f"session_expiring:{session.id}",
                             payload={"expires_at": expires_at.isoformat(), "method": method}, due_at=warn_at, at=now)


@checked
@reads_only
def login_session(user_id: str, *, uow: UnitOfWork, clock: Clock) -> LoginSession | None:
    """The user's live session, or None."""
    with uow:
        found = uow.card_logins.live_session(user_id, clock.now())
        return LoginSession(user_id=user_id, mykey_id=found.mykey_id, method=found.method,
                            expires_at=as_utc(found.expires_at)) if found else None


@checked
def logout(user_id: str, *, uow: UnitOfWork, clock: Clock) -> bool:
    """End the user's session (ログアウト); False when there was none."""
    with uow:
        ended = uow.card_logins.end_sessions(user_id, clock.now())
        uow.notices.withdraw_unsent(user_id, ("session_expiring",), keep=set())
        uow.commit()
    return ended > 0
