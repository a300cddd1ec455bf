"""The SQLAlchemy tables: incidents, their events, reference data, users and leases.

One metadata for Alembic. Datetimes are stored as UTC and come back timezone-aware on every backend
(SQLite keeps no zone), so domain code never sees a naive datetime.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out; refuses naive datetimes so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class IncidentRow(Base):
    __tablename__ = "incidents"
    #: Hotspots and recurrence read a window of report time (9 weeks, 30 days) grouped or placed by these
    #: columns: covered by one index, they never visit the wide rows (migration 0016; measured at 10 M).
    __table_args__ = (Index("ix_incidents_window", "reported_at", "state", "grid", "district", "category", "lon",
                            "lat"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(5), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid: Mapped[str] = mapped_column(String(15), index=True)
    district: Mapped[int] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(Text, default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="", index=True)
    department: Mapped[str | None] = mapped_column(String(16), index=True)
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    deadline: Mapped[datetime | None]
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[str | None] = mapped_column(String(13))
    reported_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("incident_id", "seq"), Index("ix_events_at", "at"),
                      Index("ix_events_action_at", "action", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    deadline: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CodeCounterRow(Base):
    """The daily sequence behind incident codes (YYYYMMDD + 5 digits)."""

    __tablename__ = "code_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class DepartmentRow(Base):
    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    zh: Mapped[str] = mapped_column(String(64))
    en: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8), default="dept")


class CategoryRow(Base):
    __tablename__ = "categories"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    family: Mapped[str] = mapped_column(String(10))
    large_code: Mapped[str] = mapped_column(String(2))
    large_zh: Mapped[str] = mapped_column(String(32))
    large_en: Mapped[str] = mapped_column(String(64))
    zh: Mapped[str] = mapped_column(String(32))
    en: Mapped[str] = mapped_column(String(96))
    department: Mapped[str | None] = mapped_column(String(16))
    onspot: Mapped[bool] = mapped_column(default=False)


class SlaRow(Base):
    __tablename__ = "sla_limits"
    category: Mapped[str] = mapped_column(String(5), primary_key=True)
    severity: Mapped[str] = mapped_column(String(8), primary_key=True)
    limit: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(12))


class CalendarDayRow(Base):
    __tablename__ = "calendar_days"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date in the city's zone
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(32), default="")


class RuleRow(Base):
    """Routing rules as rows (kind, key, value), seeded from data/rules.toml; /admin edits them."""

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    department: Mapped[str | None] = mapped_column(String(16))
    district: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    #: Part of the login id (Flask-Login's alternative id): rotating it ends every earlier session and
    #: remember-cookie of the user (logout, password change).
    session_token: Mapped[str | None] = mapped_column(String(64))


class LeaseRow(Base):
    """A named lease so exactly one process runs the simulator (or a sweep) at a time."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class PlaceRow(Base):
    """The offline gazetteer (streets, communities, landmarks), seeded from data/siping/gazetteer.csv.

    A row per name with one WGS84 point; ``/admin`` may add or correct places (the table is the truth).
    """

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # street | community | landmark | road
    name: Mapped[str] = mapped_column(String(64), index=True)
    alias: Mapped[str] = mapped_column(String(128), default="")  # other spellings, pinyin, English
    district: Mapped[int] = mapped_column(Integer)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid: Mapped[str] = mapped_column(String(15))


class ApiTokenRow(Base):
    """An API token: only the SHA-256 of its secret is kept (the secret is random, so no slow hash is
    needed, and a leaked table gives no working token). Open311's ``api_key`` is checked here too."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    #: Whom the token acts for (auth.access_policy): a department's system, or one user; both empty for the
    #: center's own systems (operator, admin, verifier, leader, wall roles).
    department: Mapped[str | None] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(64))


class DeviceLoginRow(Base):
    """A kiosk's revocable login (the video wall): made on /admin for one user, kept only as the SHA-256
    of its secret; revoking it ends the kiosk's session at its next request."""

    __tablename__ = "device_logins"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class IdempotencyKeyRow(Base):
    """An ``Idempotency-Key`` a client sent with a create, written in the incident's own transaction,
    so a retry (from any process, after any restart) finds the first incident instead of making one."""

    __tablename__ = "idempotency_keys"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AlarmLinkRow(Base):
    """The open incident a sensor's alarms currently feed (one per device and alarm type)."""

    __tablename__ = "alarm_links"
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    alarm_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    last_at: Mapped[datetime]
    repeats: Mapped[int] = mapped_column(Integer, default=0)


