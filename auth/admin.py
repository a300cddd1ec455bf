"""Administration (/admin) use cases: users, departments, grid-worker and category rules, time limits.

Every change writes an ``audit_log`` row (who, when, what, the values set) in the change's own
transaction, so the audit trail cannot miss a change. The reference tables are the truth for every
process (DESIGN.md), so after a rule, department or time-limit change this process reloads its
:class:`~dispatch.reference.ReferenceCache` at once; other processes see the new audit row on their
cache's next version check (every few seconds) and reload then.
Errors are :class:`AdminError` values whose ``key`` names a catalog message (``admin.error.<key>``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from werkzeug.security import generate_password_hash

from auth.users import rotate_session_token
from dispatch.sla import UNITS
from incidents.model import Role, Severity
from incidents.records import AuditRow, CategoryRow, DepartmentRow, RuleRow, SlaRow, UserRow

#: Rule kinds the generic rule editor handles; on-the-spot flags, settings (working hours, fallback
#: department) and the calendar have their own checked editor in auth/reference_admin.py.
EDITABLE_RULES = ("grid_workers", "category_department")
LOGIN_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
_DEPT = re.compile(r"^[A-Z0-9_]{2,16}$")
_GRID = re.compile(r"^\d{9}(\d{3})?(\d{3})?$")
MIN_PASSWORD = 8


class AdminError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class UserInfo:
    username: str
    role: str
    display_name: str
    department: str | None
    district: int | None
    active: bool


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class AdminService:
    def __init__(self, db: Any, reference: Any) -> None:
        self.db = db
        self.reference = reference

    # -- reading -----------------------------------------------------------------------------

    def users(self) -> list[UserInfo]:
        with self.db.read() as s:
            return [UserInfo(r.username, r.role, r.display_name, r.department, r.district, bool(r.active))
                    for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def rules(self, kind: str) -> list[tuple[str, str]]:
        with self.db.read() as s:
            return [(r.key, r.value) for r in s.scalars(select(RuleRow).where(RuleRow.kind == kind).order_by(RuleRow.key))]

    def sla(self) -> list[tuple[str, str, float, str]]:
        with self.db.read() as s:
            return [(r.category, r.severity, r.limit, r.unit)
                    for r in s.scalars(select(SlaRow).order_by(SlaRow.category, SlaRow.severity))]

    def audit(self, limit: int = 100) -> list[AuditEntry]:
        with self.db.read() as s:
            return [AuditEntry(r.at, r.actor, r.action, r.target, dict(r.detail or {}))
                    for r in s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))]

    # -- users -------------------------------------------------------------------------------

    def _dept_ok(self, s: Any, department: str | None) -> str | None:
        department = (department or "").strip() or None
        if department is not None and s.get(DepartmentRow, department) is None:
            raise AdminError("department")
        return department

    @staticmethod
    def _district(value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise AdminError("district") from None

    @staticmethod
    def _role(value: Any) -> Role:
        try:
            role = Role(value)
        except ValueError:
            raise AdminError("role") from None
        if role == Role.SYSTEM:
            raise AdminError("role")
        return role

    def create_user(self, actor: str, now: datetime, *, username: str, password: str, role: str,
                    display_name: str = "", department: str | None = None, district: Any = None) -> None:
        username = (username or "").strip()
        if not _NAME.match(username):
            raise AdminError("username")
        if len(password or "") < MIN_PASSWORD:
            raise AdminError("password")
        r = self._role(role)
        with self.db.write.begin() as s:
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise AdminError("user_exists")
            dept = self._dept_ok(s, department)
            dist = self._district(district)
            s.add(UserRow(username=username, password_hash=generate_password_hash(password), role=r.value,
                          display_name=(display_name or "").strip()[:64], department=dept, district=dist, active=True))
            self._audit(s, actor, now, "user_create", username,
                        {"role": r.value, "department": dept, "district": dist})

    def update_user(self, actor: str, now: datetime, username: str, *, role: str | None = None,
                    department: str | None = None, district: Any = None, active: bool | None = None,
                    display_name: str | None = None) -> None:
        """Set a user's role, department, district and active flag as the form sends them (the whole record:
        an empty department or district clears it), and the display name when one is given (a blank keeps
        it: every user has one on the wall and in the trail); an admin cannot disable themselves or change
        their role."""
        with self.db.write.begin() as s:
            row = self._user_row(s, username)
            changes: dict[str, Any] = {}
            shown = (display_name or "").strip()[:64]
            if shown and shown != row.display_name:
                changes["display_name"] = shown
            if role is not None and role != row.role:
                if username == actor:
                    raise AdminError("self")
                changes["role"] = self._role(role).value
            dept = self._dept_ok(s, department)
            if dept != row.department:
                changes["department"] = dept
            dist = self._district(district)
            if dist != row.district:
                changes["district"] = dist
            if active is not None and bool(active) != bool(row.active):
                if username == actor and not active:
                    raise AdminError("self")
                changes["active"] = bool(active)
            if not changes:
                raise AdminError("unchanged")
            for k, v in changes.items():
                setattr(row, k, v)
            if changes.get("active") is False:
                rotate_session_token(row)  # a re-enabled account starts from a fresh login
            self._audit(s, actor, now, "user_update", username, changes)

    def reset_password(self, actor: str, now: datetime, username: str, password: str) -> None:
        """Set a new password and end every session and remember-cookie of the user (whoever knew the old
        password may have logged in with it)."""
        if len(password or "") < MIN_PASSWORD:
            raise AdminError("password")
        with self.db.write.begin() as s:
            row = self._user_row(s, username)
            row.password_hash = generate_password_hash(password)
            rotate_session_token(row)
            self._audit(s, actor, now, "user_password", username, {})  # never the password itself

    @staticmethod
    def _user_row(s: Any, username: str) -> UserRow:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            raise AdminError("no_user")
        return row

    # -- reference data ----------------------------------------------------------------------

    def save_department(self, actor: str, now: datetime, *, code: str, zh: str, en: str, kind: str = "dept") -> None:
        code = (code or "").strip().upper()
        if not _DEPT.match(code) or not (zh or "").strip() or kind not in ("dept", "grid"):
            raise AdminError("department_fields")
        with self.db.write.begin() as s:
            row = s.get(DepartmentRow, code)
            detail = {"zh": zh.strip(), "en": (en or zh).strip(), "kind": kind}
            if row is None:
                s.add(DepartmentRow(code=code, **detail))
            else:
                for k, v in detail.items():
                    setattr(row, k, v)
            self._audit(s, actor, now, "department_save", code, detail)
        self.reference.reload()

    def set_rule(self, actor: str, now: datetime, kind: str, key: str, value: str | None) -> None:
        """Set (or with an empty value for grid workers, delete) one rule row of an editable kind."""
        key, value = (key or "").strip(), (value or "").strip()
        with self.db.write.begin() as s:
            if kind == "grid_workers":
                if not _GRID.match(key):
                    raise AdminError("grid")
                if value:
                    row = s.scalars(select(UserRow).where(UserRow.username == value)).one_or_none()
                    if row is None or row.role != Role.GRID_WORKER.value:
                        raise AdminError("grid_worker")
            elif kind == "category_department":
                if s.get(CategoryRow, key) is None:
                    raise AdminError("category")
                self._dept_ok(s, value or None)
            else:
                raise AdminError("rule_kind")
            s.execute(delete(RuleRow).where(RuleRow.kind == kind, RuleRow.key == key))
            if value or kind == "category_department":  # "" for a category = an operator decides
                s.add(RuleRow(kind=kind, key=key, value=value))
            self._audit(s, actor, now, "rule_set" if value or kind != "grid_workers" else "rule_delete",
                        f"{kind}:{key}", {"value": value})
        self.reference.reload()

    def set_sla(self, actor: str, now: datetime, *, category: str, severity: str, limit: Any, unit: str) -> None:
        try:
            value = float(limit)
        except (TypeError, ValueError):
            raise AdminError("limit") from None
        if not 0 < value <= 10_000 or unit not in UNITS:
            raise AdminError("limit")
        if severity not in {s.value for s in Severity}:
            raise AdminError("severity")
        with self.db.write.begin() as s:
            if s.get(CategoryRow, category) is None:
                raise AdminError("category")
            row = s.get(SlaRow, (category, severity))
            before = None if row is None else {"limit": row.limit, "unit": row.unit}
            if row is None:
                s.add(SlaRow(category=category, severity=severity, limit=value, unit=unit))
            else:
                row.limit, row.unit = value, unit
            self._audit(s, actor, now, "sla_set", f"{category}/{severity}",
                        {"limit": value, "unit": unit, "before": before})
        self.reference.reload()

    @staticmethod
    def _audit(s: Any, actor: str, now: datetime, action: str, target: str, detail: dict[str, Any]) -> None:
        s.add(AuditRow(at=now, actor=actor, action=action, target=target, detail=detail))


__all__ = ["AdminError", "AdminService", "AuditEntry", "EDITABLE_RULES", "LOGIN_ROLES", "UserInfo"]
