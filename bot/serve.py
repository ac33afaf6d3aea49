"""The bot service: HTTP API (uvicorn, 127.0.0.1), Telegram (polling or webhook), one process.

This is the composition root of the bot side: settings → ledger → Rasa client → conversation
→ API and Telegram application.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from types import SimpleNamespace
from typing import Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from telegram import Update

from bot.alexa import alexa_route
from bot.chart import chart_caption, progress_chart
from bot.conversation import Conversation
from bot.http_api import create_api, http_ok
from bot.jobs import start_jobs, stop_jobs
from bot.line import LineChannel, line_routes
from bot.line_chart import ChartLinks
from bot.nlu_client import RasaClient
from bot.notices import NoticeDispatcher, render
from bot.rate_limits import RateLimits
from bot.telegram_bot import build_application
from bot.voice import VoiceChannel
from i18n import use_rule_words
from i18n.rule_words import cached_rule_words
from ledger.bootstrap import bootstrap
from ledger.config import InsecureSetting, Settings, listening_socket

log = logging.getLogger(__name__)


def served_by(app, name: str):
    """`app` (ASGI) with a header naming the process that answered, so a client of N workers behind one port
    (and the scale tests) can tell which one it met; the name is the supervisor's (bot-1, bot-2…), nothing more."""
    header = (b"x-served-by", name.encode())

    async def with_name(scope, receive, send):
        async def send_named(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)
        await app(scope, receive, send_named)
    return with_name


def compose_api(settings: Settings, ledger, conversation: Conversation, rasa: RasaClient, *,
                bot_ok: Callable[[], bool] = lambda: True,
                telegram_webhook: Callable[[dict], Awaitable[None]] | None = None,
                line: LineChannel | None = None) -> Starlette:
    """The HTTP API of one bot process over its ledger and conversation (also what the fuzz tests attack)."""
    async def database_ok() -> bool:
        return await asyncio.to_thread(ledger.database_ok)

    async def bot_up() -> bool:
        return bot_ok()

    voice = VoiceChannel(conversation,
                         chart_caption=lambda user_id, locale: chart_caption(ledger, user_id, None, locale),
                         tier_names=lambda locale: {tier.id: tier.name(locale) for tier in ledger.rules.status.tiers})
    return create_api(
        conversation,
        settings.api_token(),
        {
            "bot": bot_up,
            "nlu": rasa.healthy,
            "actions": lambda: http_ok(f"{settings.action_url}/health"),
            "database": database_ok,
            **({"line": line.healthy} if line is not None else {}),
        },
        telegram_webhook=telegram_webhook,
        telegram_secret=settings.telegram_webhook_secret,
        claim_request=ledger.claim_request,
        release_request=ledger.release_request,
        card_challenge=ledger.card_challenge,
        complete_card_login=ledger.complete_card_login,
        take_notices=ledger.take_notices,
        render_notice=lambda notice: render(ledger, notice),
        progress_chart=lambda user_id, year, locale: progress_chart(ledger, user_id, year, locale),
        voice_channel=voice,
        rate_limits=RateLimits(user_rate=settings.user_rate, user_burst=settings.user_burst,
                               token_rate=settings.token_rate, token_burst=settings.token_burst),
        extra_routes=[alexa_route(voice, verify=settings.alexa_verify, skill_id=settings.alexa_skill_id),
                      *(line_routes(line) if line is not None else [])],
        health_notes=line.health_notes if line is not None else None,
    )


