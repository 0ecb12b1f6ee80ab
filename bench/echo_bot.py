"""A bare python-telegram-bot echo bot: the yardstick for the Telegram benchmark.

Run: TELEGRAM_BOT_TOKEN=… TELEGRAM_API_BASE_URL=… python -m bench.echo_bot
(polling, no rate limiter, no database).
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


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
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
