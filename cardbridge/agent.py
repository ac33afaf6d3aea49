"""The card bridge's login, as the agent runs it: fetch the challenge, show what the user approves, read the PIN
into the agent only, read the authentication certificate, VERIFY, sign the message the agent builds itself, and
post the signature and the certificate. The PIN never leaves this process and is dropped after VERIFY.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import httpx

from cardbridge.errors import CardError
from cardbridge.jpki import JpkiCard, Transport
from cardbridge.message import SERVICE_ID, login_message

CODE_CHARS = set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")


def origin_of(server: str) -> str:
    """The origin the user named (scheme://host[:port]): what the agent signs for, whatever the server says."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CardError("server_unreachable", server=server[:80])
    return f"{parts.scheme}://{parts.netloc}".lower()


def clean_code(code: str) -> str:
    folded = "".join(ch for ch in (code or "").upper() if ch not in "- ")
    if len(folded) != 8 or not set(folded) <= CODE_CHARS:
        raise CardError("bad_code")
    return folded


@dataclass
class Approval:
    """What the user is about to approve, shown before the PIN is asked."""

    service: str
    origin: str
    challenge_id: str

    def text(self, locale: str) -> str:
        if locale == "ja":
            return f"{self.origin} へのログイン（{self.service}）をマイナンバーカードで承認します。"
        return f"You are approving a login to {self.origin} ({self.service}) with your My Number card."


def login(server: str, code: str, transport: Transport, *, ask_pin: Callable[[Approval], str],
          confirm_last_try: Callable[[], bool], client: httpx.Client | None = None) -> dict:
    """One card login end to end; returns the server's answer (`{"status": "logged_in", …}`) or raises CardError."""
    origin = origin_of(server)
    pairing = clean_code(code)
    http = client or httpx.Client(base_url=origin, timeout=15)
    try:
        try:
            got = http.post("/v1/card-login/challenge", json={"pairing_code": pairing})
        except httpx.HTTPError:
            raise CardError("server_unreachable", server=origin) from None
        if got.status_code != 200:
            raise CardError("server_refused", reason=_reason(got))
        challenge = got.json()
        if challenge.get("service_id") != SERVICE_ID:
            raise CardError("server_refused", reason="unexpected_service")
        card = JpkiCard(transport)
        certificate = card.read_auth_certificate()          # before the PIN: selecting the AP clears the PIN state
        approval = Approval(service=SERVICE_ID, origin=origin, challenge_id=str(challenge["challenge_id"]))
        pin = ask_pin(approval)
        card.verify_pin(pin, confirm_last_try)
        del pin                                            # not kept past VERIFY
        message = login_message(origin, approval.challenge_id, base64.b64decode(challenge["challenge"]),
                                str(challenge["issued_at"]))
        signature = card.sign(message)
        try:
            done = http.post("/v1/card-login/complete", json={
                "challenge_id": approval.challenge_id,
                "certificate": base64.b64encode(certificate).decode(),
                "signature": base64.b64encode(signature).decode()})
        except httpx.HTTPError:
            raise CardError("server_unreachable", server=origin) from None
        if done.status_code != 200:
            raise CardError("server_refused", reason=_reason(done))
        return done.json()
    finally:
        if client is None:
            http.close()


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        return str((error or {}).get("reason") or response.status_code)[:60]
    except ValueError:
        return str(response.status_code)
