"""Shared fixtures: a fixed clock, settings on a copied template database, services, and real servers.

Why a template: migrating and seeding a database costs ~0.5 s; copying the file costs ~1 ms. The
template is migrated and seeded once per session (DESIGN.md "Fast tests"), each test gets its own copy.
PostgreSQL and Redis fixtures skip when the server is unreachable, unless ``CITYOPS_REQUIRE_SERVICES=1``
(CI), where a missing server is a failure rather than a silently skipped suite.
"""
from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402
from factories import T0  # noqa: E402
from settings import Settings  # noqa: E402


# Under pytest-xdist (scripts/test.sh runs two workers) the workers share Redis: each worker's app processes
# count their rate limits under their own key prefix, so one worker's logins never use up another's.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    os.environ.setdefault("CITYOPS_RATE_KEY_PREFIX", f"cityops-rate-test-{_WORKER}")

#: The files that take a minute or more, run first, then the rest by kind, slower kinds first: two workers
#: hand out files in collection order, and a long file started last would leave one worker idle while the
#: other finishes it (longest first keeps the two finishing together).
RUN_FIRST = ("test_soak_smoke.py", "test_xss_sweep.py", "test_wall_screen.py", "test_analytics_group_rollup.py",
             "test_analytics_drill.py", "test_analytics_asof.py")
KIND_ORDER = ("browser", "integration", "api", "unit")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = {name: k for k, name in enumerate(RUN_FIRST)}
    kind = {name: k for k, name in enumerate(KIND_ORDER)}
    items.sort(key=lambda item: (first.get(item.path.name, len(RUN_FIRST)),
                                 kind.get(item.path.parent.name, len(KIND_ORDER))))  # stable within a kind


PG_HOST, PG_USER = "127.0.0.1", "postgres"
PG_PORT = int(os.environ.get("CITYOPS_TEST_PG_PORT", "5432"))
REDIS_HOST = "127.0.0.1"
REDIS_PORT = int(os.environ.get("CITYOPS_TEST_REDIS_PORT", "6379"))


