"""Small factories for tests: raw reports at known places, actors for each role, domain incidents.

Places are real cells of ``data/siping/grids.geojson``: ``CORE_CELL`` lies in a community with a grid
worker in ``data/rules.toml``; ``RURAL_CELL`` lies in a village with none (grid work there is ambiguous).
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from incidents.changes import created_event
from incidents.events import Event
from incidents.model import Actor, Channel, Incident, Role, Severity, State

CORE_CELL = "220302001001001"  # 铁西区第1街道 第1社区: worker gw220302001001
CORE_WORKER = "gw220302001001"
OTHER_CORE_CELL = "220303002001001"  # 铁东区, another community with its own worker
RURAL_CELL = "220302009001001"  # 铁西区第9乡镇 第49村: no grid worker
OUTSIDE_CITY = (120.0, 30.0)

#: The tests' "now": Tuesday 2026-03-10 10:00 Asia/Shanghai, a working day inside working hours.
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)  # Hangzhou, far from Siping

WATER_COVER = "10101"  # 上水井盖 → SWJ (unambiguous department)
GARBAGE = "20102"  # 暴露垃圾 → GRID in rules.toml (the cell's grid worker)
OTHER_EVENT = "20601"  # 其他事件 → no department: an operator decides


@lru_cache(maxsize=1)
def default_grid() -> Any:
    """The committed grid index, loaded once (for tests that have no ``services``)."""
    from geo.index import GridIndex

    return GridIndex.load()


def point(cell: str = CORE_CELL, *, east_m: float = 0.0, north_m: float = 0.0, grid: Any = None) -> tuple[float, float]:
    """(lon, lat) of the cell's label point, moved ``east_m``/``north_m`` metres."""
    c = (grid or default_grid()).cell(cell)
    lat = c.lat + north_m / 111_320.0
    lon = c.lon + east_m / (111_320.0 * math.cos(math.radians(c.lat)))
    return lon, lat


def report(
    category: str = WATER_COVER, *, cell: str = CORE_CELL, grid: Any = None, east_m: float = 0.0,
    north_m: float = 0.0, **overrides: Any,
) -> dict[str, Any]:
    """A valid raw report (as a form or the API would send it) for ``category`` in ``cell``."""
    lon, lat = point(cell, east_m=east_m, north_m=north_m, grid=grid)
    raw: dict[str, Any] = {
        "category": category,
        "severity": "normal",
        "description": f"test report of {category} in {cell}",
        "lon": lon,
        "lat": lat,
        "address": "四平市铁西区测试路 1 号",
        "reporter_phone": "13800138000",
    }
    raw.update(overrides)
    return raw


# -- actors --------------------------------------------------------------------------------------

def actor(role: Role, name: str | None = None, department: str | None = None) -> Actor:
    return Actor(name or f"test_{role.value}", role, department)


def operator() -> Actor:
    return actor(Role.OPERATOR, "op1")


def verifier() -> Actor:
    return actor(Role.VERIFIER, "ver1")


def grid_worker(name: str = CORE_WORKER) -> Actor:
    return actor(Role.GRID_WORKER, name, "GRID")


def dept_handler(department: str = "SWJ") -> Actor:
    return actor(Role.DEPT_HANDLER, f"{department.lower()}_handler", department)


def dept_head(department: str = "SWJ") -> Actor:
    return actor(Role.DEPT_HEAD, f"{department.lower()}_head", department)


def leader() -> Actor:
    return actor(Role.LEADER, "leader1")


def admin() -> Actor:
    return actor(Role.ADMIN, "admin1")


def wall() -> Actor:
    return actor(Role.WALL, "wall1")


def system() -> Actor:
    return Actor.system()


#: One actor per role, for loops over roles.
ACTORS: dict[Role, Actor] = {
    Role.OPERATOR: operator(),
    Role.VERIFIER: verifier(),
    Role.GRID_WORKER: grid_worker(),
    Role.DEPT_HANDLER: dept_handler(),
    Role.DEPT_HEAD: dept_head(),
    Role.LEADER: leader(),
    Role.ADMIN: admin(),
    Role.WALL: wall(),
    Role.SYSTEM: system(),
}


# -- domain objects (no database) ----------------------------------------------------------------

def incident(now: datetime, *, id: int = 1, code: str = "2026031000001", **overrides: Any) -> Incident:
    """A freshly reported domain incident, as the store would hold it after insert."""
    values: dict[str, Any] = dict(
        id=id, code=code, state=State.REPORTED, category=WATER_COVER, severity=Severity.NORMAL,
        description="manhole cover missing", lon=124.30123, lat=43.1991, grid=CORE_CELL, district=220302,
        channel=Channel.HOTLINE, reported_at=now, address="测试路 1 号", reporter_phone="13800138000",
        updated_at=now, extra={"source": "test"},
    )
    values.update(overrides)
    return Incident(**values)


def created(inc: Incident, at: datetime | None = None, who: Actor | None = None) -> Event:
    return created_event(inc, who or operator(), at or inc.reported_at)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
