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

Time is measured in the limit's own kind of time when the caller passes ``elapsed`` (working seconds for
working-hour and working-day limits, natural seconds for natural-hour ones; ``dispatch.risk_clock``
builds it from the SLA table and the calendar). Measured in wall-clock time the share mixes nights and
weekends into the handler's time: on the demo history that made the model worse than a constant base rate
(Brier skill −0.01; predicted 0.54 where 0.27 happened), while in working time it is calibrated
(``benchmarks/risk_calibration.py``). Without ``elapsed`` the share is wall-clock (the older behaviour).
"""
from __future__ import annotations

from dataclasses import dataclass, field
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from incidents.model import RUNNING_STATES
from incidents.records import EventRow, IncidentRow

log = logging.getLogger(__name__)

ROUND_ACTIONS = ("dispatch", "reassign")
#: The wall marks an incident "at risk" from this probability on, until it is overdue.
AT_RISK = 0.5
#: How long LiveRisk waits before fitting an empty model again (no resolve in the window yet).
EMPTY_REFIT = timedelta(minutes=10)
#: How long a wall snapshot's risk fields may serve later (re)connecting walls (see LiveRisk._snap).
SNAPSHOT_REUSE = timedelta(seconds=10)
#: (start, end, category, severity) → seconds elapsed in the incident's own kind of time (see above).
Elapsed = Callable[[datetime, datetime, str, str], float]


def _share(start: datetime, at: datetime, deadline: datetime, category: str, severity: str,
           elapsed: Elapsed | None) -> float:
    """The used share of a round at ``at``: 1.0 when the round allows no time at all."""
    if elapsed is None:
        allowed, used = (deadline - start).total_seconds(), (at - start).total_seconds()
    else:
        allowed, used = elapsed(start, deadline, category, severity), elapsed(start, at, category, severity)
    return 1.0 if allowed <= 0 else used / allowed


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

    def threshold_share(self, department: str | None, category: str, p: float = AT_RISK) -> float | None:
        """The used share from which P(miss) ≥ ``p`` (P only grows with the share): the wall turns an
        incident "at risk" at that moment without waiting for a push. ``None``: no history. With no late
        case in its history, from the longest share seen (past it ``probability`` answers 1)."""
        s = self._sample(department or "", category)
        if s is None or not len(s):
            return None
        n = len(s)
        late = n - np.searchsorted(s, 1.0, side="right")
        if late == 0:
            return float(min(s[-1], 1.0))
        # P(e) = late / #(s > e) ≥ p  ⟺  #(s > e) ≤ late / p  ⟺  e ≥ s[n − ⌊late / p⌋ − 1]
        k = n - int(np.floor(late / p + 1e-9)) - 1
        return 0.0 if k < 0 else float(min(s[k], 1.0))


def used_shares(now: datetime, *, session: Session, window_days: int = 90,
                elapsed: Elapsed | None = None) -> list[tuple[str, str, float]]:
    """(department, category, used share) of every first resolve in the window before ``now``.

    Vectorised (pandas): the round start is the last dispatch/reassign carried forward to each resolve."""
    E, I = EventRow, IncidentRow
    resolved = (select(E.incident_id).where(E.action == "resolve", E.at >= now - timedelta(days=window_days),
                                            E.at <= now).distinct())
    rows = session.execute(
        select(E.incident_id, type_coerce(E.at, String), E.action, E.department, type_coerce(E.deadline, String),
               I.category, I.severity)
        .join(I, I.id == E.incident_id)
        .where(E.incident_id.in_(resolved), E.action.in_(ROUND_ACTIONS + ("resolve",)), E.at <= now)
        .order_by(E.incident_id, E.seq)
    ).all()
    f = pd.DataFrame.from_records(rows, columns=["iid", "at", "action", "department", "deadline", "category",
                                                 "severity"])
    if f.empty:
        return []
    f["at"] = pd.to_datetime(f["at"], utc=True, format="ISO8601")
    f["deadline"] = pd.to_datetime(f["deadline"], utc=True, format="ISO8601")
    f["start"] = f["at"].where(f["action"].isin(ROUND_ACTIONS))
    f["start"] = f.groupby("iid")["start"].ffill()
    r = f[f["action"] == "resolve"].drop_duplicates("iid")
    r = r[r["start"].notna() & r["deadline"].notna() & (r["deadline"] > r["start"])]
    if elapsed is None:
        share = (r["at"] - r["start"]) / (r["deadline"] - r["start"])
    elif hasattr(elapsed, "many"):  # vectorised clock (dispatch.risk_clock)
        t0, t1, t2 = (r[c].map(pd.Timestamp.timestamp).to_numpy(float) for c in ("start", "at", "deadline"))
        allowed = elapsed.many(t0, t2, r["category"].tolist(), r["severity"].tolist())
        used = elapsed.many(t0, t1, r["category"].tolist(), r["severity"].tolist())
        share = pd.Series(np.where(allowed > 0, used / np.where(allowed > 0, allowed, 1.0), 1.0), index=r.index)
    else:
        share = pd.Series([_share(s.to_pydatetime(), a.to_pydatetime(), d.to_pydatetime(), c, v, elapsed)
                           for s, a, d, c, v in zip(r["start"], r["at"], r["deadline"], r["category"], r["severity"])],
                          index=r.index, dtype=float)
    return list(zip(r["department"].fillna("").tolist(), r["category"].tolist(), share.astype(float).tolist()))


def fit(now: datetime, *, session: Session, window_days: int = 90, min_samples: int = 30,
        elapsed: Elapsed | None = None) -> RiskModel:
    return RiskModel.from_shares(used_shares(now, session=session, window_days=window_days, elapsed=elapsed),
                                 min_samples)


def running(now: datetime, *, session: Session, codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Running incidents with the start of their current round (the last dispatch/reassign)."""
    E, I = EventRow, IncidentRow
    # Only the running incidents' events (state index, then their events by incident_id): grouping every
    # dispatch ever written first was 14 s at 1 M incidents.
    live = select(I.id).where(I.state.in_([s.value for s in RUNNING_STATES]), I.deadline.is_not(None))
    if codes is not None:
        live = live.where(I.code.in_(list(codes)))
    start = (select(E.incident_id, func.max(E.at).label("start"))
             .where(E.incident_id.in_(live), E.action.in_(ROUND_ACTIONS), E.at <= now)
             .group_by(E.incident_id).subquery())
    q = (select(I.code, I.category, I.severity, I.department, I.deadline, start.c.start)
         .join(start, start.c.incident_id == I.id)
         .where(I.state.in_([s.value for s in RUNNING_STATES]), I.deadline.is_not(None)))
    if codes is not None:
        q = q.where(I.code.in_(list(codes)))
    return [r._asdict() for r in session.execute(q)]


