"""CityOps composition root: settings → database → services → Dash + Flask + Socket.IO, and the CLI.

``python app.py`` serves the command center (default 127.0.0.1:8050); ``python app.py db-upgrade |
create-admin | generate-history`` do the rest. The console script ``cityops`` runs the same.
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import threading
import time as _time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("cityops")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    """What edges (callbacks, API views, sockets) reach through ``current_app.extensions["cityops"]``."""

    settings: Any
    db: Any
    grid: Any
    reference: Any
    incidents: Any
    dispatch: Any
    clock: Clock
    broadcaster: Any = None
    channels: Any = None  # dispatch.channels.ChannelService: API, Open311, alarms, import
    handling: Any = None  # dispatch.handling_service.HandlingService: workbench, extensions, verification
    analytics: Any = None  # incidents.analytics.Analytics: indicators, hotspots, breach risk
    routing: Any = None  # dispatch.routing.RoutingService: suggested routing (balance), redispatch
    admin: Any = None  # auth.admin.AdminService: /admin's audited changes to users and reference data
    devices: Any = None  # auth.devices.DeviceService: kiosks' revocable device logins, made on /admin
    reference_admin: Any = None  # auth.reference_admin.ReferenceAdminService: places, calendar, onspot, fallback
    exchange: Any = None  # dispatch.outbox.ExchangeService: connectors, outbox, dead letters
    case_files: Any = None  # dispatch.case_file.CaseFileService: the case file (案卷) as one viewer sees it
    verify_tasks: Any = None  # dispatch.verify_task.VerifyTaskService: 核查任务 and the photo reuse check
    geography: Any = None  # a cache whose get() is this process's geo.geography.Geography (reloads on import)
    started_at: float = field(default_factory=_time.monotonic)
    background: list[Any] = field(default_factory=list)

    def kpis(self) -> dict[str, Any]:
        from incidents.kpi import snapshot

        with self.db.read() as s:
            return snapshot(self.clock(), self.settings.tz, session=s)


def build_services(settings: Any = None, clock: Clock = utcnow, publish: Callable[..., None] | None = None) -> Services:
    """Open the store, migrate (SQLite, or PostgreSQL under an advisory lock), seed reference data."""
    from dispatch.reference import ReferenceCache, load, reference_version, seed
    from dispatch.service import DispatchService
    from geo.index import ReloadingGrid
    from incidents.db import Database
    from incidents.geography import seed_geography
    from incidents.places import seed_places
    from incidents.service import IncidentService
    from settings import Settings

    settings = settings or Settings()
    db = Database(settings.database_url)
    migrate(db)
    with db.write.begin() as s:
        seed(s, settings.data_dir)
        seed_places(s, settings.data_dir)
        seed_geography(s, settings.data_dir, clock())
    geography = _geography_cache(db, ReferenceCache, settings.geography_check_s)
    grid = ReloadingGrid(lambda: geography.get().grid)

    def _load() -> Any:
        with db.read() as s:
            return load(s, settings.tz)

    def _version() -> int:
        with db.read() as s:
            return reference_version(s)

    reference = ReferenceCache(_load, _version)
    incidents = IncidentService(db, settings.tz, publish)
    dispatch = DispatchService(incidents, reference, grid, settings.duplicate_radius_m, settings.duplicate_window_h)
    services = Services(settings, db, grid, reference, incidents, dispatch, clock, geography=geography)
    services.channels = _channels(settings, dispatch)
    from dispatch.handling_service import HandlingService

    services.handling = HandlingService(incidents, reference, db, settings.uploads_dir, settings.upload_max_bytes)
    from dispatch.case_file import CaseFileService

    services.case_files = CaseFileService(incidents, reference, grid, db, services.handling)
    from dispatch.verify_task import VerifyTaskService

    services.verify_tasks = VerifyTaskService(incidents, services.handling, reference, db)
    from auth.admin import AdminService
    from dispatch.routing import RoutingService

    services.routing = RoutingService(db, dispatch)
    services.admin = AdminService(db, reference)
    from auth.devices import DeviceService

    services.devices = DeviceService(db)
    from auth.reference_admin import ReferenceAdminService

    services.reference_admin = ReferenceAdminService(db, reference, grid)
    _exchange(settings, services)
    from dispatch.risk_clock import reference_elapsed
    from incidents.analytics import Analytics

    # the risk column scores in each limit's own kind of time (working hours/days), like the wall's LiveRisk
    services.analytics = Analytics(db, settings.tz, elapsed=lambda: reference_elapsed(reference))
    return services


def _geography_cache(db: Any, cache: Any, check_every_s: float) -> Any:
    """The process's geography, rebuilt within seconds of an import in any process (its version moves)."""
    from incidents.geography import geography_version, load

    def _load() -> Any:
        with db.read() as s:
            return load(s)

    def _version() -> int:
        with db.read() as s:
            return geography_version(s)

    geography = cache(_load, _version, check_every_s)
    geography.get()  # built now: the first request must not pay for it
    return geography


