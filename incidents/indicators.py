"""The standard indicators' definitions, loaded from ``data/indicators.toml`` (the one place they live).

Pure on purpose: the analytics queries, the page (which shows each formula) and the wall's KPI module
all read the same definitions, and tests check every measure named there is implemented.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "indicators.toml"


@dataclass(frozen=True)
class Measure:
    key: str
    zh: str
    en: str
    rule: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Indicator:
    """A rate (``numerator`` ÷ ``denominator``), a ``mean`` of a duration measure, or a ``count``."""

    key: str
    zh: str
    en: str
    kind: str
    numerator: str | None = None
    denominator: str | None = None
    measure: str | None = None
    unit: str = ""

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(m for m in (self.numerator, self.denominator, self.measure) if m)


@dataclass(frozen=True)
class Definitions:
    filing_limit_minutes: float
    lookback_days: int
    satisfied: tuple[str, ...]
    measures: dict[str, Measure]
    indicators: dict[str, Indicator]
    live: dict[str, dict[str, str]]

    def formula(self, key: str, lang: str) -> str:
        """``按时立案率 = 按时立案数 ÷ 应立案数`` with each measure's period rule — shown on the page."""
        ind = self.indicators[key]
        m = self.measures
        if ind.kind == "rate":
            assert ind.numerator and ind.denominator
            head = f"{ind.name(lang)} = {m[ind.numerator].name(lang)} ÷ {m[ind.denominator].name(lang)}"
        elif ind.kind == "mean":
            assert ind.measure
            head = f"{ind.name(lang)} = mean({m[ind.measure].name(lang)})"
        else:
            assert ind.measure
            head = f"{ind.name(lang)} = {m[ind.measure].name(lang)}"
        rules = "; ".join(f"{m[k].name(lang)}: {m[k].rule}" for k in dict.fromkeys(ind.measures))
        return f"{head}  ({rules})"


def parse(raw: dict[str, Any]) -> Definitions:
    measures = {k: Measure(k, v["zh"], v["en"], v["rule"]) for k, v in raw.get("measure", {}).items()}
    indicators = {}
    for k, v in raw.get("indicator", {}).items():
        ind = Indicator(k, v["zh"], v["en"], v["kind"], v.get("numerator"), v.get("denominator"), v.get("measure"),
                        v.get("unit", ""))
        if ind.kind not in ("rate", "mean", "count"):
            raise ValueError(f"indicator {k}: unknown kind {ind.kind!r}")
        unknown = [m for m in ind.measures if m not in measures]
        if unknown or not ind.measures:
            raise ValueError(f"indicator {k}: unknown or missing measures {unknown}")
        indicators[k] = ind
    s = raw.get("settings", {})
    return Definitions(float(s.get("filing_limit_minutes", 60)), int(s.get("lookback_days", 120)),
                       tuple(s.get("satisfied", ("satisfied", "basically_satisfied"))), measures, indicators,
                       dict(raw.get("live", {})))


@lru_cache(maxsize=4)
def load(path: Path = DEFAULT_PATH) -> Definitions:
    return parse(tomllib.loads(path.read_text(encoding="utf-8")))


__all__ = ["Definitions", "Indicator", "Measure", "load", "parse", "DEFAULT_PATH"]
