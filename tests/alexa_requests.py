"""Alexa requests as Amazon sends them, signed with a test certificate chain (a test root and a leaf for
echo-api.amazon.com), for the skill endpoint's tests. The chain is served from the URL Amazon would use, by a
stand-in for the network (`fetch`)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
SKILL_ID = "amzn1.ask.skill.test-points-status"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class SigningChain:
    """A root CA and a signing certificate; `signer` may be another key than the certificate's (a forgery)."""

    def __init__(self, domain: str = "echo-api.amazon.com", *, days_valid: tuple[int, int] = (-1, 30)) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        self.root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root = (x509.CertificateBuilder().subject_name(_name("Test Root")).issuer_name(_name("Test Root"))
                     .public_key(self.root_key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(days=2)).not_valid_after(now + dt.timedelta(days=60))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
                     .sign(self.root_key, hashes.SHA256()))
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.leaf = (x509.CertificateBuilder().subject_name(_name(domain)).issuer_name(_name("Test Root"))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now + dt.timedelta(days=days_valid[0]))
                     .not_valid_after(now + dt.timedelta(days=days_valid[1]))
                     .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
                     .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), True)
                     .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                     .sign(self.root_key, hashes.SHA256()))
        self.signer = self.key

    def pem(self) -> bytes:
        return self.leaf.public_bytes(serialization.Encoding.PEM)

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def sign(self, body: str) -> str:
        signature = self.signer.sign(body.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


def envelope(request: dict, *, locale: str = "ja-JP", user: str = "amzn1.ask.account.TESTUSER", attributes=None,
             new: bool = False, skill_id: str = SKILL_ID, age_seconds: float = 0.0) -> dict:
    stamp = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=age_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    application = {"applicationId": skill_id}
    return {
        "version": "1.0",
        "session": {"new": new, "sessionId": "amzn1.echo-api.session.test", "application": application,
                    "attributes": attributes or {}, "user": {"userId": user}},
        "context": {"System": {"application": application, "user": {"userId": user},
                               "device": {"deviceId": "test-device", "supportedInterfaces": {}},
                               "apiEndpoint": "https://api.fe.amazonalexa.com"}},
        "request": {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "timestamp": stamp, "locale": locale,
                    **request},
    }


def launch(**kw) -> dict:
    return envelope({"type": "LaunchRequest"}, new=True, **kw)


def intent(name: str, query: str | None = None, **kw) -> dict:
    slots = {"query": {"name": "query", "value": query, "confirmationStatus": "NONE"}} if query is not None else {}
    return envelope({"type": "IntentRequest", "dialogState": "STARTED",
                     "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots}}, **kw)


def session_ended(**kw) -> dict:
    return envelope({"type": "SessionEndedRequest", "reason": "USER_INITIATED"}, **kw)


def signed(chain: SigningChain, body: dict, *, url: str = CHAIN_URL) -> tuple[str, dict[str, str]]:
    """The body as sent and its headers (SignatureCertChainUrl, Signature-256)."""
    text = json.dumps(body, ensure_ascii=False)
    return text, {"SignatureCertChainUrl": url, "Signature-256": chain.sign(text),
                  "Content-Type": "application/json"}
