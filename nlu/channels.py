"""Rasa's REST channel for the bot only (runs inside Rasa, Python 3.10).

The plain `rest` channel takes a message for any `sender` from any process on the machine, so any local
process could act as any user. This one refuses a message unless it carries the install's secret
(`Authorization: Bearer …`, the file named by `token_file` in the generated credentials, mode 0600); its
health route stays open. It keeps the name `rest`, so the bot posts to /webhooks/rest/webhook as before.
"""
from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

import nlu.rasa_speedups  # noqa: F401  (Rasa's per-turn costs that serve nobody, removed)


class SecretRestInput(RestInput):
    """The REST channel, refusing messages without the bot's secret."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SecretRestInput":
        if not credentials or not credentials.get("token_file"):
            raise ValueError("SecretRestInput needs `token_file` in the credentials (the supervisor writes it)")
        token = Path(credentials["token_file"]).read_text(encoding="ascii").strip()
        if len(token) < 32:
            raise ValueError(f"the channel secret in {credentials['token_file']} is too short")
        return cls(token)

    def __init__(self, token: Text) -> None:
        self._expected = f"Bearer {token}".encode()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_secret(request: Request):
            if request.method == "GET":  # the channel's health route
                return None
            given = (request.headers.get("authorization") or "").encode()
            if not hmac.compare_digest(given, self._expected):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return webhook
