"""``<html lang>`` follows the UI language: Dash writes one index page for every visitor (``<html>`` with no
language), so screen readers and the browser's own text handling (CJK line breaking, hyphenation, the
translate prompt) would guess; the language cookie is per request, so the page is marked per request."""
from __future__ import annotations

from typing import Any, Callable

_BARE = b"<html>"


def install(server: Any, current_lang: Callable[[], str]) -> None:
    @server.after_request
    def _mark(resp: Any) -> Any:
        if resp.mimetype != "text/html" or resp.direct_passthrough or resp.is_streamed:
            return resp
        body = resp.get_data()
        head = body[:200]
        if _BARE in head:
            lang = b"zh-CN" if current_lang() == "zh" else b"en"
            resp.set_data(body.replace(_BARE, b'<html lang="' + lang + b'">', 1))
        return resp


__all__ = ["install"]
