"""A small local fake of the Telegram Bot API, served over real HTTP on 127.0.0.1.

python-telegram-bot talks to it through its normal HTTPX stack (point the application's
`base_url` at `FakeBotApi.base_url` + "/bot"), so the tests exercise the same requests the bot
sends to Telegram: `POST /bot<token>/<method>` with form-encoded parameters whose object values
(reply_markup, allowed_updates, …) are JSON strings, or JSON bodies, or multipart.

Implemented methods: getMe, deleteWebhook, setWebhook, getWebhookInfo, getUpdates (long
polling), sendMessage, sendPhoto (multipart upload: the file arrives as bytes), answerCallbackQuery,
editMessageReplyMarkup, close, logOut. Any other
method answers like Telegram does for an unknown method (404) and is listed in `unknown`.

Every call is recorded as a `Call(method, params)`; tests enqueue updates with `send_text` /
`press` and wait for the bot's requests with `wait_for`.

Telegram's limits, when asked (`FakeBotApi(per_second=30, per_chat_seconds=1.0)`): a sendMessage that would
make more than `per_second` messages in the last second overall, or come within `per_chat_seconds` of the
last one to its chat, is refused with 429 and `retry_after`, as Telegram does (counted in `too_many`).
Chats in `blocked` answer 403 ("bot was blocked by the user"); `flood_next` refuses the next N with 429;
`slow_chats` delivers, then answers late. `delivered` lists every message accepted, in order.
"""
from __future__ import annotations

import asyncio
import collections
import copy
import email.policy
import itertools
import json
import time
from dataclasses import dataclass
from email.parser import BytesParser
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

T = TypeVar("T")

INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "user_id", "cache_time"}
FLOAT_PARAMS = {"timeout"}
BOOL_PARAMS = {"drop_pending_updates", "show_alert", "disable_notification", "protect_content"}
OBJECT_PARAMS = {"reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


def _decode(name: str, value: Any) -> Any:
    """Form values: JSON-encoded objects/arrays stay strings on the wire; numbers arrive as text."""
    if not isinstance(value, str):
        return value
    if name in INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value
    if name in FLOAT_PARAMS:
        try:
            return float(value)
        except ValueError:
            return value
    if name in OBJECT_PARAMS:
        return json.loads(value)
    if name in BOOL_PARAMS:
        return value == "true"
    return value


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """multipart/form-data with the standard library (no python-multipart): file parts → bytes, fields → str."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        fields[name] = data if part.get_filename() is not None else data.decode(part.get_content_charset() or "utf-8")
    return fields


def user(user_id: int, first_name: str = "Test", language_code: str | None = None) -> dict[str, Any]:
    """A Telegram `User` object for a person."""
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        data["language_code"] = language_code
    return data


class FakeBotApi:
    def __init__(self, token: str = "123:ABC", *, username: str = "pointsbot_test_bot",
                 per_second: int | None = None, per_chat_seconds: float | None = None) -> None:
        self.token = token
        self.per_second = per_second
        self.per_chat_seconds = per_chat_seconds
        self.too_many = 0
        self.accepted_at: list[float] = []   # monotonic arrival times of accepted messages (limits on)
        self.too_fast_to_chat = 0   # of those, refused for a chat's one-a-second limit
        self.blocked: set[int] = set()
        self.flood_next = 0                      # refuse this many sendMessage with 429 (Telegram's flood control)
        self.slow_chats: dict[int, float] = {}   # chat → seconds the answer takes after the message is delivered
        self.delivered: list[tuple[int, str]] = []   # (chat id, text) of every sendMessage accepted, in order
        self._recent: collections.deque[float] = collections.deque()   # times of messages in the last second
        self._chat_last: dict[int, float] = {}
        self.bot_user = {
            "id": int(token.split(":")[0]), "is_bot": True, "first_name": "Points Bot", "username": username,
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.unknown: list[Call] = []
        self.polls = 0  # getUpdates requests (not in `calls`: they are many and say nothing)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat id, message id) → Message
        self.webhook: dict[str, Any] = {"url": ""}
        self._updates: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}   # file_id → the bytes a user sent (voice notes), for getFile
        self._chats: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self.base_url = ""

    # ---- server lifecycle -------------------------------------------------------------------

    async def start(self) -> "FakeBotApi":
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(), name="fake-telegram")
        deadline = time.monotonic() + 10
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the startup error
                raise RuntimeError("fake Telegram server stopped during startup")
            if time.monotonic() > deadline:
                raise TimeoutError("fake Telegram server did not start")
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()  # end pending long polls
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=10)

    async def __aenter__(self) -> "FakeBotApi":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- what tests do ------------------------------------------------------------------------

    def text_update(self, sender: dict[str, Any], text: str, group: int | None = None) -> dict[str, Any]:
        """An update: `sender` wrote `text` to the bot in a private chat, or in the group `group` (not queued)."""
        chat = self._private_chat(sender) if group is None else {"id": group, "type": "group", "title": "Group"}
        self._chats[chat["id"]] = chat
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": sender,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(self._update_ids), "message": message}

    def press_update(self, sender: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """An update: `sender` pressed the inline button with callback `data` under the bot's `message`."""
        assert any(
            button.get("callback_data") == data
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ), f"no button with callback_data {data!r} on message {message.get('message_id')}"
        query = {
            "id": str(next(self._callback_ids)), "from": sender, "chat_instance": f"ci-{message['chat']['id']}",
            "message": message, "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def edited_update(self, original: dict[str, Any], text: str) -> dict[str, Any]:
        """An update: the user edited the message of an earlier text update to read `text`."""
        message = dict(original["message"], text=text, edit_date=int(time.time()))
        message.pop("entities", None)
        return {"update_id": next(self._update_ids), "edited_message": message}

    def edit_text(self, original: dict[str, Any], text: str) -> dict[str, Any]:
        """Queue an edited-message update for getUpdates. Returns the update."""
        return self._enqueue(self.edited_update(original, text))

    def send_text(self, sender: dict[str, Any], text: str, group: int | None = None) -> dict[str, Any]:
        """Queue a text update for getUpdates (in a group chat when `group` is its id). Returns the update."""
        return self._enqueue(self.text_update(sender, text, group))

    def send_voice_note(self, sender: dict[str, Any], audio: bytes, duration: int) -> dict[str, Any]:
        """Queue a voice-note update (OGG/Opus `audio`, fetched by the bot with getFile). Returns the update."""
        file_id = f"voice-{next(self._message_ids)}"
        self.files[file_id] = audio
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": self._private_chat(sender),
                   "from": sender, "voice": {"file_id": file_id, "file_unique_id": file_id, "duration": duration,
                                             "mime_type": "audio/ogg", "file_size": len(audio)}}
        return self._enqueue({"update_id": next(self._update_ids), "message": message})

    def press(self, sender: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """Queue a button-press update for getUpdates. Returns the update."""
        return self._enqueue(self.press_update(sender, message, data))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """sendMessage parameters for one chat, in order."""
        return [p for p in self.calls_to("sendMessage") if p.get("chat_id") == chat_id]

    async def wait_until(self, condition: Callable[[], T], timeout: float = 60.0, what: str = "condition") -> T:
        """Wait until `condition()` is truthy (checked after every request to the fake); returns its value."""
        result: list[T] = []

        def check() -> bool:
            value = condition()
            if value:
                result.append(value)
            return bool(value)

        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(check)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; calls so far: "
                f"{[(c.method, c.params) for c in self.calls]}"
            ) from None
        return result[-1]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 60.0, *,
                       chat_id: int | None = None) -> list[dict[str, Any]]:
        """Wait until the bot has called `method` at least `count` times (in `chat_id`, if given)."""

        def matching() -> list[dict[str, Any]] | None:
            found = self.calls_to(method)
            if chat_id is not None:
                found = [p for p in found if p.get("chat_id") == chat_id]
            return found if len(found) >= count else None

        where = "" if chat_id is None else f" to chat {chat_id}"
        return await self.wait_until(matching, timeout, f"{count} {method} call(s){where}")

    # ---- internals ----------------------------------------------------------------------------

    def _private_chat(self, sender: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": sender["id"], "type": "private", "first_name": sender.get("first_name", "")}
        self._chats[chat["id"]] = chat
        return chat

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _params(self, request: Request) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            body = await request.body()
            raw = json.loads(body) if body else {}
        elif content_type.startswith("application/x-www-form-urlencoded"):
            raw = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        elif content_type.startswith("multipart/form-data"):  # file uploads (sendPhoto): files → bytes
            raw = _multipart(content_type, await request.body())
            for key, value in list(raw.items()):  # "attach://name" points at an uploaded part
                if isinstance(value, str) and value.startswith("attach://") and value[9:] in raw:
                    raw[key] = raw.pop(value[9:])
        else:
            raw = dict(request.query_params)
        return {key: _decode(key, value) for key, value in raw.items()}

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        method = request.path_params["method"]
        try:
            params = await self._params(request)
        except ValueError as exc:
            return JSONResponse({"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}, status_code=400)
        call = Call(method, params)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            self.unknown.append(call)
            self.calls.append(call)
            await self._notify()
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                                status_code=404)
        if method == "getUpdates":
            self.polls += 1
        else:
            self.calls.append(call)
        result = await handler(params)
        if isinstance(result, JSONResponse):
            return result
        await self._notify()
        return JSONResponse({"ok": True, "result": result})

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _m_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_logout(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]] | JSONResponse:
        if self.webhook.get("url"):
            return JSONResponse({"ok": False, "error_code": 409, "description":
                                 "Conflict: can't use getUpdates method while webhook is active"}, status_code=409)
        offset = int(params.get("offset") or 0)
        if offset:  # Telegram forgets updates below the offset: they are confirmed
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[dict[str, Any]]:
            return [u for u in self._updates if u["update_id"] >= offset][:limit]

        if not pending() and timeout > 0 and not self._closing:
            try:
                async with asyncio.timeout(timeout):
                    async with self._changed:
                        await self._changed.wait_for(lambda: bool(pending()) or self._closing)
            except TimeoutError:
                pass
        return pending()

    async def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        """deleteMessage: the message is gone (tests read the call from `calls`)."""
        self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        return True

    def _refusal(self, chat_id: Any) -> JSONResponse | None:
        """403 for a chat that blocked the bot; 429 with retry_after past Telegram's limits (when set)."""
        if chat_id in self.blocked:
            return JSONResponse({"ok": False, "error_code": 403, "description":
                                 "Forbidden: bot was blocked by the user"}, status_code=403)
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        over_all = self.per_second is not None and len(self._recent) >= self.per_second or self.flood_next > 0
        self.flood_next = max(self.flood_next - 1, 0)
        over_chat = self.per_chat_seconds is not None and now - self._chat_last.get(chat_id, -1e9) < self.per_chat_seconds
        if over_all or over_chat:
            self.too_many += 1
            self.too_fast_to_chat += bool(over_chat)
            return JSONResponse({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                 "parameters": {"retry_after": 1}}, status_code=429)
        self._recent.append(now)
        self.accepted_at.append(now)
        self._chat_last[chat_id] = now
        return None

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        chat_id = params["chat_id"]
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        self.delivered.append((chat_id, params.get("text", "")))
        if chat_id in self.slow_chats:   # delivered, but the answer is late (the sender may give up waiting)
            await asyncio.sleep(self.slow_chats[chat_id])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private"}), "from": self.bot_user,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        params["_message"] = copy.deepcopy(message)  # what the bot got back; tests press buttons on it
        return message

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        """An uploaded photo (bytes in params["photo"]) or a file_id/URL string; answered with a PhotoSize list."""
        chat_id = params["chat_id"]
        photo = params.get("photo")
        if not photo:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: there is no photo in the request"},
                                status_code=400)
        size = len(photo) if isinstance(photo, bytes) else 0
        file_id = f"photo-{next(self._message_ids)}"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private"}), "from": self.bot_user,
            "photo": [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 450, "file_size": size}],
        }
        if params.get("caption"):
            message["caption"] = params["caption"]
        self.messages[(chat_id, message["message_id"])] = message
        params["_message"] = copy.deepcopy(message)
        return message

    async def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        file_id = params.get("file_id")
        if file_id not in self.files:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                                status_code=400)
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(self.files[file_id]),
                "file_path": f"voice/{file_id}.oga"}

    async def _file(self, request: Request) -> Response:
        """A file download (getFile's file_path under /file/bot<token>/)."""
        file_id = request.path_params["path"].removeprefix("voice/").removesuffix(".oga")
        if request.path_params["token"] != self.token or file_id not in self.files:
            return Response(status_code=404)
        return Response(self.files[file_id], media_type="audio/ogg")

    async def _m_sendvoice(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        """An uploaded voice note (bytes in params["voice"]), kept in the call for tests to check."""
        chat_id = params["chat_id"]
        voice = params.get("voice")
        if not isinstance(voice, bytes) or not voice:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: there is no voice"},
                                status_code=400)
        file_id = f"sent-voice-{next(self._message_ids)}"
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private"}), "from": self.bot_user,
                   "voice": {"file_id": file_id, "file_unique_id": file_id, "duration": int(params.get("duration") or 0),
                             "mime_type": "audio/ogg", "file_size": len(voice)}}
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        return True

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool | JSONResponse:
        if "inline_message_id" in params:
            return True
        message = self.messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None:
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"},
                                status_code=400)
        markup = params.get("reply_markup")
        if markup == message.get("reply_markup") or (not markup and "reply_markup" not in message):
            return JSONResponse({"ok": False, "error_code": 400, "description":
                                 "Bad Request: message is not modified"}, status_code=400)
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message
