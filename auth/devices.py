"""Device logins: a kiosk (the video wall) logs in by opening a one-time-shown link ``/device/<secret>``.

Why not a long remember-cookie: a kiosk runs unattended for months, and a cookie cannot be taken back. A
device login is a row an admin makes and revokes on /admin; only the SHA-256 of its secret is stored, and
the row is checked at every request of the kiosk's session, so revoking ends that session at its next
request. Only ``wall`` users (read-only) may have device logins. Every create and revoke is audited.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from auth.admin import AdminError
from auth.users import User, get_user_by_name
from incidents.model import Role
from incidents.records import AuditRow, DeviceLoginRow, UserRow

#: How stale ``last_seen_at`` may get before a request writes it again (a write per request would make
#: every kiosk poll take the write lock).
SEEN_EVERY = timedelta(minutes=1)
_NAME = re.compile(r"^\S(.{0,62}\S)?$")


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    name: str
    username: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_seen_at: datetime | None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class DeviceService:
    def __init__(self, db: Any) -> None:
        self.db = db

    def devices(self) -> list[DeviceInfo]:
        with self.db.read() as s:
            return [DeviceInfo(r.id, r.name, r.username, r.created_at, r.created_by, r.revoked_at, r.last_seen_at)
                    for r in s.scalars(select(DeviceLoginRow).order_by(DeviceLoginRow.id.desc()))]

    def create(self, actor: str, now: datetime, *, name: str, username: str) -> tuple[int, str]:
        """Make a device login for the ``wall`` user ``username``; returns its id and the secret, which is
        shown once and never stored."""
        name = (name or "").strip()
        if not _NAME.match(name):
            raise AdminError("device_name")
        secret = secrets.token_urlsafe(32)
        with self.db.write.begin() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None or not row.active or row.role != Role.WALL.value:
                raise AdminError("device_user")
            device = DeviceLoginRow(name=name, username=username, token_hash=secret_hash(secret), created_at=now,
                                    created_by=actor)
            s.add(device)
            s.flush()
            s.add(AuditRow(at=now, actor=actor, action="device_create", target=f"device:{device.id}",
                           detail={"name": name, "username": username}))  # never the secret
            return device.id, secret

    def revoke(self, actor: str, now: datetime, device_id: int, *, reason: str = "admin") -> None:
        with self.db.write.begin() as s:
            row = s.get(DeviceLoginRow, device_id)
            if row is None:
                raise AdminError("no_device")
            if row.revoked_at is not None:
                raise AdminError("unchanged")
            row.revoked_at = now
            s.add(AuditRow(at=now, actor=actor, action="device_revoke", target=f"device:{row.id}",
                           detail={"name": row.name, "username": row.username, "reason": reason}))

    def login(self, secret: str, now: datetime) -> tuple[User, int] | None:
        """The user and device id for a link's secret, if the device login is live and its user can log in."""
        if not secret:
            return None
        with self.db.write.begin() as s:
            query = select(DeviceLoginRow).where(DeviceLoginRow.token_hash == secret_hash(secret))
            row = s.scalars(query).one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            user = get_user_by_name(row.username, session=s)
            if user is None or user.role is not Role.WALL:
                return None
            row.last_seen_at = now
            return user, row.id

    def check(self, device_id: int, user_id: int, now: datetime) -> bool:
        """Whether the kiosk session of ``device_id`` may go on: the device login is not revoked and still
        belongs to this active user. Notes the time it was last seen (at most once per :data:`SEEN_EVERY`)."""
        with self.db.read() as s:
            row = s.get(DeviceLoginRow, device_id)
            user = s.get(UserRow, user_id)
            if (row is None or row.revoked_at is not None or user is None or not user.active
                    or user.username != row.username):
                return False
            stale = row.last_seen_at is None or now - row.last_seen_at >= SEEN_EVERY
        if stale:
            with self.db.write.begin() as s:
                live = s.get(DeviceLoginRow, device_id)
                if live is not None:
                    live.last_seen_at = now
        return True


__all__ = ["DeviceInfo", "DeviceService", "SEEN_EVERY", "secret_hash"]
