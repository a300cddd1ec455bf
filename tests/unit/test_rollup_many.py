"""``rollup.contributions_many`` (numpy, for many rows at once) adds exactly what ``rollup.contributions`` (one
row, the write path's) adds: random summary rows with every pattern of missing milestones, both signs, per-row
signs, a zone with daylight saving and one without."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from incidents import rollup

DAY = 86_400_000_000
HOUR = 3_600_000_000


def random_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    base = 1_774_000_000_000_000  # March 2026: the end of March crosses Europe/Paris's DST change
    rows = []
    for i in range(n):
        R = base + int(rng.integers(0, 40 * DAY))

        def later(t: int | None, p: float = 0.8, span: int = 3 * DAY) -> int | None:
            return None if t is None or rng.random() > p else t + int(rng.integers(0, span))

        F = later(R)
        DR = later(R, 0.1)
        D = later(F)
        DL = None if D is None or rng.random() < 0.1 else D + int(rng.choice([4, 24, 72])) * HOUR
        RF = later(D)
        RES = None if RF is None else RF + (int(rng.integers(0, 2 * DAY)) if rng.random() < 0.3 else 0)
        RO = RES if RES is not None and DL is not None and RES <= DL else (RF if rng.random() < 0.2 else None)
        C = later(RES, 0.7)
        rows.append({"incident_id": i, "code": f"C{i}", "category": str(rng.choice(["10101", "10203", "20101", ""])),
                     "district": int(rng.choice([220302, 220303])), "grid": str(rng.choice(["g1", "g2", "", "g3"])),
                     "reported": R, "state": "x", "department": rng.choice(["SWJ", "CGJ", None]), "deadline": DL,
                     "filed": F, "dropped": DR, "dispatched": D, "resolved_first": RF, "resolved": RES,
                     "resolved_ontime": RO, "closed": C, "returns": int(rng.integers(0, 2)),
                     "reassigns": int(rng.random() < 0.1), "reworks": int(rng.random() < 0.1),
                     "last_at": R, "last_seq": 1})
    return rows


def nonzero(table: dict[Any, list[int]]) -> dict[Any, list[int]]:
    return {k: v for k, v in table.items() if any(v)}


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Paris"])
def test_many_rows_at_once_add_what_each_row_adds(zone: str) -> None:
    day = rollup.DayOf(ZoneInfo(zone))
    rows = random_rows(3000, seed=3)
    signs = [1 if i % 3 else -1 for i in range(len(rows))]
    for sign in (1, -1, signs):
        one = rollup.Deltas()
        for r, s in zip(rows, signs if isinstance(sign, list) else [sign] * len(rows)):
            rollup.contributions(r, day, 60 * 60e6, one, s)
        many = rollup.contributions_many(rows, day, 60 * 60e6, sign=sign)
        assert nonzero(many.daily) == nonzero(one.daily)
        assert nonzero(many.groups) == nonzero(one.groups)
        assert len(nonzero(one.groups)) > 1000
    # adding to an existing accumulation: the same as one pass over both halves
    acc = rollup.contributions_many(rows[:1000], day, 60 * 60e6)
    rollup.contributions_many(rows[1000:], day, 60 * 60e6, acc)
    whole = rollup.contributions_many(rows, day, 60 * 60e6)
    assert nonzero(acc.groups) == nonzero(whole.groups) and nonzero(acc.daily) == nonzero(whole.daily)


def test_no_rows_add_nothing() -> None:
    out = rollup.contributions_many([], rollup.DayOf(ZoneInfo("Asia/Shanghai")), 60 * 60e6)
    assert out.daily == {} and out.groups == {}
