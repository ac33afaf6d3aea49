"""Logging in with a My Number card from the chat (issue 14), on the real stack: the chat gives a pairing code,
the card bridge (with an emulated card, in process) logs in through the HTTP API, and the chat is told — in
Japanese and in English, with a wrong PIN, a replayed challenge and a log-out."""
from __future__ import annotations

import base64
import re

import httpx
import pytest

from cardbridge import agent
from cardbridge.emulator import InProcessTransport, new_card
from cardbridge.errors import CardError
from cardbridge.jpki import JpkiCard
from cardbridge.message import login_message
from ledger.common.card_trust import sandbox_ca
from tests.conftest import facts_of, new_user, text_of

pytestmark = pytest.mark.rasa
CODE = re.compile(r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")


def pairing_code(stack, user: str, text: str) -> str:
    """The code the chat gives, from its words (the facts never carry it); the answer says where to type it."""
    answer = stack.say(user, text)
    assert facts_of(answer, "card_pairing"), text_of(answer)
    assert "cardbridge login" in text_of(answer)
    found = CODE.search(text_of(answer))
    assert found, text_of(answer)
    return found.group(1)


def notices(stack, user: str) -> list[dict]:
    with stack.client() as client:
        return client.get("/v1/notices", params={"user_id": user}).json()["notices"]


@pytest.mark.parametrize("locale, ask, done_words", [
    ("en", "log in with my My Number card", "Logged in with your My Number card"),
    ("ja", "マイナンバーカードでログインしたい", "マイナンバーカードでログインしました"),
])
def test_a_whole_card_login_from_the_chat(stack, locale, ask, done_words):
    user = new_user("card")
    card = new_card(sandbox_ca(stack.settings.var_dir))
    code = pairing_code(stack, user, ask)

    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        with pytest.raises(CardError) as wrong:
            agent.login(stack.base_url, code, InProcessTransport(card), ask_pin=lambda a: "0000",
                        confirm_last_try=lambda: False, client=client)
        assert (wrong.value.code, wrong.value.details["tries_left"]) == ("wrong_pin", 2)
        done = agent.login(stack.base_url, code, InProcessTransport(card), ask_pin=lambda a: "1234",
                           confirm_last_try=lambda: False, client=client)
    assert done["status"] == "logged_in"
    told = notices(stack, user)
    assert [n["facts"]["kind"] for n in told] == ["card_login"] and done_words in told[0]["text"]
    assert done["mykey_id"] in told[0]["text"]

    locked = new_card(sandbox_ca(stack.settings.var_dir))
    locked.tries = 0
    with httpx.Client(base_url=stack.base_url, timeout=30) as client, pytest.raises(CardError) as refused:
        agent.login(stack.base_url, pairing_code(stack, user, ask), InProcessTransport(locked),
                    ask_pin=lambda a: "1234", confirm_last_try=lambda: True, client=client)
    assert refused.value.code == "pin_locked" and ("市区町村" in refused.value.message("ja"))
    assert notices(stack, user) == [], "a locked card logs nobody in and tells the chat nothing"

    bye = stack.say(user, "log out" if locale == "en" else "ログアウト")
    assert facts_of(bye, "login")["status"] == "logged_out", text_of(bye)
    assert stack.ledger.login_session(user) is None


def test_a_replayed_login_is_refused_and_logs_nobody_in(stack):
    user = new_user("replay")
    card = new_card(sandbox_ca(stack.settings.var_dir))
    code = pairing_code(stack, user, "/login")
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        challenge = client.post("/v1/card-login/challenge", json={"pairing_code": code}).json()
        jpki = JpkiCard(InProcessTransport(card))
        der = jpki.read_auth_certificate()
        jpki.verify_pin("1234")
        signature = jpki.sign(login_message(stack.base_url, challenge["challenge_id"],
                                            base64.b64decode(challenge["challenge"]), challenge["issued_at"]))
        body = {"challenge_id": challenge["challenge_id"], "certificate": base64.b64encode(der).decode(),
                "signature": base64.b64encode(signature).decode()}
        assert client.post("/v1/card-login/complete", json=body).status_code == 200
        stack.ledger.logout(user)
        again = client.post("/v1/card-login/complete", json=body)
    assert (again.status_code, again.json()["error"]["reason"]) == (410, "challenge_replayed")
    assert stack.ledger.login_session(user) is None
