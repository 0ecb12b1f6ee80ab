"""The one place settings are read: environment variables and `.env`."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.holidays import load_holidays
from scheduler.plan import parse_clock_time, parse_offsets, parse_span


class Settings(BaseSettings):
    """Process settings; see .env.example for every field."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    documents_dir: Path | None = None  # extra directives (*.txt) beside the bundled one
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line (journald, Loki)
    timezone: str = "Asia/Ho_Chi_Minh"
    data_dir: Path = Path("data")  # SQLite file and console exports
    database_url: str = ""  # empty: SQLite file in data_dir
    admins: str = ""  # comma-separated CHANNEL:USER_ID, e.g. telegram:123,console:boss
    flood_per_minute: int = Field(default=20, ge=0)  # messages a member may send a minute; 0: off

    reminder_offsets: str = "30d,7d,1d,0d"  # reminders this long before each deadline
    reminder_time: str = "08:00"  # local time of day deadlines fall due and reminders go
    overdue_every: str = "7d"
    overdue_for: str = "90d"
    period_reminder_days: int = 5  # days before each reporting period ends
    quiet_hours: str = "21:00-07:00"  # local; nothing is delivered in these hours
    skip_weekends: bool = False
    holidays_file: str = ""  # public holidays (no delivery): "" the bundled VN file, "off" none
    escalate_after: str = "3d"  # after a reporting period ends: parents get one digest
    misfire_grace: str = "6h"  # a reminder missed while down is sent if it is at most this late
    max_attempts: int = 8  # tries of one outbox message before it is dead-lettered
    clock_start: datetime | None = None  # tests and drills only: the reminder clock starts here

    zalo_oa_app_id: str = ""  # set (with the secrets below) → the bot runs on the Zalo OA
    zalo_oa_app_secret: SecretStr | None = None  # the app's secret key (OAuth)
    zalo_oa_secret_key: SecretStr | None = None  # the OA secret key (webhook signatures)
    zalo_oa_refresh_token: SecretStr | None = None  # the first refresh token
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_max_event_age: int = 600  # seconds; older webhook events are refused

    zalo_bot_token: SecretStr | None = None  # set → the bot runs on the Zalo Bot platform
    zalo_bot_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_bot_webhook_url: str = ""  # set → webhook mode (else long polling)
    zalo_bot_webhook_secret: SecretStr | None = None  # default: derived from the token

    http_host: str = "127.0.0.1"  # the webhook and health server (behind a TLS proxy)
    http_port: int = 8080
    web_base_url: str = ""  # the dashboard's public address in links; default http://HOST:PORT
    web_session_idle: str = "2h"  # a dashboard session ends after this long unused

    telegram_bot_token: SecretStr | None = None  # set → the bot runs on Telegram
    telegram_bot_username: str = ""  # for invite deep links t.me/<username>?start=<code>
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""  # set → webhook mode (else long polling)
    telegram_webhook_secret: SecretStr | None = None  # default: derived from the token
    telegram_paid_broadcast: bool = False  # Telegram paid broadcasts: 1,000 msg/s overall

    @field_validator("log_level")
    @classmethod
    def known_level(cls, value: str) -> str:
        """Accept only the standard logging level names."""
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        """Accept only IANA zone names, e.g. Asia/Ho_Chi_Minh."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def valid_offsets(cls, value: str) -> str:
        """Accept comma-separated spans like 30d,7d,1d,0d."""
        parse_offsets(value)
        return value

    @field_validator("holidays_file")
    @classmethod
    def readable_holidays(cls, value: str) -> str:
        """Accept a holiday file that loads (or "" / "off")."""
        try:
            load_holidays(value)
        except OSError as exc:
            raise ValueError(f"cannot read the holiday file: {exc.strerror}") from None
        return value

    @field_validator(
        "overdue_every", "overdue_for", "misfire_grace", "escalate_after", "web_session_idle"
    )
    @classmethod
    def valid_span(cls, value: str) -> str:
        """Accept spans like 7d, 6h, 30m."""
        parse_span(value)
        return value

    @field_validator("reminder_time")
    @classmethod
    def valid_time(cls, value: str) -> str:
        """Accept HH:MM."""
        parse_clock_time(value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def valid_quiet_hours(cls, value: str) -> str:
        """Accept HH:MM-HH:MM."""
        first, sep, last = value.partition("-")
        if not sep:
            raise ValueError("quiet hours look like 21:00-07:00")
        parse_clock_time(first)
        parse_clock_time(last)
        return value

    @field_validator("clock_start", mode="before")
    @classmethod
    def blank_clock_is_none(cls, value: object) -> object:
        """Treat an empty CLOCK_START= as the real clock."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "telegram_bot_token",
        "telegram_webhook_secret",
        "zalo_oa_app_secret",
        "zalo_oa_secret_key",
        "zalo_oa_refresh_token",
        "zalo_bot_token",
        "zalo_bot_webhook_secret",
        mode="before",
    )
    @classmethod
    def blank_secret_is_none(cls, value: object) -> object:
        """Treat an empty TELEGRAM_BOT_TOKEN= as not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("documents_dir", mode="before")
    @classmethod
    def blank_is_none(cls, value: object) -> object:
        """Treat an empty DOCUMENTS_DIR= as not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("documents_dir")
    @classmethod
    def existing_dir(cls, value: Path | None) -> Path | None:
        """Refuse a documents directory that doesn't exist."""
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("admins")
    @classmethod
    def channel_user_ids(cls, value: str) -> str:
        """Accept only CHANNEL:USER_ID items."""
        for item in filter(None, (part.strip() for part in value.split(","))):
            if ":" not in item.strip(":"):
                raise ValueError(f"{item!r} is not CHANNEL:USER_ID")
        return value

    @property
    def admin_ids(self) -> frozenset[str]:
        """Return the CHANNEL:USER_ID of every admin named in settings."""
        return frozenset(part.strip() for part in self.admins.split(",") if part.strip())

    @property
    def database(self) -> str:
        """Return the database URL, the SQLite file under data_dir by default."""
        default = f"sqlite+aiosqlite:///{(self.data_dir / 'bot.db').as_posix()}"
        return self.database_url.strip() or default

    @property
    def web_base(self) -> str:
        """Return the dashboard's public address without a trailing slash."""
        given = self.web_base_url.strip().rstrip("/")
        return given or f"http://{self.http_host}:{self.http_port}"

    @field_validator("web_base_url")
    @classmethod
    def web_address(cls, value: str) -> str:
        """Accept an empty value or an http(s) address."""
        if value.strip() and not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("WEB_BASE_URL starts with http:// or https://")
        return value

    @property
    def secret_values(self) -> list[str]:
        """Return every secret that is set, for the log redactor (never for printing)."""
        values = [getattr(self, name) for name in type(self).model_fields]
        return [v.get_secret_value() for v in values if isinstance(v, SecretStr)]

    @property
    def telegram_overall_rate(self) -> float:
        """Return the messages per second Telegram allows this bot overall."""
        return 1000.0 if self.telegram_paid_broadcast else 30.0

    @property
    def holidays(self) -> frozenset[date]:
        """Return the public holidays reminders skip."""
        return load_holidays(self.holidays_file)

    @property
    def zone(self) -> ZoneInfo:
        """Return the users' time zone."""
        return ZoneInfo(self.timezone)
