"""The demo city (``CITYOPS_DEMO=1``): demo logins, a year of history, and the live simulator.

What it owns and why it is shaped so:

* **Users.** One login per role, a head and handlers for every department, a grid worker for every
  username the ``rules`` table names. All share :data:`DEMO_PASSWORD`, hashed *once* (scrypt per user
  would add seconds to a cold start) and inserted in bulk.
* **History.** :func:`generate_history` synthesises months of incidents — arrivals by hour of day and
  weekday, a category and severity mix, locations weighted to the urban core — and walks each one
  through the *real* domain: :func:`incidents.changes.decide` checks every transition against the
  lifecycle table and roles, routing comes from the rules table, deadlines from the SLA table and the
  working calendar. Handling times are drawn against those deadlines in the limit's own kind of time
  (working time for working-hour and working-day limits, natural time for natural-hour ones, whatever
  the severity): a department × category pace gives the share of the limit a resolve uses
  (:class:`_Pace`), converted back to a moment through the calendar — so the history is late exactly
  when and as often as the deadlines the system computes say. Rows are then written in bulk with
  SQLAlchemy Core (one transaction), and every
  incident row is exactly the fold (:func:`incidents.changes.replay`) of its events. Each incident's
  story is planned to its end and cut at ``now``, so the last days' incidents stand open in every state.
  Departure from the live intake, on purpose: a history incident is flagged as a duplicate only when
  the generator made it one (it is then merged); an accidental neighbour within 50 m/24 h is not
  looked for.
* **Simulator.** :func:`run_simulator` holds the ``simulator`` lease row so exactly one process
  simulates; each tick (:func:`simulate_once`) reports one incident through the real intake path
  (``DispatchService.intake``, which publishes to the wall) and moves a few open incidents on through
  the services, with the roles the lifecycle requires.
"""
from __future__ import annotations

import logging
import math
import random
import threading
import time as _time
from collections import Counter, deque
from dataclasses import dataclass, field
from operator import attrgetter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import shapely
from sqlalchemy import and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from incidents import asof, milestones
from incidents.bulk import reserve_ids
from incidents.changes import apply_event, created_event, decide
from incidents.events import Event
from incidents.intake import IntakeError
from incidents.leases import LEASE_TTL, acquire_lease, lease_holder, release_lease, run_leased  # noqa: F401 - re-exported
from incidents.lifecycle import TransitionError
from incidents.model import Actor, Channel, Incident, Role, Severity, State
from incidents.records import CodeCounterRow, EventRow, IncidentRow, UserRow
from incidents.store import ConflictError, NotFoundError, row_values, nearby_open

log = logging.getLogger("cityops.demo")

DEMO_PASSWORD = "cityops-demo"
SEED = 20261125
DATA_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------------

#: (username, role, display_name, department, district)
UserSpec = tuple[str, str, str, "str | None", "int | None"]

#: Departments busy enough for two handlers; the others have one.
TWO_HANDLERS = frozenset({"CGJ", "SWJ", "ZJJ", "JTJ", "YLJ"})
TIEXI = 220302

_FIXED_USERS: tuple[UserSpec, ...] = (
    ("operator", Role.OPERATOR.value, "受理员 王芳", None, None),
    ("operator2", Role.OPERATOR.value, "受理员 李强", None, None),
    ("verifier", Role.VERIFIER.value, "核查员 赵敏", None, None),
    ("leader", Role.LEADER.value, "市领导 陈刚", None, None),
    ("leader_tiexi", Role.LEADER.value, "铁西区领导 刘洋", None, TIEXI),
    ("admin", Role.ADMIN.value, "系统管理员", None, None),
    ("wall", Role.WALL.value, "指挥大屏", None, None),
)


def handler_names(department: str) -> list[str]:
    n = 2 if department in TWO_HANDLERS else 1
    return [f"{department.lower()}_handler{i}" for i in range(1, n + 1)]


def demo_users(departments: Iterable[tuple[str, str, str]], grid_workers: Iterable[str]) -> list[UserSpec]:
    """Every demo login: fixed roles, each department's head and handlers, each named grid worker.

    ``departments`` are (code, Chinese name, kind) — the grid center (kind ``grid``) gets no head or
    handlers, its people are the grid workers.
    """
    users: list[UserSpec] = list(_FIXED_USERS)
    for code, zh, kind in departments:
        if kind == "grid" or code == "GRID":
            continue
        users.append((f"{code.lower()}_head", Role.DEPT_HEAD.value, f"{zh}负责人", code, None))
        for i, name in enumerate(handler_names(code), start=1):
            users.append((name, Role.DEPT_HANDLER.value, f"{zh}处置员{i}", code, None))
    for name in sorted(set(grid_workers)):
        digits = "".join(ch for ch in name if ch.isdigit())
        district = int(digits[:6]) if len(digits) >= 6 else None
        users.append((name, Role.GRID_WORKER.value, f"网格员 {digits[-6:] or name}", "GRID", district))
    return users


def _seed_users() -> list[UserSpec]:
    from dispatch.reference import read_csv
    from dispatch.rules import rows_from_toml

    deps = [(r["code"], r["zh"], r.get("kind") or "dept") for r in read_csv(DATA_DIR / "departments.csv")]
    workers = [v for kind, _k, v in rows_from_toml(DATA_DIR / "rules.toml") if kind == "grid_workers" and v]
    return demo_users(deps, workers)


#: The demo logins as the seed files define them (``ensure_demo`` reads the tables, the truth).
DEMO_USERS: list[UserSpec] = _seed_users()


