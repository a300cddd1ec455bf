"""Breach risk: the probability that a running incident misses its deadline, from history.

Model (stated on the page): for every incident resolved in the last ``window_days`` (90), its *used share*
u = (resolve − round start) ÷ (deadline − round start), where the round starts at the last ``dispatch``
or ``reassign`` before that resolve and the deadline is the one the resolve event carried. Working-hour
deadlines make wall-clock times incomparable across severities; the share is comparable. For a running
incident that has used share e of its time, P(miss) = S(1) ÷ S(e) with S the empirical survival of u
(fraction of historical u above x) for its department × category, falling back to the category, the
department, then the whole city when fewer than ``min_samples`` exist. Past the deadline it is 1.
Censoring (incidents still open at fit time) is ignored: a stated simplification that slightly
underestimates risk for slow department × category pairs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from incidents.model import RUNNING_STATES
from incidents.records import EventRow, IncidentRow

ROUND_ACTIONS = ("dispatch", "reassign")


@dataclass
class RiskModel:
    """Sorted used-share samples per key: ``(dept, cat)``, ``("", cat)``, ``(dept, "")`` and ``("", "")``."""

    samples: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    min_samples: int = 30

    @classmethod
    def from_shares(cls, rows: Iterable[tuple[str, str, float]], min_samples: int = 30) -> "RiskModel":
        frame = pd.DataFrame(list(rows), columns=["department", "category", "share"])
        samples: dict[tuple[str, str], np.ndarray] = {}
        if len(frame):
            for keys, cols in (((True, True), ["department", "category"]), ((False, True), ["category"]),
                               ((True, False), ["department"])):
                for k, g in frame.groupby(cols):
                    k = k if isinstance(k, tuple) else (k,)
                    key = (k[0] if keys[0] else "", k[-1] if keys[1] else "")
                    samples[key] = np.sort(g["share"].to_numpy(float))
            samples[("", "")] = np.sort(frame["share"].to_numpy(float))
        return cls(samples, min_samples)

    def _sample(self, department: str, category: str) -> np.ndarray | None:
        for key in ((department, category), ("", category), (department, ""), ("", "")):
            s = self.samples.get(key)
            if s is not None and (len(s) >= self.min_samples or key == ("", "")):
                return s
        return None

    def probability(self, department: str | None, category: str, used_share: float) -> float | None:
        """P(the resolve comes after the deadline | not resolved after ``used_share`` of the time)."""
        if used_share >= 1.0:
            return 1.0
        s = self._sample(department or "", category)
        if s is None or not len(s):
            return None
        survive_now = len(s) - np.searchsorted(s, max(used_share, 0.0), side="right")
        if survive_now == 0:
            return 1.0
        late = len(s) - np.searchsorted(s, 1.0, side="right")
        return round(float(late / survive_now), 4)


def used_shares(now: datetime, *, session: Session, window_days: int = 90) -> list[tuple[str, str, float]]:
    """(department, category, used share) of every first resolve in the window before ``now``.

    Vectorised (pandas): the round start is the last dispatch/reassign carried forward to each resolve."""
    E, I = EventRow, IncidentRow
    resolved = (select(E.incident_id).where(E.action == "resolve", E.at >= now - timedelta(days=window_days),
                                            E.at <= now).distinct())
    rows = session.execute(
        select(E.incident_id, type_coerce(E.at, String), E.action, E.department, type_coerce(E.deadline, String),
               I.category)
        .join(I, I.id == E.incident_id)
        .where(E.incident_id.in_(resolved), E.action.in_(ROUND_ACTIONS + ("resolve",)), E.at <= now)
        .order_by(E.incident_id, E.seq)
    ).all()
    f = pd.DataFrame.from_records(rows, columns=["iid", "at", "action", "department", "deadline", "category"])
    if f.empty:
        return []
    f["at"] = pd.to_datetime(f["at"], utc=True, format="ISO8601")
    f["deadline"] = pd.to_datetime(f["deadline"], utc=True, format="ISO8601")
    f["start"] = f["at"].where(f["action"].isin(ROUND_ACTIONS))
    f["start"] = f.groupby("iid")["start"].ffill()
    r = f[f["action"] == "resolve"].drop_duplicates("iid")
    r = r[r["start"].notna() & r["deadline"].notna() & (r["deadline"] > r["start"])]
    share = (r["at"] - r["start"]) / (r["deadline"] - r["start"])
    return list(zip(r["department"].fillna("").tolist(), r["category"].tolist(), share.astype(float).tolist()))


def fit(now: datetime, *, session: Session, window_days: int = 90, min_samples: int = 30) -> RiskModel:
    return RiskModel.from_shares(used_shares(now, session=session, window_days=window_days), min_samples)


def running(now: datetime, *, session: Session, codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Running incidents with the start of their current round (the last dispatch/reassign)."""
    E, I = EventRow, IncidentRow
    start = (select(E.incident_id, func.max(E.at).label("start")).where(E.action.in_(ROUND_ACTIONS), E.at <= now)
             .group_by(E.incident_id).subquery())
    q = (select(I.code, I.category, I.department, I.deadline, start.c.start)
         .join(start, start.c.incident_id == I.id)
         .where(I.state.in_([s.value for s in RUNNING_STATES]), I.deadline.is_not(None)))
    if codes is not None:
        q = q.where(I.code.in_(list(codes)))
    return [r._asdict() for r in session.execute(q)]


def score(model: RiskModel, incidents: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, float | None]:
    """code → P(miss) for incidents with ``code, category, department, deadline, start``."""
    out: dict[str, float | None] = {}
    for i in incidents:
        allowed = (i["deadline"] - i["start"]).total_seconds()
        share = 1.0 if allowed <= 0 else (now - i["start"]).total_seconds() / allowed
        out[i["code"]] = model.probability(i["department"], i["category"], share)
    return out


def breach_risk(now: datetime, *, session: Session, codes: Iterable[str] | None = None,
                window_days: int = 90, model: RiskModel | None = None) -> dict[str, float | None]:
    """The one call other pages use: code → probability of missing the deadline, for running incidents
    (all of them, or only ``codes``). ``None`` when no history exists at all."""
    model = model or fit(now, session=session, window_days=window_days)
    return score(model, running(now, session=session, codes=codes), now)


__all__ = ["RiskModel", "breach_risk", "fit", "running", "score", "used_shares"]
