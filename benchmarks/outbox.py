"""Benchmark: the outbox delivering to a local webhook department (127.0.0.1, HMAC-signed JSON).

* **throughput** — N dispatches queued, then one ``deliver_due``: messages per second, each a real
  HTTP POST (delivery marks are written 200 at a time);
* **delay** — the worker loop running (every 50 ms) while dispatches arrive: dispatch → received at the
  department, p50/p95;
* **catch-up** — the department down for an hour (injected time) while N messages queue, then back:
  the time until every message is delivered once.

    python benchmarks/outbox.py            # 10,000 messages
    python benchmarks/outbox.py --smoke    # 300 messages, under 30 s
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import app  # noqa: E402
from dispatch.outbox import connector_from, run_exchange  # noqa: E402
from incidents.model import Actor, Channel, Role  # noqa: E402
from incidents.records import OutboxRow  # noqa: E402
from settings import Settings  # noqa: E402

SECRET = "benchmark-department-secret-0123"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


class Department:
    def __init__(self, port: int = 0) -> None:
        self.received: dict[str, float] = {}
        dept = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                dept.received.setdefault(self.headers.get("Idempotency-Key", ""), time.perf_counter())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make(tmp: Path, name: str, clock: Clock, url: str) -> app.Services:
    s = Settings(_env_file=None, database_url=f"sqlite:///{tmp / name}.db", demo=False, api_tokens="")
    services = app.build_services(s, clock=clock)
    services.exchange.configure(connector_from("SWJ", "webhook", url, SECRET), Actor("bench", Role.ADMIN), clock())
    return services


def queue(services: app.Services, n: int, clock: Clock) -> list[float]:
    from factories_bench import report

    from incidents.intake import IntakeError

    stamps: list[float] = []
    k = 0
    while len(stamps) < n:  # lattice points outside the city are skipped
        k += 1
        try:
            made = services.dispatch.intake(report(services.grid, k), Actor("bench", Role.OPERATOR), Channel.API,
                                            clock())
        except IntakeError:
            continue
        if made.waiting is None:
            stamps.append(time.perf_counter())
    return stamps


def pending(services: app.Services) -> int:
    with services.db.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "delivered"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("-n", type=int)
    args = ap.parse_args()
    n = args.n or (300 if args.smoke else 10_000)
    out: dict[str, float | int] = {"messages": n}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # throughput
        dept = Department()
        clock = Clock()
        svc = make(tmp, "throughput", clock, f"http://127.0.0.1:{dept.port}/hook")
        queue(svc, n, clock)
        t = time.perf_counter()
        svc.exchange.deliver_due(clock())
        out["throughput_msg_s"] = round(n / (time.perf_counter() - t), 1)
        assert len(dept.received) == n and pending(svc) == 0
        dept.stop()
        # delay with the worker running
        dept = Department()
        svc = make(tmp, "delay", clock, f"http://127.0.0.1:{dept.port}/hook")
        svc.settings.open311_poll_s = 3600
        stop = threading.Event()
        worker = threading.Thread(target=run_exchange, args=(svc, stop, 0.05), daemon=True)
        worker.start()
        m = min(n, 500)
        stamps = queue(svc, m, clock)
        deadline = time.perf_counter() + 60
        while len(dept.received) < m and time.perf_counter() < deadline:
            time.sleep(0.01)
        stop.set()
        worker.join(5)
        with svc.db.read() as s:
            keys = s.scalars(select(OutboxRow.key).order_by(OutboxRow.id)).all()
        delays = sorted(1000 * (dept.received[k] - t0) for k, t0 in zip(keys, stamps) if k in dept.received)
        out["delay_p50_ms"] = round(statistics.median(delays), 1)
        out["delay_p95_ms"] = round(delays[int(0.95 * (len(delays) - 1))], 1)
        port = dept.port
        dept.stop()
        # catch-up after an hour-long outage
        svc = make(tmp, "outage", clock, f"http://127.0.0.1:{port}/hook")
        queue(svc, n, clock)
        for _ in range(12):
            svc.exchange.deliver_due(clock())
            clock.now += timedelta(minutes=5)
        dept = Department(port)
        t = time.perf_counter()
        while pending(svc):
            svc.exchange.deliver_due(clock())
            clock.now += timedelta(seconds=2)
        out["catchup_s"] = round(time.perf_counter() - t, 2)
        assert len(dept.received) == n
        dept.stop()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