def _exchange(settings: Any, services: Services) -> None:
    """The outbox hook on every dispatch, and refusals counted for the quality page."""
    from dispatch.outbox import ExchangeService
    from incidents.quality import RefusalRecorder

    services.exchange = ExchangeService(services.db, services.incidents, max_attempts=settings.outbox_max_attempts,
                                        backoff_s=settings.outbox_backoff_s, backoff_cap_s=settings.outbox_backoff_cap_s)
    services.incidents.hooks.append(services.exchange.outbox_hook)
    services.dispatch.on_refusal = RefusalRecorder(services.db)


def _channels(settings: Any, dispatch: Any) -> Any:
    from datetime import timedelta

    from dispatch.channels import ChannelService, load_alarm_types
    from incidents.group_commit import GroupCommitter

    size = getattr(settings, "api_group_commit", 0)
    committer = GroupCommitter(dispatch.incidents, size) if size > 0 else None
    return ChannelService(dispatch, timedelta(minutes=settings.alarm_window_min), load_alarm_types(settings.data_dir),
                          committer)


def migrate(db: Any) -> None:
    """Schema to Alembic's head. On PostgreSQL an advisory lock lets many processes start at once."""
    if db.is_sqlite:
        db.upgrade()
        return
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(42011)"))
        try:
            db.upgrade()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(42011)"))
            conn.commit()


