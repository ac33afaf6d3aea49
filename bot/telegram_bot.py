"""Telegram front end on python-telegram-bot 22: text and button presses go to the conversation.

`build_application` is the one factory for polling, webhook (updates come through the HTTP
API's /telegram/webhook route) and tests (a local Bot API server via `base_url`).
"""
from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.conversation import Conversation, Reply
from bot.notice_commands import COMMANDS as NOTICE_COMMANDS
from bot.speech import MAX_VOICE_SECONDS, SpeechUnavailable, Transcriber, synthesize_async
from bot.voice import voice_answer
from i18n import normalize_locale, script_locale, t
from ledger.bootstrap import Ledger
from ledger.config import Settings

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 64
MAX_WAITING_PER_USER = 10   # a user's updates queued behind their running turn; a flood beyond is dropped


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Updates of different users are handled at once (one user's slow exchange stalls nobody else); one user's
    updates still run one at a time, in the order they came (a "yes" never overtakes the question it answers).
    A user with more than `max_waiting_per_user` updates waiting has the next ones dropped: a flood costs its
    sender, not the others, and no memory without end."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
                 max_waiting_per_user: int = MAX_WAITING_PER_USER) -> None:
        super().__init__(max_concurrent_updates)
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}  # user → (lock, updates holding or waiting)
        self.max_waiting_per_user = max_waiting_per_user
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock, waiting = self._turns.get(user.id, (asyncio.Lock(), 0))
        if waiting > self.max_waiting_per_user:   # one user's flood: dropped, never queued without end
            coroutine.close()
            self.dropped += 1
            log.warning("dropping an update of a user with %d waiting", waiting)
            return
        self._turns[user.id] = (lock, waiting + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, waiting = self._turns[user.id]
            if waiting == 1:
                del self._turns[user.id]  # nothing kept for users who are not talking
            else:
                self._turns[user.id] = (lock, waiting - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


COMMAND_INTENTS = {"start": "/greet", "help": "/help", "balance": "/check_balance", "cancel": "/stop",
                   "login": "/card_login", "logout": "/logout"}


def telegram_user_id(update: Update) -> str:
    """Ledger users from Telegram are `tg:<telegram user id>` (the contract's user ID)."""
    return f"tg:{update.effective_user.id}"


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    buttons = [b for b in reply.buttons if len(b["payload"].encode()) <= 64]
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["title"], callback_data=b["payload"]) for b in buttons]])


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    conversation: Conversation = context.application.bot_data["conversation"]
    user = update.effective_user
    replies = await conversation.handle(telegram_user_id(update), text, user.language_code if user else None)
    for reply in replies:
        if reply.text:
            await context.bot.send_message(update.effective_chat.id, reply.text, reply_markup=keyboard(reply))
    await speak_replies(update, context, replies, text)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message: one turn of the conversation."""
    await _answer(update, context, update.effective_message.text or "")


async def on_password(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mykey and /setpassword carry a password: refused in a group chat (never read), handled without Rasa in a
    private chat; either way the message is deleted when Telegram allows it."""
    message = update.effective_message
    chat = update.effective_chat
    try:
        await message.delete()
    except TelegramError:   # too old, or no rights in this group: nothing more the bot can do
        log.info("could not delete a password message")
    if chat is None or chat.type != "private":
        user = update.effective_user
        locale = normalize_locale(user.language_code if user else None) or "ja"
        await context.bot.send_message(chat.id, t("password_in_group", locale))
        return
    await _answer(update, context, message.text or "")


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, /help, /balance, /cancel, /login, /logout map to intents."""
    command = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0].lower()
    await _answer(update, context, COMMAND_INTENTS.get(command, "/help"))


async def chat_locale(update: Update, context: ContextTypes.DEFAULT_TYPE, default: str) -> tuple[str | None, str]:
    """(the language the user last wrote in, or None; the language to answer in): Telegram's app language only
    when they never wrote, else `default`."""
    ledger: Ledger | None = context.application.bot_data.get("ledger")
    user = update.effective_user
    remembered = await asyncio.to_thread(ledger.user_locale, telegram_user_id(update)) if ledger else None
    return remembered, remembered or normalize_locale(user.language_code if user else None) or default


async def on_chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/chart [year]: the PP progress picture as a photo, captioned in the user's language."""
    from bot.chart import chart_caption, progress_chart

    ledger: Ledger = context.application.bot_data["ledger"]
    args = (update.effective_message.text or "").split()[1:]
    year = int(args[0]) if args and args[0].isdigit() and len(args[0]) == 4 else None
    user_id = telegram_user_id(update)
    _, locale = await chat_locale(update, context, "en")
    png = await asyncio.to_thread(progress_chart, ledger, user_id, year, locale)
    caption = await asyncio.to_thread(chart_caption, ledger, user_id, year, locale)
    await context.bot.send_photo(update.effective_chat.id, photo=png, caption=caption)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: acknowledge it, remove the keyboard (no double press), then send its payload."""
    query = update.callback_query
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except Exception:  # the message may be too old to edit; the press still counts once
        log.info("could not remove keyboard", exc_info=True)
    await _answer(update, context, query.data or "")


async def speak_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply], said: str) -> None:
    """For a user who asked for voice answers (/voice on): the answer made for the ear, as a voice note too."""
    ledger: Ledger | None = context.application.bot_data.get("ledger")
    if ledger is None or not replies or not await asyncio.to_thread(ledger.voice_replies, telegram_user_id(update)):
        return
    answer = voice_answer(replies, script_locale(said) or script_locale("\n".join(r.text for r in replies)) or "ja")
    try:
        note = await synthesize_async(answer.speech, answer.locale)
        await context.bot.send_voice(update.effective_chat.id, voice=note.ogg, duration=max(int(note.seconds), 1))
    except Exception:   # the text answer is already there: a voice that fails costs nothing else
        log.exception("could not send a voice answer")


async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note: transcribed by the configured speech-to-text endpoint, then one turn like typed text."""
    transcriber = context.application.bot_data.get("transcriber")
    voice = update.effective_message.voice
    remembered, locale = await chat_locale(update, context, "ja")
    chat = update.effective_chat.id
    if transcriber is None:
        await context.bot.send_message(chat, t("voice_note_no_stt", locale))
        return
    if voice.duration and voice.duration > MAX_VOICE_SECONDS:
        await context.bot.send_message(chat, t("voice_note_too_long", locale, seconds=MAX_VOICE_SECONDS))
        return
    try:
        audio = bytes(await (await context.bot.get_file(voice.file_id)).download_as_bytearray())
        heard = await transcriber.transcribe(audio, language=remembered)
    except (SpeechUnavailable, TelegramError):
        await context.bot.send_message(chat, t("voice_note_failed", locale))
        return
    await context.bot.send_message(chat, t("voice_note_heard", script_locale(heard) or locale, text=heard))
    await _answer(update, context, heard)


