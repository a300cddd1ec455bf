"""Fixtures of the browser tests (the harness lives in harness.py so tests can import its helpers).

Every test, and every module's shared browsers, must run without a Content-Security-Policy violation in
any browser's console: a page the policy breaks fails here, not silently in production.
"""
from typing import Iterator

import pytest

import harness
from harness import chromium, live_app  # noqa: F401


def _check_since(start: int, what: str) -> None:
    harness.drain_consoles()
    bad = harness.csp_violations(harness.CONSOLE[start:])
    if bad:
        pytest.fail(f"Content-Security-Policy violations during {what}:\n" + "\n".join(bad[:20]), pytrace=False)


@pytest.fixture(autouse=True, scope="module")
def no_csp_violations_in_module(request: pytest.FixtureRequest) -> Iterator[None]:
    """Also what shared (module) browsers logged in their own setup and teardown."""
    start = len(harness.CONSOLE)
    yield
    _check_since(start, f"module {request.module.__name__}")


@pytest.fixture(autouse=True)
def no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    start = len(harness.CONSOLE)
    yield
    _check_since(start, request.node.nodeid)
