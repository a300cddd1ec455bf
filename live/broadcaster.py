"""The Socket.IO side: who may connect, which rooms they join, the snapshot on (re)connect, the deltas.

Rooms are joined by the server from the logged-in user (the client never names one). Every committed
event is pushed as a delta — the incident as it stands, the ticker line and the fresh KPIs — and applied
in the browser by clientside callbacks; a (re)connecting socket first gets a full snapshot, so a wall
that lost its network is right again without a reload. With ``REDIS_URL`` the Socket.IO server uses Redis
as its message queue, so an event committed in any process reaches sockets held by any other.
"""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable

from flask import request
from flask_login import current_user
from flask_socketio import SocketIO, join_room

from auth.roles import WALL_ROOM, rooms_of

Snapshot = Callable[[], dict[str, Any]]
Kpis = Callable[[], dict[str, Any]]


class Broadcaster:
    def __init__(self, socketio: SocketIO, snapshot: Snapshot, kpis: Kpis, now: Callable[[], datetime]) -> None:
        self.socketio = socketio
        self.snapshot = snapshot
        self.kpis = kpis
        self.now = now
        self._lock = threading.Lock()
        self.transports: dict[str, str] = {}  # socket.io sid → engine.io sid
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
        if WALL_ROOM in rooms:  # the city-wide picture only for those who may see the wall
            self.socketio.emit("snapshot", self.snapshot(), to=sid)
        return True

    def _on_disconnect(self, *args: Any) -> None:
        with self._lock:
            self.transports.pop(request.sid, None)  # type: ignore[attr-defined]

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

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called by the services after each commit: one delta per commit, with the KPIs after it."""
        if not messages:
            return
        delta = {"events": messages, "kpi": self.kpis(), "at": self.now().isoformat()}
        self.socketio.emit("delta", delta, to=WALL_ROOM)
        for m in messages:
            inc = m["incident"]
            if inc.get("assignee"):
                self.socketio.emit("assignment", m, to=f"user:{inc['assignee']}")
            if inc.get("department"):
                self.socketio.emit("assignment", m, to=f"dept:{inc['department']}")
