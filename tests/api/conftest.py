"""Fixtures of the API/page tests (defined in webapp.py so test modules can import its helpers)."""
from webapp import web  # noqa: F401