def ensure_users(services: Any) -> int:
    """Create the demo users that do not exist yet; returns how many were created."""
    from werkzeug.security import generate_password_hash

    ref = services.reference.get()
    specs = demo_users(
        ((d.code, d.zh, d.kind) for d in ref.departments.values()),
        [w for w in ref.rules.grid_workers.values() if w],
    )
    password_hash: str | None = None
    for attempt in range(3):
        try:
            with services.db.write.begin() as s:
                existing = set(s.scalars(select(UserRow.username)))
                missing = [u for u in specs if u[0] not in existing]
                if not missing:
                    return 0
                password_hash = password_hash or generate_password_hash(DEMO_PASSWORD)  # once: scrypt is slow
                s.execute(insert(UserRow.__table__), [
                    dict(username=u, password_hash=password_hash, role=role, display_name=display,
                         department=dept, district=district, active=True)
                    for u, role, display, dept, district in missing
                ])
            return len(missing)
        except IntegrityError:  # another process starting at the same moment inserted some first
            if attempt == 2:
                raise
    return 0


def ensure_demo(services: Any) -> dict[str, Any]:
    """Idempotent: demo users if absent; on the first start (no incidents yet) the history too."""
    t0 = _time.perf_counter()
    created = ensure_users(services)
    out: dict[str, Any] = {"users_created": created}
    with services.db.read() as s:
        empty = not s.scalar(select(func.count()).select_from(IncidentRow))
    if empty:
        out["history"] = generate_history(services, months=services.settings.history_months, only_if_empty=True)
    out["seconds"] = round(_time.perf_counter() - t0, 2)
    hist = out.get("history") or {}
    log.info("demo ready in %.1f s: %d users created, history %s", out["seconds"], created,
             f"{hist.get('incidents')} incidents / {hist.get('events')} events in {hist.get('seconds')} s"
             if hist and not hist.get("skipped") else "kept")
    return out


# --------------------------------------------------------------------------------------------------
# The city's statistics: what is reported, where, when, by which channel
# --------------------------------------------------------------------------------------------------

#: Relative arrival rate by local hour: peaks 8–11 and 14–17, few at night.
HOUR_WEIGHTS = (0.35, 0.2, 0.15, 0.15, 0.2, 0.45, 1.2, 2.6, 5.6, 6.6, 6.6, 5.6,
                3.0, 3.6, 5.7, 6.2, 6.2, 5.2, 3.0, 2.4, 1.9, 1.4, 0.9, 0.55)
DAILY_MEAN = 100.0
#: Relative weights of categories; the rest of the taxonomy shares :data:`OTHER_WEIGHT` each.
CATEGORY_WEIGHTS: dict[str, float] = {
    "20102": 15.0,  # 暴露垃圾
    "20104": 9.0,   # 道路不洁
    "20502": 9.0,   # 占道经营
    "20201": 7.0,   # 非法小广告
    "20506": 4.5,   # 机动车乱停放
    "20507": 3.5,   # 非机动车乱停放
    "10115": 4.5,   # 路灯
    "10101": 1.6, "10102": 2.0, "10103": 1.8, "10104": 1.2, "10105": 0.6, "10106": 0.5,
    "10107": 0.8, "10110": 0.7, "10111": 0.5, "10113": 0.5,  # 井盖
    "20108": 3.0,   # 乱堆物堆料
    "20103": 2.0,   # 积存垃圾渣土
    "10302": 2.5,   # 垃圾箱
    "20503": 2.5,   # 店外经营
    "10402": 1.8,   # 行道树
    "20106": 1.6,   # 绿地脏乱
    "20101": 1.2,   # 私搭乱建
    "20302": 1.2, "20303": 1.0, "20304": 0.8,
    "20109": 0.8, "20508": 1.0, "10210": 1.0, "10204": 0.6,
    "20603": 0.6, "20601": 0.5, "20602": 0.3,
}
OTHER_WEIGHT = 0.25
#: Seasonal categories: month → factor.
SEASONAL: dict[str, dict[int, float]] = {
    "20403": {6: 8.0, 7: 12.0, 8: 10.0, 9: 3.0},              # 道路积水 in the rainy season
    "20406": {12: 10.0, 1: 12.0, 2: 8.0, 3: 2.0, 11: 2.0},    # 道路结冰 in winter
    "10110": {11: 3.0, 12: 3.0, 1: 3.0, 2: 3.0},              # 热力井盖 in the heating season
    "20110": {4: 4.0, 10: 4.0, 11: 3.0},                      # 焚烧树叶
    "20508": {6: 3.0, 7: 4.0, 8: 4.0},                        # 露天烧烤
}
CHANNEL_WEIGHTS = ((Channel.HOTLINE, 0.38), (Channel.PATROL, 0.37), (Channel.API, 0.08),
                   (Channel.OPEN311, 0.08), (Channel.SENSOR, 0.05), (Channel.IMPORT, 0.04))
SENSOR_CATEGORIES = frozenset({"10101", "10102", "10103", "10104", "10105", "10107", "10110", "10111",
                               "10115", "20403", "20405", "20406"})
CORE_SHARE = 0.75
CITY_CENTER = (124.355, 43.168)  # 四平 downtown, WGS84: the hot spot of reports

#: Who an operator sends a case to when the rules name nobody (no department, or grid work outside
#: the grid workers' cells): the taxonomy's department, else these.
OPERATOR_DEPARTMENT = {"10113": "CGJ", "10601": "ZJJ", "10603": "CGJ", "20601": "CGJ", "20602": "GAJ",
                       "20603": "GAJ", "20604": "CGJ"}
