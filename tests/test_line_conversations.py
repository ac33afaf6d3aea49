"""Whole conversations on LINE through the real stack (bot, Rasa, actions, ledger) as `make serve` runs it with
LINE configured against the local fake Messaging API, in Japanese and English, like the Telegram tests: a
conversion confirmed with the quick reply's postback, the balance, when a status starts, and a notice pushed."""
from __future__ import annotations

import dataclasses
import json
import time
import uuid

import httpx
import pytest

from ledger.shared.clock import parse_moment
from ops.processes import isolated_settings
from tests.conftest import InThread, running_stack
from tests.fake_line import FakeLineApi, postback_event, signature, text_event, webhook_body

pytestmark = pytest.mark.rasa

SECRET, TOKEN = "line-secret-for-tests", "line-token-for-tests"


@pytest.fixture(scope="module")
def line_stack(tmp_path_factory):
    with InThread(lambda: FakeLineApi(TOKEN)) as fake:
        settings = dataclasses.replace(isolated_settings(tmp_path_factory.mktemp("line-stack")),
                                       line_channel_secret=SECRET, line_channel_access_token=TOKEN,
                                       line_api_base=fake.base_url)
        for running in running_stack(settings):
            yield running, fake


def say(stack, fake: FakeLineApi, event: dict) -> list[dict]:
    """Post one signed event to the bot's webhook; the messages LINE got for it (reply or push)."""
    before = len(fake.replies) + len(fake.pushes)
    body = webhook_body(event)
    response = httpx.post(f"{stack.base_url}/line/webhook", content=body,
                          headers={"X-Line-Signature": signature(body, SECRET)}, timeout=30)
    assert response.status_code == 200
    deadline = time.monotonic() + 60
    while len(fake.replies) + len(fake.pushes) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    calls = (fake.replies + fake.pushes)[before:]
    assert calls, f"no answer to {event.get('message') or event.get('postback')}"
    return [m for call in calls for m in call["messages"]]


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_conversion_confirmed_with_the_postback(line_stack, locale):
    stack, fake = line_stack
    user = "U" + uuid.uuid4().hex
    stack.ledger.sandbox_grant(f"line:{user}", "jal", 5000)
    stack.ledger.sandbox_link(f"line:{user}", "jal")
    asked = say(stack, fake, text_event(user, "JALの2000マイルを交換したい" if locale == "ja" else "convert 2000 JAL miles"))
    items = asked[-1]["quickReply"]["items"]
    affirm = next(item["action"] for item in items if item["action"]["data"] == "/affirm")
    assert affirm["type"] == "postback"
    done = say(stack, fake, postback_event(user, affirm["data"]))
    assert ("1,000" in done[0]["text"]) and stack.ledger.balance(f"line:{user}").reserved == 1000
    assert stack.ledger.balance(f"line:{user}").partners == {"jal": 3000}


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_balance_and_status_start(line_stack, locale):
    stack, fake = line_stack
    user = "U" + uuid.uuid4().hex
    balance = say(stack, fake, text_event(user, "残高は？" if locale == "ja" else "what's my balance"))
    assert ("残高" in balance[0]["text"]) == (locale == "ja")
    started = say(stack, fake, text_event(user, "ブロンズはいつから？" if locale == "ja" else "when does bronze start"))
    assert started[0]["text"]


def test_a_notice_is_pushed_to_a_line_user(line_stack):
    """Linking JAL by LINE (confirmed with the postback) waits a week; when the test clock reaches that day, the
    "linkage is now active" notice is pushed to the user, in Japanese, with a retry key."""
    stack, fake = line_stack
    user = "U" + uuid.uuid4().hex
    stack.ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    try:
        asked = say(stack, fake, text_event(user, "JALのIDを連携して"))
        affirm = next(item["action"] for item in asked[-1]["quickReply"]["items"] if item["action"]["data"] == "/affirm")
        say(stack, fake, postback_event(user, affirm["data"]))
        assert stack.ledger.link_statuses(f"line:{user}")["jal"].status == "pending"
        stack.ledger.set_test_clock(parse_moment("2018-06-09T10:00"))
        deadline = time.monotonic() + 60
        pushed = []
        while time.monotonic() < deadline and not pushed:
            pushed = [p for p in fake.pushes if p["to"] == user]
            time.sleep(0.2)
    finally:
        stack.ledger.set_test_clock(None)
    assert pushed, json.dumps(fake.pushes[-3:], ensure_ascii=False)
    assert pushed[0]["retry_key"] and "JAL" in pushed[0]["messages"][0]["text"]
