"""Photo provenance in the store: one row per stored photo (its case, event, receipt time, device position and
hashes), and the search for the same picture on other cases.

Written in the transaction of the event that names the photo, so a provenance row exists exactly for the photos
a timeline shows. The similar-picture search compares dHashes in Python: a Hamming distance has no index on
either backend, and reading three narrow columns of every photo is milliseconds at a city's yearly volume.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from incidents.photo_hash import Position, Print, Reuse, dhash, reuses, sha256, to_signed
from incidents.records import PhotoRow


def record(data: bytes, *, code: str, name: str, action: str, by: str, at: datetime,
           position: Position | None, session: Session) -> PhotoRow:
    """Store the provenance of one photo just written under ``name`` for case ``code``."""
    row = PhotoRow(code=code, name=name, action=action, uploaded_by=by, received_at=at, sha256=sha256(data),
                   dhash=to_signed(dhash(data)), lon=position.lon if position else None,
                   lat=position.lat if position else None, accuracy_m=position.accuracy_m if position else None)
    session.add(row)
    return row


def prints_of(code: str, *, session: Session) -> list[Print]:
    rows = session.execute(select(PhotoRow.code, PhotoRow.name, PhotoRow.sha256, PhotoRow.dhash)
                           .where(PhotoRow.code == code).order_by(PhotoRow.id))
    return [Print(*r) for r in rows]


def provenance_of(code: str, *, session: Session) -> dict[str, PhotoRow]:
    """The case's photos' provenance rows by file name."""
    return {r.name: r for r in session.scalars(select(PhotoRow).where(PhotoRow.code == code))}


def reused(code: str, *, session: Session) -> list[Reuse]:
    """Photos of ``code`` that also appear on another case: the same bytes, or a dHash within the limit."""
    mine = prints_of(code, session=session)
    if not mine:
        return []
    others: Iterable[Print] = (Print(*r) for r in session.execute(
        select(PhotoRow.code, PhotoRow.name, PhotoRow.sha256, PhotoRow.dhash).where(PhotoRow.code != code)))
    return reuses(mine, others)


__all__ = ["provenance_of", "prints_of", "record", "reused"]
