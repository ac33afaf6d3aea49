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
- "グラフ" / "chart" sends the status chart as an image message from a signed link (bot/line_chart.py), with its
  caption; without a public HTTPS origin LINE cannot fetch it, and the caption says it in words.
- Follow greets the user (and makes them reachable again); unfollow marks them unreachable, so no notice is
  pushed to someone who left.
- Notices (bot/notices.py) go to LINE users as push messages (`notice_channel`), each with a retry key made from
  the notice, so a retry after a lost answer is one message at LINE's end. With a monthly quota
  (`LINE_MONTHLY_QUOTA`), LINE's own count of the month's messages decides how many may go; when none may,
  notices wait in the outbox and /healthz says why.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import Callable

import pydantic
import pydantic.v1
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    ImageMessage,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent, UnfollowEvent, UserSource
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.conversation import Conversation, Reply
from bot.line_chart import ChartLinks
from bot.line_menu import install_rich_menu
from bot.notices import NoticeChannel
from i18n import detect_locale, t

log = logging.getLogger(__name__)

REPLY_WITHIN = 20.0        # seconds: a turn answered by then uses the reply token, a slower one is pushed
MAX_BODY = 256 * 1024      # LINE's webhook bodies are small; anything bigger is refused before parsing
MAX_MESSAGES = 5           # LINE takes at most five messages in one reply or push
MAX_QUICK_REPLIES = 13
LABEL = 20                 # characters of a quick reply's label
LINE_PER_SECOND = 100.0    # pushes a second for notices (LINE allows 2,000 a second per channel)
QUOTA_CHECK_SECONDS = 30.0  # how long LINE's count of the month's messages is trusted before asking again
CHART_WORDS = re.compile(r"/chart\b|\bchart\b|\bgraph\b|グラフ|チャート", re.IGNORECASE)
NOTICE_KEYS = uuid.UUID("6f1d7c3e-7a52-4c1e-9d0a-4c494e450000")   # retry keys: uuid5 of this and the notice id


