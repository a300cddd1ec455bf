"""Finding incidents: the operator's search box (:func:`find`: code, reporter phone, grid, address or
text), a caller's history, and the filtered, paged listing the API serves (:class:`Filters`, :func:`search`).

Why this shape: an operator types one box. Digits are tried as an index range first (code, phone and
grid are indexed columns, and a prefix is a range ``q <= col < q + ':'`` that both SQLite and PostgreSQL
answer from the B-tree); text falls back to a substring scan of address and description, newest first
with a limit, so the scan stops as soon as the page is full. Measured by ``benchmarks/search.py``: the
worst case (a text that matches nothing) scans 100,000 rows well under a second on both backends,
so no FTS table is needed (FTS5's unicode61 tokenizer would not split Chinese text into words anyway).

Ranking: exact code, then phone, then grid, then address, then description matches; newest first within.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from incidents import history
from incidents.access import Reach
from incidents.db import Database
from incidents.model import RUNNING_STATES, Incident
from incidents.store import to_incident

_DIGITS = re.compile(r"^\+?\d{3,20}$")


@dataclass(frozen=True)
class Hit:
    """One result and why it matched (``code``, ``phone``, ``grid``, ``address``, ``text``)."""

    incident: Incident
    matched: str


@dataclass(frozen=True)
class CallerCase:
    """One of a caller's earlier incidents with its outcome: state, and the last callback (回访) if any."""

    incident: Incident
    callback: dict[str, Any] | None


def normalise_phone(phone: str) -> str:
    """Phones are stored with whitespace removed (intake.parse_draft); search the same way."""
    return re.sub(r"\s+", "", phone or "")


def _successor(digits: str) -> str | None:
    """The smallest digit string above every string starting with ``digits`` ("2026031" → "2026032").

    Why not ``q + ':'`` or ``LIKE 'q%'``: in a non-C collation punctuation is ignored when comparing,
    and LIKE cannot use a plain B-tree index; digits compare digit by digit in every collation.
    """
    stripped = digits.rstrip("9")
    if not stripped or not stripped[-1].isdigit():
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def _prefix(col: QueryableAttribute[Any], q: str) -> ColumnElement[bool]:
    upper = _successor(q)
    return (col >= q) if upper is None else ((col >= q) & (col < upper))


def _like(col: QueryableAttribute[Any], q: str, dialect: str) -> ColumnElement[bool]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # ILIKE on PostgreSQL (case-insensitive for Latin addresses); SQLite's LIKE already ignores ASCII case.
    return col.ilike(pattern, escape="\\") if dialect == "postgresql" else col.like(pattern, escape="\\")


def find(query: str, *, session: Session, limit: int = 50) -> list[Hit]:
    """Incidents matching ``query``, ranked (see the module docstring); at most ``limit``."""
    q = (query or "").strip()
    if not q:
        return []
    dialect = session.get_bind().dialect.name
    I = history.incidents(session=session)  # noqa: E741  (live ∪ archive)
    newest = I.id.desc()
    steps: list[tuple[str, ColumnElement[bool]]] = []
    compact = normalise_phone(q)
    if _DIGITS.match(compact):
        digits = compact.lstrip("+")
        if len(digits) <= 13:
            steps.append(("code", _prefix(I.code, digits)))
        steps.append(("phone", _prefix(I.reporter_phone, compact)))
        if len(digits) >= 6:
            steps.append(("grid", _prefix(I.grid, digits)))
    steps.append(("address", _like(I.address, q, dialect)))
    steps.append(("text", _like(I.description, q, dialect)))
    hits: list[Hit] = []
    seen: set[int] = set()
    for matched, condition in steps:
        if len(hits) >= limit or (hits and matched in ("address", "text") and hits[0].matched != "address"):
            break  # digits that hit an indexed column are a code/phone/grid: no substring scan needed
        stmt = select(I).where(condition).order_by(newest).limit(limit)
        if seen:
            stmt = stmt.where(I.id.not_in(seen))
        for row in session.scalars(stmt):
            seen.add(row.id)
            hits.append(Hit(to_incident(row), matched))
    return hits[:limit]


