"""Helpers of the machine-channel API tests: an app with static tokens, and a Bearer header."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

import app as cityops_app

OPERATOR_SECRET = "op-secret-123456"
WALL_SECRET = "wall-secret-123456"
TOKENS = f"feeder:operator:{OPERATOR_SECRET},screen:wall:{WALL_SECRET}"


def bearer(secret: str = OPERATOR_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api_app(settings_factory: Any, clock: Any) -> Iterator[Any]:
    """The whole app with two static tokens: ``feeder`` (operator) and ``screen`` (wall)."""
    settings = settings_factory(api_tokens=TOKENS)
    dash_app = cityops_app.create_app(settings, clock, background=False)
    yield dash_app
    dash_app.services.db.dispose()


@pytest.fixture
def client(api_app: Any) -> Any:
    return api_app.server.test_client()
