"""Hypothesis fuzzing of the whole HTTP API in one process (the bot's own composition, a real ledger on SQLite and
PostgreSQL, Rasa unreachable so turns answer "unavailable" at once): any route, token, header and body. Every
answer is a documented status with a JSON reason, never a 500; the API is still healthy after; nothing was written
for a request that was refused. tests/test_scaled.py runs the same strategies against scale mode."""
from __future__ import annotations

import asyncio
import dataclasses

import httpx
from hypothesis import HealthCheck, given, settings

from bot.conversation import Conversation
from bot.nlu_client import RasaClient
from bot.serve import compose_api
from ops.processes import free_port
from tests.http_fuzz import check, requests

TOKEN = "f" * 40


def test_no_request_breaks_the_api(ledger):
    app_settings = dataclasses.replace(ledger.settings, api_token_env=TOKEN)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    api = compose_api(app_settings, ledger, Conversation(rasa, passwords=ledger), rasa)
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test", timeout=30)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
    @given(requests(TOKEN))
    def one(request):
        response = loop.run_until_complete(client.request(**request))
        check(response)
        seen.add(response.status_code)

    seen: set[int] = set()
    try:
        one()
        assert {200, 400, 401} <= seen, seen   # past the door and refused at it: the fuzz reached the handlers
        health = loop.run_until_complete(client.get("/healthz"))
        assert health.json()["components"]["database"] is True
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(rasa.aclose())
        loop.close()


def test_alexa_bodies_that_are_not_requests_are_refused(ledger):
    """Found by the fuzz: `null` posted to /v1/alexa reached the SDK and failed there (a 500)."""
    app_settings = dataclasses.replace(ledger.settings, api_token_env=TOKEN)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    api = compose_api(app_settings, ledger, Conversation(rasa, passwords=ledger), rasa)

    async def post_all() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
            return [(await client.post("/v1/alexa", content=body)).status_code
                    for body in (b"null", b"[]", b"5", b'{"request": 5}', b'{"request": {"type": 5}}', b"{}")]
    try:
        assert asyncio.run(post_all()) == [400] * 6
    finally:
        asyncio.run(rasa.aclose())