def secret_key(settings: Any) -> str:
    """The session-signing key: the setting, else one kept in ``var/`` so logins survive restarts."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(__file__).resolve().parent / "var" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class ConfigError(SystemExit):
    """A setting the process cannot start without; the message says which and why."""


def require_secret(settings: Any) -> None:
    """Outside the demo the session key must come from the environment: a key written to ``var/`` by
    one process differs from its neighbours' (sessions fail across the balancer) and is lost with the
    container."""
    if not settings.demo and not settings.secret_key:
        raise ConfigError("CityOps refuses to start: CITYOPS_DEMO=0 needs CITYOPS_SECRET_KEY (the session signing "
                          "key, the same in every process), e.g. CITYOPS_SECRET_KEY=$(python -c 'import secrets; "
                          "print(secrets.token_hex(32))')")


def install_production(server: Any, services: Services) -> None:
    """Request ids, body limits, cookies behind TLS, the trusted proxy, login throttling (README "Production")."""
    from auth.throttle import LoginThrottle
    from ops.logs import install_request_id

    from ops.body_limit import install as limit_bodies

    st = services.settings
    install_request_id(server)
    limit_bodies(server, st)  # chunked bodies too: /api/ and /open311/ at CITYOPS_API_MAX_BODY
    if st.secure_cookies:
        server.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    if st.proxy_fix > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = st.proxy_fix
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    server.extensions["cityops_login_throttle"] = LoginThrottle(st.login_max_failures, st.login_window_s,
                                                               st.redis_url)


def wsgi() -> Any:
    """The WSGI app for a production server: ``gunicorn -w 1 --threads 100 'app:wsgi()'`` (one worker per
    process: Socket.IO keeps each client's state in the process that accepted it)."""
    from settings import Settings

    settings = Settings()
    from ops.logs import configure

    configure(settings.log_format)
    require_secret(settings)
    return create_app(settings).server


def create_app(settings: Any = None, clock: Clock = utcnow, *, background: bool | None = None) -> Any:
    """Build the whole app; returns the Dash app with ``.socketio`` and ``.services`` attached."""
    import dash
    from flask import jsonify
    from flask_socketio import SocketIO

    from auth import login as auth_login
    from live.broadcaster import Broadcaster
    from settings import Settings

    settings = settings or Settings()
    if settings.map_style_url:  # the maps are Leaflet's, which draws raster tiles, not a vector style
        log.warning("CITYOPS_MAP_STYLE_URL is no longer used: the maps draw TILE_URL's raster tiles under "
                    "our own layers; point TILE_URL at the style's raster rendering")
    holder: dict[str, Any] = {}

    def publish(messages: list[dict[str, Any]]) -> None:
        if "m" in holder:
            holder["m"].observe_published(messages)
        if "b" in holder:
            holder["b"].publish(messages)

    services = build_services(settings, clock, publish)
    app = dash.Dash(
        __name__, use_pages=True, pages_folder="", serve_locally=True, title="CityOps 一网统管",
        suppress_callback_exceptions=True, update_title=None,
        assets_folder=str(Path(__file__).resolve().parent / "assets"),
    )
    server = app.server
    from datetime import timedelta

    server.config.update(SECRET_KEY=secret_key(settings), SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_HTTPONLY=True,
                         REMEMBER_COOKIE_SAMESITE="Lax",
                         REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_days))
    server.extensions["cityops"] = services
    install_production(server, services)
    auth_login.install(server, services)
    from auth.preferences import install as install_preferences

    install_preferences(server)  # /theme/<dark|light>: the colour scheme, per browser
    from ops.html_lang import install as install_html_lang

    install_html_lang(server, auth_login.current_lang)  # <html lang> of Dash's index page per visitor
    from auth.ratelimit import checked_rate, limit_login, make_limiter

    limit_login(server, make_limiter(server, settings), checked_rate(settings.login_rate, "CITYOPS_LOGIN_RATE"))
    # Same-origin sockets only (python-socketio's default): a page on another site cannot ride the cookie.
    socketio = SocketIO(server, message_queue=settings.redis_url, channel=settings.socketio_channel,
                        async_mode="threading", manage_session=False)
    services.broadcaster = holder["b"] = Broadcaster.for_app(socketio, services, lambda: wall_snapshot(services))
    from ops.health import install as install_ops

    holder["m"] = install_ops(server, services)  # /readyz, /metrics
    holder["m"].instrument_batcher(services.broadcaster.batcher)

    @server.route("/healthz")
    def healthz() -> Any:
        from sqlalchemy import text

        with services.db.read() as s:
            s.execute(text("SELECT 1"))
        return jsonify(status="ok", database=services.db.engine.dialect.name, cells=len(services.grid),
                       sockets=services.broadcaster.transport_counts(),
                       uptime_s=round(_time.monotonic() - services.started_at, 1))

    register_geo_routes(server, services)
    from callbacks.workbench import register_photo_route

    register_photo_route(server)
    from callbacks.case import register_case_route

    register_case_route(server)  # /case/<code>: 403 outside the viewer's scope
    from callbacks.analytics_report import register_report_route

    register_report_route(server)  # /analytics/report.pdf|png
    from api import install as install_api

    install_api(server, services)
    register_pages(app, services)
    from ops.headers import install as install_headers

    install_headers(app, settings)  # CSP fitted to Dash's inline scripts, nosniff, no framing (README)
    app.socketio = socketio
    app.services = services
    if settings.demo and (background if background is not None else True):
        start_demo(services, socketio)
    loader = server.extensions["cityops_sessions"]
    services.broadcaster.login_valid = lambda login_id: loader(login_id) is not None
    if background if background is not None else True:
        if settings.socket_recheck_s > 0:
            stop = threading.Event()
            services.background.append(stop)
            socketio.start_background_task(services.broadcaster.run_recheck, stop, settings.socket_recheck_s)
        start_escalation(services, socketio)
        start_exchange(services, socketio)
        if settings.asof_upkeep_s > 0:
            start_asof_upkeep(services, socketio)
    return app


