"""Notice settings said in words (issue 15): the kinds a message names, the quiet hours it gives, and the actions
that change the settings from them — in Japanese and English, with "all", corrections and a change of mind."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.notices import (
    ActionMuteNotices,
    ActionNoticeSettings,
    ActionQuietHours,
    ActionUnmuteNotices,
    kinds_named,
    quiet_hours_in,
)
from ledger.common.notices import NOTICE_KINDS
from tests.test_actions import USER, ledger, run, tracker  # noqa: F401  (ledger is a fixture)

KINDS = list(NOTICE_KINDS)
PHRASINGS = yaml.safe_load((Path(__file__).parent / "data" / "notice_phrasings.yml").read_text(encoding="utf-8"))
STATUS = ["advance_service_starts", "main_status_starts", "status_card_due"]


def test_the_kinds_and_hours_people_meant_are_read_from_their_words():
    checked, wrong = 0, []
    for item in PHRASINGS:
        expect = item.get("expect") or {}
        if "kinds" in expect:
            want = KINDS if expect["kinds"] == ["all"] else [k for k in KINDS if k in expect["kinds"]]
            got = kinds_named(item["text"], KINDS) or KINDS      # naming none means every kind
        elif "quiet" in expect:
            want = expect["quiet"] if expect["quiet"] == "off" else tuple(expect["quiet"])
            got = quiet_hours_in(item["text"])
        else:
            continue
        checked += 1
        if got != want:
            wrong.append((item["text"], got, want))
    assert checked >= 50
    assert len(wrong) <= checked // 20, wrong     # "I'm at work 9 to 6" is read as 21:00–06:00, a night


def test_a_longer_name_wins_over_the_words_inside_it():
    assert kinds_named("ステータスカードの通知を止めて", KINDS) == ["status_card_due"]
    assert kinds_named("ステータスの通知を止めて", KINDS) == STATUS
    assert kinds_named("mute the login expiry warnings", KINDS) == ["session_expiring"]
    assert kinds_named("stop the card login message", KINDS) == ["card_login"]
    assert kinds_named("stop the campaign and exchange alerts", KINDS) == ["exchange_done", "exchange_failed",
                                                                           "campaign_ends"]
    assert kinds_named("ＡＬＬ", KINDS) == KINDS and kinds_named("全部止めて", KINDS) == KINDS
    assert kinds_named("stop notifications", KINDS) is None
    assert kinds_named("my app keeps buzzing", KINDS) is None, "no 'pp' inside 'app'"


def test_quiet_hours_as_people_write_them():
    assert quiet_hours_in("夜10時から朝7時まで") == ("22:00", "07:00")
    assert quiet_hours_in("午後１１時〜午前６時半") == ("23:00", "06:30")
    assert quiet_hours_in("10pm to 7am") == ("22:00", "07:00")
    assert quiet_hours_in("from 11 at night until 6:30 in the morning") == ("23:00", "06:30")
    assert quiet_hours_in("10 to 7") == ("22:00", "07:00"), "two bare hours: an evening and a morning"
    assert quiet_hours_in("between ten pm and seven am") == ("22:00", "07:00")
    assert quiet_hours_in("midnight till 8") == ("00:00", "08:00")
    assert quiet_hours_in("夜12時から朝6時") == ("00:00", "06:00")
    assert quiet_hours_in("quiet hours off") == "off" and quiet_hours_in("おやすみ時間を解除") == "off"
    assert quiet_hours_in("be quiet at night") is None


async def test_a_conversation_mutes_changes_its_mind_and_sets_quiet_hours(ledger):  # noqa: F811
    said = []

    async def say(action, text, locale="ja"):
        messages, _ = await run(action, tracker(text, locale=locale))
        said.append(messages[0])
        return messages[0]["text"], messages[0]["custom"]["facts"] if "custom" in messages[0] else \
            messages[0]["json_message"]["facts"]

    text, facts = await say(ActionMuteNotices(), "キャンペーンの通知はもういらない")
    assert facts["muted"] == ["campaign_ends"] and "キャンペーン終了の予告" in text
    text, facts = await say(ActionMuteNotices(), "あとステータスカードのも")
    assert facts["muted"] == ["campaign_ends", "status_card_due"]
    text, facts = await say(ActionUnmuteNotices(), "やっぱりキャンペーンのは戻して")
    assert facts["muted"] == ["status_card_due"] and "またお送りします" in text
    text, facts = await say(ActionQuietHours(), "don't message me between 10pm and 7am", "en")
    assert (facts["quiet_from"], facts["quiet_until"]) == ("22:00", "07:00") and "22:00–07:00" in text
    text, facts = await say(ActionQuietHours(), "make it 11pm to 6:30am instead", "en")
    assert (facts["quiet_from"], facts["quiet_until"]) == ("23:00", "06:30")
    text, facts = await say(ActionQuietHours(), "quiet at night please", "en")
    assert facts["reason"] == "bad_quiet_hours" and "22:00" in text
    assert ledger.notice_settings(USER)["quiet_from"] == "23:00", "a message it could not read changes nothing"
    text, facts = await say(ActionNoticeSettings(), "what notifications do I get?", "en")
    assert "🔕 status card on its way" in text and "23:00–06:30" in text
    text, facts = await say(ActionMuteNotices(), "stop sending me notifications", "en")
    assert facts["muted"] == sorted(KINDS), "naming no kind mutes every kind"
    text, facts = await say(ActionUnmuteNotices(), "通知を全部再開して")
    assert facts["muted"] == [] and text.startswith("次の通知をまたお送りします")
    text, facts = await say(ActionQuietHours(), "おやすみ時間を解除して")
    assert facts["quiet_from"] is None and "解除しました" in text


@pytest.mark.rasa
@pytest.mark.parametrize("lang, said", [
    ("ja", ["通知の設定を見せて", "キャンペーンのお知らせはもういらない", "夜11時から朝6時までは通知しないで",
            "やっぱりキャンペーンの通知を再開して"]),
    ("en", ["which notifications do I get?", "stop sending me the campaign reminders",
            "don't message me between 11pm and 6am", "actually, turn the campaign notices back on"]),
])
def test_notice_settings_said_in_words_through_the_assistant(stack, lang, said):
    from tests.conftest import facts_of, new_user

    user = new_user(f"notices-{lang}")
    shown, muted, quiet, unmuted = (facts_of(stack.say(user, text), "notice_settings") for text in said)
    assert shown["status"] == "shown" and shown["muted"] == []
    assert muted["status"] == "muted" and muted["muted"] == ["campaign_ends"]
    assert (quiet["quiet_from"], quiet["quiet_until"]) == ("23:00", "06:00")
    assert unmuted["status"] == "unmuted" and unmuted["muted"] == []
    assert stack.ledger.notice_settings(user)["quiet_from"] == "23:00"
