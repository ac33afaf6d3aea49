"""Telegram voice notes (bot/speech.py): heard through an OpenAI-compatible transcription endpoint (a local fake
here), answered like text; users who ask for it get the answer back as a voice note synthesised here (OGG/Opus:
Open JTalk for Japanese, eSpeak NG for English). No Rasa: the turns are notice-setting commands."""
from __future__ import annotations

import dataclasses
import struct

import pytest

from bot.conversation import Conversation
from bot.nlu_client import RasaClient
from bot.speech import SpeechUnavailable, Transcriber, synthesize
from bot.telegram_bot import build_application
from ops.processes import free_port
from tests.fake_telegram import FakeBotApi, user
from tests.fake_whisper import FakeWhisper

TOKEN = "123:ABC"
JA = "ブロンズは2016年6月10日からです。2016年6月8日の搭乗でプレミアムポイントが30,000に達するためです。"
EN = "Bronze status from June tenth, twenty sixteen. Why: your flight on June eighth takes you to thirty thousand " \
     "premium points."


def ogg_opus_seconds(ogg: bytes) -> float:
    """The length an Ogg Opus file plays for: the last page's granule position (48 kHz) less the pre-skip."""
    assert ogg[:4] == b"OggS", "an Ogg container"
    head = ogg.find(b"OpusHead")
    assert head > 0, "an Opus stream"
    pre_skip = struct.unpack_from("<H", ogg, head + 10)[0]
    last = ogg.rfind(b"OggS")
    granule = struct.unpack_from("<q", ogg, last + 6)[0]
    return (granule - pre_skip) / 48_000


@pytest.mark.parametrize("text, locale, shortest, longest", [(JA, "ja", 5.0, 16.0), (EN, "en", 4.0, 14.0)])
def test_a_voice_answer_is_an_ogg_opus_note_as_long_as_its_words(text, locale, shortest, longest):
    note = synthesize(text, locale)
    played = ogg_opus_seconds(note.ogg)
    assert shortest <= played <= longest, f"{played:.1f} s for {len(text)} characters"
    assert abs(played - note.seconds) < 0.1, "the duration sent to Telegram is the audio's"
    assert len(note.ogg) < 60_000, "speech at 24 kbit/s"
    short = synthesize("はい。" if locale == "ja" else "Yes.", locale)
    assert ogg_opus_seconds(short.ogg) < played / 3, "fewer words, shorter audio"


async def test_the_transcriber_sends_the_note_and_gives_back_the_words():
    audio = synthesize("残高を教えて", "ja").ogg
    async with FakeWhisper(token="stt-secret") as whisper:
        whisper.hears(audio, "残高を教えて")
        transcriber = Transcriber(whisper.base_url, model="whisper-large-v3", token="stt-secret")
        assert await transcriber.transcribe(audio, language="ja") == "残高を教えて"
        call = whisper.calls[-1]
        assert call["model"] == "whisper-large-v3" and call["language"] == "ja" and call["file"] == audio
        whisper.fail_next = 1
        with pytest.raises(SpeechUnavailable):
            await transcriber.transcribe(audio)
        with pytest.raises(SpeechUnavailable):   # nothing recognised
            await transcriber.transcribe(b"OggS-silence")
        with pytest.raises(SpeechUnavailable):   # a wrong key
            await Transcriber(whisper.base_url, token="wrong").transcribe(audio)
        await transcriber.aclose()


async def run_bot(ledger, fake: FakeBotApi, stt_url: str | None):
    conversation = Conversation(RasaClient(f"http://127.0.0.1:{free_port()}"), passwords=ledger)
    settings = dataclasses.replace(ledger.settings, telegram_token=TOKEN, telegram_api_base=None,
                                   telegram_webhook_url=None, telegram_webhook_secret=None, stt_url=stt_url)
    return build_application(settings, conversation, base_url=fake.base_url, ledger=ledger)


async def test_without_a_speech_endpoint_the_bot_says_so_plainly(ledger):
    async with FakeBotApi(TOKEN) as fake:
        async with await run_bot(ledger, fake, None) as app:
            await app.start()
            await app.updater.start_polling()
            fake.send_voice_note(user(4101, "Aki", language_code="ja"), b"OggS...", 2)
            fake.send_voice_note(user(4102, "Ann", language_code="en"), b"OggS...", 2)
            [ja] = await fake.wait_for("sendMessage", 1, chat_id=4101)
            [en] = await fake.wait_for("sendMessage", 1, chat_id=4102)
            await app.updater.stop()
            await app.stop()
    assert "音声認識が設定されていません" in ja["text"] and "no speech recognition" in en["text"]


async def test_a_voice_note_is_heard_answered_and_spoken_back(ledger):
    sender = user(4103, "Aki", language_code="ja")
    spoken = synthesize("通知の設定", "ja").ogg
    async with FakeBotApi(TOKEN) as fake, FakeWhisper() as whisper:
        whisper.hears(spoken, "/notices")
        async with await run_bot(ledger, fake, whisper.base_url) as app:
            await app.start()
            await app.updater.start_polling()
            fake.send_text(sender, "/voice on")
            await fake.wait_for("sendMessage", 1, chat_id=4103)
            fake.send_voice_note(sender, spoken, 2)
            [voice] = await fake.wait_for("sendVoice", 1, chat_id=4103, timeout=60)
            sent = fake.sent_to(4103)
            fake.send_voice_note(sender, b"OggS-noise", 1)           # nothing recognised
            await fake.wait_for("sendMessage", len(sent) + 1, chat_id=4103)
            await app.updater.stop()
            await app.stop()
    assert "音声メッセージでもお答えします" in sent[0]["text"]
    assert sent[1]["text"] == "🎤 聞き取った内容：「/notices」"
    assert "ステータスカード到着の目安" in sent[2]["text"], "the transcript is answered like typed text"
    played = ogg_opus_seconds(voice["voice"])
    assert 1.0 < played < 30 and int(voice["duration"]) == max(int(played), 1), "a voice note Telegram can play"
    assert "聞き取れませんでした" in fake.sent_to(4103)[-1]["text"]
    assert ledger.voice_replies("tg:4103") is True
