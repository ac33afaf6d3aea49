"""The Alexa skill endpoint (bot/alexa.py) through the Alexa Skills Kit SDK: requests signed with a test chain
are answered; anything unsigned, forged, stale or for another skill is refused before it reaches the assistant."""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bot.alexa import alexa_route
from bot.conversation import Conversation, Reply
from bot.voice import VoiceChannel
from ledger.config import InsecureSetting, Settings
from ops import alexa_model
from tests.alexa_requests import CHAIN_URL, SKILL_ID, SigningChain, intent, launch, session_ended, signed
from tests.test_actions import ledger  # noqa: F401  (a fixture)
from tests.test_voice import YES_NO, Answers, replies, status_answer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chain() -> SigningChain:
    return SigningChain()


def app_for(channel: VoiceChannel, chain: SigningChain, **kw) -> Starlette:
    fetched = []

    def fetch(url: str) -> bytes:   # the network: Amazon's S3 serving the chain
        fetched.append(url)
        return chain.pem() if url == CHAIN_URL else b""

    app = Starlette(routes=[alexa_route(channel, skill_id=SKILL_ID, fetch=fetch, trust_roots=[chain.root_pem()],
                                        **kw)])
    app.state.fetched = fetched
    return app


async def post(app: Starlette, body: str, headers: dict) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alexa.test") as client:
        return await client.post("/v1/alexa", content=body.encode("utf-8"), headers=headers)


async def ask(app, chain, body: dict) -> dict:
    text, headers = signed(chain, body)
    response = await post(app, text, headers)
    assert response.status_code == 200, response.text
    return response.json()


def speech(answer: dict) -> str:
    return answer["response"]["outputSpeech"]["ssml"]


async def test_launch_greets_in_the_skills_language_and_keeps_the_session_open(ledger, chain):  # noqa: F811
    app = app_for(VoiceChannel(Conversation(rasa=None, passwords=ledger)), chain)
    ja = await ask(app, chain, launch(locale="ja-JP"))
    assert "アシスタント" in speech(ja) and ja["response"]["shouldEndSession"] is False
    assert ja["response"]["reprompt"]["outputSpeech"]
    en = await ask(app, chain, launch(locale="en-US"))
    assert "assistant" in speech(en)


async def test_a_query_is_a_turn_of_the_conversation(ledger, chain):  # noqa: F811
    app = app_for(VoiceChannel(Conversation(rasa=None, passwords=ledger)), chain)
    first = await ask(app, chain, intent("QueryIntent", "/notices", locale="en-US"))
    assert "and ten more" in speech(first) and first["response"]["shouldEndSession"] is True
    assert "<lang" not in speech(first) and speech(first).startswith("<speak>")
    ended = await ask(app, chain, session_ended(locale="en-US"))
    assert "outputSpeech" not in ended["response"]


async def test_a_long_answer_continues_through_session_attributes(ledger, chain):  # noqa: F811
    said = replies(await status_answer(ledger, "ブロンズはいつから？", "ja"))
    conversation = Answers([Reply(r.text) for r in said])        # the long chat text, without its status facts
    app = app_for(VoiceChannel(conversation), chain)
    first = await ask(app, chain, intent("QueryIntent", "ブロンズはいつから"))
    assert first["response"]["shouldEndSession"] is False and "続けて" in speech(first)
    carried = first["sessionAttributes"]["voice"]
    assert carried["rest"], "the rest rides in the session"
    more = await ask(app, chain, intent("QueryIntent", "続けて", attributes={"voice": carried}))
    assert speech(more) != speech(first) and conversation.heard == ["ブロンズはいつから"]


async def test_yes_and_no_answer_an_open_question_carried_in_the_session(ledger, chain):  # noqa: F811
    conversation = Answers([Reply("JALマイル2,000を留保ポイント1,000に交換しますか？", YES_NO)])
    app = app_for(VoiceChannel(conversation), chain)
    asked = await ask(app, chain, intent("QueryIntent", "JALマイルを2000交換して"))
    assert asked["response"]["shouldEndSession"] is False and "お答えください" in asked["response"]["reprompt"][
        "outputSpeech"]["ssml"]
    carried = asked["sessionAttributes"]["voice"]
    assert carried["buttons"] == YES_NO
    await ask(app, chain, intent("AMAZON.YesIntent", attributes={"voice": carried}))
    assert conversation.heard[-1] == "/affirm"
    await ask(app, chain, intent("QueryIntent", "やっぱりやめる", attributes={"voice": carried}))
    assert conversation.heard[-1] == "/deny"
    bye = await ask(app, chain, intent("AMAZON.CancelIntent", attributes={"voice": carried}))
    assert conversation.heard[-1] == "/deny", "cancel answers an open confirmation with no"
    assert bye["response"]["shouldEndSession"] is True