#: A department that returns a case as not theirs — where the operator sends it next.
CONFUSABLE = {"101": ["SWJ", "RQ", "RLGS", "TXGS", "GDGS", "CGJ"], "102": ["JTJ", "ZJJ", "CGJ", "JTYSJ"],
              "103": ["CGJ", "ZJJ"], "104": ["YLJ", "CGJ"], "105": ["ZJJ", "ZRJ"], "201": ["CGJ", "HJJ", "ZJJ"],
              "202": ["CGJ", "SCJ"], "203": ["ZJJ", "CGJ", "HJJ"], "204": ["SWJ", "ZJJ", "CGJ"],
              "205": ["CGJ", "SCJ", "JTJ", "GAJ"], "206": ["CGJ", "GAJ", "ZJJ"]}

_SUFFIXES = ("，请尽快处理", "，市民反映多次", "，影响通行", "，已持续两天", "，影响市容", "，存在安全隐患", "")
_RESOLVE_NOTES = ("已现场处置完毕", "已清理完毕，现场照片已上传", "已维修更换", "已责令整改并复查", "已协调责任单位处理")
_RETURN_REASONS = ("不属于本单位职责", "权属不清，请重新派遣", "地址有误，无法定位")
_REWORK_REASONS = ("现场核查未处置到位", "照片与现场不符", "问题反弹，需再次处置")
_REJECT_REASONS = ("不属于城市管理范围", "信息不全，无法核实", "已由其他渠道处理")


@dataclass(frozen=True)
class Report:
    """One sampled report, before it enters the domain."""

    category: str
    severity: Severity
    lon: float
    lat: float
    grid: str
    channel: Channel
    description: str
    address: str
    reporter_phone: str


