"""An emulated My Number card's JPKI application, for tests and the sandbox (`pointsbot sandbox card`).

A strict APDU state machine after `reference/jpki-cardbridge.md` §1–§2, stricter than the peers' dummies:
- the JPKI AP must be selected by its AID; EFs only with P1=02 under it;
- the authentication certificate (000A) reads without a PIN; the signature certificate (0001) only after the
  signature password (6–16 of A–Z/0–9, 5 tries);
- the authentication PIN (4 digits) has 3 tries; a good VERIFY resets the counter and sets the security state,
  which a new SELECT of the AP, a reset and a power-off clear; `00 20 00 80` answers `63 Cx` and spends nothing;
- a locked PIN answers `69 83` (or `63 C0` / `69 84`, as other cards do);
- SIGN before VERIFY answers `69 82`, P1≠00 `6A 86`, Lc over 245 `67 00`; the signature is raw RSA over the
  PKCS#1 v1.5 type-1 padding of the DigestInfo sent, as the card computes it.
Knobs: `remove_after` / `reset_after` (APDUs before the card is pulled or reset), `locked_sw`, `no_auth_cert`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cardbridge.jpki import AID

AUTH_POLICY = x509.ObjectIdentifier("1.2.392.200149.8.5.1.3.30")   # JPKI 利用者証明用 certificate policy
# Emulated certificates are valid from before the platform's launch (2017-09-25), so the sandbox's test clock,
# set anywhere from 2016 on, finds them valid.
EMULATED_FROM = dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc)
SW_OK = (0x90, 0x00)


class CardRemoved(Exception):
    """The emulated card left the reader (a transport maps this to its own 'removed')."""


class CardWasReset(Exception):
    """Another party reset the emulated card."""


# ---------------------------------------------------------------- a test PKI with the JPKI auth profile

@dataclass
class EmulatedCa:
    """A test CA shaped like J-LIS's user-authentication CA, and issued leaf certificates."""

    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate

    @classmethod
    def create(cls, now: dt.datetime | None = None, *, name: str = "JPKI for user authentication") -> "EmulatedCa":
        now = now or dt.datetime.now(dt.timezone.utc)
        start = min(EMULATED_FROM, now - dt.timedelta(days=1))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                                                "Japan Agency for Local Authority Information Systems (test)")])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
                .sign(key, hashes.SHA256()))
        return cls(ca_key=key, ca_cert=cert)

    def issue(self, key: rsa.RSAPrivateKey, *, serial: int | None = None, not_before: dt.datetime | None = None,
              days: int = 1825, subject_id: str | None = None, client_auth: bool = True) -> x509.Certificate:
        """A user-authentication certificate: opaque CN, digitalSignature, clientAuth, the JPKI policy."""
        not_before = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
        serial = serial or x509.random_serial_number()
        cn = subject_id or f"{serial:023d}"[-23:]
        usage = [ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                                         x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(self.ca_cert.subject).public_key(key.public_key()).serial_number(serial)
                .not_valid_before(not_before).not_valid_after(not_before + dt.timedelta(days=days))
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
                .add_extension(x509.CertificatePolicies([x509.PolicyInformation(AUTH_POLICY, None)]), critical=True)
                .sign(self.ca_key, hashes.SHA256()))

    def ca_pem(self) -> bytes:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM)


# ---------------------------------------------------------------- the card

