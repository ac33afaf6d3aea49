"""The JPKI application of a My Number card (公的個人認証 利用者証明用), over any transport.

APDUs from `reference/jpki-cardbridge.md` §1: SELECT the JPKI AP by its AID (never trusting the ATR), the
authentication PIN EF 0018, the authentication certificate EF 000A (read in chunks, no PIN needed), VERIFY with
4 ASCII digits, then COMPUTE DIGITAL SIGNATURE with the authentication key EF 0017 over a SHA-256 DigestInfo (the
card pads it). Status words become `CardError`s with stable codes (§2). Only the authentication certificate is
ever read: the signature certificate (0001) carries name, address and birth date.
"""
from __future__ import annotations

import hashlib
import re
from typing import Callable, Protocol

from cardbridge.errors import CardError

AID = bytes.fromhex("D392F000260100000001")
EF_AUTH_PIN = bytes.fromhex("0018")
EF_AUTH_KEY = bytes.fromhex("0017")
EF_AUTH_CERT = bytes.fromhex("000A")
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
MAX_TRIES = 3
PIN = re.compile(r"\A[0-9]{4}\Z")
MAX_CERT = 8192          # an auth certificate is about 1.6 KB; anything longer is not one
LOCKED = {(0x63, 0xC0), (0x69, 0x83), (0x69, 0x84)}


class Transport(Protocol):
    """What the card logic needs from a reader: send one APDU, get (data, SW1, SW2)."""

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]: ...


def digest_info(message: bytes) -> bytes:
    """DigestInfo(SHA-256(message)): what the card signs (it adds the PKCS#1 v1.5 type-1 padding itself)."""
    return SHA256_DIGEST_INFO + hashlib.sha256(message).digest()


def check_pin(pin: str) -> bytes:
    """The PIN as VERIFY sends it, or `pin_malformed` before any try is spent."""
    if not isinstance(pin, str) or not PIN.match(pin):
        raise CardError("pin_malformed")
    return pin.encode("ascii")


class JpkiCard:
    """The JPKI AP on one card, one APDU at a time."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def _send(self, apdu: bytes) -> tuple[bytes, int, int]:
        data, sw1, sw2 = self.transport.transmit(apdu)
        return bytes(data), sw1, sw2

    def _ok(self, apdu: bytes) -> bytes:
        data, sw1, sw2 = self._send(apdu)
        if (sw1, sw2) != (0x90, 0x00):
            if (sw1, sw2) == (0x6A, 0x82):
                raise CardError("not_jpki")
            raise CardError("card_error", sw=f"{sw1:02X}{sw2:02X}")
        return data

    def select_ap(self) -> None:
        """SELECT the JPKI AP by name; a card without it is no My Number card (or has no JPKI)."""
        self._ok(bytes([0x00, 0xA4, 0x04, 0x0C, len(AID)]) + AID)

    def _select_ef(self, ef: bytes) -> None:
        self._ok(bytes([0x00, 0xA4, 0x02, 0x0C, 0x02]) + ef)   # P1=02: EF under the current DF (not 09)

    def tries_left(self) -> int:
        """The authentication PIN's tries left, without spending one (VERIFY with no data)."""
        self.select_ap()
        self._select_ef(EF_AUTH_PIN)
        _, sw1, sw2 = self._send(bytes([0x00, 0x20, 0x00, 0x80]))
        if (sw1, sw2) in LOCKED:
            return 0
        if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
            return sw2 & 0x0F
        if (sw1, sw2) == (0x90, 0x00):
            return MAX_TRIES
        raise CardError("card_error", sw=f"{sw1:02X}{sw2:02X}")

    def read_auth_certificate(self) -> bytes:
        """The user-authentication certificate (DER), read in chunks of at most 255 bytes from its length."""
        self.select_ap()
        self._select_ef(EF_AUTH_CERT)
        head = self._ok(bytes([0x00, 0xB0, 0x00, 0x00, 0x04]))
        if len(head) < 4 or head[0] != 0x30 or head[1] != 0x82:
            raise CardError("not_jpki")
        total = 4 + (head[2] << 8 | head[3])
        if total > MAX_CERT:
            raise CardError("not_jpki")
        cert = bytearray(head)
        while len(cert) < total:
            offset = len(cert)
            want = min(total - offset, 0xFF)
            data, sw1, sw2 = self._send(bytes([0x00, 0xB0, (offset >> 8) & 0x7F, offset & 0xFF, want]))
            if (sw1, sw2) not in ((0x90, 0x00), (0x62, 0x82)) or not data:
                raise CardError("card_error", sw=f"{sw1:02X}{sw2:02X}")
            cert += data
        return bytes(cert[:total])

    def verify_pin(self, pin: str, confirm_last_try: Callable[[], bool] | None = None) -> None:
        """VERIFY the authentication PIN. Never spends a try on a malformed PIN; before the last try, asks
        `confirm_last_try()` and stops unless it says yes."""
        code = check_pin(pin)
        tries = self.tries_left()              # selects the AP and the PIN EF
        if tries == 0:
            raise CardError("pin_locked")
        if tries == 1 and not (confirm_last_try and confirm_last_try()):
            raise CardError("last_try_declined")
        _, sw1, sw2 = self._send(bytes([0x00, 0x20, 0x00, 0x80, len(code)]) + code)
        if (sw1, sw2) == (0x90, 0x00):
            return
        if (sw1, sw2) in LOCKED:
            raise CardError("pin_locked")
        if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
            raise CardError("wrong_pin", tries_left=sw2 & 0x0F)
        raise CardError("card_error", sw=f"{sw1:02X}{sw2:02X}")

    def sign(self, message: bytes) -> bytes:
        """COMPUTE DIGITAL SIGNATURE with the authentication key over DigestInfo(SHA-256(message))."""
        self._select_ef(EF_AUTH_KEY)
        info = digest_info(message)
        return self._ok(bytes([0x80, 0x2A, 0x00, 0x80, len(info)]) + info + b"\x00")
