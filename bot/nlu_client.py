"""The bot's client for the Rasa server (REST channel), over httpx."""
from __future__ import annotations

from typing import Any

import httpx

TURN_TIMEOUT = 30.0  # how long the bot waits for one turn; partner calls have a shorter deadline (ledger.points)


class NluUnavailable(Exception):
    """Rasa did not answer (starting, down, or too slow)."""


class RasaClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = TURN_TIMEOUT,
                 http: httpx.AsyncClient | None = None) -> None:
        """`token`: the install's secret for Rasa's channel (nlu/channels.py), sent as a bearer token."""
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def send(self, user_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """One user turn; returns Rasa's bot messages (text, buttons, custom)."""
        try:
            response = await self._http.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": user_id, "message": text, "metadata": metadata}, headers=self._headers,
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NluUnavailable(str(exc)) from exc

    async def healthy(self) -> bool:
        try:
            response = await self._http.get(f"{self.base_url}/", timeout=3.0)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self._http.aclose()
