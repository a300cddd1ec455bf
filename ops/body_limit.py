"""The largest request body, enforced while the body is read — chunked bodies included.

Why not a ``Content-Length`` check: a chunked request has none, and the WSGI servers we run on (Werkzeug's,
gunicorn) mark such input ``wsgi.input_terminated``, which Werkzeug then reads to the end unless a
``max_content_length`` is set. So every request gets one, decided by its path before anything (the rate
limiter's key, Open311's form) touches the body: ``/api/`` and ``/open311/`` get ``CITYOPS_API_MAX_BODY``;
everything else (Dash callbacks carry the workbench's photos and the import page's CSV base64-encoded, a
third larger than the file) gets ``CITYOPS_MAX_REQUEST_BYTES``. Reading past the limit raises Werkzeug's
413, which ``api.install`` answers in each API's own error format.

Werkzeug alone is not enough: reading a whole body (``get_data``, an urlencoded form) stops *at* the limit
and returns the first ``limit`` bytes without an error, so an over-long chunked body would arrive cut
short — invalid JSON at best, a silently shortened description at worst. ``RefusingStream`` looks one
byte further and refuses.
"""
from __future__ import annotations

from typing import IO, Any

from flask import Flask, Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

#: Paths whose bodies are machine input, held to ``CITYOPS_API_MAX_BODY``.
API_PREFIXES = ("/api/", "/open311/")


class RefusingStream(LimitedStream):
    """A terminated input (chunked) read up to ``limit`` bytes; one byte more is a 413, also when the
    body is read whole."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class LimitedRequest(Request):
    """A request whose ``max_content_length`` follows its path (a view may still set its own)."""

    api_max_body: int | None = None

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if self.api_max_body is not None and ("/" + self.path.lstrip("/")).startswith(API_PREFIXES):
            return self.api_max_body
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self) -> IO[bytes]:
        """Werkzeug's input stream (a too long ``Content-Length`` is a 413 here), except that a terminated
        (chunked) input is read through ``RefusingStream``."""
        if self.shallow:
            raise RuntimeError("This request was created with 'shallow=True', reading from the input stream is"
                               " disabled.")
        limit = self.max_content_length
        stream = get_input_stream(self.environ, max_content_length=limit)
        if limit is not None and "wsgi.input_terminated" in self.environ:
            return RefusingStream(self.environ["wsgi.input"], limit)
        return stream


def install(server: Flask, settings: Any) -> None:
    """Limit every body on ``server``: the API's limit under its prefixes, the server-wide one elsewhere."""
    limited = type("LimitedRequest", (LimitedRequest,), {"api_max_body": settings.api_max_body})
    server.request_class = limited
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes


__all__ = ["API_PREFIXES", "LimitedRequest", "RefusingStream", "install"]
