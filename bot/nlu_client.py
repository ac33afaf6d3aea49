"""The bot's client for the Rasa servers (REST channel), over httpx.

`RASA_URL` names one Rasa server, or several separated by commas (scale mode: they share Rasa's Redis lock store
and SQL tracker store, so any of them can take any conversation). A user's turns go to one server chosen by
their id, so the same user usually meets the same server; when it refuses the connection (killed, restarting),
the turn goes to the next. Only a refused connection moves a turn: a turn that reached a server and then failed
is never sent again, since it may already have acted (an exchange confirmed) before the server died.
"""
from __future__ import annotations

import zlib
from typing import Any

import httpx

TURN_TIMEOUT = 30.0  # how long the bot waits for one turn; partner calls have a shorter deadline (ledger.points)


class NluUnavailable(Exception):
    """Rasa did not answer (starting, down, or too slow)."""


def rasa_urls(value: str) -> list[str]:
    """The servers named in `RASA_URL` (one, or several separated by commas), in order."""
    urls = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
    if not urls:
        raise ValueError("RASA_URL names no server")
    return urls


class RasaClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = TURN_TIMEOUT,
                 http: httpx.AsyncClient | None = None) -> None:
        """`base_url`: one server or several, comma-separated. `token`: the install's secret for Rasa's channel
        (nlu/channels.py), sent as a bearer token."""
        self.base_urls = rasa_urls(base_url)
        self.base_url = self.base_urls[0]
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def servers_for(self, user_id: str) -> list[str]:
        """The servers in the order this user's turn tries them: their own first, then the others."""
        first = zlib.crc32(user_id.encode()) % len(self.base_urls)
        return self.base_urls[first:] + self.base_urls[:first]

    async def send(self, user_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """One user turn; returns Rasa's bot messages (text, buttons, custom)."""
        refused: httpx.HTTPError | None = None
        for base_url in self.servers_for(user_id):
            try:
                response = await self._http.post(
                    f"{base_url}/webhooks/rest/webhook",
                    json={"sender": user_id, "message": text, "metadata": metadata}, headers=self._headers,
                )
                response.raise_for_status()
                return response.json()
            except httpx.ConnectError as exc:   # never reached this server: the next one may take the turn
                refused = exc
            except (httpx.HTTPError, ValueError) as exc:
                raise NluUnavailable(str(exc)) from exc
        raise NluUnavailable(str(refused))

    async def healthy(self) -> bool:
        """True when at least one server answers (with several, the others only make turns slower to fail over)."""
        for base_url in self.base_urls:
            try:
                response = await self._http.get(f"{base_url}/", timeout=3.0)
                if response.status_code == 200:
                    return True
            except httpx.HTTPError:
                continue
        return False

    async def aclose(self) -> None:
        await self._http.aclose()
