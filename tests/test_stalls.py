"""One slow call stalls nobody else: a partner that hangs holds up only its own user's turn, and that user hears
"in progress" well before the bot stops waiting, then gets a notice when the exchange settles."""
from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest
from telegram import Chat, Message, Update, User

from bot.telegram_bot import PerUserUpdateProcessor
from tests.conftest import facts_of, new_user, text_of


@pytest.mark.rasa
def test_a_hanging_partner_stalls_nobody_else(partner_stack):
    stack, fake = partner_stack
    slow, fast = new_user("slow"), new_user("fast")
    for user, miles in ((slow, 10_000), (fast, 5_000)):
        fake.grant(user, "jal", miles)
        stack.ledger.sandbox_link(user, "jal")
    asked = stack.say(slow, "convert 2000 JAL miles")
    assert facts_of(asked, "conversion")["status"] == "needs_confirmation"
    fake.fail("debit", "hang_after", times=10, delay=20.0)   # the partner debits, then does not answer for 20 s

    answers: dict[str, object] = {}

    def say_yes() -> None:
        started = time.monotonic()
        answers["slow"] = stack.say(slow, "yes")
        answers["slow_seconds"] = time.monotonic() - started

    worker = threading.Thread(target=say_yes)
    worker.start()
    time.sleep(1.0)   # A's debit is hanging now
    started = time.monotonic()
    balance = stack.say(fast, "balance")
    fast_seconds = time.monotonic() - started
    worker.join(timeout=60)

    assert facts_of(balance, "balance")["partners"] == {"jal": 5_000}
    assert fast_seconds < 2.0, f"B waited {fast_seconds:.1f} s behind A's partner"
    pending = facts_of(answers["slow"], "conversion")
    assert (pending["status"], pending["reason"]) == ("pending", "exchange_pending")
    assert "in progress" in text_of(answers["slow"])
    assert answers["slow_seconds"] < 20, "A hears 'in progress' long before the bot stops waiting (30 s)"
    assert stack.ledger.balance(slow).reserved == 0 and fake.held(slow, "jal") == (8_000, 0)

    report = stack.ledger.recover_exchanges(older_than=dt.timedelta(0))
    assert report.done == 1 and stack.ledger.balance(slow).reserved == 1_000
    assert [n["kind"] for n in stack.ledger.notices_for(slow)] == ["exchange_done"]
    assert fake.debits_applied and set(fake.debits_applied.values()) == {1}


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", is_bot=False)
    return Update(update_id, message=Message(update_id, None, Chat(user_id, "private"), from_user=user, text="hi"))


async def test_telegram_users_are_served_at_once_and_each_users_turns_in_order():
    processor = PerUserUpdateProcessor()
    log: list[str] = []

    async def turn(name: str, seconds: float) -> None:
        log.append(f"{name} start")
        await asyncio.sleep(seconds)
        log.append(f"{name} end")

    await asyncio.gather(processor.process_update(_update(1, 10), turn("A1", 0.3)),
                         processor.process_update(_update(2, 10), turn("A2", 0.0)),
                         processor.process_update(_update(3, 20), turn("B1", 0.0)))
    assert log.index("B1 end") < log.index("A1 end"), "B is not held up by A's slow turn"
    assert log.index("A1 end") < log.index("A2 start"), "A's second update waits for the first"
    assert not processor.current_concurrent_updates
