"""Answers made for the ear (bot/voice.py): the real actions' answers, spoken — short, no symbols, dates and numbers
as a voice reads them, lists summarised, long answers offered in parts, buttons as spoken choices."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from actions import status
from bot.conversation import Conversation, Reply
from bot.voice import STATUS_LIMIT, VoiceChannel, speakable, spoken_choice, voice_answer
from ledger.shared.clock import parse_moment
from tests.test_actions import USER, ledger, run, tracker  # noqa: F401  (ledger is a fixture)

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
SYMBOLS = re.compile(r"[•*_`#→⇒✈️🎉🔔🔕]|https?://")
YES_NO = [{"title": "はい、交換する", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]


def replies(said: list[dict]) -> list[Reply]:
    """The action's messages as the bot hands them on (text, buttons, facts)."""
    out = []
    for message in said:
        facts = (message.get("custom") or message.get("json_message") or {}).get("facts", {})
        out.append(Reply(message.get("text") or "", message.get("buttons") or [], facts))
    return out


def assert_speakable(answer) -> None:
    assert not ISO.search(answer.speech), "a date is never spoken as ISO digits"
    assert not SYMBOLS.search(answer.speech), answer.speech
    root = ET.fromstring(answer.ssml)   # well-formed W3C SSML, its language on <speak>
    assert root.tag == "{http://www.w3.org/2001/10/synthesis}speak" and root.get("version") == "1.1"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") in ("ja-JP", "en-US")
    assert answer.ssml.startswith('<speak version="1.1"')


async def status_answer(ledger, text: str, locale: str):  # noqa: F811
    ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    ledger.log_flight(USER, dt.date(2016, 6, 8), 30_000, "f-1")
    said, _ = await run(status.ActionStatusStart(), tracker(text, "ask_status_start", slots={"tier": "bronze"},
                                                            locale=locale))
    return said


async def test_a_status_answer_is_its_date_and_one_reason_in_japanese(ledger):  # noqa: F811
    said = await status_answer(ledger, "ブロンズはいつから？", "ja")
    chat = "\n".join(m["text"] for m in said)
    answer = voice_answer(replies(said), "ja", {"bronze": "ブロンズ"})
    assert len(chat) > 200, "the chat answer is long"
    assert len(answer.speech) <= STATUS_LIMIT["ja"], answer.speech
    assert "2016年6月10日" in answer.speech and "2016年6月8日" in answer.speech and "ブロンズ" in answer.speech
    assert "（金）" not in answer.speech
    assert_speakable(answer)
    assert answer.end_session and answer.messages[0]["facts"]["advance_service_from"] == "2016-06-10", \
        "the full answer and its facts come back beside the speech"


async def test_a_status_answer_in_english_reads_the_date_as_words(ledger):  # noqa: F811
    said = await status_answer(ledger, "when does bronze start?", "en")
    answer = voice_answer(replies(said), "en", {"bronze": "Bronze"})
    assert len(answer.speech.split()) <= STATUS_LIMIT["en"], answer.speech
    assert "June tenth, twenty sixteen" in answer.speech and "June eighth" in answer.speech
    assert "thirty thousand premium points" in answer.speech
    assert_speakable(answer)


def test_numbers_units_and_symbols_read_naturally():
    assert speakable("Convert 2,000 JAL miles → 1,000 reserved pts (MyKey)?", "en") == \
        "Convert two thousand JAL miles to one thousand reserved points, MyKey?"
    assert speakable("✅ **Done**: ¥23,000 fare, 1,200 PP. https://example.com/x", "en") == \
        "Done: twenty-three thousand yen fare, one thousand, two hundred premium points."
    assert speakable("• 2,000マイル → 1,000ポイント（2016-06-10）", "ja") == "2,000マイルから1,000ポイント（2016年6月10日）"
    assert "NH123" in speakable("flight NH123 on 2016-06-08", "en"), "a flight number is not a quantity"


def test_a_list_is_its_first_three_and_how_many_more():
    text = "Your flights:\n" + "\n".join(f"• 2016-06-0{d} NH{d} 1,000 PP" for d in range(1, 8))
    answer = voice_answer([Reply(text)], "en")
    assert "and four more" in answer.speech and "June third" in answer.speech and "June fourth" not in answer.speech
    ja = voice_answer([Reply("搭乗記録：\n" + "\n".join(f"• 2016年6月{d}日（水） NH{d}" for d in range(1, 6)))], "ja")
    assert "ほか2件" in ja.speech


