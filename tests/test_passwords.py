"""MyKey ID + password (issue 14 item 4): argon2 hashes, set only after a card login, limits per account and per
user, the same answer for an unknown ID and a wrong password, and passwords that never reach Rasa."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.conversation import Conversation, is_password_command
from cardbridge import agent
from cardbridge.emulator import InProcessTransport, new_card
from ledger.common.card_trust import sandbox_ca
from ledger.shared.refusals import Refusal
from tests.test_card_login import ORIGIN, api  # noqa: F401 — the card endpoints, for a real card login first

USER = "tg:777"
PASSWORD = "correct horse 42"


def card_login(ledger, api, user=USER) -> str:
    code = ledger.start_card_login(user).code
    done = agent.login(ORIGIN, code, InProcessTransport(new_card(sandbox_ca(ledger.settings.var_dir))),
                       ask_pin=lambda a: "1234", confirm_last_try=lambda: False, client=api)
    return done["mykey_id"]


def reason(call, *args) -> str:
    with pytest.raises(Refusal) as refused:
        call(*args)
    return refused.value.reason


def test_a_password_is_set_after_a_card_login_and_opens_a_session(ledger, api):
    assert reason(ledger.set_mykey_password, USER, PASSWORD) == "card_login_first"
    mykey = card_login(ledger, api)
    assert reason(ledger.set_mykey_password, USER, "short1") == "weak_password"
    assert reason(ledger.set_mykey_password, USER, "no digits here") == "weak_password"
    assert ledger.set_mykey_password(USER, PASSWORD) == mykey
    with ledger.uow() as uow:
        stored = uow.card_logins.password_hash(mykey)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    ledger.logout(USER)
    session = ledger.password_login("tg:other-device", mykey.lower(), PASSWORD)
    assert (session.method, session.mykey_id) == ("password", mykey)
    assert ledger.login_session("tg:other-device").method == "password"


def test_unknown_id_and_wrong_password_read_the_same_and_attempts_are_limited(ledger, api):
    mykey = card_login(ledger, api)
    ledger.set_mykey_password(USER, PASSWORD)
    assert reason(ledger.password_login, "tg:a", "MKAAAAAAAAAAAAAA", PASSWORD) == "bad_credentials"
    for _ in range(5):
        assert reason(ledger.password_login, "tg:b", mykey, "wrong password 1") == "bad_credentials"
    assert reason(ledger.password_login, "tg:c", mykey, PASSWORD) == "login_paused", "per account"
    ledger.set_test_clock(ledger.clock.now() + dt.timedelta(minutes=16))
    assert ledger.password_login("tg:c", mykey, PASSWORD).method == "password"
    for n in range(10):
        ledger.set_test_clock(ledger.clock.now() + dt.timedelta(seconds=1))
        assert reason(ledger.password_login, "tg:d", f"MKAAAAAAAAAAAA{n:02d}"[:16], "x1234567") == "bad_credentials"
    assert reason(ledger.password_login, "tg:d", mykey, PASSWORD) == "login_paused", "per user"


class NoRasa:
    """Rasa must never see a password: any call fails the test."""

    async def send(self, *args, **kwargs):
        raise AssertionError(f"a password command reached Rasa: {args}")


@pytest.mark.parametrize("locale, logged_words", [("en", "Logged in with MyKey ID"), ("ja", "でログインしました")])
async def test_password_commands_are_handled_without_rasa(ledger, api, locale, logged_words):
    mykey = card_login(ledger, api)
    conversation = Conversation(NoRasa(), passwords=ledger)
    set_reply = await conversation.handle(USER, f"/setpassword {PASSWORD.replace(' ', '-')}", locale)
    assert set_reply[0].facts["status"] == "password_set", set_reply[0].text
    ledger.logout(USER)
    logged = await conversation.handle(USER, f"/mykey {mykey} {PASSWORD.replace(' ', '-')}", locale)
    assert logged[0].facts["kind"] == "login" and logged_words in logged[0].text
    wrong = await conversation.handle(USER, f"/mykey {mykey} wrong-password-1", locale)
    assert wrong[0].facts["reason"] == "bad_credentials" and "wrong-password" not in wrong[0].text
    assert is_password_command("/MyKey@pointsbot MK x") and not is_password_command("my key is lost")


async def test_telegram_never_reads_a_password_in_a_group_and_deletes_it_in_private(ledger, api, tmp_path):
    """A group message with /mykey is deleted and refused unread; a private one is deleted and logs in."""
    import dataclasses

    from bot.telegram_bot import build_application
    from tests.conftest import make_settings
    from tests.fake_telegram import FakeBotApi, user
    from tests.test_telegram import polling

    mykey = card_login(ledger, api, "tg:5150")
    ledger.set_mykey_password("tg:5150", "horse-battery-42")
    ledger.logout("tg:5150")
    person = user(5150, language_code="ja")
    async with FakeBotApi("123:ABC") as fake:
        settings = dataclasses.replace(make_settings(tmp_path / "tg"), telegram_token="123:ABC",
                                       telegram_api_base=fake.base_url)
        app = build_application(settings, Conversation(NoRasa(), passwords=ledger))
        async with polling(app):
            in_group = fake.send_text(person, f"/mykey {mykey} horse-battery-42", group=-100123)
            said = await fake.wait_for("sendMessage", chat_id=-100123)
            assert "グループチャット" in said[0]["text"]
            assert {"chat_id": -100123, "message_id": in_group["message"]["message_id"]} in [
                {k: int(c[k]) for k in ("chat_id", "message_id")} for c in fake.calls_to("deleteMessage")]
            assert ledger.login_session("tg:5150") is None, "never read in a group"

            private = fake.send_text(person, f"/mykey {mykey} horse-battery-42")
            said = await fake.wait_for("sendMessage", chat_id=5150)
            assert "でログインしました" in said[0]["text"]
            assert int(private["message"]["message_id"]) in [int(c["message_id"]) for c in fake.calls_to("deleteMessage")]
        assert fake.unknown == []
    assert ledger.login_session("tg:5150").method == "password"
