"""User accounts: hashed passwords (werkzeug's scrypt), lookup, creation, the per-user session token.
No Flask request here.

The session token is part of every login id a cookie carries (see auth/sessions.py): rotating it (logout,
a password change) makes every earlier session cookie and remember-cookie of the user worthless.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from incidents.model import Actor, Role
from incidents.records import UserRow


@dataclass(frozen=True)
class User:
    """The logged-in user as Flask-Login wants it (``get_id``, ``is_authenticated`` …)."""

    id: int
    username: str
    role: Role
    display_name: str
    department: str | None
    district: int | None
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False
    #: The user's current session token (``None`` until their first login gives them one).
    session_token: str | None = None
    #: The id this login's cookies carry (auth/sessions.py makes it); empty: ``id:session_token``.
    login_id: str = ""
    #: Set when the session belongs to a kiosk's device login (auth/devices.py): no idle timeout.
    device_id: int | None = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-cookie: never the bare user id, so a
        rotated session token (or a revoked device) refuses every cookie made before."""
        return self.login_id or f"{self.id}:{self.session_token or ''}"

    def with_login(self, login_id: str, device_id: int | None = None) -> User:
        return replace(self, login_id=login_id, device_id=device_id)

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.department, self.district)


def _user(row: UserRow) -> User:
    return User(row.id, row.username, Role(row.role), row.display_name or row.username, row.department,
                row.district, bool(row.active), session_token=row.session_token)


#: A scrypt hash (werkzeug's default parameters) of a random string nobody knows: checked when the username
#: is unknown or inactive, so a failed login costs the same time whether the user exists or not.
DUMMY_HASH = ("scrypt:32768:8:1$8Y0vo0Z6UlJ1vimd$c29613f374ebec852ffebf0fdf5c24199cfeb8c14e706ea1875426e2cfc64e35"
              "8881b54354ef36a1ec04e334d7f78e9c6e1e7a32abb1cc216bd7ea1db5cf261d")


def new_session_token() -> str:
    return secrets.token_hex(16)


def create_user(
    username: str, password: str, role: Role | str, *, session: Session, display_name: str = "",
    department: str | None = None, district: int | None = None,
) -> User:
    if not username or len(password) < 6:
        raise ValueError("username required and password must have at least 6 characters")
    role = Role(role)
    if role == Role.SYSTEM:
        raise ValueError("system is not a login role")
    row = UserRow(username=username, password_hash=generate_password_hash(password), role=role.value,
                  display_name=display_name, department=department, district=district, active=True)
    session.add(row)
    session.flush()
    return _user(row)


def get_user(user_id: int, *, session: Session) -> User | None:
    row = session.get(UserRow, user_id)
    return _user(row) if row is not None and row.active else None


def get_user_by_name(username: str, *, session: Session) -> User | None:
    row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
    return _user(row) if row is not None and row.active else None


def authenticate(username: str, password: str, *, session: Session) -> User | None:
    """The active user with this password, else ``None``; an unknown or inactive name still pays one scrypt
    check (against :data:`DUMMY_HASH`) so the answer's timing does not tell which names exist."""
    row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
    if row is None or not row.active:
        check_password_hash(DUMMY_HASH, password)
        return None
    if not check_password_hash(row.password_hash, password):
        return None
    return _user(row)


def ensure_session_token(user_id: int, *, session: Session) -> str:
    """The user's session token, made now if they have none yet (a user created before tokens existed)."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise LookupError(user_id)
    if not row.session_token:
        row.session_token = new_session_token()
    return row.session_token


def rotate_session_token(row: UserRow) -> None:
    """End every session and remember-cookie of this user: their login ids no longer match."""
    row.session_token = new_session_token()


def user_exists(username: str, *, session: Session) -> bool:
    return session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None


def end_sessions(user_id: int, *, session: Session) -> None:
    """Logout everywhere: rotate the token of the user with this id (gone users have nothing to end)."""
    row = session.get(UserRow, user_id)
    if row is not None:
        rotate_session_token(row)
