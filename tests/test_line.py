"""The LINE channel (bot/line.py) through the SDK's real HTTP stack against the local fake Messaging API, with a
scripted Rasa behind the real conversation core and a real ledger (redeliveries are claimed there): the signature
refusal, reply versus push, a redelivery, a postback confirmation, quick replies, and a group chat."""
from __future__ import annotations

import asyncio
import json

import httpx
from starlette.applications import Starlette

from bot.conversation import Conversation
from bot.line import LineChannel, line_route
from bot.nlu_client import RasaClient
from tests.fake_line import FakeLineApi, postback_event, signature, text_event, webhook_body

SECRET, TOKEN = "line-channel-secret", "line-access-token"
USER = "U0123456789abcdef0123456789abcdef"


class ScriptedRasa:
    """Rasa's REST channel behind httpx.MockTransport: a conversion question with buttons, then its answer."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay, self.seen = delay, []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.seen.append((body["sender"], body["message"]))
        await asyncio.sleep(self.delay)
        if body["message"] == "/affirm":
            return httpx.Response(200, json=[{"text": "交換しました：2,000マイル → 1,000ポイント",
                                              "custom": {"facts": {"kind": "conversion", "status": "done"}}}])
        return httpx.Response(200, json=[{"text": "JALの2,000マイルを1,000ポイントに交換しますか？", "buttons": [
            {"title": "はい、交換する", "payload": "/affirm"}, {"title": "やめる", "payload": "/deny"}]}])


async def run(ledger, events_bodies, *, delay=0.0, reply_within=20.0, sign=True):
    rasa_script = ScriptedRasa(delay)
    rasa = RasaClient("http://rasa.test", http=httpx.AsyncClient(transport=httpx.MockTransport(rasa_script)))
    async with FakeLineApi(TOKEN) as fake:
        channel = LineChannel(Conversation(rasa), SECRET, TOKEN, claim_event=ledger.claim_request,
                              api_base=fake.base_url, reply_within=reply_within)
        app = Starlette(routes=[line_route(channel)])
        statuses = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
            for body in events_bodies:
                headers = {"X-Line-Signature": signature(body, SECRET) if sign else signature(body, "wrong")}
                statuses.append((await client.post("/line/webhook", content=body, headers=headers)).status_code)
                await channel.idle()
        await channel.aclose()
        await rasa.aclose()
    return statuses, fake, rasa_script


def test_a_forged_signature_is_refused_and_nothing_runs(ledger):
    statuses, fake, rasa = asyncio.run(run(ledger, [webhook_body(text_event(USER, "残高"))], sign=False))
    assert statuses == [403]
    assert rasa.seen == [] and fake.replies == [] and fake.pushes == []


def test_a_quick_turn_is_answered_with_the_reply_token_and_buttons_become_postbacks(ledger):
    event = text_event(USER, "JALの2000マイルを交換したい")
    statuses, fake, rasa = asyncio.run(run(ledger, [webhook_body(event)]))
    assert statuses == [200]
    assert rasa.seen == [(f"line:{USER}", "JALの2000マイルを交換したい")]
    assert fake.pushes == [] and len(fake.replies) == 1
    reply = fake.replies[0]
    assert reply["replyToken"] == event["replyToken"]
    actions = [item["action"] for item in reply["messages"][-1]["quickReply"]["items"]]
    assert [(a["type"], a["data"], a["displayText"]) for a in actions] == [
        ("postback", "/affirm", "はい、交換する"), ("postback", "/deny", "やめる")]


def test_a_slow_turn_is_pushed_with_a_retry_key(ledger):
    statuses, fake, _ = asyncio.run(run(ledger, [webhook_body(text_event(USER, "残高"))], delay=0.3, reply_within=0.1))
    assert statuses == [200] and fake.replies == []
    assert [(p["to"], bool(p["retry_key"])) for p in fake.pushes] == [(USER, True)]


def test_a_redelivered_event_is_handled_once(ledger):
    first = text_event(USER, "JALの2000マイルを交換したい")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    statuses, fake, rasa = asyncio.run(run(ledger, [webhook_body(first), webhook_body(again)]))
    assert statuses == [200, 200]
    assert len(rasa.seen) == 1 and len(fake.replies) == 1


def test_a_postback_confirms_with_the_buttons_payload(ledger):
    bodies = [webhook_body(text_event(USER, "JALの2000マイルを交換したい")), webhook_body(postback_event(USER, "/affirm"))]
    _, fake, rasa = asyncio.run(run(ledger, bodies))
    assert rasa.seen[-1] == (f"line:{USER}", "/affirm")
    assert "交換しました" in fake.texts()[-1]


def test_in_a_group_nothing_personal_is_said(ledger):
    statuses, fake, rasa = asyncio.run(run(ledger, [webhook_body(text_event(USER, "残高", group="Cgroup1"))]))
    assert statuses == [200] and rasa.seen == []
    assert len(fake.replies) == 1 and "1対1" in fake.texts()[0]
