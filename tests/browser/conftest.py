"""Fixtures of the browser tests (the harness lives in harness.py so tests can import its helpers)."""
from harness import chromium, live_app  # noqa: F401
