"""Real app processes for the production tests: ``python app.py`` or gunicorn with ``app:wsgi()``.

Kept apart from the browser harness (no Chromium needed): these tests drive HTTP, the JSON API and a
Python Socket.IO client against the processes exactly as a deployment runs them.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "prod-test-secret-0123456789"
TOKENS = f"prodtest:operator:{TOKEN}"
PASSWORD = "prod-test-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_url, CITYOPS_DEMO="0", CITYOPS_SECRET_KEY="prod-test-secret-key",
               CITYOPS_API_TOKENS=TOKENS, PYTHONUNBUFFERED="1", CITYOPS_API_GROUP_COMMIT="200")
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def create_users(env: dict[str, str], *roles: str) -> None:
    """Migrate (``build_services``) and add one user per role, named after it."""
    subprocess.run([sys.executable, "-c", (
        "from app import build_services\nfrom auth.users import create_user\n"
        "s = build_services()\n"
        "with s.db.write.begin() as x:\n"
        f"    for r in {list(roles)!r}:\n"
        f"        create_user(r, {PASSWORD!r}, r, session=x, display_name=r)\n"
    )], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


class AppProcess:
    """One app process on a free port; ``kill()`` is SIGKILL, ``stop()`` a clean SIGTERM."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, gunicorn: bool = False, port: int | None = None) -> None:
        self.env, self.port = env, port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"app-{self.port}-{int(time.monotonic() * 1000)}.log"
        if gunicorn:
            # ``python -m gunicorn``: the interpreter running the tests, whatever PATH holds.
            cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "100", "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "3",
                   "app:wsgi()"]
        else:
            cmd = [sys.executable, "app.py", "--port", str(self.port)]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def wait_ready(self, timeout: float = 90.0) -> "AppProcess":
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError(f"app did not start:\n{self.log()[-3000:]}")
                time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


def session(base: str, username: str) -> Any:
    """A ``requests.Session`` logged in as ``username`` (every test user's password)."""
    from webclient import login_session

    return login_session(base, username, PASSWORD)


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


__all__ = ["AppProcess", "PASSWORD", "ROOT", "TOKEN", "base_env", "bearer", "create_users", "free_port", "session"]
