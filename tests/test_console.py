"""The console chat that `make run` opens: typed lines and numbered buttons, through the HTTP API."""
from __future__ import annotations

import os
import sys

import pexpect
import pytest

from tests.conftest import new_user

pytestmark = pytest.mark.rasa


def test_console_chat_converts_with_a_numbered_button(stack):
    user = new_user("console")
    stack.ledger.set_test_clock(None)
    stack.ledger.sandbox_grant(user, "jal", 5000)
    stack.ledger.sandbox_link(user, "jal")
    env = dict(os.environ, POINTSBOT_VAR_DIR=str(stack.settings.var_dir),
               POINTSBOT_HTTP_PORT=str(stack.settings.http_port), POINTSBOT_API_TOKEN=stack.token)
    chat = pexpect.spawn(sys.executable, ["-m", "bot.console", user], env=env, encoding="utf-8", timeout=60)
    try:
        chat.expect("you> ")
        chat.sendline("JALの2000マイルを交換したい")
        chat.expect(r"\[1\] はい、交換する\s+\[2\] いいえ")
        chat.expect("you> ")
        chat.sendline("1")
        chat.expect("交換しました")
        chat.expect("you> ")
        chat.sendline("/quit")
        chat.expect(pexpect.EOF)
    finally:
        chat.close(force=True)
    balance = stack.ledger.balance(user)
    assert (balance.reserved, balance.partners["jal"]) == (1000, 3000)
