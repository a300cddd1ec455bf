"""API tokens: stored hashed with a role and a name, plus static ones from ``CITYOPS_API_TOKENS``.

Secrets are 32 random bytes, so one SHA-256 is enough (a slow password hash buys nothing against a
random secret and would cost every request); lookups are by hash, so the secret is never compared in
Python. Static entries are ``name:role:secret``, comma-separated (DESIGN.md "Tokens").
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from incidents.model import Actor, Role
from incidents.records import ApiTokenRow


@dataclass(frozen=True)
class Token:
    """Who a valid token speaks for."""

    name: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_static(spec: str) -> dict[str, Token]:
    """``name:role:secret,…`` → {hash: Token}; refuses unknown roles and short secrets at start."""
    out: dict[str, Token] = {}
    for entry in filter(None, (e.strip() for e in (spec or "").split(","))):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not parts[0] or len(parts[2]) < 8:
            raise ValueError(f"CITYOPS_API_TOKENS entry {parts[0] if parts else ''!r}: want name:role:secret "
                             "with a secret of at least 8 characters")
        name, role, secret = parts
        out[hash_secret(secret)] = Token(name, _role(role))
    return out


def _role(value: str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        raise ValueError(f"unknown role {value!r} for an API token") from None
    if role == Role.SYSTEM:
        raise ValueError("system is not a token role")
    return role


def create_token(name: str, role: Role | str, now: datetime, *, session: Session) -> str:
    """Store a new token and return its secret — the only time the secret is seen."""
    secret = secrets.token_urlsafe(32)
    session.add(ApiTokenRow(name=name, role=_role(str(getattr(role, "value", role))).value,
                            token_hash=hash_secret(secret), created_at=now, active=True))
    session.flush()
    return secret


def find_token(secret: str, *, session: Session) -> Token | None:
    row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_secret(secret))).one_or_none()
    return Token(row.name, Role(row.role)) if row is not None and row.active else None


class TokenChecker:
    """Static tokens first (no database round trip), then the store."""

    def __init__(self, static_spec: str, read: Callable[[], Session]) -> None:
        self.static = parse_static(static_spec)
        self.read = read

    def check(self, secret: str | None) -> Token | None:
        if not secret:
            return None
        token = self.static.get(hash_secret(secret))
        if token is not None:
            return token
        with self.read() as s:
            return find_token(secret, session=s)