def score(model: RiskModel, incidents: Iterable[Mapping[str, Any]], now: datetime,
          elapsed: Elapsed | None = None) -> dict[str, float | None]:
    """code → P(miss) for incidents with ``code, category, department, deadline, start`` (and ``severity``
    when ``elapsed`` is given)."""
    out: dict[str, float | None] = {}
    for i in incidents:
        share = _share(i["start"], now, i["deadline"], i["category"], i.get("severity") or "normal", elapsed)
        out[i["code"]] = model.probability(i["department"], i["category"], share)
    return out


def breach_risk(now: datetime, *, session: Session, codes: Iterable[str] | None = None,
                window_days: int = 90, model: RiskModel | None = None,
                elapsed: Elapsed | None = None) -> dict[str, float | None]:
    """The one call other pages use: code → probability of missing the deadline, for running incidents
    (all of them, or only ``codes``). ``None`` when no history exists at all."""
    model = model or fit(now, session=session, window_days=window_days, elapsed=elapsed)
    return score(model, running(now, session=session, codes=codes), now, elapsed)


__all__ = ["AT_RISK", "Elapsed", "RiskModel", "breach_risk", "fit", "running", "score", "used_shares"]


# -------------------------------------------------------------------------------------------------
# The wall's risk: cheap enough to run on every push
# -------------------------------------------------------------------------------------------------

