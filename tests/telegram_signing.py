"""Sign data as Telegram does, for tests: a Mini App's initData and the Login Widget's fields.

Written from Telegram's documentation, apart from the code under test (bot/dashboard/
init_data.py), so a test's vectors don't share its mistakes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import urlencode


def init_data(token: str, user_id: int, at: datetime, **extra: str) -> str:
    """Return initData (a query string) signed for `token`, naming user `user_id`."""
    user = json.dumps({"id": user_id, "first_name": "Lê", "last_name": "Văn Tâm"})
    fields = {"query_id": "AAH-test", "user": user, "auth_date": str(int(at.timestamp()))}
    fields |= extra
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    signed = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": signed})


def login_widget(token: str, user_id: int, at: datetime) -> dict[str, str]:
    """Return the Login Widget's redirect fields signed for `token`."""
    fields = {"id": str(user_id), "first_name": "Lê", "auth_date": str(int(at.timestamp()))}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()}
