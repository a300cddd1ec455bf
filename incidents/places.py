"""The gazetteer table: seeded from ``data/siping/gazetteer.csv``, looked up by the console's type-ahead.

Like the other reference data, the CSV is only the seed: an empty ``places`` table is filled on start,
after that the table is the truth (``/admin`` may add or correct places). Look-ups rank with
:func:`geo.gazetteer.rank`, so the order is the same whether tested on the CSV or on the table.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from geo.gazetteer import Place, rank, read_csv
from incidents.db import Database
from incidents.records import PlaceRow

#: How many rows the SQL pre-filter hands to the ranking; far more than a type-ahead shows.
_PREFILTER = 400


def seed_places(session: Session, data_dir: Path) -> int:
    """Fill an empty ``places`` table from the gazetteer CSV; returns the number of rows added."""
    path = data_dir / "siping" / "gazetteer.csv"
    if not path.exists() or session.scalar(select(func.count()).select_from(PlaceRow)):
        return 0
    places = read_csv(path)
    session.add_all(PlaceRow(kind=p.kind, name=p.name, alias=p.alias, district=p.district, lon=p.lon,
                             lat=p.lat, grid=p.grid) for p in places)
    session.flush()
    return len(places)


def lookup(query: str, *, session: Session, limit: int = 10) -> list[Place]:
    """Places whose name or alias contains ``query``, best first (see :func:`geo.gazetteer.rank`)."""
    q = query.strip()
    if not q:
        return []
    pattern = f"%{q.replace('%', '').replace('_', '')}%"
    rows = session.scalars(
        select(PlaceRow).where(or_(PlaceRow.name.like(pattern), PlaceRow.alias.ilike(pattern))).limit(_PREFILTER)
    )
    places = [Place(r.kind, r.name, r.alias, r.district, r.lon, r.lat, r.grid) for r in rows]
    return rank(q, places, limit)


class PlaceService:
    """Read-side access for the edges (console type-ahead, API)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def lookup(self, query: str, limit: int = 10) -> list[Place]:
        with self.db.read() as s:
            return lookup(query, session=s, limit=limit)

    def get(self, kind: str, name: str) -> Place | None:
        with self.db.read() as s:
            r = s.scalars(select(PlaceRow).where(PlaceRow.kind == kind, PlaceRow.name == name)).one_or_none()
            return None if r is None else Place(r.kind, r.name, r.alias, r.district, r.lon, r.lat, r.grid)


__all__ = ["seed_places", "lookup", "PlaceService"]
