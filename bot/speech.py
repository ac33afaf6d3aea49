"""Telegram voice notes (音声メッセージ): speech to text through an OpenAI-compatible transcription endpoint, and
spoken replies synthesised here.

- `Transcriber` posts the voice note to `<POINTSBOT_STT_URL>/audio/transcriptions` (the API local Whisper servers
  serve: faster-whisper-server, whisper.cpp's server, LocalAI) with httpx; the transcript is then a chat message.
  Without an endpoint the bot says plainly that it cannot listen.
- `synthesize` makes an OGG/Opus voice note, the format Telegram plays as a voice message: Japanese with Open JTalk
  (pyopenjtalk-plus: its dictionary and the HTS voice "mei" ship in the wheel), English with eSpeak NG (Debian),
  then `opusenc` (Debian's opus-tools). Measured against the alternatives in bench/tts.py
  (bench/results/tts.json): eSpeak NG cannot read kanji (it spells 年 as "Chinese letter"), Open JTalk reads
  English words as katakana, and piper-tts installs without any voice (voices are downloaded from the network).
"""
from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import subprocess
import wave
from dataclasses import dataclass

import httpx

MAX_AUDIO_BYTES = 10 * 1024 * 1024       # a voice note of several minutes is about 1 MB
MAX_VOICE_SECONDS = 300                  # longer notes are not transcribed (a message, not a dictation)
TRANSCRIBE_TIMEOUT = 60.0
MAX_SPOKEN_CHARS = 600                   # what is synthesised: the voice answer, never a whole chat text
OPUS_BITRATE_KBPS = 24


class SpeechUnavailable(Exception):
    """The transcription endpoint did not answer, or answered nothing usable."""


class Transcriber:
    def __init__(self, base_url: str, *, model: str = "whisper-1", token: str | None = None,
                 http: httpx.AsyncClient | None = None) -> None:
        self.url = base_url.rstrip("/") + "/audio/transcriptions"
        self.model = model
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = http or httpx.AsyncClient(timeout=TRANSCRIBE_TIMEOUT)

    async def transcribe(self, audio: bytes, *, filename: str = "voice.ogg", language: str | None = None) -> str:
        """The words of one voice note (OGG/Opus from Telegram); `language` ("ja", "en") when it is known."""
        if not audio or len(audio) > MAX_AUDIO_BYTES:
            raise SpeechUnavailable("no audio, or too much")
        data = {"model": self.model, "response_format": "json"}
        if language in ("ja", "en"):
            data["language"] = language
        try:
            response = await self._http.post(self.url, headers=self.headers, data=data,
                                             files={"file": (filename, audio, "audio/ogg")})
            response.raise_for_status()
            text = response.json().get("text")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise SpeechUnavailable(type(exc).__name__) from None
        if not isinstance(text, str) or not text.strip():
            raise SpeechUnavailable("empty transcript")
        return text.strip()[:2000]

    async def aclose(self) -> None:
        await self._http.aclose()


@dataclass(frozen=True)
class VoiceNote:
    ogg: bytes
    seconds: float


def wav_of_samples(samples, rate: int) -> bytes:
    import numpy as np

    pcm = np.clip(np.asarray(samples), -32768, 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def japanese_wav(text: str) -> bytes:
    with contextlib.redirect_stdout(io.StringIO()):   # pyopenjtalk-plus prints a notice about ONNX on import
        import pyopenjtalk
    samples, rate = pyopenjtalk.tts(text)
    return wav_of_samples(samples, rate)


def english_wav(text: str) -> bytes:
    done = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "--stdin", "--stdout"], input=text.encode(),
                          capture_output=True, timeout=30, check=True)
    return done.stdout


def wav_seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as read:
        return read.getnframes() / read.getframerate()


def fix_streamed_header(wav: bytes) -> bytes:
    """eSpeak NG writes its WAV to a pipe with unknown lengths: rewrite them from the data it sent."""
    with wave.open(io.BytesIO(wav)) as read:
        params = read.getparams()
        data = wav[44:]
    out = io.BytesIO()
    with wave.open(out, "wb") as wav_out:
        wav_out.setnchannels(params.nchannels)
        wav_out.setsampwidth(params.sampwidth)
        wav_out.setframerate(params.framerate)
        wav_out.writeframes(data)
    return out.getvalue()


def to_ogg_opus(wav: bytes) -> bytes:
    done = subprocess.run(["opusenc", "--quiet", "--bitrate", str(OPUS_BITRATE_KBPS), "--speech", "-", "-"],
                          input=wav, capture_output=True, timeout=60, check=True)
    return done.stdout


def synthesis_available() -> bool:
    return bool(shutil.which("opusenc") and shutil.which("espeak-ng"))


def synthesize(text: str, locale: str) -> VoiceNote:
    """A voice note (OGG/Opus) saying `text` in Japanese or English. Blocking: call it in a worker thread."""
    text = text[:MAX_SPOKEN_CHARS]
    wav = japanese_wav(text) if locale == "ja" else fix_streamed_header(english_wav(text))
    return VoiceNote(to_ogg_opus(wav), round(wav_seconds(wav), 2))


async def synthesize_async(text: str, locale: str) -> VoiceNote:
    return await asyncio.to_thread(synthesize, text, locale)
