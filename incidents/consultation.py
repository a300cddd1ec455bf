"""即时办结: a hotline call that is a question (咨询) answered on the spot, recorded and closed at once.

Why a record of its own and not an incident: the lifecycle table has no 受理 → 结案 path, and bending it
(a shortcut from ``reported`` to ``closed``) would let every indicator that reads incidents (应立案数,
按期办结率, the wall's tiles, the rollups, hotspots) count a question as a case and would need an exclusion
in each of them. 12345 practice counts consultations apart from cases that need handling; a table of their
own makes that the default: nothing that reads ``incidents`` can see them, and their count is read here.

A consultation is written once — caller, topic (an optional category), the question and the answer given —
with its two events (``received``, ``answered``) in the same transaction, so the audit trail says who
answered what and when, as an incident's events do.

Pure (no SQLAlchemy): the checks and the trail are tested without a database; the service that stores
consultations and counts them is ``incidents/consultation_service.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from incidents.intake import MAX_DESCRIPTION, Classifier, IntakeError
from incidents.model import Actor, Channel, Role

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


__all__ = ["CONSULTATION_ACTIONS", "CODE_PREFIX", "RECORDERS", "Consultation", "ConsultationDraft",
           "ConsultationError", "ConsultationEvent", "code_for", "parse_consultation", "trail"]
