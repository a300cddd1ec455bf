"""Login ids: what a session cookie and a remember-cookie carry, and the check that accepts one.

Flask-Login's "alternative tokens": the cookie names not the bare user id but

* ``<user id>:<session token>:<issued, unix seconds>:<nonce>`` for a person's login. It is refused once the
  user's session token has changed (logout, a password change) or once it is older than the remember
  duration, so no cookie outlives ``CITYOPS_REMEMBER_DAYS`` however it was kept. The nonce makes every
  login's cookies differ.
* ``<user id>:device:<device id>`` for a kiosk's device login (auth/devices.py): accepted while the device
  row is live, whatever the user's token (a person logging out of the wall account elsewhere does not
  blank the video wall).

Both cookies are signed with the app's secret key, so the parts cannot be forged.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from auth.users import User, get_user

DEVICE = "device"


@dataclass(frozen=True)
class LoginId:
    user_id: int
    token: str = ""
    issued: int = 0
    device_id: int | None = None


def person_login_id(user_id: int, token: str, issued: datetime) -> str:
    return f"{user_id}:{token}:{int(issued.timestamp())}:{secrets.token_hex(4)}"


def device_login_id(user_id: int, device_id: int) -> str:
    return f"{user_id}:{DEVICE}:{device_id}"


def parse(login_id: str) -> LoginId | None:
    """The parts of a login id, or ``None`` for anything else (a bare id from before tokens existed too)."""
    parts = (login_id or "").split(":")
    try:
        if len(parts) == 3 and parts[1] == DEVICE:
            return LoginId(int(parts[0]), device_id=int(parts[2]))
        if len(parts) == 4 and parts[1]:
            return LoginId(int(parts[0]), parts[1], int(parts[2]))
    except ValueError:
        return None
    return None


class SessionLoader:
    """Flask-Login's user loader: the user a login id stands for, if it is still good ``now``."""

    def __init__(self, read: Callable[[], Any], devices: Any, clock: Callable[[], datetime],
                 max_age: timedelta) -> None:
        self.read = read
        self.devices = devices
        self.clock = clock
        self.max_age = max_age

    def __call__(self, login_id: str) -> User | None:
        found = parse(login_id)
        if found is None:
            return None
        now = self.clock()
        if found.device_id is not None:
            if not self.devices.check(found.device_id, found.user_id, now):
                return None
            with self.read() as s:
                user = get_user(found.user_id, session=s)
            return None if user is None else user.with_login(login_id, found.device_id)
        if now.timestamp() - found.issued > self.max_age.total_seconds():
            return None
        with self.read() as s:
            user = get_user(found.user_id, session=s)
        if user is None or not user.session_token:
            return None
        if not hmac.compare_digest(user.session_token.encode(), found.token.encode()):
            return None
        return user.with_login(login_id)


__all__ = ["LoginId", "SessionLoader", "device_login_id", "parse", "person_login_id"]
