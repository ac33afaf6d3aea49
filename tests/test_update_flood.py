"""A flood from one Telegram user (bot/telegram_bot.py PerUserUpdateProcessor): their updates wait in order behind
their running turn, at most ten of them; the rest are dropped, and other users' updates run at once."""
from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.telegram_bot import PerUserUpdateProcessor


def update_from(user_id: int, n: int) -> Update:
    user = User(user_id, "U", False)
    message = Message(n, None, Chat(user_id, "private"), from_user=user, text=str(n))
    return Update(n, message=message)


async def test_a_flooding_user_waits_in_order_and_others_do_not_wait():
    processor = PerUserUpdateProcessor(max_concurrent_updates=64, max_waiting_per_user=10)
    done: list[tuple[int, int]] = []
    gate = asyncio.Event()

    async def turn(user: int, n: int, slow: bool) -> None:
        if slow:
            await gate.wait()
        done.append((user, n))

    flood = [asyncio.create_task(processor.do_process_update(update_from(1, n), turn(1, n, True))) for n in range(30)]
    await asyncio.sleep(0.05)
    calm = asyncio.create_task(processor.do_process_update(update_from(2, 99), turn(2, 99, False)))
    await asyncio.wait_for(calm, 1.0)
    assert done == [(2, 99)], "the calm user's turn ran while the flood waited"
    gate.set()
    await asyncio.gather(*flood)
    mine = [n for user, n in done if user == 1]
    assert mine == sorted(mine) and mine[0] == 0, "the flood's kept updates ran in order"
    assert len(mine) == 11 and processor.dropped == 19, "one running, ten waiting, the rest dropped"