async def serve(settings: Settings) -> None:
    ledger = bootstrap(settings)
    use_rule_words(lambda locale: cached_rule_words(ledger.rules, locale))
    rasa = RasaClient(settings.rasa_url, token=settings.rasa_token())

    async def remember_locale(user_id: str, locale: str) -> None:
        await asyncio.to_thread(ledger.remember_locale, user_id, locale)

    conversation = Conversation(rasa, remember_locale, passwords=ledger)
    telegram_app = None
    webhook_mode = bool(settings.telegram_token and settings.telegram_webhook_url)
    if settings.telegram_token:
        telegram_app = build_application(settings, conversation, webhook=webhook_mode, ledger=ledger)

    async def push_update(data: dict) -> None:
        await telegram_app.update_queue.put(Update.de_json(data, telegram_app.bot))

    settings.check_alexa()
    line = None
    if settings.line_configured:
        line = LineChannel(conversation, settings.line_channel_secret, settings.line_channel_access_token,
                           claim_event=ledger.claim_request, set_reachable=ledger.set_reachable,
                           api_base=settings.line_api_base, monthly_quota=settings.line_monthly_quota,
                           chart_links=ChartLinks(settings.line_channel_secret, settings.origin,
                                                  lambda user_id, year, locale: progress_chart(ledger, user_id, year,
                                                                                               locale)),
                           caption=lambda user_id, locale: chart_caption(ledger, user_id, None, locale))
    api = compose_api(settings, ledger, conversation, rasa,
                      bot_ok=lambda: telegram_app is None or telegram_app.running,
                      telegram_webhook=push_update if webhook_mode else None, line=line)
    dispatcher = NoticeDispatcher(ledger, telegram_app.bot if telegram_app else None,
                                  on_blocked=conversation.forget_locale)
    if os.environ.get("POINTSBOT_PROCESS"):   # which worker answered (scale mode): X-Served-By: bot-2
        api = served_by(api, os.environ["POINTSBOT_PROCESS"])
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=settings.http_port, log_level="warning",
                                           lifespan="off"))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    if telegram_app is not None:
        await telegram_app.initialize()
        if webhook_mode:
            await telegram_app.bot.set_webhook(settings.telegram_webhook_url, secret_token=settings.telegram_webhook_secret,
                                               allowed_updates=Update.ALL_TYPES)
        else:
            await telegram_app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await telegram_app.start()

    line_dispatcher = NoticeDispatcher(ledger, channel=line.notice_channel()) if line is not None else None
    menu_task = asyncio.create_task(line.install_menu()) if line is not None else None   # in the background
    dispatchers = [d for d in (dispatcher, line_dispatcher) if d is not None]
    scheduler = start_jobs(ledger, SimpleNamespace(kick=lambda: [d.kick() for d in dispatchers]))
    dispatcher_task = asyncio.create_task(dispatcher.run(stop))
    line_task = asyncio.create_task(line_dispatcher.run(stop)) if line_dispatcher is not None else None
    # scale mode: N workers share the port (SO_REUSEPORT); otherwise uvicorn binds it alone
    sockets = [listening_socket(settings.http_port, reuse_port=True)] if settings.reuse_port else None
    server_task = asyncio.create_task(server.serve(sockets=sockets))
    log.info("bot serving on 127.0.0.1:%s (telegram: %s)", settings.http_port,
             "webhook" if webhook_mode else "polling" if telegram_app else "off")
    stop_task = asyncio.create_task(stop.wait())
    await asyncio.wait({server_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stop.set()
    dispatcher.kick()
    await stop_jobs(scheduler)
    await dispatcher_task   # gives back the notices it claimed and never began
    if line_task is not None:
        line_dispatcher.kick()
        await line_task
    if telegram_app is not None:
        if telegram_app.updater and telegram_app.updater.running:
            await telegram_app.updater.stop()
        await telegram_app.stop()
        await telegram_app.shutdown()
    await server_task
    if line is not None:
        await asyncio.gather(menu_task, return_exceptions=True)
        await line.aclose()
    await rasa.aclose()
    ledger.dispose()


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)   # each job run at INFO: one line every 2 s
    settings = Settings.from_env()
    try:  # refuse to open a door half-locked: a short API token, a webhook without its secret
        settings.api_token()
        settings.check_webhook()
        settings.check_line()
    except InsecureSetting as exc:
        log.error("%s", exc)
        raise SystemExit(2) from None
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
