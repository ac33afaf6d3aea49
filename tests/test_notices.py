"""Notices the assistant sends unprompted: the 14-day move of reserved points (留保ポイント), announced
first, delivered to Telegram in the user's language through PTB against the local fake Bot API,
and handed to HTTP API clients by GET /v1/notices."""
from __future__ import annotations

import asyncio
import datetime as dt

import httpx
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.conversation import Conversation
from bot.http_api import create_api
from bot.nlu_client import RasaClient
from bot.notices import NoticeDispatcher, render
from ledger.shared.clock import parse_moment
from ops.processes import free_port
from tests.fake_telegram import FakeBotApi

TOKEN = "123:ABC"


def reserved_points_due(ledger, user: str, locale: str | None) -> None:
    """2,000 reserved points on June 1, home municipality Kasama, clock on June 12 (three days before)."""
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.sandbox_grant(user, "jal", 4_000)
    ledger.sandbox_link(user, "jal")
    ledger.convert_points(user, "jal", 4_000, f"{user}-c1")
    ledger.set_home_municipality(user, "kasama")
    if locale:
        ledger.remember_locale(user, locale)


async def test_telegram_user_is_told_before_and_after_the_automatic_move(ledger):
    user = "tg:424242"
    reserved_points_due(ledger, user, "ja")
    ledger.set_test_clock(parse_moment("2018-06-12T09:00"))
    ledger.run_reserved_auto_moves()

    async with FakeBotApi(TOKEN) as fake:
        bot = Bot(TOKEN, base_url=fake.base_url + "/bot", request=HTTPXRequest())
        async with bot:
            dispatcher = NoticeDispatcher(ledger, bot)
            assert await dispatcher.dispatch_once() == 1
            assert await dispatcher.dispatch_once() == 0  # sent once only

            ledger.set_test_clock(parse_moment("2018-06-15T00:10"))
            ledger.run_reserved_auto_moves()
            assert await dispatcher.dispatch_once() == 0, "one message a second to a chat: the next one waits"
            await asyncio.sleep(1.1)
            assert await dispatcher.dispatch_once() == 1

        sent = fake.calls_to("sendMessage")
    assert [m["chat_id"] for m in sent] == [424242, 424242]
    soon, moved = sent[0]["text"], sent[1]["text"]
    assert "2,000" in soon and "笠間市" in soon and "2018年6月15日" in soon
    assert "基本自治体の笠間市へ移りました" in moved
    assert ledger.balance(user).municipal == {"kasama": 2_000}


def test_notice_language_follows_the_user(ledger):
    reserved_points_due(ledger, "api-en", "en")
    reserved_points_due(ledger, "api-ja", None)
    ledger.set_test_clock(parse_moment("2018-06-13T09:00"))
    ledger.run_reserved_auto_moves()
    english = render(ledger, ledger.notices_for("api-en")[0])
    japanese = render(ledger, ledger.notices_for("api-ja")[0])
    assert "will move to Kasama City on 2018-06-15" in english
    assert "笠間市" in japanese  # no language known yet: Japanese


async def test_http_clients_pull_their_notices_once(ledger):
    reserved_points_due(ledger, "api-user", "en")
    reserved_points_due(ledger, "someone-else", "en")
    ledger.set_test_clock(parse_moment("2018-06-15T09:00"))
    ledger.run_reserved_auto_moves()

    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), "t0ken", {}, take_notices=ledger.take_notices,
                     render_notice=lambda n: render(ledger, n))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test",
                                 headers={"Authorization": "Bearer t0ken"}) as client:
        assert (await client.get("/v1/notices", params={"user_id": "api-user"},
                                 headers={"Authorization": "Bearer wrong"})).status_code == 401
        first = (await client.get("/v1/notices", params={"user_id": "api-user"})).json()["notices"]
        again = (await client.get("/v1/notices", params={"user_id": "api-user"})).json()["notices"]
    await rasa.aclose()
    assert [n["facts"]["kind"] for n in first] == ["reserved_moved"]
    assert first[0]["facts"]["amount"] == 2_000 and "Kasama City" in first[0]["text"]
    assert again == []
    assert len(ledger.notices_for("someone-else")) == 1 and not ledger.notices_for("someone-else")[0]["sent"]


class RefusingBot:
    """A Bot for the dispatcher: chat 666 is refused for good (BadRequest), the others get their message."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send_message(self, chat_id: int, text: str) -> None:
        from telegram.error import BadRequest, Forbidden

        if chat_id == 666:
            raise BadRequest("Chat not found")
        if chat_id == 403:
            raise Forbidden("bot was blocked by the user")
        self.sent.append(chat_id)


async def test_a_notice_that_cannot_be_sent_is_closed_after_three_tries_and_never_blocks_the_batch(ledger):
    ledger.set_test_clock(parse_moment("2018-06-13T09:00"))
    now = ledger.clock.now()
    with ledger.uow() as uow:   # oldest first: the two bad ones come before the good one in every batch
        for n, user in enumerate(["tg:not-a-number", "tg:666", "tg:403", "tg:1"]):
            uow.notices.add_once(user_id=user, kind="reserved_move_soon", dedupe_key=f"bad-{n}", at=now,
                                 due_at=now - dt.timedelta(minutes=10 - n),
                                 payload={"amount": 500, "moves_on": "2018-06-15", "municipality": "kasama",
                                          "credited_on": "2018-06-01"})
        uow.commit()
    bot = RefusingBot()
    dispatcher = NoticeDispatcher(ledger, bot)
    for round_ in range(4):
        ledger.set_test_clock(parse_moment("2018-06-13T09:00") + dt.timedelta(minutes=6 * round_))  # past the lease
        await dispatcher.dispatch_once()
        if round_ == 0:
            assert ledger.notices_for("tg:403")[0]["sent"], "a user who blocked the bot: closed at once"
    assert bot.sent == [1], "the good notice went out once, in the first batch"
    states = {n["user_id"]: n["sent"] for n in ledger.notices_for("tg:666") + ledger.notices_for("tg:not-a-number")}
    assert states == {"tg:666": True, "tg:not-a-number": True}, "closed after three tries"
