"""The card bridge's loopback page: the same login as `cardbridge login`, in a browser on the user's computer.

- Binds 127.0.0.1 only (never another interface).
- Every POST must come from the page itself: its Origin must be this page's own origin (another site's script
  in the same browser is refused) and it must carry the page's one-time token (made when the agent starts).
- The pairing code from the chat is required; the PIN is typed into this page, goes straight into VERIFY in this
  process, and is never stored, logged or sent anywhere.
- The page shows what the user approves (the assistant's origin) before they type the PIN.
"""
from __future__ import annotations

import asyncio
import html
import json
import secrets
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from cardbridge import agent
from cardbridge.errors import CardError
from cardbridge.jpki import Transport

CSP = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
       "form-action 'none'; frame-ancestors 'none'")
PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style nonce="{nonce}">
body{{font-family:sans-serif;max-width:32em;margin:2em auto}}
label{{display:block;margin:.8em 0 .2em}}
</style>
</head><body>
<h1>{title}</h1>
<p id="approve">{approve}</p>
<form id="login">
<label for="code">{code_label}</label><input id="code" name="code" autocomplete="off" maxlength="9" required>
<label for="pin">{pin_label}</label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="4" required>
<p><label><input id="last" type="checkbox"> {last_label}</label></p>
<button id="go" type="submit">{button}</button>
</form>
<p id="result" role="status"></p>
<script nonce="{nonce}">
document.getElementById("login").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const pin = document.getElementById("pin");
  const body = JSON.stringify({{code: document.getElementById("code").value, pin: pin.value,
                               last_try: document.getElementById("last").checked}});
  pin.value = "";
  const answer = await fetch("/login", {{method: "POST", headers: {{"content-type": "application/json",
                                          "x-page-token": "{token}"}}, body}});
  const data = await answer.json();
  document.getElementById("result").textContent = data.message;
}});
</script></body></html>"""

WORDS = {
    "ja": {"title": "マイナンバーカードでログイン", "code_label": "チャットに表示されたペアリングコード",
           "pin_label": "利用者証明用電子証明書の暗証番号（数字4桁）", "button": "ログイン",
           "last_label": "残り1回でも試す", "done": "ログインしました。チャットに戻ってください。"},
    "en": {"title": "Log in with your My Number card", "code_label": "The pairing code the chat showed",
           "pin_label": "Authentication PIN (4 digits)", "button": "Log in",
           "last_label": "Use the last try if it comes to that", "done": "Logged in. Go back to the chat."},
}


def create_page(server: str, transport_factory: Callable[[], Transport], *, port: int, locale: str = "ja",
                client=None) -> Starlette:
    """The page for logging in to `server`; `transport_factory()` opens the card (pyscard, or the emulator)."""
    token = secrets.token_urlsafe(24)
    own_origins = {f"http://127.0.0.1:{port}", f"http://localhost:{port}"}
    origin = agent.origin_of(server)
    words = WORDS["ja" if locale == "ja" else "en"]

    async def page(request: Request) -> Response:
        nonce = secrets.token_urlsafe(12)
        approval = agent.Approval(service="", origin=origin, challenge_id="").text(locale)
        body = PAGE.format(lang=locale, nonce=nonce, token=token, approve=html.escape(approval),
                           **{k: html.escape(v) for k, v in words.items() if k != "done"})
        return HTMLResponse(body, headers={"cache-control": "no-store", "x-frame-options": "DENY",
                                           "referrer-policy": "no-referrer",
                                           "content-security-policy": CSP.format(nonce=nonce)})

    async def login(request: Request) -> Response:
        if request.headers.get("origin") not in own_origins:
            return JSONResponse({"code": "forbidden_origin", "message": "forbidden"}, status_code=403)
        if not secrets.compare_digest(request.headers.get("x-page-token", ""), token):
            return JSONResponse({"code": "forbidden_token", "message": "forbidden"}, status_code=403)
        try:
            data = json.loads((await request.body())[:4096] or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return JSONResponse({"code": "bad_request", "message": "bad request"}, status_code=400)
        pin = str(data.get("pin") or "")
        last_try = bool(data.get("last_try"))

        def run() -> dict:
            transport = transport_factory()
            try:
                return agent.login(server, str(data.get("code") or ""), transport, ask_pin=lambda approval: pin,
                                   confirm_last_try=lambda: last_try, client=client)
            finally:
                close = getattr(transport, "close", None)
                if close:
                    close()

        try:
            done = await asyncio.to_thread(run)
        except CardError as error:
            return JSONResponse({"code": error.code, "message": error.message(locale)}, status_code=400)
        finally:
            pin = ""
        return JSONResponse({"code": "logged_in", "message": words["done"], "mykey_id": done.get("mykey_id")})

    return Starlette(routes=[Route("/", page, methods=["GET"]), Route("/login", login, methods=["POST"])])


def serve_page(server: str, transport_factory: Callable[[], Transport], *, port: int, locale: str = "ja") -> None:
    """Serve the page on 127.0.0.1 only (never another interface) until interrupted."""
    import uvicorn

    uvicorn.run(create_page(server, transport_factory, port=port, locale=locale), host="127.0.0.1", port=port,
                log_level="warning")
