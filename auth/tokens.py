"""API tokens: stored hashed with a role and a name, plus static ones from ``CITYOPS_API_TOKENS``.

Secrets are 32 random bytes, so one SHA-256 is enough (a slow password hash buys nothing against a
random secret and would cost every request); lookups are by hash, so the secret is never compared in
Python. Static entries are ``name:role:secret``, comma-separated (DESIGN.md "Tokens").

A token acts for someone (the access policy, ``incidents.access``, scopes what it reads and acts on): the
center's own systems (operator, admin, verifier, a city-wide leader, the wall) need no binding; a department's
system is bound to its department (``name:dept_handler@dept=SWJ:secret``), a person's app to the user
(``name:grid_worker@user=gw220302001001:secret``: it then acts as that user, with their department and
district, and stops working when the user is deactivated or changes role). A department or grid-worker token
without a binding is refused at start (static) or on creation (stored): it could act on anyone's case.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from incidents.model import Actor, Role
from incidents.records import ApiTokenRow, DepartmentRow, UserRow


#: Roles whose tokens must be bound, and to what: a department (its system) or a user.
BINDINGS: dict[Role, frozenset[str]] = {
    Role.DEPT_HANDLER: frozenset({"dept", "user"}),
    Role.DEPT_HEAD: frozenset({"dept", "user"}),
    Role.GRID_WORKER: frozenset({"user"}),
}


_BOUND_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class TokenError(ValueError):
    """A token that cannot be made as asked (unknown role, missing or wrong binding)."""


@dataclass(frozen=True)
class Token:
    """Who a valid token speaks for: its name, role, and binding (a department, or a user it acts as)."""

    name: str
    role: Role
    department: str | None = None
    username: str | None = None
    district: int | None = None

    @property
    def actor(self) -> Actor:
        """The actor of its actions: the bound user's name, else the token's own (a system's)."""
        return Actor(self.username or self.name, self.role, self.department, self.district)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_static(spec: str) -> dict[str, Token]:
    """``name:role[@dept=D|@user=U]:secret,…`` → {hash: Token}; refuses unknown roles, missing bindings and
    short secrets at start."""
    out: dict[str, Token] = {}
    for entry in filter(None, (e.strip() for e in (spec or "").split(","))):
        parts = entry.split(":", 2)
        if len(parts) != 3 or not parts[0] or len(parts[2]) < 8:
            raise ValueError(f"CITYOPS_API_TOKENS entry {parts[0] if parts else ''!r}: want name:role:secret "
                             "with a secret of at least 8 characters")
        name, role_spec, secret = parts
        role_text, _, binding = role_spec.partition("@")
        kind, _, value = binding.partition("=")
        try:
            role = bound_role(role_text, department=value if kind == "dept" else None,
                              username=value if kind == "user" else None)
            if binding and (kind not in ("dept", "user") or not _BOUND_NAME.match(value)):
                raise TokenError(f"binding {binding!r}: want @dept=CODE or @user=USERNAME")
        except TokenError as exc:
            raise ValueError(f"CITYOPS_API_TOKENS entry {name!r}: {exc}") from None
        if hash_secret(secret) in out:
            raise ValueError(f"CITYOPS_API_TOKENS entry {name!r}: its secret is another entry's")
        out[hash_secret(secret)] = Token(name, role, value if kind == "dept" else None,
                                         value if kind == "user" else None)
    return out


def bound_role(value: str, *, department: str | None, username: str | None) -> Role:
    """The token's role, checked with its binding: department and grid-worker roles must be bound."""
    try:
        role = Role(value)
    except ValueError:
        raise TokenError(f"unknown role {value!r} for an API token") from None
    if role == Role.SYSTEM:
        raise TokenError("system is not a token role")
    if department and username:
        raise TokenError("bind a token to a department or to a user, not both")
    need = BINDINGS.get(role)
    if need is not None and not ((department and "dept" in need) or (username and "user" in need)):
        raise TokenError(f"a {role.value} token must be bound to " + " or ".join(
            {"dept": "a department (@dept=CODE)", "user": "a user (@user=USERNAME)"}[k] for k in sorted(need)))
    if department and need is None:
        raise TokenError(f"a {role.value} token acts for the whole center: no department binding")
    return role


def create_token(name: str, role: Role | str, now: datetime, *, session: Session, department: str | None = None,
                 username: str | None = None) -> str:
    """Store a new token and return its secret — the only time the secret is seen."""
    checked = bound_role(str(getattr(role, "value", role)), department=department, username=username)
    if not name or session.scalars(select(ApiTokenRow.id).where(ApiTokenRow.name == name)).first() is not None:
        raise TokenError(f"a token named {name!r} exists already" if name else "a token needs a name")
    if department and session.get(DepartmentRow, department) is None:
        raise TokenError(f"no department {department!r}")
    if username:
        user = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if user is None or user.role != checked.value:
            raise TokenError(f"no {checked.value} user {username!r}")
    secret = secrets.token_urlsafe(32)
    session.add(ApiTokenRow(name=name, role=checked.value, token_hash=hash_secret(secret), created_at=now,
                            active=True, department=department or None, username=username or None))
    session.flush()
    return secret


def find_token(secret: str, *, session: Session) -> Token | None:
    row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_secret(secret))).one_or_none()
    if row is None or not row.active:
        return None
    return Token(row.name, Role(row.role), row.department, row.username)


def resolve(token: Token, *, session: Session) -> Token | None:
    """A user-bound token as its user stands now (department, district), or None when the user is gone,
    inactive or no longer of the token's role."""
    if token.username is None:
        return token
    user = session.scalars(select(UserRow).where(UserRow.username == token.username)).one_or_none()
    if user is None or not user.active or user.role != token.role.value:
        return None
    return replace(token, department=user.department, district=user.district)


class TokenChecker:
    """Static tokens first (no database round trip unless bound to a user), then the store."""

    def __init__(self, static_spec: str, read: Callable[[], Session]) -> None:
        self.static = parse_static(static_spec)
        self.read = read

    def check(self, secret: str | None) -> Token | None:
        if not secret:
            return None
        token = self.static.get(hash_secret(secret))
        if token is not None and token.username is None:
            return token
        with self.read() as s:
            token = token or find_token(secret, session=s)
            return resolve(token, session=s) if token is not None else None
