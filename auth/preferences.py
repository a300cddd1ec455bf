"""A person's display preference kept per browser: the colour scheme (dark or light).

It is a cookie the server reads (not local storage a script reads after load), so the frame is rendered in
the chosen scheme from the first paint. Kiosks (device logins) and the wall's role always get the dark
scheme: a wall is read from metres away in a dim room.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import redirect, request
from flask_login import current_user

COOKIE = "theme"
#: The same schemes as ``layouts.theme.THEMES`` (a test keeps them equal; auth sits below layouts).
THEMES = ("dark", "light")
DEFAULT_THEME = THEMES[0]


def normalise_theme(name: str | None) -> str:
    return name if name in THEMES else DEFAULT_THEME


def is_kiosk(user: Any) -> bool:
    """A screen that shows the wall: a device login, or the wall's own role."""
    role = getattr(getattr(user, "role", None), "value", None)
    return getattr(user, "device_id", None) is not None or role == "wall"


def current_theme() -> str:
    """The scheme for this request's page: the browser's choice, dark on a kiosk."""
    try:
        user = current_user._get_current_object()  # noqa: SLF001 - outside a request there is no user
    except RuntimeError:
        return DEFAULT_THEME
    if getattr(user, "is_authenticated", False) and is_kiosk(user):
        return DEFAULT_THEME
    return normalise_theme(request.cookies.get(COOKIE))


def _back(fallback: str = "/") -> str:
    """The page the switch was clicked on (same site only), so switching keeps the person where they were."""
    for target in (request.args.get("next"), request.referrer):
        if not target:
            continue
        parts = urlparse(target)
        if parts.netloc and parts.netloc != request.host:
            continue
        path = parts.path or "/"
        if path.startswith("/") and not path.startswith("//") and not path.startswith("/theme/"):
            return path + (f"?{parts.query}" if parts.query else "")
    return fallback


def install(server: Any) -> None:
    @server.route("/theme/<name>")
    def set_theme(name: str) -> Any:
        resp = redirect(_back())
        if name in THEMES:
            resp.set_cookie(COOKIE, name, max_age=365 * 86400, samesite="Lax", httponly=True)
        return resp


__all__ = ["COOKIE", "current_theme", "install", "is_kiosk"]
