"""Crashes: a child that dies is restarted by the supervisor's watchdog, /healthz names it while it is down, the
user gets a clear answer meanwhile, and the conversation goes on where it was (Rasa keeps it in SQL)."""
from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from ops.processes import isolated_settings
from tests.conftest import RunningStack, facts_of, new_user, running_stack

pytestmark = pytest.mark.rasa


@pytest.fixture
def own_stack(tmp_path):
    """A stack of its own: this test kills its processes."""
    yield from running_stack(isolated_settings(tmp_path / "var"))


def _kill(stack: RunningStack, name: str) -> None:
    os.killpg(stack.processes.processes[name].pid, signal.SIGKILL)


def _down(stack: RunningStack) -> list[str]:
    response = httpx.get(f"{stack.base_url}/healthz", timeout=10)
    return [] if response.status_code == 200 else response.json()["down"]


def _healthy_within(stack: RunningStack, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not _down(stack):
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"still down after {seconds} s: {_down(stack)}")


def test_killed_actions_then_rasa_come_back_and_the_form_goes_on(own_stack):
    stack = own_stack
    user = new_user("crash")
    stack.ledger.sandbox_grant(user, "jal", 5_000)
    stack.ledger.sandbox_link(user, "jal")
    assert "how many" in " ".join(m["text"] for m in stack.say(user, "convert my JAL miles")).lower()

    _kill(stack, "actions")
    assert "actions" in _down(stack)
    meanwhile = stack.say(user, "2000")
    assert facts_of(meanwhile)["reason"] == "no_answer" and "try again" in meanwhile[0]["text"]
    assert _healthy_within(stack, 60) < 60
    asked = stack.say(user, "2000")
    assert facts_of(asked, "conversion")["status"] == "needs_confirmation", "the form went on where it was"

    _kill(stack, "rasa")
    assert "nlu" in _down(stack)
    down = stack.say(user, "yes")
    assert facts_of(down)["reason"] == "nlu_down" and "try again" in down[0]["text"]
    assert stack.ledger.balance(user).reserved == 0
    assert _healthy_within(stack, 60) < 60
    done = facts_of(stack.say(user, "yes"), "conversion")
    assert done["status"] == "done", "Rasa restarted with the form and its quote kept (SQL tracker store)"
    assert stack.ledger.balance(user).reserved == 1_000
    assert stack.processes.restarts == {"actions": 1, "rasa": 1}
