"""/web (alias /quantri): a one-time link that signs the sender in to the dashboard;
`/baocao web`: one that opens the report form."""

from __future__ import annotations

from datetime import timedelta

from handlers import texts
from handlers.turn import Turn
from handlers.types import Reply
from storage.queries.web_auth import LINK_TTL, create_login_link

MINI_APP_PATH = "/bao-cao"  # the report form (bot/dashboard/report_form.py)


class WebLogin:
    """Makes dashboard login links for admins and unit leaders."""

    def __init__(self, base_url: str, ttl: timedelta = LINK_TTL) -> None:
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl

    async def send_link(self, turn: Turn, arg: str) -> list[Reply]:
        """Reply with a fresh single-use login link (the router checked: a viewer, privately)."""
        if turn.member.id is None:  # a newcomer the database refused to store
            return [Reply(texts.NOT_SAVED)]
        token = await create_login_link(
            turn.session, member_id=turn.member.id, actor=turn.actor, now=turn.now, ttl=self.ttl
        )
        url = login_url(self.base_url, token)
        return [Reply(texts.WEB_LINK.format(url=url, minutes=int(self.ttl.total_seconds() // 60)))]

    async def send_report_link(self, turn: Turn, arg: str) -> list[Reply]:
        """Reply with a single-use link to the report form (the router checked: a leader)."""
        if turn.member.id is None:
            return [Reply(texts.NOT_SAVED)]
        token = await create_login_link(
            turn.session, member_id=turn.member.id, actor=turn.actor, now=turn.now, ttl=self.ttl
        )
        url = f"{self.base_url}{MINI_APP_PATH}/lien-ket/{token}"
        minutes = int(self.ttl.total_seconds() // 60)
        return [Reply(texts.REPORT_WEB_LINK.format(url=url, minutes=minutes))]


def mini_app_url(base_url: str) -> str:
    """Return the report form's Mini App address, or "" when the address is not https
    (Telegram opens Mini Apps only over https)."""
    base = base_url.strip().rstrip("/")
    return f"{base}{MINI_APP_PATH}" if base.lower().startswith("https://") else ""


def login_url(base_url: str, token: str) -> str:
    """Return the address a login token is opened at."""
    return f"{base_url.rstrip('/')}/dang-nhap/{token}"
