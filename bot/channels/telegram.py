"""Telegram: python-telegram-bot 22 updates in, `Incoming`; `Reply` out, Bot API calls.

Long polling by default; with a webhook URL, updates arrive on the process's web
server at /telegram/webhook and are checked against the secret header first.
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MenuButtonWebApp,
    Message,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.base import (
    Channel,
    ChannelStats,
    Dispatch,
    FirstTime,
    Reachability,
    WebhookInUse,
)
from bot.channels.lanes import Admit, ChatLanes, admit_all
from bot.channels.shapes import parse_json, telegram_update_problem
from bot.channels.telegram_limits import CALLS_AT_ONCE, FloodControl, seconds
from bot.web import WebServer
from handlers import texts
from handlers.flows.upload import MAX_UPLOAD
from handlers.types import Button, Incoming, IncomingFile, LinkButton, Reply
from scheduler.delivery import RateLimited, Undeliverable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TYPING_AFTER = 0.5  # seconds a reply may take before "typing…" is shown
CAPTION_LIMIT = 1024
# Updates PTB takes in at once. Each is only admitted and queued in its chat's lane
# (bot/channels/lanes.py), which handles it.
CONCURRENT_UPDATES = 16
# A private message with nothing to read: no text, caption or document (a photo, sticker,
# voice note…), and not a service message (a member joined, a chat photo changed).
UNREADABLE = filters.ChatType.PRIVATE & ~(
    filters.TEXT | filters.CAPTION | filters.Document.ALL | filters.StatusUpdate.ALL
)
# Connections to the Bot API: the messages FloodControl lets out at once, and room for the
# calls it does not count ("typing…", button acknowledgements, file downloads).
POOL_SIZE = 2 * CALLS_AT_ONCE


@dataclass(frozen=True)
class TelegramConfig:
    """What the adapter needs from Settings."""

    token: str
    api_base_url: str
    webhook_url: str = ""
    secret: str = ""  # the webhook secret Telegram sends back in SECRET_HEADER
    overall_rate: float = 30.0
    drop_webhook: bool = False  # polling may remove a webhook set by another deployment
    mini_app_url: str = ""  # the report form (https only): the chat menu button opens it


class TelegramChannel(Channel):
    """The bot on Telegram."""

    name = "telegram"
    max_text = 4096
    supports_buttons = True
    supports_links = True

    def __init__(
        self,
        dispatch: Dispatch,
        config: TelegramConfig,
        *,
        web_server: WebServer | None,
        reachability: Reachability,
        stats: ChannelStats | None = None,
        first_time: FirstTime | None = None,
        admit: Admit = admit_all,
    ) -> None:
        super().__init__(dispatch)
        self.config = config
        self.reachability = reachability
        self.first_time = first_time
        self.flood = FloodControl(overall_rate=config.overall_rate, stats=stats)
        self.app: Application = self.build()
        self.lanes = ChatLanes(self.name, admit)
        if config.webhook_url:
            if web_server is None:
                raise ValueError("webhook mode needs the web server")
            web_server.add_post(WEBHOOK_PATH, self.receive_webhook)

    def build(self) -> Application:
        """Build the PTB application and register the update callbacks."""
        base = self.config.api_base_url.rstrip("/")
        builder = (
            ApplicationBuilder()
            .token(self.config.token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .request(AiohttpRequest(pool_size=POOL_SIZE))
            .rate_limiter(self.flood)
            .concurrent_updates(CONCURRENT_UPDATES)
            .job_queue(None)  # reminders use our own scheduler (persisted), not PTB's
        )
        if self.config.webhook_url:
            builder = builder.updater(None)
        else:
            builder = builder.get_updates_request(AiohttpRequest(pool_size=1))
        app = builder.build()
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(MessageHandler(filters.Document.ALL, self.on_document))
        app.add_handler(MessageHandler(filters.TEXT | filters.CAPTION, self.on_message))
        app.add_handler(MessageHandler(UNREADABLE, self.on_unreadable))
        app.add_error_handler(self.on_error)
        return app

    async def preflight(self) -> None:
        """Polling: refuse to start if a webhook is set (polling would silently remove it)."""
        if self.config.webhook_url:
            return
        await self.app.bot.initialize()
        url = (await self.app.bot.get_webhook_info()).url
        if url and not self.config.drop_webhook:
            raise WebhookInUse(self.name, url)
        if url:
            log.warning("telegram: removing the webhook %s to poll (--drop-webhook)", url)

    async def start(self) -> None:
        """Connect, publish the command menu, then poll or register the webhook."""
        await self.app.initialize()
        await self.app.start()
        commands = [BotCommand(name, text) for name, text in texts.TELEGRAM_COMMANDS]
        await self.app.bot.set_my_commands(commands)
        if self.config.mini_app_url:
            await self.set_menu_button(self.config.mini_app_url)
        if self.config.webhook_url:
            await self.app.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.secret,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("telegram: webhook registered")
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("telegram: long polling")

    async def set_menu_button(self, url: str) -> None:
        """Make the chat menu button open the report form (a failure is logged, not fatal)."""
        button = MenuButtonWebApp(texts.BUTTON_REPORT_FORM, WebAppInfo(url))
        try:
            await self.app.bot.set_chat_menu_button(menu_button=button)
        except TelegramError as exc:
            log.warning("telegram: menu button not set: %s", exc)

    async def stop(self) -> None:
        """Stop receiving, finish what is in flight, disconnect."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.lanes.join()
        await self.app.shutdown()
        self.finished.set()

    async def receive_webhook(self, request: web.Request) -> web.Response:
        """Queue one update POSTed by Telegram; refuse any request without the secret."""
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), self.config.secret.encode()):
            return web.Response(status=403)
        try:  # a body over 1 MB raises 413 in read()
            data = parse_json(await request.read())
            problem = telegram_update_problem(data)
            update = None if problem else Update.de_json(data, self.app.bot)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problem, update = f"{type(exc).__name__}: {exc}"[:200], None
        if update is None:
            log.info("telegram: malformed webhook update refused (%s)", problem)
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response()

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a private message, or a group message meant for the bot."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or user.is_bot:
            return
        addressed: str | None = message.text or message.caption or ""
        is_group = message.chat.type != ChatType.PRIVATE
        if is_group:
            addressed = self.addressed_text(message, addressed or "")
        if addressed is None:
            return
        text = addressed
        incoming = self.incoming(
            message.chat.id, user, text=text, is_group=is_group, at=message.date
        )
        self.converse(incoming, update.update_id)

    async def on_unreadable(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say that a photo, sticker or voice note can't be read (private chats only)."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or user.is_bot:
            return
        incoming = self.incoming(message.chat.id, user, text="", at=message.date)
        self.converse(replace(incoming, unreadable=True), update.update_id)

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Take a file sent in a private chat (an admin adding a directive): download it,
        up to MAX_UPLOAD bytes, and hand it to the handlers; groups' files are ignored."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or user.is_bot or message.document is None:
            return
        if message.chat.type != ChatType.PRIVATE:
            return
        document = message.document
        name = document.file_name or "tep"
        if (document.file_size or 0) > MAX_UPLOAD:
            file = IncomingFile(name, b"", too_large=True)
        else:
            try:
                found = await context.bot.get_file(document.file_id)
                content = bytes(await found.download_as_bytearray())
            except TelegramError as exc:
                log.warning("could not download a file in chat %s: %s", message.chat.id, exc)
                content = b""
            file = IncomingFile(name, content, too_large=len(content) > MAX_UPLOAD)
        incoming = self.incoming(message.chat.id, user, text="", at=message.date)
        self.converse(replace(incoming, file=file), update.update_id)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer a button press; the first reply replaces the message with the buttons."""
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()
        except TelegramError as exc:  # the acknowledgement is cosmetic: still do what was asked
            log.info("could not acknowledge a button in chat %s: %s", query.from_user.id, exc)
        message = query.message if isinstance(query.message, Message) else None
        if message is None:
            return
        is_group = message.chat.type != ChatType.PRIVATE
        incoming = self.incoming(
            message.chat.id, query.from_user, payload=query.data or "", is_group=is_group
        )
        self.converse(incoming, update.update_id, edit=message)

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Note a user who blocked the bot (or came back) in a private chat."""
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        await self.reachability(self.name, str(change.from_user.id), blocked)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failed update; apologise to its chat if we can."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram update %s failed: %r", update_id, context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await self.app.bot.send_message(update.effective_chat.id, texts.SORRY)
            except TelegramError:
                log.warning("could not apologise in chat %s", update.effective_chat.id)

    def addressed_text(self, message: Message, text: str) -> str | None:
        """Return a group message's text if meant for the bot (command, mention, reply)."""
        username = self.app.bot.username or ""
        mention = f"@{username}"
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            if "@" in head and not head.lower().endswith(mention.lower()):
                return None
            return text
        if username and mention.lower() in text.lower():
            start = text.lower().index(mention.lower())
            return (text[:start] + text[start + len(mention) :]).strip()
        reply_to = message.reply_to_message
        if (
            reply_to is not None
            and reply_to.from_user is not None
            and reply_to.from_user.id == self.app.bot.id
        ):
            return text
        return None

    def incoming(
        self,
        chat_id: int,
        user: object,
        *,
        text: str = "",
        payload: str | None = None,
        is_group: bool = False,
        at: datetime | None = None,
    ) -> Incoming:
        """Return the Incoming for a Telegram chat and user."""
        return Incoming(
            channel=self.name,
            chat_id=str(chat_id),
            user_id=str(getattr(user, "id", "")),
            text=text,
            payload=payload,
            at=at or datetime.now().astimezone(),
            display_name=getattr(user, "full_name", "") or "",
            is_group=is_group,
        )

    def converse(self, incoming: Incoming, update_id: int, edit: Message | None = None) -> None:
        """Admit an update now and queue it in its chat's lane: handled, then answered, in turn.

        In turn, an update whose update_id was taken in before (by any process: a webhook
        retried, polled twice) is dropped; checked there, not on arrival, so waiting for
        the database never reorders a chat's updates.
        """
        chat_id = incoming.chat_id

        async def handle() -> list[Reply]:
            if self.first_time and not await self.first_time(self.name, str(update_id)):
                return []
            typing: list[asyncio.Task[None]] = []  # "typing…", if the work takes a while
            timer = asyncio.get_running_loop().call_later(
                TYPING_AFTER, lambda: typing.append(asyncio.create_task(self.show_typing(chat_id)))
            )
            try:  # a timer, not a task and a wait per update: most updates take no while
                return await self.dispatch(incoming)
            finally:
                timer.cancel()
                for shown in typing:  # shown before the replies, never after them
                    await shown

        async def answer(replies: list[Reply]) -> None:
            for index, reply in enumerate(replies):
                await self.deliver(chat_id, reply, edit if index == 0 else None)

        self.lanes.take(incoming, handle, answer)

    async def show_typing(self, chat_id: str) -> None:
        """Show "typing…" in a chat; never fail the reply over it."""
        try:
            await self.app.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("typing action failed in %s: %s", chat_id, exc)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send one outbox message; say Undeliverable or RateLimited when that is why it failed."""
        try:
            await self.send_reply(chat_id, reply, None)
        except Forbidden as exc:
            await self.reachability(self.name, chat_id, True)
            raise Undeliverable(str(exc)) from exc
        except RetryAfter as exc:  # longer than FloodControl waits by itself
            raise RateLimited(seconds(exc.retry_after)) from exc

    async def deliver(self, chat_id: str, reply: Reply, edit: Message | None) -> None:
        """Send a reply: edit the pressed message, or send text chunks, then any file."""
        try:
            await self.send_reply(chat_id, reply, edit)
        except Forbidden:
            log.info("telegram chat %s blocked the bot", chat_id)
            await self.reachability(self.name, chat_id, True)

    async def send_reply(self, chat_id: str, reply: Reply, edit: Message | None) -> None:
        """Send a reply's text (split to 4,096), buttons on the last part, and its file."""
        markup = keyboard(reply.buttons, reply.links)
        if reply.file is not None:
            caption = reply.text if len(reply.text) <= CAPTION_LIMIT else ""
            if not caption and reply.text:
                await self.send_texts(chat_id, reply.text, None, None)
            await self.send_file(chat_id, reply, caption, markup)
            return
        await self.send_texts(chat_id, reply.text, markup, edit)

    async def send_texts(
        self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None, edit: Message | None
    ) -> None:
        """Send text as HTML-escaped messages of at most 4,096 characters."""
        parts = self.texts_of(Reply(text))
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            body = html.escape(part, quote=False)
            if edit is not None and len(parts) == 1 and await self.edit(edit, body, markup):
                return
            await self.app.bot.send_message(
                chat_id, body, parse_mode=ParseMode.HTML, reply_markup=markup if last else None
            )

    async def edit(self, message: Message, body: str, markup: InlineKeyboardMarkup | None) -> bool:
        """Replace the text of the message whose button was pressed; False if Telegram won't."""
        try:
            await self.app.bot.edit_message_text(
                body,
                chat_id=message.chat.id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            log.debug("edit refused (%s); sending a new message", exc)
            return False
        return True

    async def send_file(
        self, chat_id: str, reply: Reply, caption: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Send the reply's file: a photo (chart) or a document (Excel)."""
        assert reply.file is not None
        upload = InputFile(reply.file.content, filename=reply.file.name)
        body = html.escape(caption, quote=False) or None
        if reply.file.kind == "photo":
            await self.app.bot.send_photo(
                chat_id, upload, caption=body, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        else:
            await self.app.bot.send_document(
                chat_id, upload, caption=body, parse_mode=ParseMode.HTML, reply_markup=markup
            )


def keyboard(
    rows: list[list[Button]], links: list[LinkButton] | None = None
) -> InlineKeyboardMarkup | None:
    """Return button rows, then one row per link, as an inline keyboard (None: neither)."""
    if not rows and not links:
        return None
    pressed = [
        [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in rows
    ]
    return InlineKeyboardMarkup([*pressed, *([link_button(link)] for link in links or [])])


def link_button(link: LinkButton) -> InlineKeyboardButton:
    """Return a link as a Mini App button (`web_app`) or a URL button."""
    if link.web_app:
        return InlineKeyboardButton(link.label, web_app=WebAppInfo(link.url))
    return InlineKeyboardButton(link.label, url=link.url)
