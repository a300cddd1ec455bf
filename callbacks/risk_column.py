"""The breach-risk column of the handler's queue: code → "37%" from the analytics' risk model, or a dash.

The risk model (incidents/risk.py, via ``services.analytics.breach_risk``) is an optional part of the app:
a deployment without it, a model that cannot be fitted yet, or any error inside it must never take the
handler's queue down, so every failure shows as a dash (logged once per call, not raised).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Iterable

from i18n import t

log = logging.getLogger(__name__)


def risk_labels(analytics: Any, now: datetime, codes: Iterable[str], lang: str) -> dict[str, str]:
    """A label per code: the probability of missing the deadline as a whole percentage, "–" when unknown."""
    codes = list(codes)
    none = t("risk_column.none", lang)
    risks: dict[str, Any] = {}
    if analytics is not None and codes:
        try:
            risks = dict(analytics.breach_risk(now, codes) or {})
        except Exception:  # noqa: BLE001 — an optional model must not break the queue (see module docstring)
            log.warning("breach risk unavailable for the workbench queue", exc_info=True)
            risks = {}
    out = {}
    for code in codes:
        p = risks.get(code)
        try:
            out[code] = none if p is None else t("risk_column.percent", lang, p=round(100 * min(max(float(p), 0.0), 1.0)))
        except (TypeError, ValueError):
            out[code] = none
    return out


__all__ = ["risk_labels"]