def caller_history(phone: str, *, session: Session, limit: int = 50) -> list[CallerCase]:
    """A caller's incidents, newest first, each with its last callback's payload (satisfaction)."""
    p = normalise_phone(phone)
    if not p:
        return []
    I, E = history.incidents(session=session), history.events(session=session)  # noqa: E741  (live ∪ archive)
    rows = list(session.scalars(
        select(I).where(I.reporter_phone == p).order_by(I.id.desc()).limit(limit)
    ))
    callbacks: dict[int, dict[str, Any]] = {}
    if rows:
        events = session.scalars(
            select(E).where(E.incident_id.in_([r.id for r in rows]), E.action == "callback")
            .order_by(E.seq)
        )
        for e in events:
            callbacks[e.incident_id] = dict(e.payload or {})
    return [CallerCase(to_incident(r), callbacks.get(r.id)) for r in rows]


class SearchService:
    """Read-only search for the edges; each call is one short read transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        with self.db.read() as s:
            return find(query, session=s, limit=limit)

    def caller_history(self, phone: str, limit: int = 50) -> list[CallerCase]:
        with self.db.read() as s:
            return caller_history(phone, session=s, limit=limit)


@dataclass(frozen=True)
class Filters:
    """The API's list filters; empty lists / ``None`` mean "any". ``grid`` matches a code prefix
    (a 12-digit community or 9-digit street selects all its cells)."""

    states: Sequence[str] = ()
    categories: Sequence[str] = ()
    district: int | None = None
    grid: str | None = None
    department: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    #: whose cases the caller may read (``incidents.access.reach_of``); the default is every case
    reach: Reach = Reach()


def _within(q: Any, I: Any, reach: Reach) -> Any:  # noqa: E741, N803
    """``q`` limited to the cases of ``reach`` — in the query, so a page is full even for a narrow scope."""
    if reach.nothing:
        return q.where(false())
    if reach.district is not None:
        q = q.where(I.district == reach.district)
    if reach.department is not None:
        q = q.where(I.department == reach.department)
    if reach.assignee is not None:
        mine = I.assignee == reach.assignee
        if reach.unassigned_in is not None:
            mine = or_(mine, and_(I.assignee.is_(None), I.department == reach.unassigned_in))
        q = q.where(mine)
    return q


def search(filters: Filters, now: datetime, *, session: Session, after_id: int | None = None,
           limit: int = 50) -> tuple[list[Incident], int | None]:
    """Incidents matching ``filters``, newest first, paged by id (keyset: stable under inserts).

    Returns the page and the id to continue after, or ``None`` on the last page. Overdue is computed
    from ``now`` as everywhere (running state and deadline passed), never stored.
    """
    I = history.incidents(session=session)  # noqa: E741  (live ∪ archive)
    q = _within(select(I).order_by(I.id.desc()).limit(limit + 1), I, filters.reach)
    if filters.states:
        q = q.where(I.state.in_(list(filters.states)))
    if filters.categories:
        q = q.where(I.category.in_(list(filters.categories)))
    if filters.district is not None:
        q = q.where(I.district == filters.district)
    if filters.grid:
        q = q.where(_prefix(I.grid, filters.grid) if filters.grid.isdigit() else I.grid == filters.grid)
    if filters.department:
        q = q.where(I.department == filters.department)
    if filters.since is not None:
        q = q.where(I.reported_at >= filters.since)
    if filters.until is not None:
        q = q.where(I.reported_at < filters.until)
    if filters.overdue is not None:
        running = I.state.in_([s.value for s in RUNNING_STATES]) & (I.deadline < now)
        q = q.where(running if filters.overdue else ~running | I.deadline.is_(None))
    if after_id is not None:
        q = q.where(I.id < after_id)
    rows = list(session.scalars(q))
    more = len(rows) > limit
    items = [to_incident(r) for r in rows[:limit]]
    return items, (items[-1].id if more and items else None)


__all__ = ["Hit", "CallerCase", "find", "caller_history", "normalise_phone", "SearchService", "Filters", "search"]