def line_outcome(exc: Exception) -> str:
    """What a failed push means for its notice (the kinds of bot/notices.outcome_of). A lost answer is "retry":
    the same retry key makes a second push one message at LINE's end, and LINE answers 409 to it if the first
    arrived (then the notice is closed as sent)."""
    if isinstance(exc, ApiException):
        if exc.status == 429:
            return "flood"
        if exc.status == 409:
            return "uncertain"
        return "retry" if (exc.status or 500) >= 500 else "failed"
    if isinstance(exc, (pydantic.ValidationError, pydantic.v1.ValidationError)):   # accepted (2xx), answer unreadable
        return "uncertain"
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return "failed"
    return "retry"


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
                 claim_event: Callable[[str], bool], set_reachable: Callable[[str, bool], bool] | None = None,
                 api_base: str | None = None, reply_within: float = REPLY_WITHIN,
                 monthly_quota: int | None = None, chart_links: ChartLinks | None = None,
                 caption: Callable[[str, str], str] | None = None) -> None:
        """`claim_event(key)` is True the first time a key is seen (the ledger's claim_request); `set_reachable`
        the ledger's, for follow and unfollow; `monthly_quota` the plan's messages a month (None: no cap)."""
        self.conversation = conversation
        self.parser = WebhookParser(channel_secret)
        self.client = AsyncApiClient(Configuration(access_token=access_token, host=api_base or "https://api.line.me"))
        self.api = AsyncMessagingApi(self.client)
        self.blob_client = AsyncApiClient(Configuration(access_token=access_token,   # pictures: another host
                                                        host=api_base or "https://api-data.line.me"))
        self.blob = AsyncMessagingApiBlob(self.blob_client)
        self.claim_event = claim_event
        self.reply_within = reply_within
        self.set_reachable = set_reachable
        self.monthly_quota = monthly_quota
        self.chart_links = chart_links
        self.caption = caption   # (user id, locale) → the chart's caption: the year's PP and what is next
        self._quota_left: tuple[float, int] | None = None   # (monotonic time asked, messages left this month)
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
            if isinstance(event, (FollowEvent, UnfollowEvent)) and isinstance(event.source, UserSource):
                await self.followed(event, isinstance(event, FollowEvent), received)
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
            user_id = f"line:{event.source.user_id}"
            if self.chart_links is not None and self.caption is not None and CHART_WORDS.search(said):
                await self.send_chart(event, user_id, detect_locale(said, None), received)
                return
            replies = await self.conversation.handle(user_id, said)
            await self.send(event, replies, received)
        except Exception:   # one event's failure must not reach the others (the webhook already answered)
            log.exception("LINE event failed")

    async def followed(self, event, follows: bool, received: float) -> None:
        """Follow: reachable again, and a greeting in both languages. Unfollow: unreachable (no reply possible)."""
        user_id = f"line:{event.source.user_id}"
        if self.set_reachable is not None:
            await asyncio.to_thread(self.set_reachable, user_id, follows)
        if follows:
            await self.send(event, [Reply(t("line_welcome", "ja") + "\n\n" + t("line_welcome", "en"))], received)

    async def send_chart(self, event, user_id: str, locale: str, received: float) -> None:
        caption = await asyncio.to_thread(self.caption, user_id, locale)
        if not self.chart_links.usable:
            await self.send(event, [Reply(caption)], received)
            return
        url = self.chart_links.link(user_id, None, locale)
        await self.send_messages(event, [ImageMessage(original_content_url=url, preview_image_url=url),
                                         TextMessage(text=caption)], received)

    async def send(self, event, replies: list[Reply], received: float) -> None:
        await self.send_messages(event, line_messages(replies), received)

    async def send_messages(self, event, messages: list, received: float) -> None:
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

    async def quota_left(self) -> int | None:
        """Messages the month's quota still allows, by LINE's own count (asked at most every 30 s); None: no cap."""
        if self.monthly_quota is None:
            return None
        now = time.monotonic()
        if self._quota_left is None or now - self._quota_left[0] > QUOTA_CHECK_SECONDS:
            used = (await self.api.get_message_quota_consumption()).total_usage
            self._quota_left = (now, max(self.monthly_quota - int(used), 0))
        return self._quota_left[1]

    async def health_notes(self) -> dict[str, str]:
        try:
            left = await self.quota_left()
        except Exception as exc:   # LINE not answering: say so, do not fail the health check on it
            return {"line": f"could not read LINE's message count: {type(exc).__name__}"}
        if left == 0:
            return {"line": f"the monthly message quota ({self.monthly_quota}) is used up: notices wait until "
                            "next month"}
        return {}

    def notice_channel(self) -> NoticeChannel:
        """Notices by push: one message each, with a retry key made from the notice."""
        async def push(notice: dict, text: str) -> None:
            key = str(uuid.uuid5(NOTICE_KEYS, str(notice["id"])))
            request = PushMessageRequest(to=notice["user_id"].removeprefix("line:"), messages=[TextMessage(text=text)])
            await self.api.push_message(request, x_line_retry_key=key)
            if self._quota_left is not None:
                self._quota_left = (self._quota_left[0], max(self._quota_left[1] - 1, 0))

        async def room() -> int | None:
            try:
                return await self.quota_left()
            except Exception:   # LINE's count unknown: send nothing until it is known again
                log.warning("could not read LINE's message count; notices wait")
                return 0
        return NoticeChannel("line", "line:", push, LINE_PER_SECOND, line_outcome, lambda exc: 1.0, room)

    async def idle(self) -> None:
        """Wait for the events still being handled (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def install_menu(self) -> str | None:
        """The rich menu of the main tasks (bot/line_menu.py), made the default; its id, or None if LINE refused."""
        return await install_rich_menu(self.api, self.blob)

    async def aclose(self) -> None:
        await self.idle()
        await self.client.close()
        await self.blob_client.close()


def line_routes(channel: LineChannel) -> list[Route]:
    """The webhook, and the chart's signed links when the chart is offered."""
    charts = [channel.chart_links.route()] if channel.chart_links is not None else []
    return [Route("/line/webhook", channel.webhook, methods=["POST"]), *charts]


