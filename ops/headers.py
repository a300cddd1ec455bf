"""Security headers on every response: a Content-Security-Policy fitted to Dash, and the usual others.

Why each CSP source (see README "Security headers"):

- ``default-src 'self'``, ``object-src 'none'``, ``base-uri 'self'``, ``form-action 'self'``,
  ``frame-ancestors 'none'``: our own origin only; no plugins, no ``<base>`` hijack, forms (the login) post
  only to us, and no site may frame a page (clickjacking; ``X-Frame-Options: DENY`` for old browsers).
- ``script-src 'self'`` plus the SHA-256 of each inline script Dash writes into its index page: the
  renderer's start (``var renderer = new DashRenderer();``) and the inline clientside callbacks. The hashes
  come from Dash's own sources for those scripts (``Dash.renderer``, ``Dash._inline_scripts``), never from
  a rendered page, so text that got into a page cannot vouch for itself. The config block
  (``<script type="application/json">``) is data, not run, and needs nothing.
- ``style-src 'self' 'unsafe-inline'``: Plotly, AG Grid and Dash set style attributes and inject
  ``<style>`` elements at run time; styles cannot run code.
- ``img-src 'self' data: blob:`` and ``font-src 'self' data:``: icons and uploads' previews are data/blob
  URLs, Plotly exports images through them; plus the tile server's origin (``TILE_URL``).
- ``connect-src 'self'``: callbacks and Socket.IO (same-origin ``ws:``/``wss:`` match ``'self'`` in
  CSP Level 3 browsers); plus the tile server's and the map style's origins (MapLibre fetches them).
- ``worker-src 'self' blob:``: MapLibre starts its tile workers from a blob URL.

A response that already carries a CSP keeps it (``/uploads`` sets a stricter ``default-src 'none'``).
"""
from __future__ import annotations

import base64
import hashlib
import re
from typing import Any, Iterable
from urllib.parse import urlsplit

#: Headers every response gets unless its view set them.
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def script_hash(source: str) -> str:
    """The CSP source that allows exactly this inline script's text."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def origin(url: str | None) -> str | None:
    """``https://tiles.example:8443`` of a URL (``{z}/{x}/{y}`` templates included; a leading ``{s}``
    subdomain becomes ``*``), or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = re.sub(r"^\{[^}]*\}", "*", parts.netloc)  # {s}.tiles.example → *.tiles.example
    return None if "{" in host else f"{parts.scheme}://{host}"


def policy(inline_scripts: Iterable[str], tile_url: str | None = None, style_url: str | None = None) -> str:
    """The Content-Security-Policy for these inline scripts and the configured map servers."""
    tiles = origin(tile_url)
    style = origin(style_url)
    hashes = sorted({script_hash(s) for s in inline_scripts})
    extra_img = [tiles] if tiles else []
    extra_connect = sorted({o for o in (tiles, style) if o})
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'", *hashes]),
        ("style-src", ["'self'", "'unsafe-inline'"]),
        ("img-src", ["'self'", "data:", "blob:", *extra_img]),
        ("font-src", ["'self'", "data:"]),
        ("connect-src", ["'self'", *extra_connect]),
        ("worker-src", ["'self'", "blob:"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def dash_inline_scripts(dash_app: Any) -> list[str]:
    """The inline scripts Dash writes into its index page, from Dash's own sources: the renderer's start
    and the clientside callbacks given as code (they join ``_inline_scripts`` when the index is first built,
    so this is asked per response and cached on the list's contents)."""
    return [dash_app.renderer, *getattr(dash_app, "_inline_scripts", [])]


def install(dash_app: Any, settings: Any) -> None:
    """Add the headers to every response of ``dash_app.server`` that does not set them itself."""
    server = dash_app.server
    cache: dict[tuple[str, ...], str] = {}

    def current_policy() -> str:
        key = tuple(dash_inline_scripts(dash_app))
        if key not in cache:
            cache.clear()
            cache[key] = policy(key, settings.tile_url, settings.map_style_url)
        return cache[key]

    @server.after_request
    def _security_headers(resp: Any) -> Any:
        for name, value in FIXED_HEADERS.items():
            resp.headers.setdefault(name, value)
        if "Content-Security-Policy" not in resp.headers:
            resp.headers["Content-Security-Policy"] = current_policy()
        return resp


__all__ = ["FIXED_HEADERS", "dash_inline_scripts", "install", "origin", "policy", "script_hash"]
