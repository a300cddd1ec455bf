"""CSRF tokens for the server-rendered forms (login, logout): a random value kept in the signed Flask session
and echoed by the form as the hidden field ``csrf_token``.

Another site can make a browser post to ``/login`` or ``/logout`` (cookies ride along) but cannot read our
pages, so it cannot know the value; the comparison is constant-time. Dash's own callbacks are JSON posts,
which a cross-site form cannot send without a CORS preflight, so they need no token.
"""
from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
_KEY = "_csrf"


def csrf_token() -> str:
    """This browser session's token, made on first use (the response then sets the session cookie)."""
    token = session.get(_KEY)
    if not isinstance(token, str) or not token:
        token = session[_KEY] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> bool:
    """True when the posted ``csrf_token`` equals the session's; a missing token on either side is False."""
    expected = session.get(_KEY)
    sent = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def renew_csrf() -> None:
    """Forget the token (at login and logout) so one taken before cannot serve the next session."""
    session.pop(_KEY, None)
