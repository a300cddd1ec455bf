"""User accounts: hashed passwords (werkzeug's scrypt), lookup, creation. No Flask request here."""
from __future__ import annotations

from dataclasses import dataclass

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

    def get_id(self) -> str:
        return str(self.id)

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.department, self.district)


def _user(row: UserRow) -> User:
    return User(row.id, row.username, Role(row.role), row.display_name or row.username, row.department,
                row.district, bool(row.active))


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


def authenticate(username: str, password: str, *, session: Session) -> User | None:
    row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
    if row is None or not row.active or not check_password_hash(row.password_hash, password):
        return None
    return _user(row)


def user_exists(username: str, *, session: Session) -> bool:
    return session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None
