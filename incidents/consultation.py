"""即时办结: a hotline call that is a question (咨询) answered on the spot, recorded and closed at once.

Why a record of its own and not an incident: the lifecycle table has no 受理 → 结案 path, and bending it
(a shortcut from ``reported`` to ``closed``) would let every indicator that reads incidents (应立案数,
按期办结率, the wall's tiles, the rollups, hotspots) count a question as a case and would need an exclusion
in each of them. 12345 practice counts consultations apart from cases that need handling; a table of their
own makes that the default: nothing that reads ``incidents`` can see them, and their count is read here.

A consultation is written once — caller, topic (an optional category), the question and the answer given —
with its two events (``received``, ``answered``) in the same transaction, so the audit trail says who
answered what and when, as an incident's events do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from incidents.intake import MAX_DESCRIPTION, Classifier, IntakeError
from incidents.model import Actor, Channel, Role
from incidents.records import ConsultationEventRow, ConsultationRow

#: The closed list of a consultation's event actions (its audit trail).
CONSULTATION_ACTIONS: tuple[str, ...] = ("received", "answered")
#: Who may answer a question on the spot: the hotline operator (the system for channels that act for one).
RECORDERS = frozenset({Role.OPERATOR, Role.SYSTEM})
#: Codes say at a glance that the number is a consultation (咨询), not a case: ``ZX`` + local date + id.
CODE_PREFIX = "ZX"
MAX_ANSWER = 4000
_PHONE = re.compile(r"^\+?[0-9][0-9\-]{4,19}$")


class ConsultationError(ValueError):
    """A refused consultation that is not a field's error; ``code`` is a catalog key suffix (``error.<code>``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ConsultationDraft:
    """A validated consultation, ready to be stored."""

    question: str
    answer: str
    channel: Channel
    caller_phone: str = ""
    category: str | None = None


@dataclass(frozen=True)
class ConsultationEvent:
    seq: int
    at: datetime
    actor: str
    action: str
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in CONSULTATION_ACTIONS:
            raise ValueError(f"unknown consultation action {self.action!r}")


@dataclass(frozen=True)
class Consultation:
    """One answered question: received and closed by the same operator in the same moment."""

    id: int
    code: str
    channel: Channel
    caller_phone: str
    category: str | None
    question: str
    answer: str
    operator: str
    received_at: datetime
    closed_at: datetime


def parse_consultation(raw: Mapping[str, Any], *, taxonomy: Classifier, channel: Channel) -> ConsultationDraft:
    """Check a consultation's fields; errors name the field as intake's do (the question is the form's
    description, so the console shows its error in the same place)."""
    question = str(raw.get("question") or raw.get("description") or "").strip()
    if not question:
        raise IntakeError("description", "required", "the question is required")
    if len(question) > MAX_DESCRIPTION:
        raise IntakeError("description", "too_long", f"the question is longer than {MAX_DESCRIPTION} characters",
                          max=MAX_DESCRIPTION)
    answer = str(raw.get("answer") or "").strip()
    if not answer:
        raise IntakeError("answer", "required", "the answer given is required")
    if len(answer) > MAX_ANSWER:
        raise IntakeError("answer", "too_long", f"the answer is longer than {MAX_ANSWER} characters", max=MAX_ANSWER)
    category = str(raw.get("category") or "").strip() or None
    if category is not None:
        try:
            taxonomy.get(category)
        except KeyError:
            raise IntakeError("category", "unknown_category", f"unknown category {category!r}") from None
    phone = re.sub(r"\s+", "", str(raw.get("reporter_phone") or raw.get("caller_phone") or ""))
    if phone and not _PHONE.match(phone):
        raise IntakeError("reporter_phone", "invalid_phone", f"{phone!r} is not a phone number")
    return ConsultationDraft(question=question, answer=answer, channel=channel, caller_phone=phone,
                             category=category)


def trail(draft: ConsultationDraft, actor: Actor, now: datetime) -> list[ConsultationEvent]:
    """The events a consultation is written with: received, then answered (which closes it)."""
    if actor.role not in RECORDERS:
        raise ConsultationError("forbidden", f"role {actor.role.value} may not answer a consultation")
    return [
        ConsultationEvent(1, now, actor.name, "received", {"channel": draft.channel.value, "category": draft.category,
                                                            "question": draft.question}),
        ConsultationEvent(2, now, actor.name, "answered", {"answer": draft.answer}),
    ]


