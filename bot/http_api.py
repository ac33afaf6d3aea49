"""The HTTP API on 127.0.0.1 (DESIGN.md contract): /healthz, /v1/messages, /v1/voice, /telegram/webhook, and the
card login endpoints the card bridge calls (/v1/card-login/challenge, /v1/card-login/complete)."""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import secrets
from typing import Awaitable, Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.conversation import Conversation, Reply
from bot.rate_limits import RateLimits
from bot.voice import VoiceChannel, voice_answer
from i18n import detect_locale, normalize_locale, t
from ledger.shared.checks import USER_ID
from ledger.shared.refusals import Refusal

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_TELEGRAM_BODY = 256 * 1024       # an update is a few kilobytes; a photo's update carries ids, not bytes
MIN_CHART_YEAR, MAX_CHART_YEAR = 2000, 2100


class JsonResponse(JSONResponse):
    """JSON with Japanese kept readable (ensure_ascii=False)."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error(status: int, reason: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"reason": reason, "message": message}}, status_code=status)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read in chunks and refused as soon as it passes `limit` (a huge body is never held)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> object:
    """JSON, or ValueError for anything else: bad text, bad encoding, nesting deep enough to exhaust the stack."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)[:80]) from None


def user_id_ok(user_id: object) -> bool:
    """The contract's user ids; Telegram's are tg:<digits> (a notice is sent to that chat)."""
    return isinstance(user_id, str) and bool(USER_ID.match(user_id)) and (
        not user_id.startswith("tg:") or user_id[3:].isdigit())


HealthCheck = Callable[[], Awaitable[bool]]


