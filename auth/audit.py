"""Access to personal data, written to the audit log: who saw which reporter's full number, who exported what.

Why: PIPL asks that every access to personal information be traceable. /admin's changes are audited in their own
transaction (``auth.admin``); a read has no transaction of its own, so this writes one row in a short one.
The log holds case codes and filters, never the numbers themselves.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from incidents.model import Actor
from incidents.records import AuditRow

#: Audit actions of personal-data access.
VIEW_PHONE = "view_phone"
EXPORT = "export"


def record_access(db: Any, actor: Actor, now: datetime, action: str, target: str,
                  detail: Mapping[str, Any] | None = None) -> None:
    """One audit row: ``actor`` (with role) did ``action`` (:data:`VIEW_PHONE`, :data:`EXPORT`) on ``target``
    (a case code, a list of codes, or an export's name)."""
    with db.write.begin() as s:
        s.add(AuditRow(at=now, actor=actor.name, action=action, target=target[:128],
                       detail={"role": actor.role.value, **dict(detail or {})}))


__all__ = ["EXPORT", "VIEW_PHONE", "record_access"]
