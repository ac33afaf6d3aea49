"""Nobody gets past the front door: Rasa's HTTP API is off, its message channel and the action server refuse
anyone without the install's secret, and each child process sees only the environment it needs."""
from __future__ import annotations

import httpx
import pytest

from ledger.config import Settings
from ops.rasa_cli import child_env
from tests.conftest import new_user


def _environ(pid: int) -> dict[str, str]:
    raw = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def _victim(stack) -> str:
    """A user with 1,000 reserved points, and what they hold."""
    user = new_user("victim")
    stack.ledger.sandbox_grant(user, "jal", 2_000)
    stack.ledger.sandbox_link(user, "jal")
    stack.ledger.convert_points(user, "jal", 2_000, f"{user}:convert")
    return user


@pytest.mark.rasa
@pytest.mark.parametrize("method, path", [("POST", "/model/parse"), ("GET", "/conversations/someone/tracker"),
                                          ("PUT", "/model"), ("POST", "/conversations/someone/messages"),
                                          ("GET", "/status")])
def test_rasas_http_api_is_off(stack, method, path):
    response = httpx.request(method, f"{stack.settings.rasa_url}{path}", json={"text": "hi", "model_file": "/tmp/x"},
                             timeout=10)
    assert response.status_code in (404, 405)


@pytest.mark.rasa
def test_rasas_message_channel_needs_the_secret(stack):
    user = _victim(stack)
    before = stack.ledger.balance(user)
    url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": stack.settings.rasa_token()}):
        for text in ("move my reserved points to Kasama", "all", "yes"):
            response = httpx.post(url, json={"sender": user, "message": text}, headers=headers, timeout=30)
            assert response.status_code == 401
    assert stack.ledger.balance(user) == before
    assert stack.ledger.history(user)[0]["what"] == "conversion"
    ok = httpx.post(url, json={"sender": new_user(), "message": "hello"}, timeout=30,
                    headers={"Authorization": f"Bearer {stack.settings.rasa_token()}"})
    assert ok.status_code == 200 and ok.json(), "the bot's own requests still work"


@pytest.mark.rasa
def test_the_action_server_refuses_a_hand_made_tracker(stack):
    """Posting a tracker that names another user, as any local process could, changes nothing."""
    user = _victim(stack)
    before = stack.ledger.balance(user)
    call = {"next_action": "action_move_points", "sender_id": user, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": user, "slots": {"municipality": "kasama", "amount": "-500", "confirm": True,
                                                     "quote_key": "attack"},
                        "latest_message": {"text": "yes", "intent": {"name": "affirm"}}, "events": [],
                        "active_loop": {}, "latest_action_name": "action_listen"}}
    base = stack.settings.action_url
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert httpx.post(f"{base}/webhook", json=call, headers=headers, timeout=30).status_code == 401
        assert httpx.get(f"{base}/actions", headers=headers, timeout=10).status_code == 401
    call["tracker"]["slots"]["amount"] = "1000"
    assert httpx.post(f"{base}/webhook", json=call, timeout=30).status_code == 401
    assert stack.ledger.balance(user) == before
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200


@pytest.mark.rasa
def test_children_see_only_what_they_need(stack):
    secrets = {"POINTSBOT_API_TOKEN": stack.settings.api_token()}
    for name in ("rasa", "actions"):
        env = _environ(stack.processes.processes[name].pid)
        assert "POINTSBOT_API_TOKEN" not in env and "TELEGRAM_BOT_TOKEN" not in env, name
        assert not any(value in secrets.values() for value in env.values()), name
    assert "POINTSBOT_DATABASE_URL" not in _environ(stack.processes.processes["rasa"].pid)
    assert _environ(stack.processes.processes["bot"].pid)["POINTSBOT_API_TOKEN"] == secrets["POINTSBOT_API_TOKEN"]


def test_only_the_bot_is_given_the_telegram_token(tmp_path):
    settings = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": "123:secret",
                                  "POINTSBOT_API_TOKEN": "x" * 40, "POINTSBOT_PARTNER_TOKEN": "partner-secret"})
    assert child_env(settings, "bot")["TELEGRAM_BOT_TOKEN"] == "123:secret"
    for role in ("rasa", "actions"):
        env = child_env(settings, role)
        assert "123:secret" not in env.values() and "x" * 40 not in env.values(), role
    assert "partner-secret" not in child_env(settings, "rasa").values()


def test_rasa_never_phones_home(tmp_path):
    """Rasa's telemetry posts usage to Segment and crash reports to sentry.io, a crash report carrying the tracker
    store's URL with its password: every Rasa process (training, testing, serving) runs with it off."""
    settings = Settings.from_env({"POINTSBOT_VAR_DIR": str(tmp_path)})
    assert child_env(settings, "rasa")["RASA_TELEMETRY_ENABLED"] == "false"