def _raw_rsa_sign(key: rsa.RSAPrivateKey, digest_info: bytes) -> bytes:
    """What the card does: EMSA-PKCS1-v1_5 type-1 padding of the DigestInfo, then the raw RSA private operation."""
    size = (key.key_size + 7) // 8
    padded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    numbers = key.private_numbers()
    value = pow(int.from_bytes(padded, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")


@dataclass
class EmulatedJpkiCard:
    """One emulated card: its keys and certificates, its PIN counters, and the state of the current APDU flow."""

    auth_key: rsa.RSAPrivateKey
    auth_cert: bytes
    pin: str = "1234"
    sign_password: str = "SIGNATURE"
    sign_cert: bytes = b"0\x82\x00\x03PII"       # stands for the 署名用 certificate with personal data
    tries: int = 3
    sign_tries: int = 5
    locked_sw: tuple[int, int] = (0x69, 0x83)
    no_auth_cert: bool = False
    remove_after: int | None = None
    reset_after: int | None = None
    atr: bytes = bytes.fromhex("3BE000FF8131FE4514")
    log: list[bytes] = field(default_factory=list)
    _ap: bool = False
    _ef: bytes | None = None
    _verified: bool = False
    _sign_verified: bool = False

    # ---- power and presence
    def power_on(self) -> None:
        self._ap = False
        self._ef = None
        self._verified = self._sign_verified = False

    reset = power_on

    # ---- one APDU
    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        self.log.append(bytes(apdu))
        if self.remove_after is not None and len(self.log) > self.remove_after:
            raise CardRemoved()
        if self.reset_after is not None and len(self.log) > self.reset_after:
            self.reset_after = None
            self.power_on()
            raise CardWasReset()
        if len(apdu) < 4:
            return b"", 0x67, 0x00
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        if ins == 0xA4 and cla == 0x00:
            return self._select(p1, p2, body)
        if ins == 0xB0 and cla == 0x00:
            return self._read(p1, p2, body)
        if ins == 0x20 and cla == 0x00:
            return self._verify(p1, p2, body)
        if ins == 0x2A and cla == 0x80:
            return self._sign(p1, p2, body)
        return b"", 0x6D, 0x00

    def _lc_data(self, body: bytes) -> bytes | None:
        if not body:
            return b""
        lc = body[0]
        data = body[1:1 + lc]
        return data if len(data) == lc else None

    def _select(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int, int]:
        data = self._lc_data(body)
        if data is None:
            return b"", 0x67, 0x00
        if p1 == 0x04:
            self._verified = self._sign_verified = False
            self._ef = None
            self._ap = data == AID
            return (b"", *SW_OK) if self._ap else (b"", 0x6A, 0x82)
        if p1 != 0x02 or not self._ap or len(data) != 2:
            return b"", 0x6A, 0x86 if p1 != 0x02 else 0x82
        if data == b"\x00\x0a" and self.no_auth_cert:
            return b"", 0x6A, 0x82
        if data not in (b"\x00\x18", b"\x00\x17", b"\x00\x0a", b"\x00\x1b", b"\x00\x1a", b"\x00\x01", b"\x00\x06"):
            return b"", 0x6A, 0x82
        self._ef = data
        return b"", *SW_OK

    def _read(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int, int]:
        if self._ef == b"\x00\x0a":
            content = self.auth_cert
        elif self._ef == b"\x00\x01":
            if not self._sign_verified:
                return b"", 0x69, 0x82
            content = self.sign_cert
        elif self._ef == b"\x00\x06":
            content = b"JPKIAPICCTOKEN2".ljust(0x20, b"\x00")
        else:
            return b"", 0x69, 0x86
        offset = (p1 & 0x7F) << 8 | p2
        want = body[0] if body else 0
        want = 256 if want == 0 else want
        if offset >= len(content):
            return b"", 0x6B, 0x00
        return content[offset:offset + want], *SW_OK

    def _verify(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int, int]:
        sign = self._ef == b"\x00\x1b"
        if p1 != 0x00 or p2 != 0x80 or self._ef not in (b"\x00\x18", b"\x00\x1b"):
            return b"", 0x6A, 0x86
        tries = self.sign_tries if sign else self.tries
        if not body:                                   # tries left: spends nothing
            return (b"", *self.locked_sw) if tries == 0 else (b"", 0x63, 0xC0 | tries)
        if tries == 0:
            return b"", *self.locked_sw
        data = self._lc_data(body)
        if data is None:
            return b"", 0x67, 0x00
        expected = (self.sign_password if sign else self.pin).encode("ascii")
        if data == expected:
            if sign:
                self.sign_tries, self._sign_verified = 5, True
            else:
                self.tries, self._verified = 3, True
            return b"", *SW_OK
        if sign:
            self.sign_tries -= 1
            left = self.sign_tries
        else:
            self.tries -= 1
            left = self.tries
        return (b"", *self.locked_sw) if left == 0 else (b"", 0x63, 0xC0 | left)

    def _sign(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int, int]:
        if p1 != 0x00 or p2 != 0x80:
            return b"", 0x6A, 0x86
        if self._ef != b"\x00\x17":
            return b"", 0x69, 0x86
        if not self._verified:
            return b"", 0x69, 0x82
        data = self._lc_data(body[:-1] if len(body) > 1 and len(body) == body[0] + 2 else body)
        if data is None or len(data) > 245:
            return b"", 0x67, 0x00
        return _raw_rsa_sign(self.auth_key, data), *SW_OK


class InProcessTransport:
    """A reader with an emulated card in it, in this process."""

    def __init__(self, card: EmulatedJpkiCard | None) -> None:
        self.card = card
        if card is not None:
            card.power_on()

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        from cardbridge.errors import CardError
        if self.card is None:
            raise CardError("no_card")
        try:
            return self.card.transmit(apdu)
        except CardRemoved:
            self.card = None
            raise CardError("card_removed") from None
        except CardWasReset:
            raise CardError("card_reset") from None


def new_card(pki: EmulatedCa, *, pin: str = "1234", **knobs) -> EmulatedJpkiCard:
    """A fresh emulated card whose authentication certificate `pki` issued."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    cert = pki.issue(key, not_before=EMULATED_FROM, days=(now - EMULATED_FROM).days + 5 * 365)
    return EmulatedJpkiCard(auth_key=key, auth_cert=cert.public_bytes(serialization.Encoding.DER), pin=pin, **knobs)