def test_spoken_answers_to_a_confirmation():
    for said in ("はい", "お願い", "それで", "はい、お願いします", "yes", "sure, go ahead", "OK"):
        assert spoken_choice(said, YES_NO) == "/affirm", said
    for said in ("いいえ", "やめて", "やっぱりやめる", "no", "no, don't", "cancel", "stop"):
        assert spoken_choice(said, YES_NO) == "/deny", said
    assert spoken_choice("what is my balance", YES_NO) is None, "another question is not an answer"
    fares = [{"title": "Super Value 75", "payload": '/inform{"fare":"sv75"}'}]
    assert spoken_choice("super value 75 please", fares) == '/inform{"fare":"sv75"}'


def test_a_question_keeps_the_session_open_with_a_reprompt():
    answer = voice_answer([Reply("JALマイル2,000を留保ポイント1,000に交換しますか？", YES_NO)], "ja")
    assert answer.end_session is False and answer.reprompt == "「はい」か「いいえ」でお答えください。"
    assert answer.speech.endswith("お答えください。")
    done = voice_answer([Reply("交換しました。")], "ja")
    assert done.end_session is True and done.reprompt is None


async def test_the_settings_list_by_voice_is_summarised(ledger):  # noqa: F811
    """Through the real conversation (a slash command needs no Rasa): thirteen kinds, said as three and ten more."""
    channel = VoiceChannel(Conversation(rasa=None, passwords=ledger))
    ja = await channel.turn(USER, "/notices", "ja")
    assert "ほか10件" in ja.speech and "/mute" not in ja.speech and "🔔" not in ja.speech
    assert len(ja.messages[0]["text"].splitlines()) > 13, "the full list comes back for screens"
    en = await channel.turn(USER, "/notices", "en")
    assert "and ten more" in en.speech
    assert_speakable(en)


class Answers:
    """Stands in for the conversation: hands back the replies the real action gave (Rasa is tested end to end in
    test_voice_conversations.py)."""

    def __init__(self, said: list[Reply]) -> None:
        self.said = said
        self.heard: list[str] = []

    async def handle(self, user_id, text, locale=None):
        self.heard.append(text)
        return self.said


@pytest.mark.parametrize("locale, question, more", [("ja", "ブロンズはいつから？", "続けて"),
                                                    ("en", "when does bronze start?", "more")])
async def test_a_long_answer_stops_at_a_sentence_and_more_continues(ledger, locale, question, more):  # noqa: F811
    said = replies(await status_answer(ledger, question, locale))
    long_answer = [Reply(r.text) for r in said]            # the chat text alone, without its status facts
    channel = VoiceChannel(Answers(long_answer))
    first = await channel.turn(USER, question, locale)
    assert first.end_session is False and first.rest and first.reprompt
    assert first.speech.endswith(("おっしゃってください。", "hear the rest."))
    assert_speakable(first)
    parts = [first.speech]
    while channel.sessions.last(USER) and channel.sessions.last(USER).rest:
        parts.append((await channel.turn(USER, more, locale)).speech)
    assert len(parts) >= 2 and len(set(parts)) == len(parts), "each part is new"
    assert channel.conversation.heard == [question], "continuing never asks the conversation again"
    last = await channel.turn(USER, more, locale)
    assert last.speech in ("以上です。", "That is all.") and last.end_session


async def test_a_spoken_yes_sends_the_buttons_answer(ledger):  # noqa: F811
    conversation = Answers([Reply("JALマイル2,000を留保ポイント1,000に交換しますか？", YES_NO)])
    channel = VoiceChannel(conversation)
    asked = await channel.turn(USER, "JALマイル2000を交換して", "ja")
    assert asked.end_session is False
    await channel.turn(USER, "それでお願い", "ja")
    assert conversation.heard[-1] == "/affirm"
    await channel.turn(USER, "やっぱりやめる", "ja")
    assert conversation.heard[-1] == "/deny"
