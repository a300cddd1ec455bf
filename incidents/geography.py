"""The geography tables: writing a whole geography, reading it back, its version, and the first-run seed.

The tables (``geo_features``, ``geo_meta``) are the truth every process builds its grid index and map
layers from. An import replaces every feature in one transaction and raises the version; each process
watches the version (like reference data) and rebuilds its :class:`geo.geography.Geography`.

Reading is built for start-up time: geometries are WKB decoded by one vectorised ``shapely.from_wkb``,
and a process that already built the same content (same digest) reuses that immutable build.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Sequence

import numpy as np
import shapely
from sqlalchemy import Text, cast, delete, insert, select
from sqlalchemy.orm import Session

from geo.geography import Feature, Geography, demo_geography
from incidents.records import GeoFeatureRow, GeoMetaRow

#: Where the generated demo geography comes from (kept in ``geo_meta.source``).
GENERATED_SOURCE = "generated: data/siping (python -m geo.grid; see data/siping/README.md)"
_META_ID = 1
#: Builds kept per process, by content digest; each is immutable, two cover "before and after an import".
_BUILT: OrderedDict[str, Geography] = OrderedDict()
_KEEP = 2


def digest(features: Sequence[Feature]) -> str:
    """SHA-256 of the geography's content (codes, levels, names, parents, extra properties, WKB)."""
    h = hashlib.sha256()
    ordered = sorted(features, key=lambda f: f.code)
    wkb = shapely.to_wkb(np.array([f.geometry for f in ordered], dtype=object)) if ordered else []
    for f, blob in zip(ordered, wkb):
        h.update(json.dumps([f.code, f.level, f.name, f.parent_code, dict(f.extra)], ensure_ascii=False,
                            sort_keys=True, default=str).encode())
        h.update(blob)
    return h.hexdigest()


def save(features: Sequence[Feature], *, session: Session, source: str, generated: bool, now: datetime) -> int:
    """Replace the whole geography with ``features`` and raise its version; returns the new version.

    Runs inside the caller's transaction, so an import's re-location commits with it or not at all.
    """
    session.execute(delete(GeoFeatureRow))
    wkb = shapely.to_wkb(np.array([f.geometry for f in features], dtype=object)) if features else []
    if features:
        session.execute(insert(GeoFeatureRow), [
            {"code": f.code, "level": f.level, "name": f.name, "parent_code": f.parent_code,
             "extra": dict(f.extra), "geometry": blob}
            for f, blob in zip(features, wkb)])
    meta = session.get(GeoMetaRow, _META_ID)
    version = (meta.version if meta else 0) + 1
    values = {"version": version, "digest": digest(features), "source": source[:256], "generated": generated,
              "updated_at": now}
    if meta is None:
        session.add(GeoMetaRow(id=_META_ID, **values))
    else:
        for k, v in values.items():
            setattr(meta, k, v)
    session.flush()
    return version


def geography_version(session: Session) -> int:
    """The geography's version (0 before the first seed): raised by every import."""
    return session.scalar(select(GeoMetaRow.version).where(GeoMetaRow.id == _META_ID)) or 0


def meta(session: Session) -> GeoMetaRow | None:
    return session.get(GeoMetaRow, _META_ID)


def read_features(session: Session) -> list[Feature]:
    """Every stored feature, in code order.

    The extra properties come back as text and are decoded by one ``json.loads`` of them all, and the
    geometries by one ``shapely.from_wkb``: a row-by-row decode was most of the start-up cost.
    """
    rows = session.execute(select(GeoFeatureRow.level, GeoFeatureRow.code, GeoFeatureRow.name,
                                  GeoFeatureRow.parent_code, cast(GeoFeatureRow.extra, Text), GeoFeatureRow.geometry)
                           .order_by(GeoFeatureRow.code)).all()
    if not rows:
        return []
    extras = json.loads("[" + ",".join(r[4] or "{}" for r in rows) + "]")
    geoms = shapely.from_wkb(np.array([bytes(r[5]) for r in rows], dtype=object))  # PostgreSQL gives memoryviews
    return [Feature(r[0], r[1], r[2], r[3], g, e) for r, g, e in zip(rows, geoms, extras)]


def load(session: Session) -> Geography:
    """The stored geography as a :class:`Geography` (reusing this process's build of the same content)."""
    m = meta(session)
    if m is None:
        return Geography.build(0, [])
    built = _BUILT.get(m.digest)
    if built is not None:
        _BUILT.move_to_end(m.digest)
        return built if built.version == m.version else Geography(m.version, built.features, built.grid,
                                                                  m.generated)
    geography = Geography.build(m.version, read_features(session), m.generated)
    _BUILT[m.digest] = geography
    while len(_BUILT) > _KEEP:
        _BUILT.popitem(last=False)
    return geography


def seed_geography(session: Session, data_dir: Path, now: datetime) -> int:
    """Write the generated demo geography when none is stored yet; returns the number of features written."""
    siping = Path(data_dir) / "siping"
    if meta(session) is not None or not (siping / "grids.geojson").exists():
        return 0
    features = demo_geography(siping)
    save(features, session=session, source=GENERATED_SOURCE, generated=True, now=now)
    return len(features)


__all__ = ["GENERATED_SOURCE", "digest", "geography_version", "load", "meta", "read_features", "save",
           "seed_geography"]
