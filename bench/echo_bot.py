"""A bare python-telegram-bot echo bot: the yardstick for the Telegram benchmark.

Run: TELEGRAM_BOT_TOKEN=… TELEGRAM_API_BASE_URL=… python -m bench.echo_bot
(polling, no rate limiter, no database).

It takes in 16 updates at once, as this bot does (bot/channels/telegram.py
CONCURRENT_UPDATES). PTB's `concurrent_updates(True)` means 256: under a burst that
opens 256 connections to the Bot API, and httpcore's pool then scans every connection
for every request (`_assign_requests_to_connections`, quadratic): measured here, the
echo bot fell from ~330 to ~70 updates/s and spent 15 ms of CPU per update instead of
2.5. That yardstick measured httpcore's bookkeeping, not a bare bot.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

CONCURRENT_UPDATES = 16  # as this bot (see above)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    """Poll the given Bot API server until stopped."""
    token = os.environ["TELEGRAM_BOT_TOKEN"]
    base = os.environ["TELEGRAM_API_BASE_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .concurrent_updates(CONCURRENT_UPDATES)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