def register_geo_routes(server: Any, services: Services) -> None:
    """Our own GeoJSON base layers, served by the app from the current geography (cached by the browser
    under the geography's version, see geo.display.layer_url; no external map host)."""
    from flask import abort, jsonify, request

    from geo.basemap import ServedLayers

    def current() -> tuple[int, Any]:
        g = services.geography.get()
        return g.version, g.features

    served = ServedLayers(current)

    @server.route("/geo/<name>.geojson")
    def geo_layer(name: str) -> Any:
        try:  # ?datum=gcj02: the layer shifted to the tile server's datum (geo.display.layer_url)
            _version, layer = served.get(name, request.args.get("datum", "wgs84"))
            resp = jsonify(layer)
        except KeyError:
            abort(404)
        resp.cache_control.max_age = 3600
        resp.cache_control.private = True
        return resp


def register_pages(app: Any, services: Services) -> None:
    """Every module of ``callbacks/`` that defines ``PAGE`` is a page: importing it registers its
    callbacks, and its builder makes the layout (behind the same role check as the server's guard)."""
    import importlib
    import pkgutil

    import dash

    import callbacks
    from auth.login import page_guard
    from layouts.shell import forbidden

    pages = []
    for info in sorted(pkgutil.iter_modules(callbacks.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"callbacks.{info.name}")
        if hasattr(module, "PAGE"):
            pages.append(module.PAGE)
    _hand_callbacks_to_this_app()
    for page in pages:
        build = page.build
        if page.template:  # its variables reach the builder (Dash passes query parameters the same way)
            dash.register_page(page.name, path_template=page.template, title=page.title, layout=page_guard(
                page.path, lambda lang, build=build, **kw: build(services, lang, **kw), forbidden))
            continue
        dash.register_page(page.name, path=page.path, title=page.title,
                           layout=page_guard(page.path, lambda lang, build=build, **_kw: build(services, lang),
                                             forbidden))
    home = next(p for p in pages if p.path == "/wall")
    dash.register_page("home", path="/", layout=page_guard("/", lambda lang, **_kw: home.build(services, lang), forbidden))
    app.layout = _root_layout


_CALLBACKS: tuple[dict[str, Any], list[Any], list[Any]] | None = None


def _hand_callbacks_to_this_app() -> None:
    """Dash gives module-level ``@callback``s to the first app that starts serving, then empties its
    global lists; tests build several apps in one process, so each new app gets the same set again."""
    from dash import _callback

    global _CALLBACKS
    if _CALLBACKS is None:
        _CALLBACKS = (dict(_callback.GLOBAL_CALLBACK_MAP), list(_callback.GLOBAL_CALLBACK_LIST),
                      list(_callback.GLOBAL_INLINE_SCRIPTS))
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_CALLBACK_MAP.update(_CALLBACKS[0])
    _callback.GLOBAL_CALLBACK_LIST[:] = _CALLBACKS[1]
    _callback.GLOBAL_INLINE_SCRIPTS[:] = _CALLBACKS[2]


def _root_layout() -> Any:
    """The frame, for the user asking (Dash calls this per page load; outside a request, for validation)."""
    from flask import has_request_context
    from flask_login import current_user

    from auth.csrf import csrf_token
    from auth.login import current_lang
    from auth.preferences import current_theme, is_kiosk
    from auth.roles import PAGE_ROLES, may_open
    from i18n import t
    from layouts.shell import root

    if not has_request_context() or not current_user.is_authenticated:
        return root("zh", None, None, [])
    lang = current_lang()
    links = [(path, t(f"nav.{path.strip('/')}", lang)) for path in PAGE_ROLES if may_open(current_user.role, path)]
    return root(lang, current_user.display_name, t(f"role.{current_user.role.value}", lang), links,
                csrf=csrf_token(), theme=current_theme(), kiosk=is_kiosk(current_user))


def wall_snapshot(services: Services) -> dict[str, Any]:
    from live.snapshot import wall_state

    return wall_state(services)


def start_demo(services: Services, socketio: Any) -> None:
    """Demo city: users, 12 months of history (first start only) and the live simulator (with a lease)."""
    from data import demo

    demo.ensure_demo(services)
    stop = threading.Event()
    services.background.append(stop)
    socketio.start_background_task(demo.run_simulator, services, stop)


def start_escalation(services: Services, socketio: Any) -> None:
    """The escalation sweep (督办) in a background task; a lease row lets one process sweep at a time."""
    from dispatch.scheduler import run_scheduler

    stop = threading.Event()
    services.background.append(stop)
    socketio.start_background_task(run_scheduler, services, stop, services.settings.sweep_every_s)


def start_exchange(services: Services, socketio: Any) -> None:
    """The outbox delivery worker and Open311 poller, under the ``exchange`` lease."""
    from dispatch.outbox import run_exchange

    stop = threading.Event()
    services.background.append(stop)
    socketio.start_background_task(run_exchange, services, stop)


def start_asof_upkeep(services: Services, socketio: Any) -> None:
    """Builds the month-start snapshots the analytics still fold, one per pass, under a lease."""
    from incidents.asof_upkeep import run_upkeep

    stop = threading.Event()
    services.background.append(stop)
    socketio.start_background_task(run_upkeep, services, stop, services.settings.asof_upkeep_s)


def snapshots_command(services: Services) -> int:
    """``analytics-snapshots``: build now every month-start snapshot the views still fold (after a restore,
    or to skip waiting for the background upkeep on a long history)."""
    from incidents.asof_upkeep import month_name, upkeep_pass

    built = upkeep_pass(services.db, batch=None)
    for dn, n in sorted(built.items()):
        print(f"{month_name(dn)}: built ({n} incidents with later events)")
    print(f"{len(built)} month-start snapshots built" if built else "every month-start snapshot is ready")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("archive", "connector", "outbox", "quality"):  # the data exchange: api/exchange_cli.py
        from api.exchange_cli import main as exchange_main

        return exchange_main(argv, build_services)
    parser = argparse.ArgumentParser(prog="cityops", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "db-upgrade", "create-admin", "generate-history", "import", "backup",
                                 "restore", "purge-uploads", "report", "analytics-snapshots", "create-token",
                                 "import-geography"])
    parser.add_argument("file", nargs="?", help="import: the CSV file; backup/restore: the backup file; "
                        "import-geography: a GeoJSON file or Shapefile (.shp or a .zip of one) whose features carry "
                        "level (district|street|community|cell|place), code, name and parent_code")
    parser.add_argument("--map", action="append", default=[], help="import: FIELD=COLUMN (repeatable)")
    parser.add_argument("--host", default=os.environ.get("CITYOPS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CITYOPS_PORT", "8050")))
    parser.add_argument("--username", help="create-admin: the admin; create-token: the user it acts as")
    parser.add_argument("--password")
    parser.add_argument("--name", help="create-token: the token's name (the actor of a system's actions)")
    parser.add_argument("--role", help="create-token: operator, admin, verifier, leader, wall, dept_handler, …")
    parser.add_argument("--department", help="create-token: the department whose system it is")
    parser.add_argument("--from", dest="date_from", help="report: first day YYYY-MM-DD (city's zone)")
    parser.add_argument("--to", dest="date_to", help="report: last day YYYY-MM-DD, inclusive")
    parser.add_argument("--out", help="report: FILE.pdf or FILE.png (default cityops-report-….pdf)")
    parser.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84",
                        help="import-geography: the datum of the file's longitudes/latitudes (gcj02 is converted "
                        "to WGS84 first)")
    parser.add_argument("--lang", choices=["zh", "en"], default=None,
                        help="import-geography: the language of its messages (default: CITYOPS_LANG, zh)")
    args = parser.parse_args(argv)
    from ops.logs import configure
    from settings import Settings

    configure(Settings().log_format)  # text or JSON lines, request ids, no phones or secrets
    if args.command in ("backup", "restore", "purge-uploads"):
        return ops_command(args.command, args.file)
    if args.command == "db-upgrade":
        build_services()
        print("database at head")
        return 0
    if args.command == "create-admin":
        from auth.users import create_user

        services = build_services()
        if not args.username or not args.password:
            parser.error("create-admin needs --username and --password")
        with services.db.write.begin() as s:
            create_user(args.username, args.password, "admin", session=s, display_name=args.username)
        print(f"admin {args.username} created")
        return 0
    if args.command == "create-token":
        from api.cli import token_command

        if not args.name or not args.role:
            parser.error("create-token needs --name and --role (and --department or --username to bind it)")
        return token_command(build_services(), args.name, args.role, args.department, args.username)
    if args.command == "import":
        from api.cli import import_command

        return import_command(build_services(), args.file, args.map)
    if args.command == "import-geography":  # validated whole before the database is opened
        from api.cli import geography_command
        from i18n import normalise

        settings = Settings()
        return geography_command(settings, build_services, args.file, args.crs, normalise(args.lang or settings.lang))
    if args.command == "report":  # the one-page leader's report, offline
        from callbacks.analytics_report import cli_report

        if not args.date_from or not args.date_to:
            parser.error("report needs --from YYYY-MM-DD and --to YYYY-MM-DD")
        print(cli_report(build_services(), args.date_from, args.date_to, args.out))
        return 0
    if args.command == "analytics-snapshots":
        return snapshots_command(build_services())
    if args.command == "generate-history":
        from data import demo

        services = build_services()
        print(demo.generate_history(services, months=services.settings.history_months))
        return 0
    t0 = _time.monotonic()
    require_secret(Settings())
    from ops.memdump import install_from_env

    install_from_env()  # CITYOPS_TRACEMALLOC=1: heap snapshots on SIGUSR1 (a soak's memory growth)
    app = create_app()
    log.info("CityOps ready in %.1f s on http://%s:%d", _time.monotonic() - t0, args.host, args.port)
    app.socketio.run(app.server, host=args.host, port=args.port, allow_unsafe_werkzeug=True, use_reloader=False)
    return 0


def ops_command(command: str, file: str | None) -> int:
    """``backup FILE`` / ``restore FILE`` (SQLite; PostgreSQL: pg_dump) and ``purge-uploads`` (retention)."""
    from ops.backup import BackupError, backup, purge_uploads, restore
    from settings import Settings

    settings = Settings()
    if command == "purge-uploads":
        removed = purge_uploads(settings.uploads_dir, settings.upload_retention_days)
        print(f"{len(removed)} attachment files older than {settings.upload_retention_days} days removed"
              if settings.upload_retention_days > 0 else "CITYOPS_UPLOAD_RETENTION_DAYS is 0: attachments are kept")
        return 0
    if not file:
        print(f"{command} needs a FILE", file=sys.stderr)
        return 2
    try:
        size = (backup if command == "backup" else restore)(settings.database_url, Path(file))
    except BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"{'backed up to' if command == 'backup' else 'restored from'} {file} ({size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
