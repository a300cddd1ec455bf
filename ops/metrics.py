"""Prometheus metrics of one app process: what an operator graphs and alerts on.

Counters and histograms are fed from the committed events the services publish (so intake over every
channel counts, and nothing is counted for a rolled-back write); gauges are read at scrape time from the
store (incidents by state, the escalation sweep's lag) and the broadcaster (socket clients). Each app
has its own registry, so several apps in one test process do not collide on metric names, and the
counters are per process: Prometheus sums the processes behind the load balancer.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from incidents.model import RUNNING_STATES
from incidents.records import EscalationScheduleRow, IncidentRow

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_RUNNING = [s.value for s in RUNNING_STATES]


def _aware(value: Any) -> datetime:
    from datetime import timezone

    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class _StoreCollector:
    """Scrape-time gauges: incidents by state, sockets connected, how far the sweep is behind."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterable[GaugeMetricFamily]:
        by_state = GaugeMetricFamily("cityops_incidents", "Incidents in the store by state", labels=["state"])
        lag = GaugeMetricFamily("cityops_scheduler_lag_seconds",
                                "Age of the oldest escalation step due but not yet sent (0 = up to date)")
        now = self.services.clock()
        with self.services.db.read() as s:
            for state, n in s.execute(select(IncidentRow.state, func.count()).group_by(IncidentRow.state)):
                by_state.add_metric([state], n)
            oldest = s.scalar(select(func.min(EscalationScheduleRow.next_at))
                              .join(IncidentRow, IncidentRow.id == EscalationScheduleRow.incident_id)
                              .where(EscalationScheduleRow.next_at <= now, IncidentRow.state.in_(_RUNNING)))
        lag.add_metric([], max((now - _aware(oldest)).total_seconds(), 0.0) if oldest is not None else 0.0)
        sockets = GaugeMetricFamily("cityops_socket_clients", "Socket.IO clients connected to this process",
                                    labels=["transport"])
        b = self.services.broadcaster
        for transport, n in (b.transport_counts() if b is not None else {}).items():
            sockets.add_metric([transport], n)
        yield by_state
        yield lag
        yield sockets


class Metrics:
    """The registry and the instruments the app feeds."""

    def __init__(self, services: Any) -> None:
        self.registry = CollectorRegistry()
        self.intake = Counter("cityops_intake", "Incidents created, by channel", ["channel"], registry=self.registry)
        self.events = Counter("cityops_events", "Events committed, by action", ["action"], registry=self.registry)
        self.dispatch_latency = Histogram(
            "cityops_dispatch_latency_seconds", "From an incident's report to its dispatch",
            buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600), registry=self.registry)
        self.push_latency = Histogram(
            "cityops_push_latency_seconds", "From an event's commit to its delta leaving for the wall",
            buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=self.registry)
        self.registry.register(_StoreCollector(services))

    def observe_published(self, messages: Iterable[Mapping[str, Any]]) -> None:
        """Called with every committed batch of event messages (before the broadcaster sees them)."""
        for m in messages:
            action = str(m.get("action"))
            self.events.labels(action).inc()
            inc = m.get("incident") or {}
            if action == "created":
                self.intake.labels(str(inc.get("channel") or "unknown")).inc()
            elif action == "dispatch" and inc.get("reported_at") and m.get("at"):
                try:
                    seconds = (_aware(m["at"]) - _aware(inc["reported_at"])).total_seconds()
                except (TypeError, ValueError):
                    continue
                self.dispatch_latency.observe(max(seconds, 0.0))

    def instrument_batcher(self, batcher: Any, clock: Callable[[], float] = time.monotonic) -> None:
        """Time from the first message of a window being added to the window's delta being emitted."""
        lock = threading.Lock()
        first: list[float | None] = [None]
        add, flush_to = batcher.add, batcher.flush_to

        def timed_add(messages: Any) -> None:
            with lock:
                if first[0] is None and messages:
                    first[0] = clock()
            add(messages)

        def timed_flush(batch: Any) -> None:
            flush_to(batch)
            with lock:
                since, first[0] = first[0], None
            if since is not None:
                self.push_latency.observe(clock() - since)

        batcher.add, batcher.flush_to = timed_add, timed_flush

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


__all__ = ["CONTENT_TYPE", "Metrics"]
