"""LINE (the messaging app most people in Japan use): a channel on the same conversation core, with LINE's official
SDK (line-bot-sdk 3.x, its async client).

- `POST /line/webhook` checks `X-Line-Signature` (HMAC-SHA256 of the body with the channel secret) with the SDK's
  parser and refuses anything that fails (403) before reading an event. It answers 200 at once and handles the
  events after, so LINE never waits on a turn.
- Each event is claimed in the ledger by its `webhookEventId` first: a redelivery (`deliveryContext.isRedelivery`,
  the same id) is handled once, whichever worker gets it.
- Users are `line:<userId>`. A text message, or a postback (a button's payload), is one turn. The answer goes out
  with the event's reply token when the turn took less than `reply_within` seconds (reply tokens are short-lived
  and free), and as a push message (with a retry key) when it took longer.
- Buttons become quick replies whose actions are postbacks carrying the payload, so "yes" to a confirmation is
  exactly the button the user pressed.
- In a group or a room the assistant shares nothing personal: it asks the user to talk to it one to one.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Callable

from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, PostbackEvent, TextMessageContent, UserSource
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.conversation import Conversation, Reply
from i18n import detect_locale, t

log = logging.getLogger(__name__)

REPLY_WITHIN = 20.0        # seconds: a turn answered by then uses the reply token, a slower one is pushed
MAX_BODY = 256 * 1024      # LINE's webhook bodies are small; anything bigger is refused before parsing
MAX_MESSAGES = 5           # LINE takes at most five messages in one reply or push
MAX_QUICK_REPLIES = 13
LABEL = 20                 # characters of a quick reply's label


def line_messages(replies: list[Reply]) -> list[TextMessage]:
    """Our replies as LINE text messages (at most five; the rest joined into the fifth), the last one's buttons
    as quick replies whose postbacks carry the payloads."""
    texts = [reply.text for reply in replies if reply.text] or ["…"]
    if len(texts) > MAX_MESSAGES:
        texts = texts[:MAX_MESSAGES - 1] + ["\n\n".join(texts[MAX_MESSAGES - 1:])]
    buttons = [button for reply in replies for button in reply.buttons][:MAX_QUICK_REPLIES]
    messages = [TextMessage(text=text[:5000]) for text in texts]
    if buttons:
        messages[-1].quick_reply = QuickReply(items=[
            QuickReplyItem(action=PostbackAction(label=button["title"][:LABEL], data=button["payload"][:300],
                                                 display_text=button["title"][:300]))
            for button in buttons])
    return messages


class LineChannel:
    def __init__(self, conversation: Conversation, channel_secret: str, access_token: str, *,
                 claim_event: Callable[[str], bool], api_base: str | None = None,
                 reply_within: float = REPLY_WITHIN) -> None:
        """`claim_event(key)` is True the first time a key is seen (the ledger's claim_request)."""
        self.conversation = conversation
        self.parser = WebhookParser(channel_secret)
        self.client = AsyncApiClient(Configuration(access_token=access_token, host=api_base or "https://api.line.me"))
        self.api = AsyncMessagingApi(self.client)
        self.claim_event = claim_event
        self.reply_within = reply_within
        self._running: set[asyncio.Task] = set()

    async def webhook(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body_too_large"}, status_code=413)
        try:
            events = self.parser.parse(body.decode("utf-8"), request.headers.get("x-line-signature", ""))
        except InvalidSignatureError:
            log.warning("LINE webhook refused: bad signature")
            return JSONResponse({"error": "bad_signature"}, status_code=403)
        except (ValueError, UnicodeDecodeError, TypeError, KeyError):
            return JSONResponse({"error": "bad_request"}, status_code=400)
        received = time.monotonic()
        for event in events:
            task = asyncio.create_task(self.handle(event, received))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return Response(status_code=200)

    async def handle(self, event, received: float) -> None:
        try:
            event_id = getattr(event, "webhook_event_id", None)
            if event_id and not await asyncio.to_thread(self.claim_event, f"line:event:{event_id}"):
                log.info("ignoring redelivered LINE event %s", event_id)
                return
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                said = event.message.text
            elif isinstance(event, PostbackEvent):
                said = event.postback.data
            else:
                return
            if not isinstance(event.source, UserSource):   # a group or a room: nothing personal there
                await self.send(event, [Reply(t("line_one_to_one", detect_locale(said, None)))], received)
                return
            replies = await self.conversation.handle(f"line:{event.source.user_id}", said)
            await self.send(event, replies, received)
        except Exception:   # one event's failure must not reach the others (the webhook already answered)
            log.exception("LINE event failed")

    async def send(self, event, replies: list[Reply], received: float) -> None:
        messages = line_messages(replies)
        token = getattr(event, "reply_token", None)
        if token and time.monotonic() - received < self.reply_within:
            await self.api.reply_message(ReplyMessageRequest(reply_token=token, messages=messages))
            return
        to = getattr(event.source, "user_id", None) or getattr(event.source, "group_id", None) or \
            getattr(event.source, "room_id", None)
        await self.api.push_message(PushMessageRequest(to=to, messages=messages), x_line_retry_key=str(uuid.uuid4()))

    async def healthy(self) -> bool:
        """The channel is up (configured, its client open); /healthz names it `line`."""
        return not self.client.rest_client.pool_manager.closed

    async def idle(self) -> None:
        """Wait for the events still being handled (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def aclose(self) -> None:
        await self.idle()
        await self.client.close()


def line_route(channel: LineChannel) -> Route:
    return Route("/line/webhook", channel.webhook, methods=["POST"])


