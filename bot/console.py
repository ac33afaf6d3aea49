"""Console chat: a terminal client of the HTTP API (the same path a voice assistant uses).

Buttons show as numbers; type the number to press one. /quit or Ctrl-D leaves.
"""
from __future__ import annotations

import getpass
import os
import sys

import httpx


def render(message: dict) -> list[str]:
    lines = [message.get("text", "")] if message.get("text") else []
    buttons = message.get("buttons") or []
    if buttons:
        lines.append("   " + "   ".join(f"[{i}] {b['title']}" for i, b in enumerate(buttons, 1)))
    return lines


def run_console(base_url: str, token: str, user_id: str | None = None, locale: str | None = None) -> None:
    user_id = user_id or os.environ.get("POINTSBOT_CONSOLE_USER") or f"console:{getpass.getuser()}"
    print(f"Chatting as {user_id}. Type a message (日本語でもどうぞ); /quit to leave.", flush=True)
    buttons: list[dict] = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text in {"/quit", "/exit"}:
                return
            if not text:
                continue
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            try:
                response = client.post("/v1/messages", json={"user_id": user_id, "text": text, "locale": locale})
                response.raise_for_status()
            except httpx.HTTPError as exc:
                print(f"bot> (the assistant did not answer: {exc})", flush=True)
                continue
            buttons = []
            for message in response.json()["messages"]:
                for line in render(message):
                    print(f"bot> {line}", flush=True)
                buttons = message.get("buttons") or buttons


def main() -> None:
    from ledger.config import Settings

    settings = Settings.from_env()
    run_console(f"http://127.0.0.1:{settings.http_port}", settings.api_token(),
                user_id=sys.argv[1] if len(sys.argv) > 1 else None)


if __name__ == "__main__":
    main()
