"""The progress picture (issue 4 item 6): a PNG of PP over the year, by HTTP and in Telegram."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import httpx
import pytest
from fake_telegram import FakeBotApi, user
from PIL import Image

from bot.chart import chart_values, japanese_font, progress_chart, render_progress_chart
from bot.conversation import Conversation
from bot.http_api import create_api
from bot.nlu_client import RasaClient
from bot.telegram_bot import build_application
from ledger.shared.clock import TOKYO
from ops.processes import free_port

TOKEN = "123:ABC"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _freeze(ledger, day: dt.date) -> None:
    ledger.set_test_clock(dt.datetime(day.year, day.month, day.day, 12, tzinfo=TOKYO))


def _fly(ledger, user_id: str, flights: list[tuple[dt.date, int, bool]]) -> None:
    for i, (day, pp, group) in enumerate(flights):
        ledger.log_flight(user_id, day, pp, f"test:{user_id}:{i}", ana_group=group)


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


BRONZE_YEAR = [(dt.date(2026, 2, 10) + dt.timedelta(days=10 * i), 2000, i % 3 != 0) for i in range(16)]


def test_chart_is_a_png_of_readable_size_and_shows_the_flights(ledger):
    _freeze(ledger, dt.date(2026, 11, 25))
    _fly(ledger, "u:flyer", BRONZE_YEAR)
    flown = progress_chart(ledger, "u:flyer", 2026, "en")
    empty = progress_chart(ledger, "u:nobody", 2026, "en")
    image = _image(flown)
    assert image.format == "PNG"
    assert 600 <= image.width <= 2000 and 300 <= image.height <= 1500
    assert flown != empty
    assert _image(empty).size == image.size


def test_reached_tier_is_marked_on_its_advance_service_day(ledger):
    _freeze(ledger, dt.date(2026, 11, 25))
    _fly(ledger, "u:flyer", BRONZE_YEAR)  # 32,000 PP, 20,000 on ANA-group flights: Bronze, not Platinum
    flights = ledger.flights_for_year("u:flyer", 2026)
    points, tiers = chart_values(flights, 2026, ledger.rules, "en")
    by_id = {tier.id: tier for tier in tiers}
    assert [tier.pp for tier in tiers] == [30000, 50000, 100000]
    assert by_id["bronze"].advance_service_from == ledger.status_start("u:flyer", "bronze").advance_service_from
    assert by_id["platinum"].advance_service_from is None
    assert sum(pp for _, pp, _ in points) == 32000


def test_flights_of_other_years_are_not_drawn(ledger):
    _freeze(ledger, dt.date(2026, 11, 25))
    _fly(ledger, "u:a", [(dt.date(2025, 6, 1), 5000, True)])
    assert ledger.flights_for_year("u:a", 2026) == []
    assert progress_chart(ledger, "u:a", 2026, "en") == progress_chart(ledger, "u:nobody", 2026, "en")
    assert progress_chart(ledger, "u:a", 2025, "en") != progress_chart(ledger, "u:nobody", 2025, "en")


def test_japanese_labels_differ_from_english():
    points = [(dt.date(2026, 3, 1), 10000, True)]
    english = render_progress_chart(points, [], dt.date(2026, 5, 1), "en")
    japanese = render_progress_chart(points, [], dt.date(2026, 5, 1), "ja")
    if japanese_font() is None:
        assert japanese == english  # no Japanese font on this machine: English labels, never empty boxes
    else:
        assert japanese != english


def _api(ledger, token: str = "t0ken"):
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    api = create_api(Conversation(rasa), token, {},
                     progress_chart=lambda user_id, year, locale: progress_chart(ledger, user_id, year, locale))
    return api, rasa


async def test_http_chart_needs_the_token_and_returns_a_png(ledger):
    _freeze(ledger, dt.date(2026, 11, 25))
    _fly(ledger, "tg:5", BRONZE_YEAR)
    api, rasa = _api(ledger)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as anonymous:
        assert (await anonymous.get("/v1/status/chart", params={"user_id": "tg:5"})).status_code == 401
        wrong = await anonymous.get("/v1/status/chart", params={"user_id": "tg:5"},
                                    headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                 headers={"Authorization": "Bearer t0ken"}) as client:
        response = await client.get("/v1/status/chart", params={"user_id": "tg:5", "year": "2026", "locale": "ja"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        assert _image(response.content).format == "PNG"
        this_year = await client.get("/v1/status/chart", params={"user_id": "tg:5"})  # year from the test clock
        assert this_year.status_code == 200 and this_year.content != (
            await client.get("/v1/status/chart", params={"user_id": "tg:5", "year": "2025"})).content
    await rasa.aclose()


@pytest.mark.parametrize("params, reason", [
    ({"user_id": ""}, "bad_user_id"),
    ({"user_id": "has space"}, "bad_user_id"),
    ({"user_id": "a", "year": "20x6"}, "bad_year"),
    ({"user_id": "a", "year": "1999"}, "bad_year"),
    ({"user_id": "a", "year": "-2026"}, "bad_year"),
    ({"user_id": "a", "locale": "fr"}, "bad_locale"),
])
async def test_http_chart_bad_input_is_400_with_a_reason(ledger, params, reason):
    api, rasa = _api(ledger)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test",
                                 headers={"Authorization": "Bearer t0ken"}) as client:
        response = await client.get("/v1/status/chart", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == reason
    await rasa.aclose()


async def test_telegram_chart_sends_a_photo_with_a_japanese_caption(ledger):
    _freeze(ledger, dt.date(2026, 11, 25))
    japanese_user = user(4242, "花子", language_code="ja")
    english_user = user(4343, "Ann", language_code="en")
    _fly(ledger, "tg:4242", BRONZE_YEAR)
    photos, texts = await _send_chart_commands(ledger, japanese_user, english_user)
    assert [p["chat_id"] for p in photos] == [4242, 4343]
    japanese, english = photos
    assert JAPANESE.search(japanese["caption"]) and "32,000" in japanese["caption"]
    assert "プラチナまであと18,000 PP" in japanese["caption"]
    assert not JAPANESE.search(english["caption"]) and "0 PP" in english["caption"]
    assert _image(japanese["photo"]).format == "PNG"
    assert japanese["photo"] != english["photo"]
    assert texts == []  # the picture, not a text answer



async def test_telegram_chart_speaks_the_language_the_user_last_wrote_in(ledger):
    """An English Telegram app, but the user writes Japanese: the caption follows what they write."""
    _freeze(ledger, dt.date(2026, 11, 25))
    _fly(ledger, "tg:4444", BRONZE_YEAR)
    ledger.remember_locale("tg:4444", "ja")
    photos, _ = await _send_chart_commands(ledger, user(4444, "Ken", language_code="en"))
    assert len(photos) == 1 and JAPANESE.search(photos[0]["caption"])


async def _send_chart_commands(ledger, *senders) -> tuple[list[dict], list]:
    """Each sender types /chart to the bot (fake Bot API); the photos sent, and any text messages sent."""
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")  # /chart never asks the NLU
    async with FakeBotApi(TOKEN) as fake:
        settings = dataclasses.replace(ledger.settings, telegram_token=TOKEN, telegram_api_base=None,
                                       telegram_webhook_url=None, telegram_webhook_secret=None)
        app = build_application(settings, Conversation(rasa), base_url=fake.base_url, ledger=ledger)
        await app.initialize()
        try:
            for sender in senders:
                await app.process_update(_update(app, fake.text_update(sender, "/chart")))
        finally:
            await app.shutdown()
        assert fake.unknown == []
        photos = fake.calls_to("sendPhoto")
        texts = [m for sender in senders for m in fake.sent_to(sender["id"])]
    await rasa.aclose()
    return photos, texts


def _update(app, data):
    from telegram import Update

    return Update.de_json(data, app.bot)
