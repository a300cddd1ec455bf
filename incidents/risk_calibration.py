"""Is the breach-risk model honest? A reliability check of ``incidents.risk`` on recorded history.

For each of several past moments T the model is fitted exactly as the app fits it (``risk.fit`` on the
``window_days`` before T, once per local day), and every incident that was running at T — by the event
log as it stood at T, not by today's state — and not yet overdue gets its predicted probability of
missing its deadline. What happened next is then read from the log: the incident's first ``resolve``
after T came after the deadline that event carried (a miss) or by it (met). Incidents with no resolve
yet are a miss when their deadline (as of T) has passed by the end of the data, else censored and left
out. Overdue-at-T incidents are left out because the model answers 1 for them by definition: keeping
them would flatter the score without testing anything.

The predictions are binned by probability (ten bins of width 0.1); per bin the mean prediction is
compared with the observed miss rate, and the Brier score of the model with that of the constant
baseline (every incident gets the overall observed miss rate, which the baseline is even allowed to know
in advance). Moments overlap in the incidents they see (one incident is scored at several moments), so
the bins' standard errors are optimistic; the test's tolerance says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from incidents import risk
from incidents.model import RUNNING_STATES
from incidents.records import EventRow, IncidentRow

BINS = 10


@dataclass(frozen=True)
class Bin:
    """Predictions in ``[lo, hi)`` (the last bin includes 1.0)."""

    lo: float
    hi: float
    n: int
    predicted: float | None  # mean predicted probability
    observed: float | None  # observed miss rate
    incidents: int = 0  # distinct incidents among the n predictions (one is scored at several moments)
    se_clustered: float | None = None  # standard error of observed − predicted, clustered by incident

    @property
    def stderr(self) -> float | None:
        """Binomial standard error of the observed rate at the predicted probability."""
        if not self.n or self.predicted is None:
            return None
        p = min(max(self.predicted, 0.0), 1.0)
        return math.sqrt(max(p * (1 - p), 1e-9) / self.n)


@dataclass(frozen=True)
class Calibration:
    bins: list[Bin]
    n: int
    base_rate: float
    brier: float
    brier_baseline: float
    moments: int
    skipped_censored: int
    skipped_unscored: int
    pairs: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)

    @property
    def skill(self) -> float:
        """Brier skill score: 1 − model ÷ baseline (> 0: better than knowing only the base rate)."""
        return 1.0 - self.brier / self.brier_baseline if self.brier_baseline > 0 else 0.0

    def table(self) -> str:
        """The reliability table and the scores, as printed by ``benchmarks/risk_calibration.py``."""
        lines = [f"{'bin':>11}  {'n':>6}  {'codes':>5}  {'predicted':>9}  {'observed':>8}  {'diff':>6}  {'2·se':>5}  {'2·se(incident)':>14}"]
        for b in self.bins:
            if not b.n:
                lines.append(f"[{b.lo:.1f}, {b.hi:.1f})  {0:>6}  {'–':>9}  {'–':>8}")
                continue
            diff = (b.observed or 0.0) - (b.predicted or 0.0)
            lines.append(f"[{b.lo:.1f}, {b.hi:.1f})  {b.n:>6}  {b.incidents:>5}  {b.predicted:>9.3f}  {b.observed:>8.3f}  "
                         f"{diff:>+6.3f}  {2 * (b.stderr or 0):>5.3f}  {2 * (b.se_clustered or 0):>14.3f}")
        lines.append(f"predictions {self.n} at {self.moments} moments; censored {self.skipped_censored}, "
                     f"no model {self.skipped_unscored}; base rate {self.base_rate:.3f}")
        lines.append(f"Brier model {self.brier:.4f}  baseline {self.brier_baseline:.4f}  skill {self.skill:+.3f}")
        return "\n".join(lines)


def event_log(*, session: Session, until: datetime | None = None) -> pd.DataFrame:
    """The events the check needs (round starts, resolves, and every event for the state at T)."""
    E, I = EventRow, IncidentRow
    q = (select(E.incident_id, E.seq, type_coerce(E.at, String), E.action, E.to_state, E.department,
                type_coerce(E.deadline, String), I.code, I.category, I.severity)
         .join(I, I.id == E.incident_id).order_by(E.incident_id, E.seq))
    if until is not None:
        q = q.where(E.at <= until)
    f = pd.DataFrame.from_records(session.execute(q).all(),
                                  columns=["iid", "seq", "at", "action", "to_state", "department", "deadline",
                                           "code", "category", "severity"])
    f["at"] = pd.to_datetime(f["at"], utc=True, format="ISO8601")
    f["deadline"] = pd.to_datetime(f["deadline"], utc=True, format="ISO8601")
    f["department"] = f["department"].fillna("")
    return f


def running_at(log: pd.DataFrame, moment: datetime) -> pd.DataFrame:
    """Incidents running (dispatched / in progress) at ``moment`` by the log then: code, category,
    department, deadline and round start as they stood, one row each."""
    t = pd.Timestamp(moment)
    seen = log[log["at"] <= t]
    last = seen.groupby("iid", sort=False).tail(1)
    last = last[last["to_state"].isin([s.value for s in RUNNING_STATES]) & last["deadline"].notna()]
    rounds = seen[seen["action"].isin(risk.ROUND_ACTIONS)].groupby("iid")["at"].max().rename("start")
    out = last.join(rounds, on="iid", how="inner")
    return out[["iid", "code", "category", "severity", "department", "deadline", "start"]]


def outcomes(log: pd.DataFrame, running: pd.DataFrame, moment: datetime, data_end: datetime) -> pd.Series:
    """Per row of ``running``: 1.0 missed, 0.0 met, NaN censored (see the module docstring)."""
    t = pd.Timestamp(moment)
    later = log[(log["action"] == "resolve") & (log["at"] > t) & log["iid"].isin(running["iid"])]
    first = later.groupby("iid").head(1).set_index("iid")
    res_at = running["iid"].map(first["at"])
    res_deadline = running["iid"].map(first["deadline"])
    missed = pd.Series(np.nan, index=running.index)
    has = res_at.notna()
    missed[has] = (res_at[has] > res_deadline[has].fillna(running.loc[has, "deadline"])).astype(float)
    open_past = ~has & (running["deadline"] < pd.Timestamp(data_end))
    missed[open_past] = 1.0
    return missed


def calibrate(moments: Sequence[datetime], *, session: Session, tz: ZoneInfo, data_end: datetime,
              window_days: int = 90, min_samples: int = 30, bins: int = BINS, refit_days: int = 1,
              elapsed: risk.Elapsed | None = None, log: pd.DataFrame | None = None) -> Calibration:
    """The reliability check at ``moments`` (see the module docstring); ``data_end`` is where the log ends.

    ``elapsed`` is the model's clock (``dispatch.risk_clock``; None = wall-clock shares). The app refits
    once a local day; ``refit_days`` > 1 reuses a fit for that many days to make the check faster."""
    log = event_log(session=session, until=data_end) if log is None else log
    models: dict[int, risk.RiskModel] = {}
    parts = []
    censored = unscored = 0
    for moment in moments:
        day = moment.astimezone(tz).date().toordinal() // max(refit_days, 1)
        if day not in models:  # the app refits once per local day (incidents.analytics.Analytics)
            models[day] = risk.fit(moment, session=session, window_days=window_days, min_samples=min_samples,
                                   elapsed=elapsed)
        run = running_at(log, moment)
        run = run[run["deadline"] > pd.Timestamp(moment)]  # not yet overdue
        if run.empty:
            continue
        y = outcomes(log, run, moment, data_end)
        censored += int(y.isna().sum())
        keep = y.notna()
        run, y = run[keep], y[keep]
        rows = [{"code": r.code, "category": r.category, "severity": r.severity, "department": r.department,
                 "deadline": r.deadline.to_pydatetime(), "start": r.start.to_pydatetime()} for r in run.itertuples()]
        p = risk.score(models[day], rows, moment, elapsed)
        for r, missed in zip(rows, y.tolist()):
            pr = p.get(r["code"])
            if pr is None:
                unscored += 1
                continue
            parts.append((moment, r["code"], pr, missed))
    pairs = pd.DataFrame(parts, columns=["moment", "code", "p", "missed"])
    return summarise(pairs, len(moments), censored, unscored, bins)


def summarise(pairs: pd.DataFrame, moments: int, censored: int = 0, unscored: int = 0,
              bins: int = BINS) -> Calibration:
    """Reliability bins and Brier scores of ``pairs`` (columns ``p`` and ``missed``)."""
    if pairs.empty:
        raise ValueError("no scored predictions: the history has no running incidents at these moments")
    p, y = pairs["p"].to_numpy(float), pairs["missed"].to_numpy(float)
    base = float(y.mean())
    idx = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for k in range(bins):
        m = idx == k
        n = int(m.sum())
        codes = int(pairs.loc[m, "code"].nunique()) if "code" in pairs else n
        out.append(Bin(k / bins, (k + 1) / bins, n, round(float(p[m].mean()), 4) if n else None,
                       round(float(y[m].mean()), 4) if n else None, codes,
                       _clustered_se(pairs.loc[m], p[m], y[m]) if n else None))
    return Calibration(out, len(pairs), round(base, 4), round(float(np.mean((p - y) ** 2)), 5),
                       round(float(np.mean((base - y) ** 2)), 5), moments, censored, unscored, pairs)


def _clustered_se(rows: pd.DataFrame, p: np.ndarray, y: np.ndarray) -> float:
    """Standard error of mean(y − p) when one incident's predictions at several moments are not independent
    (they share one outcome): the sandwich estimate over incidents, sqrt(Σ_incident (Σ (y − p))²) ÷ n.
    Why: a bin where five long-limit incidents make half the predictions is as uncertain as a handful of
    draws, not as a few hundred; judging it by the plain binomial error would call noise a model error."""
    resid = pd.Series(y - p, index=rows.index)
    groups = resid.groupby(rows["code"]).sum() if "code" in rows else resid
    return round(float(np.sqrt(float((groups.to_numpy() ** 2).sum())) / len(resid)), 4)


def moments_between(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    out, t = [], start
    while t <= end:
        out.append(t)
        t += every
    return out


def worst_bin(cal: Calibration, min_n: int) -> tuple[Bin, float] | None:
    """The populated bin (≥ ``min_n`` predictions) whose |observed − predicted| is largest."""
    scored = [(b, abs((b.observed or 0) - (b.predicted or 0))) for b in cal.bins if b.n >= min_n]
    return max(scored, key=lambda x: x[1]) if scored else None


__all__ = ["BINS", "Bin", "Calibration", "calibrate", "event_log", "moments_between", "outcomes", "running_at",
           "summarise", "worst_bin"]
