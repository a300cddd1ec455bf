"""The operator's follow-up on incidents: merging duplicates, keeping them apart, and callbacks (回访).

Why a service of its own: a merge writes two incidents in one transaction (the duplicate's ``merge``
and the primary's ``reporter_added``, so both reporters stay on one lifecycle and are informed when it
closes), and a dissatisfied callback may reopen — rules that belong together, not in callbacks.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import exists, select

from incidents.intake import Draft
from incidents.model import FINAL_STATES, Actor, Incident, State
from incidents.records import EventRow, IncidentRow
from incidents.service import IncidentService
from incidents.store import to_incident

#: Satisfaction levels of a callback, as stored in the event payload (analytics counts these).
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")


class FollowupError(ValueError):
    """A refused follow-up; ``code`` is a catalog key suffix (``error.<code>``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class FollowupService:
    def __init__(self, incidents: IncidentService, reopen_days: int = 30) -> None:
        self.incidents = incidents
        self.reopen_days = reopen_days

    def merge(self, code: str, into: str, actor: Actor, expected_version: int, now: datetime) -> Incident:
        """Merge duplicate ``code`` into the primary ``into``; returns the primary after ``reporter_added``."""
        if code == into:
            raise FollowupError("merge_into_itself", "an incident cannot be merged into itself")
        with self.incidents.unit(now) as uow:
            duplicate, primary = uow.get(code), uow.get(into)
            if primary.state in FINAL_STATES:
                raise FollowupError("merge_into_final", f"{into} is {primary.state.value}; merge into an open incident")
            uow.act(duplicate, "merge", actor, expected_version, payload={"into": into})
            return uow.act(primary, "reporter_added", actor, primary.version, payload={
                "from": code, "reporter_phone": duplicate.reporter_phone, "channel": duplicate.channel.value,
                "address": duplicate.address, "description": duplicate.description[:500],
            })

    def add_caller(self, into: str, draft: Draft, actor: Actor, now: datetime) -> Incident:
        """A repeat call about an open case: the caller joins it (``reporter_added``) and no new case is made,
        so they hear its result like the first reporter."""
        with self.incidents.unit(now) as uow:
            primary = uow.get(into)
            if primary.state in FINAL_STATES:
                raise FollowupError("merge_into_final", f"{into} is {primary.state.value}; add callers to an open case")
            return uow.act(primary, "reporter_added", actor, primary.version, payload={
                "reporter_phone": draft.reporter_phone, "channel": draft.channel.value, "address": draft.address,
                "description": draft.description[:500]})

    def keep_apart(self, code: str, candidates: Sequence[str], actor: Actor, expected_version: int,
                   now: datetime) -> Incident:
        """Record that the operator checked the candidates and this is a separate incident (a ``note``)."""
        return self.incidents.act(code, "note", actor, expected_version, now,
                                  payload={"kind": "not_duplicate", "candidates": list(candidates)})

    def callback(
        self, code: str, actor: Actor, expected_version: int, now: datetime, *, reached: bool,
        satisfaction: str | None, comment: str = "", reopen: bool = False,
    ) -> Incident:
        """Record a callback (回访) on a closed incident; a dissatisfied citizen's case may be reopened."""
        if reached and satisfaction not in SATISFACTION:
            raise FollowupError("invalid_choice", f"satisfaction must be one of {', '.join(SATISFACTION)}")
        if not reached:
            satisfaction = None
        if reopen and satisfaction != "dissatisfied":
            raise FollowupError("reopen_needs_dissatisfied", "only a dissatisfied callback reopens an incident")
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            if reopen and incident.state == State.CLOSED and incident.closed_at is not None \
                    and now - incident.closed_at > timedelta(days=self.reopen_days):
                raise FollowupError("reopen_too_late", f"{code} was closed more than {self.reopen_days} days ago")
            incident = uow.act(incident, "callback", actor, expected_version, payload={
                "reached": reached, "satisfaction": satisfaction, "comment": comment.strip()[:1000],
            })
            if reopen:
                incident = uow.act(incident, "reopen", actor, incident.version, payload={"reason": "callback_dissatisfied"})
            return incident


    def awaiting_callback(self, now: datetime, limit: int = 50) -> list[Incident]:
        """待回访: incidents closed within the reopen window with no callback since they were closed, the
        longest waiting first — the operator's call list (older closures can no longer be reopened)."""
        since = now - timedelta(days=self.reopen_days)
        with self.incidents.db.read() as s:
            called = exists().where(EventRow.incident_id == IncidentRow.id, EventRow.action == "callback",
                                    EventRow.at >= IncidentRow.closed_at)
            rows = s.scalars(select(IncidentRow).where(IncidentRow.state == State.CLOSED.value,
                                                       IncidentRow.closed_at >= since, ~called)
                             .order_by(IncidentRow.closed_at, IncidentRow.id).limit(limit))
            return [to_incident(r) for r in rows]


__all__ = ["SATISFACTION", "FollowupError", "FollowupService"]
