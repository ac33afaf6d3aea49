"""What the card signs to log in: a message the agent builds itself, never a digest a server hands it.

`login_message` is domain-separated (a service id no other use shares), and binds the server's origin as the
agent knows it (the URL the user gave, not one the server names), the challenge id, the challenge and the time
it was issued. The server rebuilds the same bytes with its own origin and checks the signature over them, so a
signature made for one server or one challenge is worth nothing anywhere else.
"""
from __future__ import annotations

SERVICE_ID = "pointsbot-mykey-login-v1"


def login_message(origin: str, challenge_id: str, challenge: bytes, issued_at: str) -> bytes:
    parts = [SERVICE_ID.encode(), origin.rstrip("/").lower().encode(), challenge_id.encode(), challenge,
             issued_at.encode()]
    if any(b"\x00" in p for p in parts[:3] + parts[4:]):
        raise ValueError("login message parts must not contain NUL")
    return b"\x00".join(p if i != 3 else len(p).to_bytes(2, "big") + p for i, p in enumerate(parts))