class Clock:
    """A settable clock: pass it where a ``Callable[[], datetime]`` is expected; tests move ``now``."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ValueError("the clock keeps aware datetimes")
        self.now = now
        return now


#: Settings the tests depend on, pinned so a developer's .env or environment cannot change results.
HERMETIC: dict[str, Any] = dict(
    demo=False, timezone="Asia/Shanghai", data_dir=ROOT / "data", duplicate_radius_m=50.0,
    duplicate_window_h=24.0, reopen_days=30, redis_url=None, tile_url=None, api_tokens="", lang="zh",
)


def make_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **{**HERMETIC, **overrides})  # type: ignore[call-arg]


def services_missing(reason: str) -> None:
    """Skip (or, with CITYOPS_REQUIRE_SERVICES=1, fail) a test whose server is not there."""
    if os.environ.get("CITYOPS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (CITYOPS_REQUIRE_SERVICES=1, so this is a failure, not a skip)")
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# -- grid index cache ---------------------------------------------------------------------------

_GRIDS: dict[Path, Any] = {}


@contextmanager
def _cached_grid_load() -> Iterator[None]:
    """While building services, load each grids file once per session (~0.15 s saved per test).

    Sharing one index between tests is safe because ``GridIndex`` is immutable.
    """
    from geo.index import DEFAULT_GRIDS_PATH, GridIndex

    original = GridIndex.__dict__["load"]

    def load(cls: type, path: Path | str = DEFAULT_GRIDS_PATH) -> Any:
        key = Path(path).resolve()
        if key not in _GRIDS:
            _GRIDS[key] = original.__func__(cls, key)
        return _GRIDS[key]

    GridIndex.load = classmethod(load)  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        GridIndex.load = original  # type: ignore[method-assign]


def build_services(settings: Settings, clock: Callable[[], datetime] = app.utcnow) -> Any:
    with _cached_grid_load():
        return app.build_services(settings, clock=clock)


@pytest.fixture(scope="session")
def make_test_settings() -> Callable[..., Settings]:
    """The hermetic test settings with ``overrides``, for module-scoped apps (see :func:`make_services`)."""
    return make_settings


@pytest.fixture(scope="session")
def make_services() -> Callable[..., Any]:
    """Services with the hermetic test settings and ``overrides`` (for module-scoped fixtures; a test module
    cannot ``import conftest``, the name is ambiguous once tests/api's own conftest is loaded)."""
    return lambda **overrides: build_services(make_settings(**overrides))


# -- SQLite -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated and seeded SQLite file, built once per session and only ever copied."""
    path = tmp_path_factory.mktemp("template") / "cityops.db"
    services = build_services(make_settings(database_url=f"sqlite:///{path}"))
    services.db.dispose()  # checkpoints the WAL into the main file
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{path}{suffix}").exists() or Path(f"{path}{suffix}").stat().st_size == 0
    return path


@pytest.fixture
def settings_factory(tmp_path: Path, template_db: Path) -> Callable[..., Settings]:
    """``settings_factory(**overrides)`` → Settings on a fresh copy of the template database.

    ``demo=False`` and the other settings tests rely on are pinned (``HERMETIC``); ``.env`` is ignored.
    """
    counter = iter(range(1_000_000))

    def make(**overrides: Any) -> Settings:
        if "database_url" not in overrides:
            path = tmp_path / f"cityops-{next(counter)}.db"
            shutil.copyfile(template_db, path)
            overrides["database_url"] = f"sqlite:///{path}"
        return make_settings(**overrides)

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def published() -> list[dict[str, Any]]:
    """Every message the services published, in order (bound as the ``publish`` callable)."""
    return []


def _services(settings: Settings, clock: Clock, published: list[dict[str, Any]]) -> Any:
    services = build_services(settings, clock)
    services.incidents.publish = published.extend
    return services


@pytest.fixture
def services(settings: Settings, clock: Clock, published: list[dict[str, Any]]) -> Iterator[Any]:
    """``app.build_services`` on a copied SQLite template, the fixed ``clock``, publishing into ``published``."""
    services = _services(settings, clock, published)
    yield services
    services.db.dispose()


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_admin() -> Any:
    import psycopg

    try:
        return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres",
                               autocommit=True, connect_timeout=2)
    except psycopg.OperationalError as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        services_missing(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} as {PG_USER}: {first_line}")
        raise  # unreachable: skip/fail raise


def pg_url_of(name: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def _create_pg_database(template: str | None = None) -> str:
    name = f"cityops_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


def _drop_pg_database(name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database ``cityops_test_<hex>``, dropped afterwards."""
    name = _create_pg_database()
    try:
        yield pg_url_of(name)
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated and seeded PostgreSQL database to clone with ``CREATE DATABASE … TEMPLATE``."""
    name = _create_pg_database()
    try:
        services = build_services(make_settings(database_url=pg_url_of(name)))
        services.db.dispose()  # a template must have no open connections
        yield name
    finally:
        _drop_pg_database(name)


@pytest.fixture
def pg_seeded_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database cloned from the migrated and seeded template."""
    name = _create_pg_database(template=pg_template)
    try:
        yield pg_url_of(name)
    finally:
        _drop_pg_database(name)


# -- either backend -----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, settings_factory: Callable[..., Settings]) -> str:
    """The URL of a migrated, seeded database: a SQLite copy, then a PostgreSQL clone."""
    if request.param == "sqlite":
        return settings_factory().database_url
    return request.getfixturevalue("pg_seeded_url")


@pytest.fixture
def db_services(
    db_url: str, settings_factory: Callable[..., Settings], clock: Clock, published: list[dict[str, Any]]
) -> Iterator[Any]:
    """Like ``services``, on each backend in turn (parametrised through ``db_url``)."""
    services = _services(settings_factory(database_url=db_url), clock, published)
    yield services
    services.db.dispose()


# -- Redis --------------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    """``redis://127.0.0.1:6379/0`` when a Redis server answers PING there."""
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
    if not _port_open(REDIS_HOST, REDIS_PORT):
        services_missing(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable Redis"
        services_missing(f"Redis on {REDIS_HOST}:{REDIS_PORT} does not answer PING: {exc}")
    return url