def create_api(conversation: Conversation, api_token: str, health_checks: dict[str, HealthCheck], *,
               telegram_webhook: Callable[[dict], Awaitable[None]] | None = None,
               telegram_secret: str | None = None,
               claim_request: Callable[[str], bool] | None = None,
               release_request: Callable[[str], None] | None = None,
               take_notices: Callable[[str], list[dict]] | None = None,
               render_notice: Callable[[dict], str] | None = None,
               progress_chart: Callable[[str, int | None, str], bytes] | None = None,
               card_challenge: Callable[[str], object] | None = None,
               complete_card_login: Callable[[str, bytes, bytes], object] | None = None,
               voice_channel: VoiceChannel | None = None, extra_routes: list[Route] | None = None,
               rate_limits: RateLimits | None = None,
               health_notes: Callable[[], Awaitable[dict[str, str]]] | None = None) -> Starlette:
    """`claim_request(key)` is True the first time a key is seen; with it, a request that carries a
    `request_id` already used by the same user is answered as a replay and not acted on again; a turn that
    did nothing (Rasa unavailable) gives its key back with `release_request(key)`, so the client can retry.
    `take_notices(user_id)` hands over a user's due notices (GET /v1/notices), worded by `render_notice`.
    `progress_chart(user_id, year or None, locale)` draws the PP progress picture (GET /v1/status/chart, PNG).
    `card_challenge(pairing_code)` and `complete_card_login(challenge_id, certificate, signature)` serve the card
    bridge: no bearer token (the agent has none); the one-time pairing code and the single-use challenge are the
    credentials, and every refusal is a 4xx with its reason code. `voice_channel` speaks /v1/voice (`bot.voice`);
    `extra_routes` are other channels' endpoints (the Alexa skill), each checking its own callers. `rate_limits`
    refuses a token or user over its rate with 429 and Retry-After (`bot.rate_limits`)."""
    voice_channel = voice_channel or VoiceChannel(conversation)
    rate_limits = rate_limits or RateLimits()

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), api_token.encode())

    def too_fast(user_id: str) -> JsonResponse | None:
        """429 with Retry-After when the token or the user is over its rate (bot.rate_limits), else None."""
        wait = rate_limits.check("api-token", user_id)
        if not wait:
            return None
        response = _error(429, "rate_limited", f"too many requests: retry after {wait} s")
        response.headers["Retry-After"] = str(wait)
        return response

    async def read_message(request: Request) -> tuple[str, str, str | None, str | None] | JsonResponse:
        """The validated (user_id, text, locale, request_id), or the error response."""
        if not authorized(request):
            return _error(401, "unauthorized", "a valid bearer token is required")
        try:
            data = parse_json(await read_body(request, MAX_BODY))
        except BodyTooLarge:
            return _error(413, "body_too_large", f"at most {MAX_BODY} bytes")
        except ValueError:
            return _error(400, "bad_json", "the body must be a JSON object")
        if not isinstance(data, dict):
            return _error(400, "bad_json", "the body must be a JSON object")
        user_id, text, locale = data.get("user_id"), data.get("text"), data.get("locale")
        request_id = data.get("request_id")
        if not user_id_ok(user_id):
            return _error(400, "bad_user_id", "user_id: 1–128 characters of A–Z a–z 0–9 : _ . @ - (tg:<digits>)")
        if not isinstance(text, str):
            return _error(400, "bad_text", "text must be a string")
        if locale is not None and not isinstance(locale, str):
            return _error(400, "bad_locale", "locale must be a string such as 'ja' or 'en'")
        if request_id is not None and (not isinstance(request_id, str) or not 1 <= len(request_id) <= 100
                                       or any(ch < " " or ch == "\x7f" for ch in request_id)):
            return _error(400, "bad_request_id", "request_id must be a string of 1–100 printable characters")
        limited = too_fast(user_id)
        if limited is not None:
            return limited
        return user_id, text, locale, request_id

    async def once(user_id: str, text: str, locale: str | None, request_id: str | None, act):
        """`act()` once per request_id: a replayed one is answered as such and not acted on; a turn that did
        nothing (Rasa unavailable) gives its key back, so the client can retry."""
        key = f"api:{user_id}:request:{request_id}" if request_id is not None and claim_request else None
        if key is not None and not await asyncio.to_thread(claim_request, key):
            return [Reply(t("replayed", detect_locale(text, locale)),
                          facts={"kind": "error", "status": "rejected", "reason": "replayed_request"})]
        try:
            result = await act()
        except BaseException:
            if key is not None and release_request is not None:
                await asyncio.to_thread(release_request, key)
            raise
        replies = result if isinstance(result, list) else [Reply(m["text"], facts=m.get("facts") or {})
                                                           for m in result.messages]
        if key is not None and release_request is not None and any(
                r.facts.get("status") == "unavailable" for r in replies):
            await asyncio.to_thread(release_request, key)
        return result

    async def turn(request: Request) -> list[Reply] | JsonResponse:
        """One conversation turn for /v1/messages."""
        parsed = await read_message(request)
        if isinstance(parsed, Response):
            return parsed
        user_id, text, locale, request_id = parsed
        return await once(user_id, text, locale, request_id, lambda: conversation.handle(user_id, text, locale))

    async def messages(request: Request) -> Response:
        replies = await turn(request)
        if isinstance(replies, Response):
            return replies
        return JsonResponse({"messages": [r.as_json() for r in replies]})

    async def voice(request: Request) -> Response:
        """A spoken turn: short speakable text and SSML, the full answer beside it (see bot.voice)."""
        parsed = await read_message(request)
        if isinstance(parsed, Response):
            return parsed
        user_id, text, locale, request_id = parsed
        answer = await once(user_id, text, locale, request_id, lambda: voice_channel.turn(user_id, text, locale))
        if isinstance(answer, list):   # a replay: said, not acted on
            answer = voice_answer(answer, locale)
        return JsonResponse(answer.payload())

    def queried_user(request: Request) -> str | JsonResponse:
        """The `user_id` of a GET request with a valid token, or the error response."""
        if not authorized(request):
            return _error(401, "unauthorized", "a valid bearer token is required")
        user_id = request.query_params.get("user_id", "")
        if not user_id_ok(user_id):
            return _error(400, "bad_user_id", "user_id: 1–128 characters of A–Z a–z 0–9 : _ . @ -")
        return too_fast(user_id) or user_id

    async def notices(request: Request) -> Response:
        """GET /v1/notices?user_id=… → the user's due notices, each once: {"notices":[{"text","facts"}]}."""
        user_id = queried_user(request)
        if isinstance(user_id, Response):
            return user_id
        if take_notices is None or render_notice is None:
            return JsonResponse({"notices": []})
        taken = await asyncio.to_thread(take_notices, user_id)
        return JsonResponse({"notices": [{"text": render_notice(n), "facts": {k: v for k, v in n.items()
                                                                              if k not in ("id", "sent")}}
                                         for n in taken]})

    async def status_chart(request: Request) -> Response:
        """GET /v1/status/chart?user_id=…&year=…&locale=… → image/png: PP over the year against the thresholds."""
        user_id = queried_user(request)
        if isinstance(user_id, Response):
            return user_id
        year_text = request.query_params.get("year")
        year = None
        if year_text is not None:
            if not re.fullmatch(r"[0-9]{4}", year_text) or not MIN_CHART_YEAR <= int(year_text) <= MAX_CHART_YEAR:
                return _error(400, "bad_year", f"year: a calendar year {MIN_CHART_YEAR}–{MAX_CHART_YEAR}")
            year = int(year_text)
        locale_text = request.query_params.get("locale")
        locale = normalize_locale(locale_text) if locale_text is not None else "en"
        if locale is None:
            return _error(400, "bad_locale", "locale must be 'ja' or 'en'")
        if progress_chart is None:
            return _error(404, "not_found", "the progress chart is not available here")
        png = await asyncio.to_thread(progress_chart, user_id, year, locale)
        return Response(png, media_type="image/png", headers={"cache-control": "no-store"})

    async def card_json(request: Request, call) -> dict | JsonResponse:
        """The JSON body of a card-bridge request, or the error to answer (404 when card login is off here)."""
        if call is None:
            return _error(404, "not_found", "card login is not available here")
        try:
            data = parse_json(await read_body(request, 32 * 1024))
        except BodyTooLarge:
            return _error(413, "body_too_large", "at most 32 KB")
        except ValueError:
            return _error(400, "bad_json", "not JSON")
        return data if isinstance(data, dict) else _error(400, "bad_json", "a JSON object is expected")

    async def card_call(call, *args) -> JsonResponse:
        try:
            answer = await asyncio.to_thread(call, *args)
        except Refusal as refusal:
            status = 410 if refusal.reason in ("challenge_replayed", "challenge_expired",
                                               "pairing_unknown_or_expired") else 400
            return _error(status, refusal.reason, "refused")
        return JsonResponse(answer.as_json() if hasattr(answer, "as_json") else answer.facts())

    async def card_challenge_route(request: Request) -> Response:
        data = await card_json(request, card_challenge)
        if isinstance(data, Response):
            return data
        return await card_call(card_challenge, str(data.get("pairing_code") or "")[:40])

    async def card_complete_route(request: Request) -> Response:
        data = await card_json(request, complete_card_login)
        if isinstance(data, Response):
            return data
        try:
            certificate = base64.b64decode(str(data.get("certificate") or ""), validate=True)
            signature = base64.b64decode(str(data.get("signature") or ""), validate=True)
        except (binascii.Error, ValueError):
            return _error(400, "bad_certificate", "certificate and signature are base64")
        return await card_call(complete_card_login, str(data.get("challenge_id") or "")[:64], certificate, signature)

    async def healthz(request: Request) -> Response:
        names = list(health_checks)
        results = await asyncio.gather(*(health_checks[n]() for n in names), return_exceptions=True)
        status = {n: (r is True) for n, r in zip(names, results)}
        down = [n for n, ok in status.items() if not ok]
        body = {"status": "ok" if not down else "down", "components": status, "down": down}
        if health_notes is not None:   # up, but something waits (LINE's monthly quota used up)
            notes = await health_notes()
            if notes:
                body["notes"] = notes
        return JsonResponse(body, status_code=200 if not down else 503)

    async def telegram(request: Request) -> Response:
        if telegram_webhook is None:
            return _error(404, "not_found", "Telegram webhook mode is off")
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not telegram_secret or not secrets.compare_digest(given.encode(), telegram_secret.encode()):
            return _error(403, "forbidden", "wrong secret token")
        try:
            data = parse_json(await read_body(request, MAX_TELEGRAM_BODY))
        except BodyTooLarge:
            return _error(413, "body_too_large", f"at most {MAX_TELEGRAM_BODY} bytes")
        except ValueError:
            return _error(400, "bad_json", "not JSON")
        if not isinstance(data, dict):
            return _error(400, "bad_json", "an update is a JSON object")
        try:
            await telegram_webhook(data)
        except (TypeError, KeyError, ValueError):
            return _error(400, "bad_update", "not a Telegram update")
        return Response(status_code=200)

    return Starlette(routes=[
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/voice", voice, methods=["POST"]),
        Route("/v1/notices", notices, methods=["GET"]),
        Route("/v1/status/chart", status_chart, methods=["GET"]),
        Route("/telegram/webhook", telegram, methods=["POST"]),
        Route("/v1/card-login/challenge", card_challenge_route, methods=["POST"]),
        Route("/v1/card-login/complete", card_complete_route, methods=["POST"]),
        *(extra_routes or []),
    ])


async def http_ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False
