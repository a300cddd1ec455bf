"""Stores consultations (咨询, 即时办结) and reads them back — apart from incidents, so no case indicator
counts them (the why is in ``incidents/consultation.py``)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from incidents.consultation import Consultation, ConsultationEvent, code_for, parse_consultation, trail
from incidents.intake import Classifier
from incidents.model import Actor, Channel
from incidents.records import ConsultationEventRow, ConsultationRow


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


__all__ = ["ConsultationService"]
