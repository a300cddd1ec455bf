"""All settings in one place: environment variables (and ``.env``) over embedded defaults."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent
#: The wall's focus panels (assets/20_wall.js renders each from the browser's model): department ranking,
#: overdue incidents (longest overdue first), incidents at breach risk, the grid cells with most open incidents.
WALL_FOCUS_PANELS = ("ranking", "overdue", "risk", "cells")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default=f"sqlite:///{ROOT / 'var' / 'cityops.db'}", alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    tile_url: str | None = Field(default=None, alias="TILE_URL")
    tile_datum: Literal["wgs84", "gcj02"] = Field(
        default="wgs84", alias="CITYOPS_TILE_DATUM",
        description="datum of TILE_URL / the style's tiles; gcj02 shifts every layer and marker drawn over them")
    # An internal MapLibre style names its own sources and glyphs; Plotly has no separate glyphs option
    # and no trace draws text, so there is no CITYOPS_MAP_GLYPHS_URL.
    map_style_url: str | None = Field(default=None, alias="CITYOPS_MAP_STYLE_URL")
    push_window_ms: int = Field(default=50, alias="CITYOPS_PUSH_WINDOW_MS")
    # The wall's focus slot (the side column's lower panel): which panels take turns, in order, and for how
    # long each stays (0 = no rotation: the first panel stays). The browser computes them from its model.
    wall_focus_cycle_s: float = Field(default=15.0, ge=0, alias="CITYOPS_WALL_FOCUS_CYCLE_S",
                                      description="seconds per focus panel on the wall; 0 keeps the first one")
    wall_focus_panels: str = Field(default=",".join(WALL_FOCUS_PANELS), alias="CITYOPS_WALL_FOCUS_PANELS",
                                   description="comma list of " + ", ".join(WALL_FOCUS_PANELS) + ", in turn order")
    socketio_channel: str = Field(default="flask-socketio", alias="CITYOPS_SOCKETIO_CHANNEL",
                                  description="Redis pub/sub channel; one per deployment sharing a Redis")
    alert_severities: str = Field(default="urgent", alias="CITYOPS_ALERT_SEVERITIES")
    alert_categories: str = Field(default="", alias="CITYOPS_ALERT_CATEGORIES")
    demo: bool = Field(default=True, alias="CITYOPS_DEMO")
    api_tokens: str = Field(default="", alias="CITYOPS_API_TOKENS")
    secret_key: str | None = Field(default=None, alias="CITYOPS_SECRET_KEY")
    timezone: str = Field(default="Asia/Shanghai", alias="CITYOPS_TZ")
    data_dir: Path = Field(default=ROOT / "data", alias="CITYOPS_DATA_DIR")
    duplicate_radius_m: float = Field(default=50.0, alias="CITYOPS_DUPLICATE_RADIUS_M")
    duplicate_window_h: float = Field(default=24.0, alias="CITYOPS_DUPLICATE_WINDOW_H")
    reopen_days: int = Field(default=30, alias="CITYOPS_REOPEN_DAYS")
    # Patrol photos are kept outside the web root (assets/ is public); served only behind login.
    uploads_dir: Path = Field(default=ROOT / "var" / "uploads", alias="CITYOPS_UPLOADS_DIR")
    upload_max_bytes: int = Field(default=8_000_000, alias="CITYOPS_UPLOAD_MAX_BYTES")
    history_months: int = Field(default=12, alias="CITYOPS_HISTORY_MONTHS")
    simulator_rate: float = Field(default=1.0, alias="CITYOPS_SIMULATOR_RATE",
                                  description="simulated city time per real second, in minutes")
    lang: str = Field(default="zh", alias="CITYOPS_LANG")
    # Machine intake channels (api/): body limit, alarm de-duplication window, Open311 jurisdiction,
    # requests per minute per token (0 = no limit).
    api_max_body: int = Field(default=1_000_000, alias="CITYOPS_API_MAX_BODY")
    max_request_bytes: int = Field(
        default=100_000_000, alias="CITYOPS_MAX_REQUEST_BYTES",
        description="largest request body outside /api/ and /open311/, chunked or not (Dash callbacks carry "
                    "uploads base64-encoded: the import's 20 MB CSV is ~27 MB, workbench photos add up)")
    alarm_window_min: float = Field(default=30.0, alias="CITYOPS_ALARM_WINDOW_MIN")
    open311_jurisdiction: str = Field(default="siping", alias="CITYOPS_OPEN311_JURISDICTION")
    api_rate_per_min: int = Field(default=0, alias="CITYOPS_API_RATE_PER_MIN")
    # Open311 GETs (requests, one request, tokens): "public" as Open311 clients expect, or "key" (a valid
    # api_key required). Either way answers carry no reporter data and rounded points (api/open311_public.py).
    open311_reads: Literal["public", "key"] = Field(
        default="public", alias="CITYOPS_OPEN311_READS",
        description="public: GET requests without a key (the spec's default); key: GET needs a valid api_key")
    # Shared rate limits (auth/ratelimit.py; counted in Redis with REDIS_URL): Flask-Limiter strings, "" = none.
    api_write_rate: str = Field(default="", alias="CITYOPS_API_WRITE_RATE",
                                description="API/Open311 writes per token, or per client address without a "
                                            "valid token, e.g. 120/minute")
    open311_read_rate: str = Field(default="120/minute", alias="CITYOPS_OPEN311_READ_RATE",
                                   description="Open311 GETs without a valid api_key, per client address (a "
                                               "public deployment's codes cannot be swept in bulk)")
    login_rate: str = Field(default="30/minute", alias="CITYOPS_LOGIN_RATE",
                            description="login form posts per client address")
    rate_key_prefix: str = Field(default="cityops-rate", alias="CITYOPS_RATE_KEY_PREFIX",
                                 description="Redis key prefix of the rate counters; one per deployment")
    # The console's CSV import (/import): the largest file accepted; the CLI has no limit.
    import_max_bytes: int = Field(default=20_000_000, alias="CITYOPS_IMPORT_MAX_BYTES")
    # API creates queued and written in one transaction by one writer thread (group commit); 0 = off.
    api_group_commit: int = Field(default=200, alias="CITYOPS_API_GROUP_COMMIT",
                                  description="most creates per group-commit transaction; 0 writes each alone")
    # Production: logs, cookies behind TLS, login throttling, attachment retention, sweep period.
    log_format: str = Field(default="text", alias="CITYOPS_LOG_FORMAT", description="text | json (one object a line)")
    secure_cookies: bool = Field(default=False, alias="CITYOPS_SECURE_COOKIES",
                                 description="mark session cookies Secure (set it when served over TLS)")
    proxy_fix: int = Field(default=0, alias="CITYOPS_PROXY_FIX",
                           description="trusted reverse proxies in front (X-Forwarded-For/-Proto/-Host); 0 = none")
    login_max_failures: int = Field(default=10, alias="CITYOPS_LOGIN_MAX_FAILURES")
    # Sessions (auth/sessions.py): how long a login lasts at most, and how long it may sit idle.
    remember_days: float = Field(default=1.0, gt=0, alias="CITYOPS_REMEMBER_DAYS",
                                 description="the remember-cookie's life and the longest any login lasts, in days")
    session_idle_min: float = Field(default=30.0, ge=0, alias="CITYOPS_SESSION_IDLE_MIN",
                                    description="minutes without a request after which a session is logged out; "
                                                "0 = never (kiosks' device logins never are)")
    socket_recheck_s: float = Field(default=30.0, ge=0, alias="CITYOPS_SOCKET_RECHECK_S",
                                    description="seconds between re-checks of open sockets' logins; 0 = never")
    login_window_s: int = Field(default=300, alias="CITYOPS_LOGIN_WINDOW_S")
    upload_retention_days: int = Field(default=0, alias="CITYOPS_UPLOAD_RETENTION_DAYS",
                                       description="purge-uploads removes photos older than this; 0 keeps all")
    sweep_every_s: float = Field(default=30.0, alias="CITYOPS_SWEEP_EVERY_S")
    asof_upkeep_s: float = Field(default=300.0, alias="CITYOPS_ASOF_UPKEEP_S",
                                 description="seconds between builds of a month-start snapshot the views still "
                                             "fold (incidents/asof_upkeep.py); 0 = never in the background")
    asof_upkeep_max_late: int = Field(default=5000, alias="CITYOPS_ASOF_UPKEEP_MAX_LATE",
                                      description="the background upkeep leaves a month with more incidents to "
                                                  "fold than this to `analytics-snapshots` (it holds the write lock)")
    geography_check_s: float = Field(default=5.0, ge=0, alias="CITYOPS_GEOGRAPHY_CHECK_S",
                                     description="seconds between checks of the geography's version; an import "
                                                 "in any process reaches this one's grid index within that")
    # Data exchange: outbox retries (exponential backoff, then a dead letter), Open311 polling.
    outbox_max_attempts: int = Field(default=12, alias="CITYOPS_OUTBOX_MAX_ATTEMPTS",
                                     description="failed deliveries before a message becomes a dead letter")
    outbox_backoff_s: float = Field(default=30.0, alias="CITYOPS_OUTBOX_BACKOFF_S")
    outbox_backoff_cap_s: float = Field(default=3600.0, alias="CITYOPS_OUTBOX_BACKOFF_CAP_S")
    exchange_every_s: float = Field(default=2.0, alias="CITYOPS_EXCHANGE_EVERY_S")
    open311_poll_s: float = Field(default=60.0, alias="CITYOPS_OPEN311_POLL_S")

    @field_validator("wall_focus_panels")
    @classmethod
    def _known_focus_panels(cls, v: str) -> str:
        """A typo would silently drop a panel from the wall: refuse it at start, naming the setting."""
        names = [p.strip().lower() for p in v.split(",") if p.strip()]
        unknown = [p for p in names if p not in WALL_FOCUS_PANELS]
        if not names or unknown or len(set(names)) != len(names):
            raise ValueError(f"CITYOPS_WALL_FOCUS_PANELS must list one or more of {', '.join(WALL_FOCUS_PANELS)} "
                             f"without repeats; got {v!r}")
        return ",".join(names)

    @property
    def wall_focus_panel_list(self) -> list[str]:
        return self.wall_focus_panels.split(",")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None
