"""The Socket.IO side: who may connect, which rooms they join, the snapshot on (re)connect, the deltas.

Rooms are joined by the server from the logged-in user (the client never names one). Committed events
are batched in short windows (live/batcher.py) into small deltas — KPIs, map feature upserts/removals,
ticker lines, alerts — applied in the browser by clientside callbacks; a (re)connecting socket first gets a full snapshot, so a wall
that lost its network is right again without a reload. With ``REDIS_URL`` the Socket.IO server uses Redis
as its message queue, so an event committed in any process reaches sockets held by any other.
"""
from __future__ import annotations

import logging
import threading
import time as _time
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from auth.roles import WALL_ROOM, push_rooms, rooms_of, user_room
from incidents.privacy import payload_for
from live.batcher import AlertRule, Batcher, build_delta, for_display, touches_ranking

log = logging.getLogger(__name__)
Snapshot = Callable[[], dict[str, Any]]
Kpis = Callable[[], dict[str, Any]]
Ranking = Callable[[], list[dict[str, Any]]]


class Broadcaster:
    def __init__(self, socketio: SocketIO, snapshot: Snapshot, kpis: Kpis, now: Callable[[], datetime], *,
                 window_s: float = 0.05, rule: AlertRule = AlertRule(), ranking: Ranking | None = None,
                 open_states: tuple[str, ...] = (), datum: str = "wgs84") -> None:
        self.socketio = socketio
        self.datum = datum  # the map's display datum: points leave in it (live.batcher.for_display)
        self.snapshot = snapshot
        self.kpis = kpis
        self.now = now
        self.rule = rule
        self.ranking = ranking
        if not open_states:
            from incidents.model import OPEN_STATES

            open_states = tuple(s.value for s in OPEN_STATES)
        self.open_states = open_states
        self.batcher = Batcher(self._emit_delta, window_s)
        self.deltas_sent = 0
        self.users: dict[str, str] = {}  # socket.io sid → username (replay goes only to its asker)
        self.risk: Any = None  # incidents.risk.LiveRisk: breach risk on the wall's features
        self.day_events: Callable[[datetime, datetime], list[dict[str, Any]]] | None = None
        self.tz: Any = None
        self._lock = threading.Lock()
        self.transports: dict[str, str] = {}  # socket.io sid → engine.io sid
        self.logins: dict[str, str] = {}  # socket.io sid → the login id it connected with
        #: Whether a login id is still good (the session loader): a socket whose login ended (logout, password
        #: reset, revoked kiosk, expiry) is disconnected at the next :meth:`recheck`.
        self.login_valid: Callable[[str], bool] | None = None
        socketio.on_event("connect", self._on_connect)
        socketio.on_event("disconnect", self._on_disconnect)

    def _on_connect(self, auth: Any = None) -> bool:
        if not current_user.is_authenticated:
            return False  # refuses the connection
        rooms = rooms_of(current_user.role, current_user.username, current_user.department)
        for room in rooms:
            join_room(room)
        sid = request.sid  # type: ignore[attr-defined]
        with self._lock:
            self.transports[sid] = self.socketio.server.manager.eio_sid_from_sid(sid, "/")
            self.users[sid] = current_user.username
            self.logins[sid] = current_user.get_id()
        if WALL_ROOM in rooms:  # the city-wide picture only for those who may see the wall
            self.socketio.emit("snapshot", for_display(self.snapshot(), self.datum), to=sid)
        return True

    def _on_disconnect(self, *args: Any) -> None:
        with self._lock:
            self.transports.pop(request.sid, None)  # type: ignore[attr-defined]
            self.users.pop(request.sid, None)  # type: ignore[attr-defined]
            self.logins.pop(request.sid, None)  # type: ignore[attr-defined]

    def recheck(self) -> int:
        """Disconnect this process's sockets whose login has ended since they connected (a socket is checked
        only at its handshake otherwise, and a wall page would go on receiving pushes); returns how many."""
        if self.login_valid is None:
            return 0
        with self._lock:
            logins = list(self.logins.items())
        ended = [sid for sid, login_id in logins if not self.login_valid(login_id)]
        for sid in ended:
            self.socketio.server.disconnect(sid, namespace="/")
        return len(ended)

    def run_recheck(self, stop: threading.Event, every_s: float) -> None:
        """The background loop of :meth:`recheck` (each process checks the sockets it holds)."""
        while not stop.wait(every_s):
            try:
                self.recheck()
            except Exception:  # noqa: BLE001 - a failed pass must not end the loop; the next one retries
                log.exception("socket login re-check failed")

    def transport_counts(self) -> dict[str, int]:
        """Connected sockets of this process by transport (websocket / polling), read at call time
        since a polling socket may have upgraded since it connected."""
        out: dict[str, int] = {}
        with self._lock:
            eio_sids = list(self.transports.values())
        for eio_sid in eio_sids:
            try:
                t = self.socketio.server.eio.transport(eio_sid)
            except KeyError:
                continue
            out[t] = out.get(t, 0) + 1
        return out

    @classmethod
    def for_app(cls, socketio: SocketIO, services: Any, snapshot: Snapshot) -> "Broadcaster":
        """The app's broadcaster, configured from its settings (window, alert rule, ranking query)."""
        from geo.display import display_datum
        from incidents.wallstats import WallStats

        st = services.settings
        stats = WallStats(services.db, st.tz)
        b = cls(socketio, snapshot, services.kpis, services.clock,
                window_s=getattr(st, "push_window_ms", 50) / 1000.0,
                rule=AlertRule.parse(getattr(st, "alert_severities", "urgent"), getattr(st, "alert_categories", "")),
                ranking=lambda: stats.departments(services.clock()),
                datum=display_datum(getattr(st, "tile_datum", "wgs84"), getattr(st, "tile_url", None),
                                    getattr(st, "map_style_url", None)))
        b.day_events, b.tz = stats.day, st.tz
        from dispatch.risk_clock import reference_elapsed
        from incidents.risk import LiveRisk

        b.risk = LiveRisk(services.db, st.tz, lambda: reference_elapsed(services.reference))
        return b

    def start_replay(self, sid: str, username: str, day: date, speed: float) -> bool:
        """Stream ``day`` (a past local day) to socket ``sid`` alone, if that socket is ``username``'s.

        Reads the event log only; at the end the socket gets a fresh live snapshot."""
        from live.replay import clamp_speed, frames

        clamp_speed(speed)
        with self._lock:
            if self.users.get(sid) != username:
                return False
        if self.day_events is None:
            return False
        day0 = datetime.combine(day, time(0), self.tz).astimezone(timezone.utc)
        if day0 >= self.now():
            raise ValueError("replay needs a past day")
        day1 = day0 + timedelta(days=1)
        events = self.day_events(day0, day1)

        def run() -> None:
            start = _time.monotonic()
            self.socketio.emit("replay", {"phase": "start", "at": day0.isoformat(), "kpi": {}, "incidents": [],
                                          "ticker": [], "spark": {}, "ranking": [], "alerts": []}, to=sid)
            for offset, frame in frames(events, day0, speed, open_states=self.open_states, rule=self.rule):
                wait = offset - (_time.monotonic() - start)
                if wait > 0:
                    self.socketio.sleep(wait)
                if sid not in self.users:
                    return  # the wall went away: stop streaming
                self.socketio.emit("replay", for_display(frame, self.datum), to=sid)
            self.socketio.emit("replay", {"phase": "end", "at": day1.isoformat()}, to=sid)
            self.socketio.emit("snapshot", for_display(self.snapshot(), self.datum), to=sid)

        self.socketio.start_background_task(run)
        return True

    def flush(self) -> int:
        """Send the pending window now (tests call this instead of waiting for the timer)."""
        return self.batcher.flush()

    def _emit_delta(self, messages: list[dict[str, Any]]) -> None:
        now = self.now()
        risk = self.risk
        delta = build_delta(messages, self.kpis(), now.isoformat(), open_states=self.open_states, rule=self.rule,
                            risk=None if risk is None else (lambda ms: risk.for_messages(ms, now)))
        if self.ranking is not None and touches_ranking(messages):
            delta["ranking"] = self.ranking()
        self.socketio.emit("delta", for_display(delta, self.datum), to=WALL_ROOM)
        self.deltas_sent += 1

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called by the services after each commit: the wall's part waits for the window; personal
        assignment pushes (a handler's inbox) leave at once, they are few."""
        if not messages:
            return
        self.batcher.add(messages)
        for m in messages:
            inc = m["incident"]
            pushed = {**m, "payload": payload_for(None, m.get("payload"))}  # handlers' rooms: no personal data
            rooms = push_rooms(inc)
            worker = (m.get("payload") or {}).get("worker") if m["action"] == "verify_task_sent" else None
            if worker:  # 核查任务: the worker sent to check it is not its assignee, so not in its rooms
                rooms = [*rooms, user_room(str(worker))]
            if rooms:
                self.socketio.emit("assignment", pushed, to=rooms)
            before = (m.get("payload") or {}).get("from_assignee")
            if before and before != inc.get("assignee"):  # moved away: the former assignee's queue refreshes
                self.socketio.emit("assignment", {"action": m["action"], "incident": {"code": inc.get("code")},
                                                  "payload": {}}, to=user_room(str(before)))