def code_for(consultation_id: int, now: datetime, tz: ZoneInfo) -> str:
    """``ZX`` + the city's local date + the id: unique without a counter to contend for."""
    return f"{CODE_PREFIX}{now.astimezone(tz):%Y%m%d}{consultation_id:06d}"


def _to_consultation(r: ConsultationRow) -> Consultation:
    return Consultation(r.id, r.code, Channel(r.channel), r.caller_phone, r.category, r.question, r.answer,
                        r.operator, r.received_at, r.closed_at)


class ConsultationService:
    """Records consultations (one transaction: the row and its events) and reads them back, apart from cases."""

    def __init__(self, db: Any, tz: ZoneInfo) -> None:
        self.db = db
        self.tz = tz

    def record(self, raw: Mapping[str, Any], actor: Actor, channel: Channel, now: datetime, *,
               taxonomy: Classifier) -> Consultation:
        draft = parse_consultation(raw, taxonomy=taxonomy, channel=channel)
        events = trail(draft, actor, now)
        with self.db.write.begin() as s:
            # the code holds the id, known after the insert: a unique placeholder until then
            row = ConsultationRow(code=f"~{uuid4().hex[:20]}", channel=draft.channel.value,
                                  caller_phone=draft.caller_phone, category=draft.category, question=draft.question,
                                  answer=draft.answer, operator=actor.name, received_at=now, closed_at=now)
            s.add(row)
            s.flush()
            row.code = code_for(row.id, now, self.tz)
            s.add_all([ConsultationEventRow(consultation_id=row.id, seq=e.seq, at=e.at, actor=e.actor,
                                            action=e.action, payload=e.payload) for e in events])
            s.flush()
            return _to_consultation(row)

    def get(self, code: str) -> Consultation:
        with self.db.read() as s:
            row = s.scalars(select(ConsultationRow).where(ConsultationRow.code == code)).first()
            if row is None:
                raise KeyError(code)
            return _to_consultation(row)

    def events(self, code: str) -> list[ConsultationEvent]:
        with self.db.read() as s:
            rows = s.scalars(select(ConsultationEventRow).join(ConsultationRow)
                             .where(ConsultationRow.code == code).order_by(ConsultationEventRow.seq))
            return [ConsultationEvent(r.seq, r.at, r.actor, r.action, dict(r.payload or {})) for r in rows]

    def for_caller(self, phone: str, limit: int = 10) -> list[Consultation]:
        """The caller's earlier questions, newest first (the console shows them beside their cases)."""
        phone = re.sub(r"\s+", "", phone or "")
        if not phone:
            return []
        with self.db.read() as s:
            rows = s.scalars(select(ConsultationRow).where(ConsultationRow.caller_phone == phone)
                             .order_by(ConsultationRow.closed_at.desc(), ConsultationRow.id.desc()).limit(limit))
            return [_to_consultation(r) for r in rows]

    def count(self, start: datetime, end: datetime, category: str | None = None) -> int:
        """即时办结数: consultations closed in ``[start, end)`` — the figure shown apart from the case indicators."""
        return sum(self.counts_by_category(start, end, category).values())

    def counts_by_category(self, start: datetime, end: datetime, category: str | None = None) -> dict[str, int]:
        """Consultations closed in ``[start, end)`` per topic (``""`` = no category chosen); ``category`` is a
        code prefix, as the analytics filters use it (``101`` = a whole large class)."""
        C = ConsultationRow
        conds: list[Any] = [C.closed_at >= start, C.closed_at < end]
        if category:
            conds.append(C.category.startswith(category, autoescape=True))
        with self.db.read() as s:
            rows = s.execute(select(C.category, func.count()).where(*conds).group_by(C.category)).all()
        return {(c or ""): int(n) for c, n in rows}


__all__ = ["CONSULTATION_ACTIONS", "Consultation", "ConsultationDraft", "ConsultationError", "ConsultationEvent",
           "ConsultationService", "code_for", "parse_consultation", "trail"]
