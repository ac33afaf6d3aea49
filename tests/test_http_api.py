"""The HTTP API when parts of the system are down (the e2e tests cover it when all is up)."""
from __future__ import annotations

import httpx

from bot.conversation import Conversation
from bot.http_api import create_api
from bot.nlu_client import RasaClient
from ops.processes import free_port


async def _up() -> bool:
    return True


async def _down() -> bool:
    return False


async def _broken() -> bool:
    raise ConnectionError("refused")


def _client(api) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test",
                             headers={"Authorization": "Bearer t0ken"})


async def test_healthz_is_503_and_names_what_is_down():
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), "t0ken", {"bot": _up, "nlu": _down, "actions": _broken, "database": _up})
    async with _client(api) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["nlu", "actions"]
    await rasa.aclose()


async def test_messages_answer_clearly_when_rasa_is_down():
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    api = create_api(Conversation(rasa), "t0ken", {})
    async with _client(api) as client:
        english = (await client.post("/v1/messages", json={"user_id": "a", "text": "balance"})).json()
        japanese = (await client.post("/v1/messages", json={"user_id": "a", "text": "残高"})).json()
    assert english["messages"][0]["facts"] == {"kind": "error", "status": "unavailable", "reason": "nlu_down"}
    assert "try again" in english["messages"][0]["text"]
    assert "もう一度" in japanese["messages"][0]["text"]
    await rasa.aclose()


async def test_oversized_body_is_refused_before_parsing():
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), "t0ken", {})
    async with _client(api) as client:
        response = await client.post("/v1/messages", content=b'{"user_id":"a","text":"' + b"x" * 70000 + b'"}')
    assert response.status_code == 413
    await rasa.aclose()


class FlakyRasa:
    """Rasa's REST channel behind httpx.MockTransport: down for the first `down` turns, then up."""

    def __init__(self, down: int) -> None:
        self.down, self.turns = down, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.turns += 1
        if self.turns <= self.down:
            return httpx.Response(503)
        return httpx.Response(200, json=[{"text": f"answer {self.turns}"}])


async def test_a_turn_rasa_never_saw_gives_its_request_id_back(ledger):
    """Rasa down: the request_id is released, so the retry is answered; once answered, it is a replay."""
    flaky = FlakyRasa(down=1)
    rasa = RasaClient("http://rasa.test", http=httpx.AsyncClient(transport=httpx.MockTransport(flaky)))
    api = create_api(Conversation(rasa), "t0ken", {}, claim_request=ledger.claim_request,
                     release_request=ledger.release_request)
    body = {"user_id": "retry-user", "text": "balance", "request_id": "r-" + "x" * 90}
    async with _client(api) as client:
        first = (await client.post("/v1/messages", json=body)).json()["messages"][0]
        second = (await client.post("/v1/messages", json=body)).json()["messages"][0]
        third = (await client.post("/v1/messages", json=body)).json()["messages"][0]
    assert first["facts"]["reason"] == "nlu_down"
    assert second["text"] == "answer 2", "the retry reached Rasa"
    assert third["facts"]["reason"] == "replayed_request" and flaky.turns == 2
    assert ledger.claim_request("x" * 5_000) is True and ledger.claim_request("x" * 5_000) is False  # any length
    await rasa.aclose()


async def test_a_huge_body_is_refused_while_it_is_read():
    """A streamed body with no length is cut off once it passes the limit: it is never held whole."""
    produced = []

    async def endless():
        for n in range(1_000):            # 1,000 × 1 MB if nobody stops reading
            produced.append(n)
            yield b"x" * 1_000_000

    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), "t0ken", {})
    async with _client(api) as client:
        response = await client.post("/v1/messages", content=endless())
    assert response.status_code == 413
    assert len(produced) <= 2
    await rasa.aclose()


async def test_deeply_nested_json_and_bad_telegram_ids_are_400():
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), "t0ken", {})
    async with _client(api) as client:
        nested = await client.post("/v1/messages", content=b"[" * 30_000 + b"]" * 30_000)
        bad_tg = await client.post("/v1/messages", json={"user_id": "tg:abc", "text": "balance"})
        bad_tg_notices = await client.get("/v1/notices", params={"user_id": "tg:12x"})
    assert (nested.status_code, nested.json()["error"]["reason"]) == (400, "bad_json")
    assert (bad_tg.status_code, bad_tg.json()["error"]["reason"]) == (400, "bad_user_id")
    assert bad_tg_notices.status_code == 400
    await rasa.aclose()


async def test_the_telegram_webhook_body_has_a_cap():
    received = []

    async def webhook(data: dict) -> None:
        received.append(data)

    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), "t0ken", {}, telegram_webhook=webhook, telegram_secret="s" * 32)
    async with _client(api) as client:
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s" * 32}
        huge = await client.post("/telegram/webhook", content=b'{"update_id": 1, "x": "' + b"y" * 300_000 + b'"}',
                                 headers=headers)
        deep = await client.post("/telegram/webhook", content=b"[" * 5_000 + b"]" * 5_000, headers=headers)
        ok = await client.post("/telegram/webhook", json={"update_id": 2}, headers=headers)
    assert (huge.status_code, deep.status_code, ok.status_code) == (413, 400, 200)
    assert received == [{"update_id": 2}]
    await rasa.aclose()