def _moment_at(start: datetime, deadline: datetime, share: float, category: str, severity: str,
               elapsed: Elapsed | None) -> datetime:
    """The moment the round has used ``share`` of its time (bisection in the limit's own time)."""
    if elapsed is None or share <= 0:
        return start + (deadline - start) * max(share, 0.0)
    target = share * elapsed(start, deadline, category, severity)
    if hasattr(elapsed, "moment"):  # the clock's own inverse (dispatch.risk_clock): no search
        return min(elapsed.moment(start, target, category, severity), deadline)
    lo, hi = start, deadline
    for _ in range(16):  # 1/65536 of the round: seconds on a working-day limit
        mid = lo + (hi - lo) / 2
        if elapsed(start, mid, category, severity) < target:
            lo = mid
        else:
            hi = mid
    return hi


class LiveRisk:
    """Breach risk for the wall's snapshot and deltas, without a query per incident per delta.

    The model (the quantile table) is refitted once per local day; each running incident's round start
    is kept in memory — filled by one query at every snapshot, moved on by the ``dispatch``/``reassign``
    messages themselves, and fetched in one batched query for codes a delta names that it does not know.
    Each incident gets ``risk`` (P(miss) now) and ``risk_at`` (the moment P reaches ``AT_RISK``): the
    browser marks it "at risk" from ``risk_at`` until its deadline, so it turns without waiting for an
    event about it. Failures are logged and give no risk: the wall must never stop for the model.
    """

    def __init__(self, db: Any, tz: Any, elapsed: Callable[[], Elapsed | None] | None = None,
                 window_days: int = 90) -> None:
        self.db = db
        self.tz = tz
        self.elapsed_of = elapsed or (lambda: None)
        self.window_days = window_days
        self._model: tuple[Any, RiskModel, Elapsed | None] | None = None
        self._empty_until: datetime | None = None  # an empty model is refitted after this, not on every call
        self._starts: dict[str, datetime] = {}
        # The local day ``_starts`` was begun on: it forgets everything at the next one. An incident that
        # leaves the running states in ANOTHER process never sends its message here, so without this its
        # entry stayed until a wall reconnected (a snapshot replaces the map) — in a multi-process
        # deployment whose walls stay up, a slow leak of every incident dispatched here. Forgetting costs
        # the day's first deltas one batched query for the codes they name.
        self._starts_day: Any = None
        # The last snapshot's fields (built at, code → fields): a reconnect storm (every wall after a
        # restart) reuses them for SNAPSHOT_REUSE instead of scoring every running incident per socket;
        # a delta's message drops its incident from it, so nothing older than its last event is reused.
        self._snap: tuple[datetime, dict[str, dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    def _current(self, now: datetime) -> bool:
        """Today's model is there, and is not an empty one due for another try."""
        m = self._model
        return (m is not None and m[0] == now.astimezone(self.tz).date()
                and (bool(m[1].samples) or (self._empty_until is not None and now < self._empty_until)))

    def model(self, now: datetime, session: Session, retry_empty: bool = False) -> tuple[RiskModel, Elapsed | None]:
        """Today's model. ``retry_empty``: fit an empty one again now (a snapshot — a wall connecting — is
        rare and already reads the store; history may have arrived from another process)."""
        empty = self._model is not None and not self._model[1].samples
        if not self._current(now) or (retry_empty and empty):
            # An empty model (a new install, no resolve in the window yet) is tried again every
            # EMPTY_REFIT rather than the next day, so the first resolves count soon — but not on
            # every delta: the fit reads the event window, and a busy empty wall would pay it 20×/s.
            el = self.elapsed_of()
            self._model = (now.astimezone(self.tz).date(),
                           fit(now, session=session, window_days=self.window_days, elapsed=el), el)
            self._empty_until = None if self._model[1].samples else now + EMPTY_REFIT
        assert self._model is not None
        return self._model[1], self._model[2]

    def fields(self, model: RiskModel, el: Elapsed | None, inc: Mapping[str, Any], start: datetime,
               now: datetime) -> dict[str, Any]:
        deadline = inc["deadline"]
        if isinstance(deadline, str):
            deadline = datetime.fromisoformat(deadline)
        cat, sev = inc["category"], inc.get("severity") or "normal"
        p = model.probability(inc.get("department"), cat, _share(start, now, deadline, cat, sev, el))
        e = model.threshold_share(inc.get("department"), cat)
        at = None if e is None else _moment_at(start, deadline, e, cat, sev, el)
        return {"risk": None if p is None else round(p, 3), "risk_at": None if at is None else at.isoformat()}

    @staticmethod
    def _starts_query(session: Session, codes: Iterable[str] | None) -> dict[str, datetime]:
        E, I = EventRow, IncidentRow
        q = (select(I.code, func.max(E.at)).join(E, E.incident_id == I.id)
             .where(E.action.in_(ROUND_ACTIONS), I.state.in_([s.value for s in RUNNING_STATES])).group_by(I.code))
        if codes is not None:
            q = q.where(I.code.in_(list(codes)))
        return {c: _aware(at) for c, at in session.execute(q)}

    def snapshot(self, incidents: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
        """code → risk fields for the running incidents among ``incidents`` (wall features)."""
        try:
            incidents = list(incidents)
            with self._lock:
                snap = None if self._snap is None else (self._snap[0], dict(self._snap[1]))
            if (snap is not None and self._current(now) and self._model is not None and self._model[1].samples
                    and timedelta(0) <= now - snap[0] < SNAPSHOT_REUSE):
                fields = {i["code"]: snap[1][i["code"]] for i in incidents if i["code"] in snap[1]}
                rest = [i for i in incidents if i["code"] not in fields]
                if rest:  # incidents touched since (or new): scored as a delta scores them
                    fields.update(self.for_messages([{"incident": i} for i in rest], now))
                return fields
            with self.db.read() as s:
                model, el = self.model(now, s, retry_empty=True)
                starts = self._starts_query(s, None)
            out = self._score(model, el, incidents, starts, now)
            with self._lock:
                self._starts, self._starts_day = starts, now.astimezone(self.tz).date()
                self._snap = (now, dict(out))
            return out
        except Exception:  # noqa: BLE001 — see the class docstring
            log.warning("breach risk unavailable for the wall snapshot", exc_info=True)
            return {}

    def for_messages(self, messages: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
        """code → risk fields for the incidents a delta upserts (its messages' last states)."""
        try:
            latest: dict[str, Mapping[str, Any]] = {}
            today = now.astimezone(self.tz).date()
            with self._lock:
                if self._starts_day != today:
                    self._starts.clear()
                    self._starts_day = today
                for m in messages:
                    inc = m["incident"]
                    if m.get("action") in ROUND_ACTIONS:
                        self._starts[inc["code"]] = _aware(datetime.fromisoformat(m["at"]))
                    latest[inc["code"]] = inc
                    if self._snap is not None and "action" in m:
                        self._snap[1].pop(inc["code"], None)
                running_ = {s.value for s in RUNNING_STATES}
                for code, inc in latest.items():
                    if inc.get("state") not in running_:
                        self._starts.pop(code, None)
                wanted = [c for c, i in latest.items() if i.get("state") in running_ and i.get("deadline")]
                missing = [c for c in wanted if c not in self._starts]
            if not wanted:
                return {}
            if self._current(now) and not missing:  # the usual delta: no database access at all
                model, el, fetched = self._model[1], self._model[2], {}
            else:
                with self.db.read() as s:
                    model, el = self.model(now, s)
                    fetched = self._starts_query(s, missing) if missing else {}
            with self._lock:
                self._starts.update(fetched)
                starts = dict((c, self._starts[c]) for c in wanted if c in self._starts)
            return self._score(model, el, [latest[c] for c in wanted], starts, now)
        except Exception:  # noqa: BLE001 — see the class docstring
            log.warning("breach risk unavailable for a wall delta", exc_info=True)
            return {}

    def _score(self, model: RiskModel, el: Elapsed | None, incidents: Iterable[Mapping[str, Any]],
               starts: Mapping[str, datetime], now: datetime) -> dict[str, dict[str, Any]]:
        running_ = {s.value for s in RUNNING_STATES}
        out = {}
        for inc in incidents:
            start = starts.get(inc["code"])
            if start is None or not inc.get("deadline") or inc.get("state") not in running_:
                continue
            out[inc["code"]] = self.fields(model, el, inc, start, now)
        return out


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


__all__ += ["LiveRisk"]
