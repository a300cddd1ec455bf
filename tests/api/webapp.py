"""A whole app (Dash + Flask + Socket.IO) on a copied template database, with one user per role."""
from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

import pytest
from flask_login import login_user
from werkzeug.security import generate_password_hash

import app as cityops_app
from auth.users import authenticate
from incidents.model import Role
from incidents.records import UserRow

PASSWORD = "role-test-pw"
ROLES = [r for r in Role if r is not Role.SYSTEM]


@pytest.fixture
def web(settings: Any, clock: Any) -> Iterator[Any]:
    """The Dash app; ``web.server`` is Flask, ``web.socketio`` the Socket.IO server, no demo threads."""
    dash_app = cityops_app.create_app(settings, clock, background=False)
    with dash_app.services.db.write.begin() as s:
        s.add_all(UserRow(username=role.value, password_hash=_hash(), role=role.value, display_name=role.value,
                          department="SWJ" if role in (Role.DEPT_HANDLER, Role.DEPT_HEAD) else None)
                  for role in ROLES)
    yield dash_app
    dash_app.services.db.dispose()


@lru_cache(maxsize=1)
def _hash() -> str:
    """One scrypt hash for every test user (hashing per user would dominate the suite's time)."""
    return generate_password_hash(PASSWORD)


@contextmanager
def as_user(web: Any, username: str, lang: str = "zh") -> Iterator[None]:
    """A request context of ``web`` in which ``username`` is logged in: for calling callbacks as functions."""
    with web.server.test_request_context("/_dash-update-component", headers={"Cookie": f"lang={lang}"}):
        with web.services.db.read() as s:
            login_user(authenticate(username, PASSWORD, session=s))
        yield


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token a server-rendered form (login, logout) carries."""
    found = _CSRF.search(page)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def form_token(client: Any) -> str:
    """Read the login form as a browser would, for the token its post must carry."""
    return csrf_of(client.get("/login").get_data(as_text=True))


def post_login(client: Any, data: dict[str, str], **kwargs: Any) -> Any:
    """POST /login with ``data`` and the token of a freshly read form (what a browser sends)."""
    return client.post("/login", data={**data, "csrf_token": form_token(client)}, **kwargs)


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return post_login(client, {"username": username, "password": password})


def logout(client: Any) -> Any:
    """POST /logout with the session's token (the one the login form shows, the same for every form)."""
    return client.post("/logout", data={"csrf_token": form_token(client)})
