"""Users choose their notices by chat (issue 15, item 4): /notices lists them, /mute and /unmute take a kind by
its name in either language (or "all"), /quiet sets quiet hours in Tokyo time — through the conversation, as
Telegram and the HTTP API deliver them, with no NLU needed; and through Telegram itself against the fake."""
from __future__ import annotations

import dataclasses

from bot.conversation import Conversation
from bot.nlu_client import RasaClient
from bot.telegram_bot import build_application
from ledger.shared.clock import parse_moment
from ops.processes import free_port
from tests.fake_telegram import FakeBotApi, user

TOKEN = "123:ABC"

USER = "tg:5150"


async def say(conversation: Conversation, text: str, locale: str | None = None):
    [reply] = await conversation.handle(USER, text, locale)
    return reply


async def test_a_user_lists_mutes_unmutes_and_sets_quiet_hours_in_both_languages(ledger):
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")          # no NLU running: none is needed
    conversation = Conversation(rasa, passwords=ledger)
    listed = await say(conversation, "/notices", "en")
    assert "status card on its way" in listed.text and "No quiet hours" in listed.text
    assert listed.facts["muted"] == [] and "campaign_ends" in listed.facts["kinds"]

    muted = await say(conversation, "/mute キャンペーン終了の予告")
    assert muted.text.startswith("次の通知をオフにしました") and muted.facts["muted"] == ["campaign_ends"]
    muted = await say(conversation, "/mute Status Card On Its Way", "en")
    assert muted.facts["muted"] == ["campaign_ends", "status_card_due"] and "status card" in muted.text
    assert "🔕 status card on its way" in (await say(conversation, "/notices", "en")).text

    unknown = await say(conversation, "/mute spam", "en")
    assert unknown.facts["reason"] == "unknown_notice_kind" and "spam" in unknown.text
    assert ledger.notice_settings(USER)["muted"] == ["campaign_ends", "status_card_due"], "nothing changed"

    quiet = await say(conversation, "/quiet 22時 7時")
    assert quiet.facts["quiet_from"] == "22:00" and quiet.facts["quiet_until"] == "07:00"
    assert "22:00〜07:00" in quiet.text
    bad = await say(conversation, "/quiet at night", "en")
    assert bad.facts["reason"] == "bad_quiet_hours" and "22:00" in bad.text
    assert (await say(conversation, "/quiet off", "en")).facts["quiet_from"] is None

    everything = await say(conversation, "/unmute 全部")
    assert everything.facts["muted"] == [] and "またお送りします" in everything.text
    assert (await say(conversation, "/mute all", "en")).facts["muted"] == sorted(listed.facts["kinds"])
    await rasa.aclose()


async def test_muting_by_telegram_stops_that_notice_and_quiet_hours_hold_it(ledger):
    from tests.test_status_notices import crossing

    crossing(ledger)                                   # Bronze: advance service due 2016-06-10 08:00 Tokyo
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}")
    conversation = Conversation(rasa, passwords=ledger)
    async with FakeBotApi(TOKEN) as fake:
        settings = dataclasses.replace(ledger.settings, telegram_token=TOKEN, telegram_api_base=None,
                                       telegram_webhook_url=None, telegram_webhook_secret=None)
        app = build_application(settings, conversation, base_url=fake.base_url, ledger=ledger)
        async with app:
            await app.start()
            await app.updater.start_polling()
            sender = user(31342, "Aki", language_code="ja")
            fake.send_text(sender, "/mute ステータス本番開始")
            await fake.wait_for("sendMessage", 1, chat_id=31342)
            fake.send_text(sender, "/quiet 21:00 9:30")
            [muted, quiet] = await fake.wait_for("sendMessage", 2, chat_id=31342)
            await app.updater.stop()
            await app.stop()
    await rasa.aclose()
    assert "ステータス本番開始" in muted["text"] and "21:00〜09:30" in quiet["text"]
    ledger.set_test_clock(parse_moment("2016-06-10T08:30"))
    assert ledger.claim_due_notices("t", 50, "") == [], "08:30 is inside the quiet hours"
    ledger.set_test_clock(parse_moment("2017-04-01T10:00"))
    kinds = [n["kind"] for n in ledger.claim_due_notices("t", 50, "")]
    assert "main_status_starts" not in kinds and "advance_service_starts" in kinds
