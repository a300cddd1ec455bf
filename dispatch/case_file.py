"""The case file (案卷) as a read model: everything one screen shows about a case, in words, for one viewer.

Why one reader: the deep link, the console, the workbench and verification all show a case, and each showed
its own subset with codes where people read names. This gathers it once — names for the category, the place
(district › street › community › cell), the department and the people; the reporter's number as the viewer
may see it; photos before and after; the timeline; related cases — and exactly the actions the viewer may
take now (``incidents.access.actions_for``). A viewer the access policy does not let read the case gets
``HandlingError("not_yours")``, the workbench's refusal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import select

from dispatch.handling import HandlingError, pending_extension, require_text
from incidents.access import actions_for, may_read, reach_of
from incidents.events import Event
from incidents.model import Actor, Incident
from incidents.privacy import payload_for, phone_for
from incidents.records import UserRow
from incidents.search import Filters, search
from incidents.store import NotFoundError

#: How far back "the same place" looks for related cases.
SAME_PLACE_DAYS = 30
RELATED_MAX = 10
#: Event actions whose photos show the result (after); photos of any other event show the problem (before).
AFTER_ACTIONS = frozenset({"resolve"})


@dataclass(frozen=True)
class Step:
    """One line of the timeline: when, who (display name), the action, its text, its photos."""

    at: datetime
    who: str
    action: str
    text: str
    photos: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Related:
    code: str
    relation: str  # merged_into | merged_from | same_place
    state: str
    category: str
    reported_at: datetime | None


@dataclass(frozen=True)
class CaseFile:
    incident: Incident
    category: str
    department: str | None
    assignee: str | None
    #: (name, code) from the district down to the unit grid cell
    place: tuple[tuple[str, str], ...]
    phone: str
    overdue: bool
    before: tuple[str, ...]
    after: tuple[str, ...]
    steps: tuple[Step, ...]
    related: tuple[Related, ...]
    actions: tuple[str, ...]
    #: the handler's open extension request (延期申请) the center has yet to decide, if any
    extension: Step | None = None

    @property
    def instructions(self) -> tuple[Step, ...]:
        """Leaders' instructions (批示), newest first: pinned at the top of the case file."""
        return tuple(reversed([s for s in self.steps if s.action == "instruction"]))


class CaseFileService:
    def __init__(self, incidents: Any, reference: Any, grid: Any, db: Any, handling: Any) -> None:
        self.incidents = incidents
        self.reference = reference
        self.grid = grid
        self.db = db
        self.handling = handling

    def read(self, code: str, actor: Actor, now: datetime, lang: str = "zh") -> CaseFile:
        """The case file of ``code`` as ``actor`` may see it (``NotFoundError`` for an unknown code)."""
        incident = self.incidents.get(code)
        if not may_read(actor, incident):
            raise HandlingError("not_yours")
        events = self.incidents.timeline(code)
        ref = self.reference.get()
        names = self.display_names([incident.assignee or "", *(e.actor for e in events)])
        before: list[str] = []
        after: list[str] = []
        steps = []
        for e in events:
            photos = self._photos(incident.code, e)
            (after if e.action in AFTER_ACTIONS else before).extend(photos)
            payload = payload_for(actor.role, e.payload)
            steps.append(Step(e.at, names.get(e.actor, e.actor), e.action, _text(payload), tuple(photos), payload))
        dept = ref.departments.get(incident.department) if incident.department else None
        pending = pending_extension(events)
        extension = next((st for e, st in zip(events, steps) if e is pending), None)
        return CaseFile(
            incident=incident, category=_category(ref, incident.category, lang),
            department=dept.name(lang) if dept else incident.department,
            assignee=names.get(incident.assignee or "", incident.assignee),
            place=self._place(incident.grid), phone=phone_for(actor.role, incident.reporter_phone),
            overdue=incident.is_overdue(now), before=tuple(before), after=tuple(after), steps=tuple(steps),
            related=tuple(self._related(incident, events, actor, now, lang)),
            actions=tuple(actions_for(actor, incident)), extension=extension,
        )

    def instruct(self, code: str, actor: Actor, now: datetime, text: str | None) -> Incident:
        """批示: a leader's instruction on a case they may read — an event in its timeline, pushed to whoever
        handles it; it changes nothing they act on, so it takes the version as it stands."""
        note = require_text(text, "note_required")
        with self.incidents.unit(now) as uow:
            incident = uow.get(code)
            if not may_read(actor, incident):
                raise HandlingError("not_yours")
            return uow.act(incident, "instruction", actor, incident.version, payload={"note": note})

    def display_names(self, usernames: Iterable[str]) -> dict[str, str]:
        """username → the name people read (the username where none is set)."""
        wanted = sorted({u for u in usernames if u})
        if not wanted:
            return {}
        with self.db.read() as s:
            rows = s.execute(select(UserRow.username, UserRow.display_name).where(UserRow.username.in_(wanted)))
            return {u: (d or u) for u, d in rows}

    def _place(self, grid: str) -> tuple[tuple[str, str], ...]:
        try:
            c = self.grid.cell(grid)
        except KeyError:
            return ((grid, grid),)
        return ((c.district_name, str(c.district)), (c.street_name, grid[:9]), (c.community_name, grid[:12]),
                (grid[-3:], grid))

    def _photos(self, code: str, e: Event) -> list[str]:
        """URLs of the photos an event names, only those we stored (a name in a payload is not trusted)."""
        p = e.payload or {}
        names = list(p.get("photos") or []) + ([p["photo"]] if p.get("photo") else [])
        return [f"/uploads/{code}/{n}" for n in names
                if isinstance(n, str) and self.handling.photo_file(code, n) is not None]

    def _related(self, incident: Incident, events: list[Event], actor: Actor, now: datetime,
                 lang: str) -> list[Related]:
        """Cases it was merged into or that were merged into it, then the same cell's within 30 days — only
        those the viewer may read."""
        ref = self.reference.get()
        out: list[Related] = []
        codes = [("merged_into", incident.merged_into)] if incident.merged_into else []
        codes += [("merged_from", str(e.payload.get("from"))) for e in events
                  if e.action == "reporter_added" and e.payload.get("from")]
        for relation, code in codes:
            try:
                other = self.incidents.get(code)  # live or archived
            except NotFoundError:
                continue
            if may_read(actor, other):
                out.append(Related(code, relation, other.state.value, _category(ref, other.category, lang),
                                   other.reported_at))
        seen = {incident.code, *(r.code for r in out)}
        with self.db.read() as s:
            found, _ = search(Filters(grid=incident.grid, since=now - timedelta(days=SAME_PLACE_DAYS),
                                      reach=reach_of(actor)), now, session=s, limit=RELATED_MAX + 1)
        out += [Related(i.code, "same_place", i.state.value, _category(ref, i.category, lang), i.reported_at)
                for i in found if i.code not in seen]
        return out[:RELATED_MAX]


def _category(ref: Any, code: str, lang: str) -> str:
    try:
        return ref.taxonomy.get(code).name(lang)
    except KeyError:
        return code


def _text(payload: dict[str, Any]) -> str:
    """The words a person wrote with the event (a note, a reason, a satisfaction remark)."""
    return str(payload.get("reason") or payload.get("note") or payload.get("remark") or payload.get("comment") or "")


__all__ = ["CaseFile", "CaseFileService", "Related", "Step"]