class EscalationScheduleRow(Base):
    """When an incident's next 督办 step falls due: a derived index, so a sweep over 100,000
    open incidents reads only the few whose ``next_at`` has passed instead of recomputing every deadline.

    ``round`` is the seq of the dispatch/reassign event that started the running deadline; a new round
    (redispatch) starts a fresh schedule, an extension keeps the round and moves ``deadline``.
    """

    __tablename__ = "escalation_schedule"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime]
    warn_at: Mapped[datetime]
    leader_at: Mapped[datetime]
    next_at: Mapped[datetime | None] = mapped_column(index=True)


class EscalationClaimRow(Base):
    """The exactly-once claim of one 督办 step: inserted in the same transaction as its ``escalate``
    event, so a second process (or a retried sweep) fails on the unique key instead of sending it twice."""

    __tablename__ = "escalation_claims"
    __table_args__ = (UniqueConstraint("incident_id", "round", "step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]


class AuditRow(Base):
    """One audited administrative change (/admin): who, when, what kind, on what, and the values set.

    Written in the same transaction as the change itself, so no change exists without its audit row.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConnectorRow(Base):
    """How a department's own system is reached: ``none`` (our workbench), ``webhook`` (signed
    JSON POST) or ``open311`` (the department's GeoReport v2 server). One row per connected department;
    a department without a row works in our workbench. ``options`` holds the kind's extra settings
    (Open311 service-code and status maps, jurisdiction, timeout)."""

    __tablename__ = "connectors"
    department: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(String(512), default="")
    secret: Mapped[str] = mapped_column(String(256), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class OutboxRow(Base):
    """A message to a department's system, written in the transaction of the dispatch that caused it
    (transactional outbox). ``status``: pending → delivered, or → dead after the retry limit (the dead
    letters an admin inspects and retries). ``key`` (incident code + event seq) is the idempotency key
    the receiver deduplicates by, since delivery is at least once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    department: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    event_seq: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    remote_id: Mapped[str | None] = mapped_column(String(64))
    remote_status: Mapped[str | None] = mapped_column(String(64))


class RefusalRow(Base):
    """One refused input of any channel (field and reason code), counted for the data-quality page —
    a refusal is a row, not only a log line, so refusal rates per channel and period can be computed."""

    __tablename__ = "refusals"
    __table_args__ = (Index("ix_refusals_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(12))
    field: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(32))


class IncidentArchiveRow(Base):
    """A finished incident moved out of ``incidents`` by ``python app.py archive --older-than-days N``:
    the same columns and the same ``id`` (ids stay unique across both tables, see incidents/archive.py), so
    reads that need history (incidents/history.py) take live ∪ archive and see one table. No foreign keys
    point here: only the archive's own events do."""

    __tablename__ = "incidents_archive"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(5))
    severity: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid: Mapped[str] = mapped_column(String(15), index=True)
    district: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(Text, default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="", index=True)
    department: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    deadline: Mapped[datetime | None]
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[str | None] = mapped_column(String(13))
    reported_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EventArchiveRow(Base):
    """The events of an archived incident, moved in the same transaction as it (payloads — and with them
    the attachments' references — unchanged), with their original ``id`` and ``seq``."""

    __tablename__ = "events_archive"
    __table_args__ = (UniqueConstraint("incident_id", "seq"), Index("ix_events_archive_at", "at"),
                      Index("ix_events_archive_action_at", "action", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents_archive.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    deadline: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


#: The partial index's condition, also written verbatim in the query that must use it (SQLite matches a
#: partial index only when the query repeats its WHERE term, literals and order included).
MILESTONES_OPEN = "state NOT IN ('closed', 'merged', 'rejected')"


class MilestoneRow(Base):
    """One incident's milestones folded from ALL its events: the summary the indicators
    read instead of re-aggregating the event log on every view. Maintained in the transaction of every
    event write (incidents/milestones.py), so it is never behind the events it summarises; backfilled by
    migration 0012. Exact "as of" T for every incident whose ``last_at <= T`` (no later event exists);
    incidents with a later event are folded from their events instead (incidents/analytics.py).

    Times are UTC epoch microseconds (BIGINT), not datetimes: views read up to a million rows, and
    integers need no per-cell parsing on either backend. No foreign key: the row stays when its incident
    moves to the archive (ids are unique across live and archive), so this one table covers both."""

    __tablename__ = "incident_milestones"
    __table_args__ = (Index("ix_incident_milestones_reported", "reported"),
                      Index("ix_incident_milestones_last_at", "last_at", "reported"),
                      # the open incidents only (a few thousand of a million): "open now" candidates
                      Index("ix_incident_milestones_open", "reported", sqlite_where=text(MILESTONES_OPEN),
                            postgresql_where=text(MILESTONES_OPEN)))
    incident_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(13))
    category: Mapped[str] = mapped_column(String(5))
    district: Mapped[int] = mapped_column(Integer)
    grid: Mapped[str] = mapped_column(String(15))
    reported: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(16))
    deadline: Mapped[int | None] = mapped_column(BigInteger)
    filed: Mapped[int | None] = mapped_column(BigInteger)
    dropped: Mapped[int | None] = mapped_column(BigInteger)
    dispatched: Mapped[int | None] = mapped_column(BigInteger)
    resolved_first: Mapped[int | None] = mapped_column(BigInteger)
    resolved: Mapped[int | None] = mapped_column(BigInteger)
    resolved_ontime: Mapped[int | None] = mapped_column(BigInteger)
    closed: Mapped[int | None] = mapped_column(BigInteger)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    reassigns: Mapped[int] = mapped_column(Integer, default=0)
    reworks: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(Integer)


class RollupCounts:
    """The additive counts both rollup tables hold (``incidents.rollup.COLUMNS``, in that order): one
    declaration, so the two tables cannot drift apart."""

    to_file: Mapped[int] = mapped_column(BigInteger, default=0)
    filed_ontime: Mapped[int] = mapped_column(BigInteger, default=0)
    dispatched: Mapped[int] = mapped_column(BigInteger, default=0)
    dispatched_right: Mapped[int] = mapped_column(BigInteger, default=0)
    to_resolve: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved_ontime: Mapped[int] = mapped_column(BigInteger, default=0)
    to_close: Mapped[int] = mapped_column(BigInteger, default=0)
    closed: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_ontime: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_in_period: Mapped[int] = mapped_column(BigInteger, default=0)
    reworked: Mapped[int] = mapped_column(BigInteger, default=0)
    overdue_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    filing_n: Mapped[int] = mapped_column(BigInteger, default=0)
    filing_us: Mapped[int] = mapped_column(BigInteger, default=0)
    handling_n: Mapped[int] = mapped_column(BigInteger, default=0)
    handling_us: Mapped[int] = mapped_column(BigInteger, default=0)
    cb_satisfied: Mapped[int] = mapped_column(BigInteger, default=0)
    cb_basically_satisfied: Mapped[int] = mapped_column(BigInteger, default=0)
    cb_dissatisfied: Mapped[int] = mapped_column(BigInteger, default=0)
    cb_other: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyKey:
    """The key of an ``analytics_daily`` row (and of its month-start snapshot's, after ``asof``)."""

    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day2: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    district: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    large: Mapped[str] = mapped_column(String(3), primary_key=True)


class GroupKey:
    """The key of an ``analytics_group_daily`` row (and of its snapshot's, after ``asof``), and its
    ``reported`` count."""

    dim: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day2: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    district: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reported: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupRow(RollupCounts, DailyKey, Base):
    """Additive indicator counts per local day × district × large category class (read at 10 M incidents):
    what a long trend sums instead of reading every incident's summary row. Maintained with the summary in
    every event's transaction (incidents/rollup.py says how each measure is split per day); backfilled by
    migration 0013. ``day2 = day`` for a day's own counts; ``day2 != day`` for the pair rows of the
    "deadline OR resolve/close in the period" measures, which count only when both days share a period."""

    __tablename__ = "analytics_daily"


class GroupRollupRow(RollupCounts, GroupKey, Base):
    """The ``analytics_daily`` counts per local day × group: ``dim`` is ``grid``,
    ``department`` or ``category`` (the 5-digit code) and ``key`` the group's value, with the district kept
    so a district filter still applies; plus ``reported`` (incidents reported that day, dropped or not: the
    category mix). What the group tables and the dashboard sum instead of folding every candidate's summary
    row. Maintained in the same transactions as ``analytics_daily`` (incidents/rollup.py), backfilled by
    migration 0014. The department is the one the incident stands with (callbacks: the callback event's),
    so it moves when the department changes. Rows with ``day = day2 = rollup.TOTAL_DAY`` hold the sum of
    ``overdue_delta`` over all days, so "overdue at a period's end" needs only the days after it."""

    __tablename__ = "analytics_group_daily"


class RollupMetaRow(Base):
    """The one row saying which local zone and filing limit ``analytics_daily`` was built with: views in
    another zone (or with another limit) must not use it."""

    __tablename__ = "analytics_rollup_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tz: Mapped[str] = mapped_column(String(64))
    filing_limit_minutes: Mapped[float] = mapped_column(Float)
    #: Epoch µs from which every local month start is followed by the writes (incidents/asof.py): a month
    #: start at or after it is snapshotted as events commit; an earlier one only by ``asof.build``.
    asof_since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AsofCounts(RollupCounts):
    """What a month-start snapshot row adds to the rollup counts: ``late_n`` incidents with an event after
    the snapshot's moment and ``late_running`` of them running and overdue at it, on their report day under
    their groups as they stood then (incidents/asof.py)."""

    late_n: Mapped[int] = mapped_column(BigInteger, default=0)
    late_running: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyAsofRow(AsofCounts, DailyKey, Base):
    """The correction turning ``analytics_daily`` now into ``analytics_daily`` as it stood at the local
    midnight starting month ``asof`` (a local day number), on the rows of the days before it — the monthly
    report as it stood, read instead of folding every incident with a later event (incidents/asof.py)."""

    __tablename__ = "analytics_daily_asof"
    asof: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class GroupAsofRow(AsofCounts, GroupKey, Base):
    """:class:`DailyAsofRow` for ``analytics_group_daily`` (plus its ``reported``)."""

    __tablename__ = "analytics_group_asof"
    asof: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class AsofMonthRow(Base):
    """Which month-start snapshots views may read: ``ready`` (built, or followed by every write since its
    moment) or ``dirty`` (a rebuild touched incidents across it: views fold until ``asof.build`` redoes it)."""

    __tablename__ = "analytics_asof_months"
    asof: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(8))


class ConsultationRow(Base):
    """A question answered on the spot (咨询, 即时办结): received and closed in one transaction.

    A table of its own rather than an incident, so no indicator that reads ``incidents`` can count it as a
    case (see incidents/consultation.py); its count is read from here, apart.
    """

    __tablename__ = "consultations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    channel: Mapped[str] = mapped_column(String(12))
    caller_phone: Mapped[str] = mapped_column(String(32), default="", index=True)
    category: Mapped[str | None] = mapped_column(String(5))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    operator: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    closed_at: Mapped[datetime] = mapped_column(index=True)


class ConsultationEventRow(Base):
    """The audit trail of a consultation (``received``, ``answered``), like an incident's events."""

    __tablename__ = "consultation_events"
    __table_args__ = (UniqueConstraint("consultation_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PhotoRow(Base):
    """Provenance of one stored photo: which case and event it came with, when the server received it, where
    the device said it was (when the browser gave a position), and its content and perceptual hashes — so a
    photo already attached to another case is found (reused "after" photos are a known fraud).

    ``dhash`` is the 64-bit difference hash stored signed (BIGINT has no unsigned kind on either backend).
    No foreign key: the row stays when its incident moves to the archive, like the milestones."""

    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(13), index=True)
    name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    dhash: Mapped[int | None] = mapped_column(BigInteger)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)


class GeoFeatureRow(Base):
    """One feature of the city's geography (district, street, community, unit grid cell or place).

    The table is the truth every process builds its grid index and map layers from; it is seeded with the
    generated demo geography when empty and replaced whole by ``import-geography``. The geometry is WKB
    in WGS84 so a process rebuilds ~5k cells with one vectorised ``shapely.from_wkb``.
    """

    __tablename__ = "geo_features"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(12), index=True)  # district | street | community | cell | place
    name: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str] = mapped_column(String(64), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name_en, kind, alias, the grid's columns
    geometry: Mapped[bytes] = mapped_column(LargeBinary)


class GeoMetaRow(Base):
    """The geography's one bookkeeping row: its version (raised by every import, watched by every process
    to reload its index), a digest of the content, where it came from and whether it is generated."""

    __tablename__ = "geo_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(256))
    generated: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
