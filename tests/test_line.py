"""The LINE channel (bot/line.py) through the SDK's real HTTP stack against the local fake Messaging API, with a
scripted Rasa behind the real conversation core and a real ledger (redeliveries are claimed there): the signature
refusal, reply versus push, a redelivery, a postback confirmation, quick replies, and a group chat."""
from __future__ import annotations

import asyncio
import json

import httpx
from starlette.applications import Starlette

from bot.conversation import Conversation
from bot.line import LineChannel, line_routes
from bot.line_chart import ChartLinks
from bot.nlu_client import RasaClient
from bot.notices import NoticeDispatcher
from tests.conftest import with_wall
from tests.fake_line import FakeLineApi, follow_event, postback_event, signature, text_event, webhook_body
from tests.test_notice_dispatch import due_notices

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
                              set_reachable=ledger.set_reachable, api_base=fake.base_url, reply_within=reply_within)
        app = Starlette(routes=line_routes(channel))
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


def test_follow_greets_and_unfollow_stops_the_notices(ledger):
    statuses, fake, _ = asyncio.run(run(ledger, [webhook_body(follow_event(USER))]))
    assert statuses == [200] and "友だち追加" in fake.texts()[0] and "Thanks for adding me" in fake.texts()[0]
    asyncio.run(run(ledger, [webhook_body(follow_event(USER, follows=False))]))
    due_notices(ledger, [])   # the test clock where the notices below are due
    ledger.set_test_clock(ledger.clock.now())
    with ledger.uow() as uow:
        uow.notices.add_once(user_id=f"line:{USER}", kind="reserved_move_soon", dedupe_key="left", at=ledger.clock.now(),
                             due_at=ledger.clock.now(), payload={"amount": 1000, "moves_on": "2018-06-15",
                                                                 "municipality": "kasama", "credited_on": "2018-06-01"})
        uow.commit()
    assert asyncio.run(push_notices(ledger)) == ([], 0), "nothing is pushed to someone who left"


async def push_notices(ledger, *, quota=None, lose=0):
    async with FakeLineApi(TOKEN) as fake:
        fake.lose_answers = lose
        rasa = RasaClient("http://rasa.test")
        channel = LineChannel(Conversation(rasa), SECRET, TOKEN, claim_event=ledger.claim_request,
                              api_base=fake.base_url, monthly_quota=quota)
        walled, wall = with_wall(ledger)
        dispatcher = NoticeDispatcher(walled, channel=channel.notice_channel())
        delivered = 0
        for _ in range(3):   # a retry after a lost answer waits for its backoff: move on, as the scheduler does
            delivered += await dispatcher.dispatch_once()
            wall.advance(600)
        notes = await channel.health_notes()
        await channel.aclose()
        await rasa.aclose()
    return [(p["to"], p["messages"][0]["text"]) for p in fake.pushes], delivered if not notes else notes


def line_notices(ledger, users: list[str]) -> None:
    due_notices(ledger, [])
    now = ledger.clock.now()
    with ledger.uow() as uow:
        for n, user in enumerate(users):
            uow.notices.add_once(user_id=f"line:{user}", kind="reserved_move_soon", dedupe_key=f"{user}", at=now,
                                 due_at=now, payload={"amount": 1000 + n, "moves_on": "2018-06-15",
                                                      "municipality": "kasama", "credited_on": "2018-06-01"})
        uow.commit()


def test_notices_are_pushed_to_line_users_once(ledger):
    users = [f"U{n:032x}" for n in range(3)]
    line_notices(ledger, users)
    pushes, delivered = asyncio.run(push_notices(ledger, lose=1))   # one answer lost: retried with its key,
    assert sorted(to for to, _ in pushes) == sorted(users)           # which LINE refuses as already accepted (409)
    assert delivered == 2
    assert all("1,00" in text for _, text in pushes)
    assert all(n["sent"] for user in users for n in ledger.notices_for(f"line:{user}"))


