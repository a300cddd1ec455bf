"""Fake department systems for the exchange tests: a real HTTP server on 127.0.0.1 in a thread.

``WebhookDepartment`` verifies the HMAC signature, deduplicates by the idempotency key (as a receiver of
an at-least-once sender must), can be stopped and restarted on the same port, and may answer each
message with a reply (an action for our incident).
"""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from dispatch.connectors import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

SECRET = "department-shared-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookDepartment:
    def __init__(self, secret: str = SECRET, reply: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.secret = secret
        self.reply = reply
        self.port = free_port()
        self.received: dict[str, int] = {}  # key → how many times it arrived
        self.processed: list[dict[str, Any]] = []  # first arrival of each key
        self.bad_signatures = 0
        self.fail_next = 0  # answer 500 to this many requests (after reading them)
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "WebhookDepartment":
        dept = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not verify(dept.secret, self.headers.get(TIMESTAMP_HEADER, ""), body,
                              self.headers.get(SIGNATURE_HEADER, "")):
                    dept.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                key = self.headers.get(KEY_HEADER, "")
                message = json.loads(body)
                with dept._lock:
                    dept.received[key] = dept.received.get(key, 0) + 1
                    first = dept.received[key] == 1
                    if first:
                        dept.processed.append(message)
                    failing = dept.fail_next > 0
                    dept.fail_next -= failing
                if failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                answer = dept.reply(message) if (dept.reply and first) else None
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class WsgiServer:
    """Any WSGI app (e.g. another CityOps as the department's Open311 server) on 127.0.0.1 in a thread."""

    def __init__(self, app: Any) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