class CitySampler:
    """Draws reports with the city's mix of categories, severities, places and channels (numpy)."""

    def __init__(self, grid: Any, reference: Any) -> None:
        self.grid = grid
        self.rules = reference.rules
        self.taxonomy = reference.taxonomy
        cells = grid.cells
        self.cells = cells
        self.bounds = shapely.bounds(grid.geometries)
        kinds = np.array([c.kind for c in cells])
        lon = np.array([c.lon for c in cells])
        lat = np.array([c.lat for c in cells])
        self.core = np.flatnonzero(kinds == "core")
        self.rural = np.flatnonzero(kinds != "core")
        # Reports crowd downtown: a Gaussian hot spot over a flat base.
        dx = (lon[self.core] - CITY_CENTER[0]) * 81.0  # km per degree of longitude at 43° N
        dy = (lat[self.core] - CITY_CENTER[1]) * 111.0
        w = 0.35 + np.exp(-(dx * dx + dy * dy) / (2 * 2.2 ** 2))
        self.core_p = w / w.sum()
        self.codes = [c.code for c in self.taxonomy]
        base = np.array([CATEGORY_WEIGHTS.get(c, OTHER_WEIGHT) for c in self.codes])
        self.category_p: dict[int, np.ndarray] = {}
        for month in range(1, 13):
            m = base * np.array([SEASONAL.get(c, {}).get(month, 1.0) for c in self.codes])
            self.category_p[month] = m / m.sum()
        self.channels = [c for c, _ in CHANNEL_WEIGHTS]
        cw = np.array([w for _, w in CHANNEL_WEIGHTS])
        self.channel_p = cw / cw.sum()

    @staticmethod
    def severity_p(category: str) -> tuple[float, float, float]:
        """(urgent, high, normal): emergencies are mostly urgent, manhole covers often high."""
        if category.startswith("204"):
            return 0.42, 0.40, 0.18
        if category.startswith("101") and category <= "10113":
            return 0.07, 0.32, 0.61
        return 0.036, 0.18, 0.784

    def sample(self, rng: np.random.Generator, months: Sequence[int]) -> list[Report]:
        """One report per entry of ``months`` (the local month each is reported in)."""
        n = len(months)
        if n == 0:
            return []
        months_a = np.asarray(months)
        cats = np.empty(n, dtype=np.int64)
        for m in np.unique(months_a):
            sel = np.flatnonzero(months_a == m)
            cats[sel] = rng.choice(len(self.codes), size=sel.size, p=self.category_p[int(m)])
        in_core = rng.random(n) < CORE_SHARE
        cell_idx = np.where(
            in_core,
            rng.choice(self.core, size=n, p=self.core_p),
            rng.choice(self.rural, size=n),
        )
        lons, lats = self._points(rng, cell_idx)
        sev_u = rng.random(n)
        chan = rng.choice(len(self.channels), size=n, p=self.channel_p)
        suffix = rng.integers(0, len(_SUFFIXES), size=n)
        phones = rng.integers(10**9, 10**10, size=n)
        phone_prefix = rng.choice(np.array(["13", "15", "18", "17"]), size=n)
        out: list[Report] = []
        for i in range(n):
            code = self.codes[int(cats[i])]
            cell = self.cells[int(cell_idx[i])]
            pu, ph, _ = self.severity_p(code)
            u = float(sev_u[i])
            severity = Severity.URGENT if u < pu else Severity.HIGH if u < pu + ph else Severity.NORMAL
            channel = self.channels[int(chan[i])]
            if channel == Channel.SENSOR and code not in SENSOR_CATEGORIES:
                channel = Channel.HOTLINE
            if channel == Channel.PATROL and self.rules.worker_for(cell.code) is None:
                channel = Channel.HOTLINE  # no grid worker patrols this cell
            name = self.taxonomy.get(code).zh
            place = f"{cell.street_name}{cell.community_name}"
            phone = ""
            if channel in (Channel.HOTLINE, Channel.OPEN311):
                phone = f"{phone_prefix[i]}{int(phones[i]) % 10**9:09d}"
            out.append(Report(
                category=code, severity=severity, lon=float(lons[i]), lat=float(lats[i]), grid=cell.code,
                channel=channel, description=f"{place}{name}{_SUFFIXES[int(suffix[i])]}",
                address=f"{cell.district_name}{place}", reporter_phone=phone,
            ))
        return out

    def _points(self, rng: np.random.Generator, cell_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A uniform point inside each cell's polygon (rejection in its bounding box, a few rounds);
        the cell's representative point when every try missed (thin or odd-shaped cells)."""
        n = cell_idx.size
        lons = np.array([self.cells[i].lon for i in cell_idx])
        lats = np.array([self.cells[i].lat for i in cell_idx])
        todo = np.arange(n)
        for _ in range(6):
            if todo.size == 0:
                break
            b = self.bounds[cell_idx[todo]]
            x = np.round(b[:, 0] + rng.random(todo.size) * (b[:, 2] - b[:, 0]), 6)
            y = np.round(b[:, 1] + rng.random(todo.size) * (b[:, 3] - b[:, 1]), 6)
            hit = self.grid.locate_indices(x, y) == cell_idx[todo]
            lons[todo[hit]], lats[todo[hit]] = x[hit], y[hit]
            todo = todo[~hit]
        return lons, lats


# --------------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------------


def _memo_calendar(calendar: Any) -> Any:
    """The same working calendar with each day's periods memoised: history asks about the same few
    hundred days hundreds of thousands of times. Same rules and answers (it delegates to the original)."""
    cache: dict[date, list[tuple[datetime, datetime]]] = {}

    class MemoCalendar(type(calendar)):  # type: ignore[misc]
        def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
            got = cache.get(day)
            if got is None:
                got = cache[day] = calendar._day_periods(day)
            return got

    return MemoCalendar(periods=calendar.periods, holidays=calendar.holidays, workdays=calendar.workdays,
                        tz=calendar.tz, names=dict(calendar.names))


class _Later(Exception):
    """The next step of a story falls after ``now``: the incident stays where it is."""


@dataclass
class _Ctx:
    now: datetime
    tz: Any
    calendar: Any
    rules: Any
    taxonomy: Any
    deadline: Any  # DispatchService.deadline
    rnd: random.Random
    grid: Any
    sla: Any  # dispatch.sla.SlaTable: which kind of time each limit runs in
    seed: int
    clocks: dict[tuple[str, str], _OwnTime] = field(default_factory=dict)
    paces: dict[tuple[str, str], _Pace] = field(default_factory=dict)


@dataclass(frozen=True)
class _OwnTime:
    """The kind of time an incident's limit runs in (``dispatch.sla``): natural seconds for a limit in
    ``hours``, working seconds on the calendar for ``work_hours`` and ``work_days``.

    Handlers' durations are drawn in it, so the history agrees with the deadlines the system computes:
    a working-time limit is worked in office hours (a case due "4 working hours" after 16:00 is not
    fixed at midnight), an emergency limit around the clock, whatever the severity is called."""

    natural: bool
    calendar: Any

    def add(self, at: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of this time have passed since ``at``."""
        if self.natural:
            return at + timedelta(seconds=seconds)
        return self.calendar.add_work_hours(at, seconds / 3600.0)

    def between(self, a: datetime, b: datetime) -> float:
        return (b - a).total_seconds() if self.natural else self.calendar.work_seconds_between(a, b)


def _own_time(ctx: _Ctx, category: str, severity: str) -> _OwnTime:
    key = (category, severity)
    got = ctx.clocks.get(key)
    if got is None:
        got = ctx.clocks[key] = _OwnTime(ctx.sla.limit(category, severity).is_natural_time, ctx.calendar)
    return got


#: Share of rounds resolved after the deadline, before each department's and category's factor.
LATE_SHARE = 0.085


@dataclass(frozen=True)
class _Pace:
    """How one department handles one category, as the *share of the limit* its resolve uses.

    In shares the limits of every severity and kind of time compare (the breach-risk model,
    ``incidents.risk``, reads history the same way). On time: a Beta on (0.015, 0.99) of mean
    ``mean`` and concentration ``spread``; late (probability ``late``): 1 + a log-normal overrun of
    median ``overrun`` — the sweep has marked it overdue by then."""

    mean: float
    spread: float
    late: float
    overrun: float

    def share(self, rnd: random.Random) -> float:
        if rnd.random() < self.late:
            return 1.0 + self.overrun * math.exp(rnd.gauss(0.0, 0.8))
        return 0.015 + 0.975 * rnd.betavariate(self.mean * self.spread, (1.0 - self.mean) * self.spread)


def _pace(ctx: _Ctx, department: str, category: str) -> _Pace:
    """The department × category pace: a department's speed and punctuality, shifted per category and
    per pair. Each part comes from its own generator seeded by name, so a pair's pace does not depend on
    which incident asked first (reproducible for a seed, and the same across history lengths)."""
    key = (department, category)
    got = ctx.paces.get(key)
    if got is None:
        d = random.Random(f"{ctx.seed}/department/{department}")
        c = random.Random(f"{ctx.seed}/category/{category}")
        p = random.Random(f"{ctx.seed}/pair/{department}/{category}")
        mean = min(max(d.uniform(0.3, 0.6) + c.uniform(-0.08, 0.08) + p.uniform(-0.05, 0.05), 0.15), 0.8)
        spread = d.uniform(2.5, 6.0) * p.uniform(0.8, 1.25)
        late = min(LATE_SHARE * d.uniform(0.5, 1.6) * c.uniform(0.7, 1.4) * p.uniform(0.8, 1.25), 0.3)
        got = ctx.paces[key] = _Pace(mean, spread, late, overrun=d.uniform(0.15, 0.45))
    return got


OPERATOR_DAY = Actor("operator", Role.OPERATOR)
OPERATOR_NIGHT = Actor("operator2", Role.OPERATOR)
VERIFIER = Actor("verifier", Role.VERIFIER)
SYSTEM = Actor.system()
_S = timedelta(seconds=1)


def _operator(at: datetime, tz: Any) -> Actor:
    return OPERATOR_DAY if 8 <= at.astimezone(tz).hour < 20 else OPERATOR_NIGHT


def _handler(department: str, assignee: str | None, rnd: random.Random, *, head: bool = False) -> Actor:
    if assignee:
        return Actor(assignee, Role.GRID_WORKER, department)
    if head:
        return Actor(f"{department.lower()}_head", Role.DEPT_HEAD, department)
    return Actor(rnd.choice(handler_names(department)), Role.DEPT_HANDLER, department)


def _reporter(report: Report, tz: Any, rules: Any, at: datetime) -> Actor:
    if report.channel == Channel.PATROL:
        who = rules.worker_for(report.grid)
        if who:
            return Actor(who, Role.GRID_WORKER, "GRID")
    if report.channel in (Channel.HOTLINE, Channel.IMPORT):
        return _operator(at, tz)
    return SYSTEM


def operator_department(category: str, taxonomy: Any, rules: Any) -> str:
    """Where an operator sends a case the rules do not route (never the grid center: no worker)."""
    dept = taxonomy.get(category).department if category in taxonomy else None
    if not dept or dept == rules.grid_department:
        dept = OPERATOR_DEPARTMENT.get(category, "CGJ")
    return dept


class _Story:
    """One incident's events, each decided by the domain rules and folded at once."""

    def __init__(self, incident: Incident, reporter: Actor, at: datetime, now: datetime) -> None:
        self.now = now
        first = created_event(incident, reporter, at)
        self.incident = apply_event(None, first)
        self.events: list[Event] = [first]
        self.at = at

    def step(self, action: str, actor: Actor, at: datetime, *, same_moment: bool = False, **routing: Any) -> None:
        at = at.replace(microsecond=0)
        if not same_moment:
            at = max(at, self.at + _S)  # each event strictly after the previous one
        if at > self.now:
            raise _Later
        e = decide(self.incident, action, actor, at, seq=len(self.events) + 1, **routing)
        self.incident = apply_event(self.incident, e)
        self.events.append(e)
        self.at = at


def _live(ctx: _Ctx, story: _Story, report: Report, primary: str | None) -> None:
    """Plan an incident's life to the end; ``_Later`` cuts it at ``now``."""
    rnd, tz = ctx.rnd, ctx.tz
    category, severity = report.category, report.severity.value
    own = _own_time(ctx, category, severity)
    t = story.at

    def operator_delay(at: datetime) -> datetime:
        day = 8 <= at.astimezone(tz).hour < 20
        return at + timedelta(minutes=rnd.uniform(2, 25) if day else rnd.uniform(8, 70))

    if primary is not None:  # a duplicate: it waits, the operator merges it into the first report
        story.step("merge", _operator(t, tz), operator_delay(t), payload={"into": primary})
        return
    route = ctx.rules.route(category, report.grid)
    if route is None:  # ambiguous: the operator's queue
        t = operator_delay(t)
        p_reject = 0.45 if category.startswith("206") else 0.22
        if rnd.random() < p_reject:
            story.step("reject", _operator(t, tz), t, payload={"reason": rnd.choice(_REJECT_REASONS)})
            return
        op = _operator(t, tz)
        story.step("file", op, t)
        t = (story.at + timedelta(seconds=rnd.uniform(20, 300))).replace(microsecond=0)
        dept = operator_department(category, ctx.taxonomy, ctx.rules)
        story.step("dispatch", op, t, department=dept, assignee=None, deadline=ctx.deadline(category, severity, t))
    else:  # unambiguous: filed and dispatched by the system in the intake's transaction
        story.step("file", SYSTEM, t, same_moment=True)
        story.step("dispatch", SYSTEM, t, same_moment=True, department=route.department, assignee=route.assignee,
                   deadline=ctx.deadline(category, severity, t))
    inc = story.incident
    onspot = (report.channel == Channel.PATROL and inc.assignee is not None
              and ctx.rules.allows_onspot(category) and rnd.random() < 0.6)
    if onspot:  # 自行处置: the worker who found it clears it at once
        worker = _handler(inc.department or "GRID", inc.assignee, rnd)
        story.step("acknowledge", worker, t + timedelta(seconds=rnd.uniform(30, 180)), payload={"onspot": True})
        story.step("resolve", worker, story.at + timedelta(minutes=rnd.uniform(4, 35)),
                   payload={"onspot": True, "notes": "自行处置完毕"})
    else:
        _handle(ctx, story, own)
    _verify(ctx, story, own)


def _budget(own: _OwnTime, start: datetime, deadline: datetime) -> float:
    """Seconds of the limit's own time from ``start`` to the deadline (the limit itself, as
    ``dispatch.sla.deadline`` counted it forward); at least ten minutes."""
    return max(own.between(start, deadline), 600.0)


def _handle(ctx: _Ctx, story: _Story, own: _OwnTime) -> None:
    """Return (sometimes), acknowledge and resolve: each moment is a share of the round's limit, counted
    in the limit's own time from the dispatch."""
    rnd = ctx.rnd
    inc = story.incident
    dispatched = story.at
    budget = _budget(own, dispatched, inc.deadline)
    if rnd.random() < 0.055:  # 回退: not ours — the operator sends it elsewhere with a new deadline
        head = inc.assignee is None and rnd.random() < 0.4
        who = _handler(inc.department or "", inc.assignee, rnd, head=head)
        story.step("return", who, own.add(dispatched, budget * rnd.uniform(0.03, 0.25)),
                   payload={"reason": rnd.choice(_RETURN_REASONS)})
        t = story.at + timedelta(minutes=rnd.uniform(3, 40))
        prev = story.events[-1].payload.get("returned_from")
        choices = [d for d in CONFUSABLE.get(inc.category[:3], ["CGJ", "ZJJ"]) if d != prev] or ["CGJ"]
        dept = rnd.choice(choices)
        t = t.replace(microsecond=0)
        story.step("dispatch", _operator(t, ctx.tz), t, department=dept, assignee=None,
                   deadline=ctx.deadline(inc.category, inc.severity.value, t))
        inc = story.incident
        dispatched = story.at
        budget = _budget(own, dispatched, inc.deadline)
    handler = _handler(inc.department or "", inc.assignee, rnd)
    share = _pace(ctx, inc.department or "", inc.category).share(rnd)
    ack = min(rnd.uniform(0.01, 0.12), share * rnd.uniform(0.2, 0.7))
    story.step("acknowledge", handler, own.add(dispatched, budget * ack))
    deadline = story.incident.deadline
    if share > 1.0:  # overdue: the sweep marks it at the deadline, the fix comes late
        if deadline > story.at:
            story.step("escalate", SYSTEM, deadline, payload={"step": "overdue"})
        at = own.add(dispatched, max(budget * share, budget + 600.0))
    else:
        at = min(own.add(dispatched, budget * share), deadline)
    story.step("resolve", handler, at, payload={"notes": rnd.choice(_RESOLVE_NOTES)})


def _verify(ctx: _Ctx, story: _Story, own: _OwnTime) -> None:
    """Verification (the verifier keeps the limit's hours: around the clock for an emergency limit),
    sometimes a rework — half an hour to six of the limit's own hours, against the same deadline — and
    the callback."""
    rnd = ctx.rnd

    def verify_at(at: datetime) -> datetime:
        if own.natural:
            return at + timedelta(minutes=rnd.uniform(8, 90))
        return ctx.calendar.add_work_hours(at, rnd.uniform(0.1, 2.5))

    if rnd.random() < 0.08:  # 返工: back to the handler, same deadline
        story.step("verify_fail", VERIFIER, verify_at(story.at), payload={"reason": rnd.choice(_REWORK_REASONS)})
        inc = story.incident
        handler = _handler(inc.department or "", inc.assignee, rnd)
        story.step("resolve", handler, own.add(story.at, rnd.uniform(0.5, 6) * 3600), payload={"notes": "返工完成"})
    story.step("verify_pass", VERIFIER, verify_at(story.at))
    if story.incident.channel == Channel.HOTLINE and rnd.random() < 0.35:  # 回访
        sat = rnd.choices(("satisfied", "basically_satisfied", "unsatisfied"), (0.82, 0.13, 0.05))[0]
        story.step("callback", _operator(story.at, ctx.tz), story.at + timedelta(hours=rnd.uniform(1, 30)),
                   payload={"satisfaction": sat})


def _arrivals(rng: np.random.Generator, start: datetime, now: datetime, tz: Any, calendar: Any) -> list[datetime]:
    """Report instants (UTC, whole seconds, sorted) from ``start`` to ``now``: by weekday, season, hour."""
    hour_p = np.array(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS)
    out: list[datetime] = []
    day = start.astimezone(tz).date()
    last = now.astimezone(tz).date()
    while day <= last:
        factor = 1.08 if day.weekday() < 5 else 0.8
        if not calendar.is_workday(day) and day.weekday() < 5:
            factor = 0.72  # public holiday
        factor *= 1.0 + 0.1 * math.cos((day.timetuple().tm_yday - 200) / 365.0 * 2 * math.pi)
        n = int(rng.poisson(DAILY_MEAN * factor))
        hours = rng.choice(24, size=n, p=hour_p)
        secs = hours * 3600 + rng.integers(0, 3600, size=n)
        midnight = datetime.combine(day, time(0), tz)
        for s in np.sort(secs):
            t = (midnight + timedelta(seconds=int(s))).astimezone(timezone.utc)
            if start <= t <= now:
                out.append(t)
        day += timedelta(days=1)
    return out


def generate_history(
    services: Any, months: int = 12, now: datetime | None = None, seed: int = SEED, *,
    only_if_empty: bool = False,
) -> dict[str, Any]:
    """Write ``months`` of realistic history ending at ``now``; reproducible for a ``seed``.

    Everything (the counters read, the stories, the bulk insert) happens in one write transaction, so
    codes continue ``code_counters`` exactly and, with ``only_if_empty``, two processes starting at
    once cannot both write a history. Returns counts and the time taken.
    """
    t0 = _time.perf_counter()
    now = (now or services.clock()).astimezone(timezone.utc)
    tz = services.settings.tz
    ref = services.reference.get()
    rng = np.random.default_rng(seed)
    ctx = _Ctx(now, tz, _memo_calendar(ref.calendar), ref.rules, ref.taxonomy, services.dispatch.deadline,
               random.Random(seed), services.grid, ref.sla, seed)
    start = now - timedelta(days=round(months * 365.25 / 12))
    arrivals = _arrivals(rng, start, now, tz, ref.calendar)
    locals_ = [t.astimezone(tz) for t in arrivals]
    reports = CitySampler(services.grid, ref).sample(rng, [t.month for t in locals_])
    db = services.db
    with db.write.begin() as s:
        if db.engine.dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(42012)"))
        if only_if_empty and s.scalar(select(func.count()).select_from(IncidentRow)):
            return {"skipped": True, "reason": "incidents exist"}
        days = sorted({t.strftime("%Y%m%d") for t in locals_})
        counters: dict[str, int] = {}
        for i in range(0, len(days), 500):
            counters.update(s.execute(select(CodeCounterRow.day, CodeCounterRow.last)
                                      .where(CodeCounterRow.day.in_(days[i:i + 500]))).all())
        before = dict(counters)
        stories = _stories(ctx, reports, arrivals, locals_, counters)
        t_write = _time.perf_counter()
        n = len(stories)
        ids = reserve_ids(n, session=s)
        incident_rows: list[dict[str, Any]] = []
        event_rows: list[tuple[datetime, int, int, dict[str, Any]]] = []
        for k, (story, iid) in enumerate(zip(stories, ids)):
            row = row_values(story.incident)
            row["id"] = iid
            incident_rows.append(row)
            for e in story.events:
                ev = dict(zip(_EVENT_COLUMNS, _event_values(e)))
                ev["incident_id"] = iid
                event_rows.append((e.at, k, e.seq, ev))
        # Event ids in time order, so "the latest events" (the wall's ticker) are the latest in time.
        event_rows.sort(key=lambda r: (r[0], r[1], r[2]))
        conn = s.connection()
        for i in range(0, n, 5000):
            conn.execute(insert(IncidentRow.__table__), incident_rows[i:i + 5000])
        rows = [r[3] for r in event_rows]
        for i in range(0, len(rows), 20000):
            conn.execute(insert(EventRow.__table__), rows[i:i + 20000])
        milestones.rebuild(session=s, ids=ids)  # the analytics summary, in the same transaction
        asof.build(session=s)  # …and the month-start snapshots its history crossed
        _write_counters(conn, before, counters)
        t_write = _time.perf_counter() - t_write
    states = Counter(story.incident.state.value for story in stories)
    seconds = round(_time.perf_counter() - t0, 2)
    result = {
        "incidents": n, "events": len(event_rows), "states": dict(sorted(states.items())),
        "overdue_open": sum(1 for st in stories if st.incident.is_overdue(now)),
        "from": start.isoformat(), "to": now.isoformat(), "seed": seed, "seconds": seconds,
        "write_seconds": round(t_write, 2),
    }
    log.info("history: %d incidents, %d events over %d months in %.1f s", n, len(event_rows), months, seconds)
    return result


_EVENT_COLUMNS = ("seq", "at", "actor", "action", "from_state", "to_state", "department", "assignee",
                  "deadline", "version", "payload")
_event_values = attrgetter(*_EVENT_COLUMNS)


def _stories(ctx: _Ctx, reports: list[Report], arrivals: list[datetime], locals_: list[datetime],
             counters: dict[str, int]) -> list[_Story]:
    recent: dict[str, deque[tuple[datetime, str, float, float, str]]] = {}
    stories: list[_Story] = []
    rnd = ctx.rnd
    for report, at, local in zip(reports, arrivals, locals_):
        day = local.strftime("%Y%m%d")
        counters[day] = counters.get(day, 0) + 1
        code = f"{day}{counters[day]:05d}"
        primary = None
        lon, lat, grid = report.lon, report.lat, report.grid
        window = recent.setdefault(report.category, deque())
        while window and at - window[0][0] > timedelta(hours=12):
            window.popleft()
        if window and rnd.random() < 0.012:  # a second report of the same problem, a few metres away
            _t, primary, plon, plat, pgrid = window[rnd.randrange(len(window))]
            lon = round(plon + rnd.uniform(-0.0002, 0.0002), 6)
            lat = round(plat + rnd.uniform(-0.00015, 0.00015), 6)
            located = str(ctx.grid.locate([lon], [lat])[0])
            if located:
                grid = located
            else:  # the few metres fell outside the city: report the primary's very spot
                lon, lat, grid = plon, plat, pgrid
        else:
            window.append((at, code, lon, lat, grid))
        incident = Incident(
            id=None, code=code, state=State.REPORTED, category=report.category, severity=report.severity,
            description=report.description, lon=lon, lat=lat, grid=grid, district=int(grid[:6]),
            channel=report.channel, reported_at=at, address=report.address,
            reporter_phone=report.reporter_phone,
        )
        story = _Story(incident, _reporter(report, ctx.tz, ctx.rules, at), at, ctx.now)
        try:
            _live(ctx, story, report if grid == report.grid else _moved(report, grid), primary)
        except _Later:
            pass
        stories.append(story)
    return stories


def _moved(report: Report, grid: str) -> Report:
    from dataclasses import replace

    return replace(report, grid=grid)


def _write_counters(conn: Any, before: dict[str, int], after: dict[str, int]) -> None:
    t = CodeCounterRow.__table__
    changed = [{"b_day": d, "b_last": v} for d, v in after.items() if d in before and before[d] != v]
    new = [{"day": d, "last": v} for d, v in after.items() if d not in before]
    if changed:
        conn.execute(update(t).where(t.c.day == bindparam("b_day")).values(last=bindparam("b_last")), changed)
    if new:
        conn.execute(insert(t), new)


# --------------------------------------------------------------------------------------------------
# Lease: exactly one process simulates
# --------------------------------------------------------------------------------------------------

LEASE_NAME = "simulator"
RENEW_EVERY_S = 5.0


# --------------------------------------------------------------------------------------------------
# The live simulator
# --------------------------------------------------------------------------------------------------

#: Minimum dwell in each state before the simulator moves an incident on, in city minutes
#: (``Settings.simulator_rate`` city minutes pass per real second).
DWELL_MIN = {State.REPORTED: 3.0, State.ACCEPTED: 3.0, State.DISPATCHED: 10.0, State.IN_PROGRESS: 25.0,
             State.RESOLVED: 12.0}
ACTIONS_PER_TICK = 5


def simulate_once(
    services: Any, rng: random.Random, now: datetime, *, sampler: CitySampler | None = None,
    rate: float | None = None, actions: int = ACTIONS_PER_TICK,
) -> dict[str, Any]:
    """One tick: report one new incident through the real intake, move up to ``actions`` open ones on.

    Errors of one step (a human acted first, a rule refused) are logged and reported in the result;
    the tick goes on.
    """
    ref = services.reference.get()
    sampler = sampler or CitySampler(services.grid, ref)
    rate = max(float(rate if rate is not None else services.settings.simulator_rate), 0.01)
    out: dict[str, Any] = {"created": None, "waiting": None, "acted": [], "errors": []}
    report = sampler.sample(np.random.default_rng(rng.getrandbits(63)), [now.astimezone(services.settings.tz).month])[0]
    raw = {"category": report.category, "severity": report.severity.value, "description": report.description,
           "lon": report.lon, "lat": report.lat, "address": report.address, "reporter_phone": report.reporter_phone}
    try:
        result = services.dispatch.intake(raw, _reporter(report, services.settings.tz, ref.rules, now),
                                          report.channel, now)
        out["created"], out["waiting"] = result.incident.code, result.waiting
    except (IntakeError, ValueError) as exc:
        log.warning("simulator: report refused: %s", exc)
        out["errors"].append(str(exc))
    for row in _candidates(services, now, rate, actions, rng):
        try:
            action = _advance(services, row, rng, now, ref)
            if action:
                out["acted"].append((row.code, action))
        except (ConflictError, TransitionError, NotFoundError, ValueError) as exc:
            # A person acted first, or the rules refuse: the next tick sees the fresh state.
            log.info("simulator: %s skipped: %s", row.code, exc)
            out["errors"].append(f"{row.code}: {exc}")
    return out


def _candidates(services: Any, now: datetime, rate: float, limit: int, rng: random.Random) -> list[Any]:
    I = IncidentRow
    conds = [and_(I.state == st.value, I.updated_at <= now - timedelta(seconds=minutes / rate))
             for st, minutes in DWELL_MIN.items()]
    with services.db.read() as s:
        rows = s.execute(
            select(I.code, I.state, I.version, I.category, I.severity, I.grid, I.department, I.assignee,
                   I.lon, I.lat, I.reported_at)
            .where(or_(*conds)).order_by(I.updated_at.desc(), I.id).limit(400)
        ).all()
    # At random among the eligible, so fresh incidents move on the wall while the backlog drains too.
    return rng.sample(rows, min(limit, len(rows)))


def _advance(services: Any, row: Any, rng: random.Random, now: datetime, ref: Any) -> str | None:
    tz = services.settings.tz
    state = State(row.state)
    op = _operator(now, tz)
    act = services.incidents.act
    if state == State.REPORTED:
        if rng.random() < 0.08:
            act(row.code, "reject", op, row.version, now, payload={"reason": rng.choice(_REJECT_REASONS)})
            return "reject"
        with services.db.read() as s:
            near = [i for i in nearby_open(row.category, row.lon, row.lat, row.reported_at,
                                           services.dispatch.duplicate_radius_m,
                                           timedelta(hours=services.dispatch.duplicate_window_h), session=s)
                    if i.code != row.code and i.reported_at <= row.reported_at and i.state != State.REPORTED]
        if near:
            act(row.code, "merge", op, row.version, now, payload={"into": near[0].code})
            return "merge"
    if state in (State.REPORTED, State.ACCEPTED):
        plan_route = ref.rules.route(row.category, row.grid)
        dept = None  # the rules' plan
        if plan_route is None or state == State.ACCEPTED:  # unroutable, or returned: the operator decides
            dept = operator_department(row.category, ref.taxonomy, ref.rules)
        services.dispatch.dispatch(row.code, op, row.version, now, department=dept)
        return "dispatch"
    if state == State.DISPATCHED:
        if rng.random() < 0.05:
            who = _handler(row.department or "", row.assignee, rng, head=row.assignee is None)
            act(row.code, "return", who, row.version, now, payload={"reason": rng.choice(_RETURN_REASONS)})
            return "return"
        act(row.code, "acknowledge", _handler(row.department or "", row.assignee, rng), row.version, now)
        return "acknowledge"
    if state == State.IN_PROGRESS:
        act(row.code, "resolve", _handler(row.department or "", row.assignee, rng), row.version, now,
            payload={"notes": rng.choice(_RESOLVE_NOTES)})
        return "resolve"
    if state == State.RESOLVED:
        if rng.random() < 0.08:
            act(row.code, "verify_fail", VERIFIER, row.version, now, payload={"reason": rng.choice(_REWORK_REASONS)})
            return "verify_fail"
        act(row.code, "verify_pass", VERIFIER, row.version, now)
        return "verify_pass"
    return None


def run_simulator(services: Any, stop: threading.Event) -> None:
    """The background loop: renew the lease every few seconds, tick while holding it, stop promptly."""
    rng = random.Random()
    rate = max(float(services.settings.simulator_rate), 0.01)
    sampler: list[CitySampler] = []
    next_tick = [0.0]
    log.info("simulator started (rate %.2f city min/s)", rate)

    def work(now: datetime) -> float:
        if _time.monotonic() >= next_tick[0]:
            sampler[:] = sampler or [CitySampler(services.grid, services.reference.get())]
            simulate_once(services, rng, now, sampler=sampler[0], rate=rate)
            next_tick[0] = _time.monotonic() + rng.uniform(5.0, 15.0) / rate
        return min(RENEW_EVERY_S, max(0.05, next_tick[0] - _time.monotonic()))

    run_leased(services.db, LEASE_NAME, stop, services.clock, work, RENEW_EVERY_S)
    log.info("simulator stopped")


__all__ = [
    "DEMO_PASSWORD", "DEMO_USERS", "CitySampler", "acquire_lease", "demo_users", "ensure_demo",
    "ensure_users", "generate_history", "release_lease", "run_simulator", "simulate_once",
]