def test_when_the_monthly_quota_is_used_up_notices_wait_and_healthz_says_so(ledger):
    users = [f"U{n:032x}" for n in range(5)]
    line_notices(ledger, users)
    pushes, notes = asyncio.run(push_notices(ledger, quota=2))
    assert len(pushes) == 2
    assert "quota (2) is used up" in notes["line"]
    waiting = [n for user in users for n in ledger.notices_for(f"line:{user}") if not n["sent"]]
    assert len(waiting) == 3, "the rest wait in the outbox for next month"


def test_the_rich_menu_offers_the_main_tasks_once(ledger):
    async def install_twice():
        async with FakeLineApi(TOKEN) as fake:
            rasa = RasaClient("http://rasa.test")
            channel = LineChannel(Conversation(rasa), SECRET, TOKEN, claim_event=ledger.claim_request,
                                  api_base=fake.base_url)
            first, second = await channel.install_menu(), await channel.install_menu()   # a restart reuses it
            await channel.aclose()
            await rasa.aclose()
        return fake, first, second

    fake, first, second = asyncio.run(install_twice())
    assert first == second == fake.default_rich_menu and len(fake.rich_menus) == 1
    menu = fake.rich_menus[first]
    assert [area["action"]["label"] for area in menu["request"]["areas"]] == ["残高", "交換", "ステータス", "搭乗記録", "ヘルプ"]
    assert all(area["action"]["type"] == "message" for area in menu["request"]["areas"])
    image = menu["image"]
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")) == (2500, 843)


def test_chart_links_are_signed_per_user_and_expire():
    clock = [1_000_000.0]
    drawn = []
    links = ChartLinks("secret-a", "https://bot.example", lambda u, y, loc: drawn.append((u, y, loc)) or b"\x89PNG-fake",
                       now=lambda: clock[0])
    url = links.link("line:Ualice", None, "ja")
    name = url.rsplit("/", 1)[1]
    assert url.startswith("https://bot.example/line/chart/") and links.read(name)["u"] == "line:Ualice"
    what, signature, _ = name.split(".")
    forged_what = what[:-2] + ("AA" if what[-2:] != "AA" else "BB")
    assert links.read(f"{forged_what}.{signature}.png") is None, "another user's link cannot be made"
    assert ChartLinks("secret-b", "https://bot.example", links.chart).read(name) is None, "another channel's key"
    app = Starlette(routes=[links.route()])

    async def fetch(path):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://bot.example") as c:
            return await c.get(path)
    ok = asyncio.run(fetch(f"/line/chart/{name}"))
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png" and drawn == [("line:Ualice", None, "ja")]
    clock[0] += 24 * 3600 + 1
    assert asyncio.run(fetch(f"/line/chart/{name}")).status_code == 404, "a day later the link is dead"
    assert links.read(name) is None


def test_asking_for_the_chart_sends_the_picture_with_its_caption(ledger):
    async def ask(origin):
        async with FakeLineApi(TOKEN) as fake:
            rasa = RasaClient("http://rasa.test")
            links = ChartLinks(SECRET, origin, lambda u, y, loc: b"png")
            channel = LineChannel(Conversation(rasa), SECRET, TOKEN, claim_event=ledger.claim_request,
                                  api_base=fake.base_url, chart_links=links,
                                  caption=lambda user, locale: f"{user} {locale}: 今年 12,000 PP")
            app = Starlette(routes=line_routes(channel))
            body = webhook_body(text_event(USER, "グラフを見せて"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
                await client.post("/line/webhook", content=body, headers={"X-Line-Signature": signature(body, SECRET)})
                await channel.idle()
            await channel.aclose()
            await rasa.aclose()
        return fake.replies[0]["messages"]

    shown = asyncio.run(ask("https://bot.example"))
    assert [m["type"] for m in shown] == ["image", "text"]
    assert shown[0]["originalContentUrl"].startswith("https://bot.example/line/chart/")
    assert shown[1]["text"] == f"line:{USER} ja: 今年 12,000 PP"
    in_words = asyncio.run(ask("http://127.0.0.1:8080"))   # LINE cannot fetch a plain-HTTP link: words instead
    assert [m["type"] for m in in_words] == ["text"] and "12,000 PP" in in_words[0]["text"]