async def on_voice_setting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/voice on | off: answers as voice notes too, or not."""
    ledger: Ledger = context.application.bot_data["ledger"]
    words = (update.effective_message.text or "").split()[1:]
    _, locale = await chat_locale(update, context, "ja")
    choice = words[0].lower() if words else ""
    if choice not in ("on", "off", "オン", "オフ"):
        await context.bot.send_message(update.effective_chat.id, t("voice_replies_usage", locale))
        return
    spoken = await asyncio.to_thread(ledger.set_voice_replies, telegram_user_id(update), choice in ("on", "オン"))
    await context.bot.send_message(update.effective_chat.id, t("voice_replies_on" if spoken else "voice_replies_off",
                                                               locale))


def deduplicate(ledger: Ledger, bot_id: str):
    """Telegram redelivers an update it thinks failed; handle each update id once."""

    async def skip_seen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await asyncio.to_thread(ledger.claim_request, f"telegram:{bot_id}:update:{update.update_id}"):
            log.info("ignoring redelivered update %s", update.update_id)
            raise ApplicationHandlerStop

    return skip_seen


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram handler failed", exc_info=context.error)


def build_application(settings: Settings, conversation: Conversation, *, webhook: bool = False,
                      base_url: str | None = None, ledger: Ledger | None = None) -> Application:
    """`settings.stt_url` set: voice notes are transcribed there (bot.speech.Transcriber)."""
    builder = (Application.builder().token(settings.telegram_token).rate_limiter(AIORateLimiter())
               .concurrent_updates(PerUserUpdateProcessor()))
    base = base_url or settings.telegram_api_base
    if base:
        builder = builder.base_url(f"{base.rstrip('/')}/bot").base_file_url(f"{base.rstrip('/')}/file/bot")
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["conversation"] = conversation
    application.bot_data["transcriber"] = Transcriber(settings.stt_url, model=settings.stt_model,
                                                      token=settings.stt_token) if settings.stt_url else None
    if ledger is not None:
        bot_id = (settings.telegram_token or "").split(":", 1)[0]
        application.add_handler(TypeHandler(Update, deduplicate(ledger, bot_id)), group=-1)
        application.bot_data["ledger"] = ledger
        application.add_handler(CommandHandler("chart", on_chart, filters=filters.UpdateType.MESSAGE))
        application.add_handler(CommandHandler("voice", on_voice_setting, filters=filters.UpdateType.MESSAGE))
    # Only new messages are turns: an edit (edited_message) replayed as input could, e.g., confirm a
    # pending conversion with an old message edited to "yes".
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler(list(COMMAND_INTENTS), on_command, filters=new_message))
    application.add_handler(CommandHandler(["mykey", "setpassword"], on_password, filters=new_message))
    application.add_handler(CommandHandler(list(NOTICE_COMMANDS), on_text, filters=new_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(new_message & filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(new_message & filters.VOICE, on_voice))
    application.add_error_handler(on_error)
    return application
