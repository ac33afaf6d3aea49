"""Rate limits on the HTTP API (bot/rate_limits.py): a user or a token over its rate gets 429 with Retry-After
before any turn runs, and other users go on as if nothing happened."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.conversation import Conversation
from bot.http_api import create_api
from bot.rate_limits import RateLimits, TokenBuckets

TOKEN = "t" * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    buckets = TokenBuckets(2.0, 3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5), "empty: the next token in half a second"
    assert buckets.take("b") == 0, "another key has its own bucket"
    clock.now += 0.5
    assert buckets.take("a") == 0 and buckets.take("a") > 0
    clock.now += 100
    assert [buckets.take("a") for _ in range(4)][-1] > 0, "never more than the burst, however long it waited"
    with pytest.raises(ValueError):
        TokenBuckets(0, 1)


def api(ledger, limits: RateLimits) -> TestClient:
    app = create_api(Conversation(rasa=None, passwords=ledger), TOKEN, {}, rate_limits=limits,
                     take_notices=ledger.take_notices, render_notice=lambda n: n["kind"])
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def test_a_flooding_user_is_refused_and_the_others_are_not(ledger):
    clock = Clock()
    with api(ledger, RateLimits(user_rate=1, user_burst=3, clock=clock)) as client:
        def turn(user: str):
            return client.post("/v1/messages", json={"user_id": user, "text": "/notices", "locale": "en"})

        assert [turn("flood").status_code for _ in range(3)] == [200, 200, 200]
        refused = turn("flood")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["reason"] == "rate_limited"
        assert turn("calm").status_code == 200, "another user is not held back"
        assert client.post("/v1/voice", json={"user_id": "flood", "text": "/notices"}).status_code == 429
        assert client.get("/v1/notices", params={"user_id": "flood"}).status_code == 429
        clock.now += 1.0
        assert turn("flood").status_code == 200, "after Retry-After it goes again"


def test_a_token_over_its_rate_is_refused_for_everyone(ledger):
    clock = Clock()
    with api(ledger, RateLimits(token_rate=1, token_burst=2, clock=clock)) as client:
        codes = [client.post("/v1/messages", json={"user_id": f"u{i}", "text": "/notices"}).status_code
                 for i in range(3)]
        assert codes == [200, 200, 429]
        clock.now += 1.0
        assert client.post("/v1/messages", json={"user_id": "u9", "text": "/notices"}).status_code == 200


def test_an_unauthorised_flood_costs_no_ones_budget(ledger):
    clock = Clock()
    with api(ledger, RateLimits(user_rate=1, user_burst=1, clock=clock)) as client:
        for _ in range(5):
            assert client.post("/v1/messages", json={"user_id": "victim", "text": "/notices"},
                               headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.post("/v1/messages", json={"user_id": "victim", "text": "/notices"}).status_code == 200
