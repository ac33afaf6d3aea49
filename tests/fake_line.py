"""A local fake of LINE's Messaging API (reply and push), served over real HTTP on 127.0.0.1 so the SDK's own HTTP
stack (aiohttp) is what talks to it, and webhook bodies signed as LINE signs them."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def signature(body: bytes, secret: str) -> str:
    """X-Line-Signature: base64 of HMAC-SHA256 of the body with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def text_event(user_id: str, text: str, *, event_id: str | None = None, redelivery: bool = False,
               group: str | None = None) -> dict[str, Any]:
    source = {"type": "group", "groupId": group, "userId": user_id} if group else {"type": "user", "userId": user_id}
    return {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000), "source": source,
            "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": redelivery}, "replyToken": uuid.uuid4().hex,
            "message": {"type": "text", "id": str(int(time.time() * 1e6)), "quoteToken": "q", "text": text}}


def postback_event(user_id: str, data: str) -> dict[str, Any]:
    return {"type": "postback", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex, "postback": {"data": data}}


def follow_event(user_id: str, follows: bool = True) -> dict[str, Any]:
    event = {"type": "follow" if follows else "unfollow", "mode": "active", "timestamp": int(time.time() * 1000),
             "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex.upper()[:26],
             "deliveryContext": {"isRedelivery": False}}
    if follows:
        event |= {"replyToken": uuid.uuid4().hex, "follow": {"isUnblocked": False}}
    return event


def webhook_body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Uffffffffffffffffffffffffffffffff", "events": list(events)}).encode()


class FakeLineApi:
    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.replies: list[dict[str, Any]] = []
        self.pushes: list[dict[str, Any]] = []
        self.refused = 0   # calls without the channel access token
        self.used_this_month = 0   # LINE's count of the month's messages (replies are free; pushes count)
        self.lose_answers = 0      # answer this many pushes with a dropped connection after accepting them
        self.rich_menus: dict[str, dict[str, Any]] = {}   # id → the menu as created (and its picture's bytes)
        self.default_rich_menu: str | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self.base_url = ""

    async def _reply(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            self.refused += 1
            return JSONResponse({"message": "Authentication failed"}, status_code=401)
        body = await request.json()
        self.replies.append(body)
        return JSONResponse(self._sent(body))

    async def _push(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            self.refused += 1
            return JSONResponse({"message": "Authentication failed"}, status_code=401)
        body, key = await request.json(), request.headers.get("x-line-retry-key")
        if key and any(p["retry_key"] == key for p in self.pushes):   # LINE: this retry key was already accepted
            return JSONResponse({"message": "The retry key is already accepted"}, status_code=409)
        self.pushes.append({**body, "retry_key": key})
        self.used_this_month += len(body["messages"])
        if self.lose_answers > 0:
            self.lose_answers -= 1
            return JSONResponse({"message": "Internal error after accepting"}, status_code=500)
        return JSONResponse(self._sent(body))

    @staticmethod
    def _sent(body: dict[str, Any]) -> dict[str, Any]:
        return {"sentMessages": [{"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex}
                                 for _ in body["messages"]]}

    async def _menu_list(self, request: Request) -> JSONResponse:
        return JSONResponse({"richmenus": [{"richMenuId": key, **menu["request"]} for key, menu in self.rich_menus.items()]})

    async def _menu_create(self, request: Request) -> JSONResponse:
        key = f"richmenu-{uuid.uuid4().hex}"
        self.rich_menus[key] = {"request": await request.json(), "image": None}
        return JSONResponse({"richMenuId": key})

    async def _menu_image(self, request: Request) -> JSONResponse:
        menu = self.rich_menus.get(request.path_params["menu"])
        if menu is None or request.headers.get("content-type") != "image/png":
            return JSONResponse({"message": "bad request"}, status_code=400)
        menu["image"] = await request.body()
        return JSONResponse({})

    async def _menu_default(self, request: Request) -> JSONResponse:
        if request.path_params["menu"] not in self.rich_menus:
            return JSONResponse({"message": "not found"}, status_code=404)
        self.default_rich_menu = request.path_params["menu"]
        return JSONResponse({})

    async def _consumption(self, request: Request) -> JSONResponse:
        return JSONResponse({"totalUsage": self.used_this_month})

    async def __aenter__(self) -> "FakeLineApi":
        app = Starlette(routes=[Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
                                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                                Route("/v2/bot/message/quota/consumption", self._consumption, methods=["GET"]),
                                Route("/v2/bot/richmenu/list", self._menu_list, methods=["GET"]),
                                Route("/v2/bot/richmenu", self._menu_create, methods=["POST"]),
                                Route("/v2/bot/richmenu/{menu}/content", self._menu_image, methods=["POST"]),
                                Route("/v2/bot/user/all/richmenu/{menu}", self._menu_default, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                     lifespan="off"))
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{self._server.servers[0].sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        await asyncio.wait_for(self._task, timeout=10)

    def texts(self) -> list[str]:
        return [m["text"] for call in self.replies + self.pushes for m in call["messages"]]