async def test_help_and_stop(ledger, chain):  # noqa: F811
    app = app_for(VoiceChannel(Conversation(rasa=None, passwords=ledger)), chain)
    helped = await ask(app, chain, intent("AMAZON.HelpIntent", locale="en-US"))
    assert "balance" in speech(helped) and helped["response"]["shouldEndSession"] is False
    stopped = await ask(app, chain, intent("AMAZON.StopIntent"))
    assert "またどうぞ" in speech(stopped) and stopped["response"]["shouldEndSession"] is True


def forged(chain: SigningChain) -> SigningChain:
    other = SigningChain()
    chain_copy = SigningChain.__new__(SigningChain)
    chain_copy.__dict__ = dict(chain.__dict__, signer=other.key)
    return chain_copy


@pytest.mark.parametrize("attack", ["unsigned", "forged signature", "body changed after signing", "wrong chain url",
                                    "untrusted root", "another domain", "expired certificate", "stale timestamp",
                                    "another skill"])
async def test_requests_that_are_not_amazons_are_refused(ledger, chain, attack):  # noqa: F811
    conversation = Answers([Reply("should never be said")])
    body = intent("QueryIntent", "残高", age_seconds=200 if attack == "stale timestamp" else 0,
                  skill_id="amzn1.ask.skill.someone-else" if attack == "another skill" else SKILL_ID)
    signer = {"forged signature": forged(chain), "untrusted root": SigningChain(),
              "another domain": SigningChain("evil.example.com"),
              "expired certificate": SigningChain(days_valid=(-10, -1))}.get(attack, chain)
    app = app_for(VoiceChannel(conversation), chain)
    if signer is not chain:   # the attacker's chain is what the URL serves
        app = Starlette(routes=[alexa_route(VoiceChannel(conversation), skill_id=SKILL_ID,
                                            fetch=lambda url: signer.pem(), trust_roots=[chain.root_pem()])])
    text, headers = signed(signer, body, url="https://evil.example.com/echo.api/c.pem" if attack == "wrong chain url"
                           else CHAIN_URL)
    if attack == "unsigned":
        headers = {"Content-Type": "application/json"}
    if attack == "body changed after signing":
        text = text.replace("残高", "全部交換")
    response = await post(app, text, headers)
    assert response.status_code == 400, (attack, response.text)
    assert conversation.heard == [], "nothing reached the assistant"


async def test_checks_are_off_only_in_sandbox(ledger, chain):  # noqa: F811
    with pytest.raises(InsecureSetting):
        Settings.from_env({"ALEXA_VERIFY": "0", "POINTSBOT_SANDBOX": "0"}).check_alexa()
    Settings.from_env({"ALEXA_VERIFY": "0", "POINTSBOT_SANDBOX": "1"}).check_alexa()
    app = Starlette(routes=[alexa_route(VoiceChannel(Conversation(rasa=None, passwords=ledger)), verify=False)])
    answer = await post(app, json.dumps(launch(locale="en-US")), {"Content-Type": "application/json"})
    assert answer.status_code == 200, "unsigned requests are taken when the checks are off (sandbox)"
    assert (await post(app, "{not json", {})).status_code == 400
    assert (await post(app, "x" * 70_000, {})).status_code == 413


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
def test_the_interaction_model_is_the_nlu_data(locale):
    """voice/alexa/*.json is what `pointsbot nlu alexa-model` makes of nlu/data: change one, regenerate the other."""
    committed = (REPO / "voice" / "alexa" / f"{locale}.json").read_text(encoding="utf-8")
    assert committed == alexa_model.rendered(locale), "run `pointsbot nlu alexa-model` after changing nlu/data"
    language = json.loads(committed)["interactionModel"]["languageModel"]
    intents = {i["name"] for i in language["intents"]}
    assert {"QueryIntent", "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent",
            "AMAZON.HelpIntent", "AMAZON.FallbackIntent"} <= intents
    values = {v["name"]["value"] for v in language["types"][0]["values"]}
    japanese = locale == "ja-JP"
    for name, examples in alexa_model.phrasings().items():
        mine = [alexa_model.sayable(e) for e in examples if bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", e)) == japanese]
        assert not mine or values & set(mine), f"{name}: none of its phrasings reach Alexa"
    assert all(len(v) <= 140 and not re.search(r"[{}\[\]()<>/*]", v) for v in values)
    assert ("続けて" if japanese else "more") in values
