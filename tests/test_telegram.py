"""Telegram end to end: python-telegram-bot's real HTTP stack against a local fake Bot API.

The bot is the production `build_application` pointed at `tests/fake_telegram.py` (127.0.0.1),
and the conversation is the real one: real Rasa, real action server, same ledger database
(the session `stack` fixture). Covers issue requirements 6 (polling and webhook, inline
keyboards, button presses, the webhook secret-token header) and 7 (reply language from
Telegram's `language_code` or the message's script).
"""
from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from typing import Any, AsyncIterator

import httpx
import pytest
from fake_telegram import FakeBotApi, user
from telegram import Update
from telegram.ext import Application

from bot.conversation import Conversation
from bot.http_api import create_api
from bot.nlu_client import RasaClient
from bot.telegram_bot import build_application

pytestmark = pytest.mark.rasa

TOKEN = "123:ABC"
WAIT = 90.0  # seconds for one Rasa turn on a busy machine (a bound, not a sleep)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def tg_id() -> int:
    return 10**9 + uuid.uuid4().int % 10**9


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as api:
        yield api
        assert api.unknown == [], f"the bot called methods the fake does not know: {api.unknown}"


@pytest.fixture
async def conversation(stack) -> AsyncIterator[Conversation]:
    rasa = RasaClient(stack.settings.rasa_url, token=stack.settings.rasa_token())
    yield Conversation(rasa)
    await rasa.aclose()


@pytest.fixture
def settings(stack):
    return dataclasses.replace(stack.settings, telegram_token=TOKEN, telegram_api_base=None,
                               telegram_webhook_url=None, telegram_webhook_secret=None)


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Start the bot as serve.py does in polling mode; stop it cleanly whatever happens."""
    await app.initialize()
    try:
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await app.start()
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


def buttons_of(params: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def next_message(fake: FakeBotApi, chat_id: int, after: int, *, keyboard: bool = False) -> dict[str, Any]:
    """The first sendMessage to `chat_id` after the first `after` ones (with an inline keyboard, if asked)."""

    def found() -> dict[str, Any] | None:
        for params in fake.sent_to(chat_id)[after:]:
            if not keyboard or params.get("reply_markup"):
                return params
        return None

    return await fake.wait_until(found, WAIT, f"a{' keyboard' if keyboard else ''} message to chat {chat_id}")


async def turn(fake: FakeBotApi, sender: dict[str, Any], text: str) -> str:
    """Send `text`, wait for the bot's answer to it, return all the text it sent for this turn."""
    before = len(fake.sent_to(sender["id"]))
    fake.send_text(sender, text)
    first = await next_message(fake, sender["id"], before)
    return "\n".join(p["text"] for p in fake.sent_to(sender["id"])[before:]) or first["text"]


def method_index(fake: FakeBotApi, method: str, **match: Any) -> int:
    for index, call in enumerate(fake.calls):
        if call.method == method and all(call.params.get(k) == v for k, v in match.items()):
            return index
    raise AssertionError(f"no {method} call matching {match}")


async def test_polling_english_conversion_with_inline_keyboard(stack, fake, conversation, settings):
    person = user(tg_id(), "Alex", "en")
    ledger_user = f"tg:{person['id']}"
    stack.ledger.sandbox_grant(ledger_user, "jal", 5000)
    stack.ledger.sandbox_link(ledger_user, "jal")

    async with polling(build_application(settings, conversation, base_url=fake.base_url)) as app:
        assert fake.calls_to("getMe"), "initialize() asks Telegram who the bot is"
        assert app.bot.username == fake.bot_user["username"]

        fake.send_text(person, "convert 2000 JAL miles")
        confirm = await next_message(fake, person["id"], 0, keyboard=True)
        assert "2,000" in confirm["text"] and "1,000 reserved points" in confirm["text"], confirm["text"]
        assert buttons_of(confirm) == [("Yes, convert", "/affirm"), ("No", "/deny")]
        assert stack.ledger.balance(ledger_user).reserved == 0, "nothing converts before the user confirms"

        sent_before = len(fake.sent_to(person["id"]))
        press = fake.press(person, confirm["_message"], "/affirm")
        done = await next_message(fake, person["id"], sent_before)
        assert done["text"].startswith("Done: 2,000"), done["text"]
        assert "reply_markup" not in done

        query_id = press["callback_query"]["id"]
        answered = method_index(fake, "answerCallbackQuery", callback_query_id=query_id)
        edited = method_index(fake, "editMessageReplyMarkup", chat_id=person["id"],
                              message_id=confirm["_message"]["message_id"])
        assert "reply_markup" not in fake.calls[edited].params, "the keyboard is removed, not replaced"
        assert fake.messages[(person["id"], confirm["_message"]["message_id"])].get("reply_markup") is None
        replied = method_index(fake, "sendMessage", chat_id=person["id"], text=done["text"])
        assert answered < edited < replied

    balance = stack.ledger.balance(ledger_user)
    assert balance.reserved == 1000
    assert balance.partners.get("jal") == 3000


