"""A whole app (Dash + Flask + Socket.IO) on a copied template database, with one user per role."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

import app as cityops_app
from functools import lru_cache

from werkzeug.security import generate_password_hash

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


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password})
