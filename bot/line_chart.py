"""The status chart on LINE, as an image message. LINE shows an image from an HTTPS URL it fetches itself, so the
picture is served by the bot at a signed link: `GET /line/chart/<what>.<signature>.png`, where `what` names the
user, the year, the language and when the link expires (24 h), and the signature is an HMAC-SHA256 of it with a
key derived from the channel secret. Any worker on any machine of the same channel can check it and draw the
picture; nobody can make a link for another user, and a link stops working after a day.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LINK_SECONDS = 24 * 3600
Chart = Callable[[str, int | None, str], bytes]   # (user id, year or None, locale) → PNG


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ChartLinks:
    def __init__(self, channel_secret: str, origin: str, chart: Chart, *, now: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"pointsbot line chart links\0" + channel_secret.encode()).digest()
        self.origin = origin.rstrip("/")
        self.chart = chart
        self.now = now

    @property
    def usable(self) -> bool:
        """LINE fetches only HTTPS links: without a public HTTPS origin the chart is described in words instead."""
        return self.origin.startswith("https://")

    def link(self, user_id: str, year: int | None, locale: str) -> str:
        what = _b64(json.dumps({"u": user_id, "y": year, "l": locale, "e": int(self.now()) + LINK_SECONDS},
                               separators=(",", ":")).encode())
        return f"{self.origin}/line/chart/{what}.{self._sign(what)}.png"

    def _sign(self, what: str) -> str:
        return _b64(hmac.new(self._key, what.encode(), hashlib.sha256).digest())

    def read(self, name: str) -> dict | None:
        """What a link names, if its signature holds and it has not expired; None otherwise."""
        what, _, rest = name.partition(".")
        signature = rest.removesuffix(".png")
        if not what or not hmac.compare_digest(signature.encode(), self._sign(what).encode()):
            return None
        try:
            named = json.loads(_unb64(what))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(named, dict) or not isinstance(named.get("e"), int) or named["e"] < self.now():
            return None
        return named

    async def serve(self, request: Request) -> Response:
        named = self.read(request.path_params["name"])
        if named is None:
            return JSONResponse({"error": "not_found"}, status_code=404)   # forged, changed or expired: the same
        png = await asyncio.to_thread(self.chart, named["u"], named["y"], named["l"])
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    def route(self) -> Route:
        return Route("/line/chart/{name}", self.serve, methods=["GET"])