async def test_polling_japanese_conversion_declined(stack, fake, conversation, settings):
    person = user(tg_id(), "さくら", "ja")
    ledger_user = f"tg:{person['id']}"
    stack.ledger.sandbox_grant(ledger_user, "jal", 5000)
    stack.ledger.sandbox_link(ledger_user, "jal")

    async with polling(build_application(settings, conversation, base_url=fake.base_url)):
        fake.send_text(person, "JALの2000マイルを交換したい")
        confirm = await next_message(fake, person["id"], 0, keyboard=True)
        assert JAPANESE.search(confirm["text"]) and "留保ポイント" in confirm["text"], confirm["text"]
        assert buttons_of(confirm) == [("はい、交換する", "/affirm"), ("いいえ", "/deny")]

        sent_before = len(fake.sent_to(person["id"]))
        press = fake.press(person, confirm["_message"], "/deny")
        declined = await next_message(fake, person["id"], sent_before)
        assert "交換をやめました" in declined["text"], declined["text"]
        method_index(fake, "answerCallbackQuery", callback_query_id=press["callback_query"]["id"])
        method_index(fake, "editMessageReplyMarkup", chat_id=person["id"],
                     message_id=confirm["_message"]["message_id"])

    balance = stack.ledger.balance(ledger_user)
    assert balance.reserved == 0
    assert balance.partners.get("jal") == 5000


async def test_reply_language_from_language_code_or_script(stack, fake, conversation, settings):
    """The message's script wins when it shows a language; text that shows none (a command, a button,
    a number) uses the user's last language-showing message, else Telegram's language_code."""
    ja_client = user(tg_id(), "Ken", "ja")
    en_client = user(tg_id(), "Emma", "en")

    async with polling(build_application(settings, conversation, base_url=fake.base_url)):
        # /balance shows no language: Telegram's language_code ("ja") decides.
        reply = await turn(fake, ja_client, "/balance")
        assert "残高" in reply and "Your balance" not in reply, reply

        # English words win over language_code "ja".
        reply = await turn(fake, ja_client, "balance")
        assert "Your balance:" in reply and "残高：" not in reply, reply

        # Neutral input after that keeps the language the user last wrote in.
        reply = await turn(fake, ja_client, "/balance")
        assert "Your balance:" in reply and "残高：" not in reply, reply

        # Japanese script wins over language_code "en".
        reply = await turn(fake, en_client, "残高")
        assert "残高" in reply and "Your balance" not in reply, reply


