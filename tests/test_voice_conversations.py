"""Whole spoken conversations (issue 16, item 5) on the real Rasa, action server and ledger, in both languages:
through `POST /v1/voice` and through the Alexa skill (signed requests, checks on) — a conversion with its spoken
confirmation, the balance, when a status starts, and a chart, which is answered in words."""
from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from starlette.applications import Starlette

from bot.alexa import alexa_route
from bot.chart import chart_caption
from bot.conversation import Conversation
from bot.nlu_client import RasaClient
from bot.voice import STATUS_LIMIT, VoiceChannel
from ledger.shared.clock import parse_moment
from tests.alexa_requests import CHAIN_URL, SKILL_ID, SigningChain, intent, launch, signed
from tests.conftest import new_user

pytestmark = pytest.mark.rasa

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
SYMBOLS = re.compile(r"[•*_`#→⇒]|https?://|[\U0001F000-\U0001FAFF]")
SCRIPTS = {
    "ja": {"convert": "JALの2000マイルを交換したい", "yes": "お願い", "balance": "残高は？", "status": "ブロンズはいつから？",
           "chart": "グラフを見せて", "date": "2016年6月10日", "chart_words": "言葉で"},
    "en": {"convert": "convert 2000 JAL miles", "yes": "sure", "balance": "what's my balance", "status":
           "when does bronze start", "chart": "show me my chart", "date": "June tenth, twenty sixteen",
           "chart_words": "in words"},
}


def spoken_well(speech: str) -> None:
    assert speech and not ISO.search(speech) and not SYMBOLS.search(speech), speech


def jal_user(stack, prefix: str) -> str:
    user = new_user(prefix)
    stack.ledger.set_test_clock(None)
    stack.ledger.sandbox_grant(user, "jal", 5000)
    stack.ledger.sandbox_link(user, "jal")
    return user


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_spoken_conversation_through_v1_voice(stack, lang):
    words = SCRIPTS[lang]
    user = jal_user(stack, f"voice-{lang}")
    with stack.client() as client:
        def say(text: str) -> dict:
            response = client.post("/v1/voice", json={"user_id": user, "text": text, "locale": lang})
            assert response.status_code == 200, response.text
            body = response.json()
            spoken_well(body["speech"])
            return body

        asked = say(words["convert"])
        assert asked["end_session"] is False and asked["reprompt"], "a question keeps the session open"
        assert any(m["facts"].get("status") == "needs_confirmation" for m in asked["messages"])
        assert stack.ledger.balance(user).reserved == 0
        done = say(words["yes"])
        assert any(m["facts"].get("status") == "done" for m in done["messages"]), done
        assert stack.ledger.balance(user).reserved == 1000
        balance = say(words["balance"])
        assert ("1,000" if lang == "ja" else "one thousand") in balance["speech"]
        stack.ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
        try:
            stack.ledger.log_flight(user, dt.date(2016, 6, 8), 30_000, f"voice-{user}")
            status = say(words["status"])
            assert words["date"] in status["speech"]
            size = len(status["speech"]) if lang == "ja" else len(status["speech"].split())
            assert size <= STATUS_LIMIT[lang], status["speech"]
            chart = say(words["chart"])
            assert words["chart_words"] in chart["speech"] and "30,000" in chart["messages"][0]["text"]
        finally:
            stack.ledger.set_test_clock(None)


@pytest.mark.parametrize("lang, locale", [("ja", "ja-JP"), ("en", "en-US")])
async def test_a_spoken_conversation_through_the_alexa_skill(stack, lang, locale):
    words = SCRIPTS[lang]
    chain = SigningChain()
    rasa = RasaClient(stack.settings.rasa_url, token=stack.settings.rasa_token())
    channel = VoiceChannel(Conversation(rasa, passwords=stack.ledger),
                           chart_caption=lambda user_id, loc: chart_caption(stack.ledger, user_id, None, loc))
    app = Starlette(routes=[alexa_route(channel, skill_id=SKILL_ID, fetch=lambda url: chain.pem() if url == CHAIN_URL
                                        else b"", trust_roots=[chain.root_pem()])])
    alexa_id = f"amzn1.ask.account.{new_user('alexa')}"
    user = channel_user = None
    attributes: dict = {}

    async def ask(body: dict) -> dict:
        nonlocal attributes
        text, headers = signed(chain, body)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a.test",
                                     timeout=90) as client:
            response = await client.post("/v1/alexa", content=text.encode(), headers=headers)
        assert response.status_code == 200, response.text
        answer = response.json()
        attributes = answer.get("sessionAttributes") or {}
        speech = answer["response"].get("outputSpeech", {}).get("ssml", "")
        spoken_well(re.sub(r"<[^>]+>", "", speech))
        return answer

    from bot.alexa import alexa_user
    user = channel_user = alexa_user(alexa_id)
    stack.ledger.set_test_clock(None)
    stack.ledger.sandbox_grant(user, "jal", 5000)
    stack.ledger.sandbox_link(user, "jal")
    try:
        opened = await ask(launch(locale=locale, user=alexa_id))
        assert opened["response"]["shouldEndSession"] is False
        asked = await ask(intent("QueryIntent", words["convert"], locale=locale, user=alexa_id))
        assert asked["response"]["shouldEndSession"] is False and asked["response"]["reprompt"]
        await ask(intent("AMAZON.YesIntent", locale=locale, user=alexa_id, attributes=attributes))
        assert stack.ledger.balance(channel_user).reserved == 1000, "the spoken yes confirmed the exchange"
        balance = await ask(intent("QueryIntent", words["balance"], locale=locale, user=alexa_id))
        assert ("1,000" if lang == "ja" else "one thousand") in balance["response"]["outputSpeech"]["ssml"]
        stack.ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
        stack.ledger.log_flight(user, dt.date(2016, 6, 8), 30_000, f"alexa-{user}")
        status = await ask(intent("QueryIntent", words["status"], locale=locale, user=alexa_id))
        assert words["date"] in status["response"]["outputSpeech"]["ssml"]
        chart = await ask(intent("QueryIntent", words["chart"], locale=locale, user=alexa_id))
        assert words["chart_words"] in chart["response"]["outputSpeech"]["ssml"]
        bye = await ask(intent("AMAZON.StopIntent", locale=locale, user=alexa_id))
        assert bye["response"]["shouldEndSession"] is True
    finally:
        stack.ledger.set_test_clock(None)
        await rasa.aclose()