async def test_webhook_checks_secret_token_and_answers(stack, fake, conversation, settings):
    app = build_application(settings, conversation, webhook=True, base_url=fake.base_url)
    assert app.updater is None

    async def push_update(data: dict) -> None:  # as bot/serve.py wires it
        await app.update_queue.put(Update.de_json(data, app.bot))

    api = create_api(conversation, "tok", {}, telegram_webhook=push_update, telegram_secret="s3cret")
    intruder = user(tg_id(), "Mallory", "en")
    person = user(tg_id(), "Alex", "en")
    ledger_user = f"tg:{person['id']}"
    stack.ledger.sandbox_grant(ledger_user, "jal", 5000)
    stack.ledger.sandbox_link(ledger_user, "jal")

    await app.initialize()
    try:
        await app.start()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
            forged = fake.text_update(intruder, "/balance")
            missing = await client.post("/telegram/webhook", json=forged)
            wrong = await client.post("/telegram/webhook", json=forged,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "not-it"})
            assert missing.status_code == 403 and wrong.status_code == 403
            assert wrong.json()["error"]["reason"] == "forbidden"

            secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            ok = await client.post("/telegram/webhook", json=fake.text_update(person, "convert 2000 JAL miles"),
                                   headers=secret)
            assert ok.status_code == 200
            confirm = await next_message(fake, person["id"], 0, keyboard=True)
            assert buttons_of(confirm) == [("Yes, convert", "/affirm"), ("No", "/deny")]
            # Updates are handled in order: had a forged one been queued, its answer would be out by now.
            assert fake.sent_to(intruder["id"]) == []

            sent_before = len(fake.sent_to(person["id"]))
            pressed = await client.post("/telegram/webhook", headers=secret,
                                        json=fake.press_update(person, confirm["_message"], "/affirm"))
            assert pressed.status_code == 200
            done = await next_message(fake, person["id"], sent_before)
            assert done["text"].startswith("Done: 2,000"), done["text"]
            assert fake.calls_to("answerCallbackQuery") and fake.calls_to("editMessageReplyMarkup")
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()

    assert fake.polls == 0 and fake.sent_to(intruder["id"]) == []
    balance = stack.ledger.balance(ledger_user)
    assert balance.reserved == 1000 and balance.partners.get("jal") == 3000


async def test_editing_an_old_message_is_not_a_new_turn(stack, fake, conversation, settings):
    """Telegram sends edits as `edited_message` updates; replaying an edited "yes" must not confirm
    a pending conversion (replayed input changes nothing in the ledger)."""
    person = user(tg_id(), "Alex", "en")
    ledger_user = f"tg:{person['id']}"
    stack.ledger.sandbox_grant(ledger_user, "jal", 5000)
    stack.ledger.sandbox_link(ledger_user, "jal")

    async with polling(build_application(settings, conversation, base_url=fake.base_url)):
        asked = fake.send_text(person, "convert 2000 JAL miles")
        await next_message(fake, person["id"], 0, keyboard=True)
        sent_before = len(fake.sent_to(person["id"]))
        fake.edit_text(asked, "yes")
        fake.send_text(person, "/help")  # updates are handled in order: once this is answered, the edit was too
        await fake.wait_until(lambda: any("Here is what I can do" in p["text"]
                                          for p in fake.sent_to(person["id"])[sent_before:]), WAIT, "the /help answer")
        after = [p["text"] for p in fake.sent_to(person["id"])[sent_before:]]
        assert not any(text.startswith("Done:") for text in after), after

    balance = stack.ledger.balance(ledger_user)
    assert balance.reserved == 0 and balance.partners.get("jal") == 5000


async def test_a_redelivered_update_is_handled_once(stack, fake, conversation, settings):
    """Telegram redelivers an update when it did not see our 200; the flight must be logged once."""
    import datetime as dt

    from ledger.shared.clock import TOKYO

    app = build_application(settings, conversation, webhook=True, base_url=fake.base_url, ledger=stack.ledger)

    async def push_update(data: dict) -> None:
        await app.update_queue.put(Update.de_json(data, app.bot))

    api = create_api(conversation, "tok", {}, telegram_webhook=push_update, telegram_secret="s3cret")
    person = user(tg_id(), "Alex", "en")
    flown = dt.datetime.now(TOKYO).date() - dt.timedelta(days=1)
    update = fake.text_update(person, f"I flew on {flown.isoformat()} and earned 1342 premium points")
    secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    await app.initialize()
    try:
        await app.start()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
            for _ in range(2):
                assert (await client.post("/telegram/webhook", json=update, headers=secret)).status_code == 200
            await next_message(fake, person["id"], 0)
            help_update = fake.text_update(person, "/help")
            assert (await client.post("/telegram/webhook", json=help_update, headers=secret)).status_code == 200
            await fake.wait_until(lambda: any("Here is what I can do" in p["text"] for p in fake.sent_to(person["id"])),
                                  WAIT, "the /help answer")
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
    texts = [p["text"] for p in fake.sent_to(person["id"])]
    assert sum(text.startswith("Logged your flight") for text in texts) == 1, texts
    assert stack.ledger.status_start(f"tg:{person['id']}", "bronze", year=flown.year).pp == 1342
