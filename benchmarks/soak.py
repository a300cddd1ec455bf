"""Soak: two app processes behind no balancer, Redis between them, N wall sockets, a steady API stream.

Starts two ``python app.py`` processes on one database (a fresh SQLite file, or ``--database-url``) with
``REDIS_URL`` as the Socket.IO message queue, connects N python-socketio clients (websocket, logged in as
a wall user) spread over both, and creates incidents through the JSON API at ``--rate`` per second,
alternating processes, for ``--minutes``. Every client must see every acknowledged incident in its deltas
(whichever process made it). Prints per-process RSS at start and end, errors and missed pushes.

Targets (issue 9): 0 errors, 0 missed, RSS growth < 10 % over 30 minutes. ``--smoke`` runs 60 s with 20
clients and checks only errors and missed pushes (exit status 1 when either is non-zero).

    python benchmarks/soak.py --smoke
    python benchmarks/soak.py --minutes 30 --clients 100 --rate 50
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "soak-secret-0123456789"
PASSWORD = "soak-pw"
CELL = "220302001001001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _codes(delta: dict[str, Any]) -> set[str]:
    out = {i.get("code") for i in delta.get("upsert", [])} | set(delta.get("remove", []))
    out |= {e.get("code") for e in delta.get("events", [])}
    return {c for c in out if c}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="60 s, 20 clients, CI checks")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--rate", type=float, default=50.0, help="API creates per second (both processes)")
    ap.add_argument("--database-url")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    seconds = 60.0 if args.smoke else args.minutes * 60
    clients_n = 20 if args.smoke else args.clients

    import requests
    import socketio

    tmp = Path(tempfile.mkdtemp(prefix="cityops-soak-"))
    url = args.database_url or f"sqlite:///{tmp / 'cityops.db'}"
    env = dict(os.environ, DATABASE_URL=url, CITYOPS_DEMO="0", CITYOPS_SECRET_KEY="soak-secret-key",
               CITYOPS_API_TOKENS=f"soak:operator:{TOKEN}", REDIS_URL=args.redis_url, PYTHONUNBUFFERED="1",
               CITYOPS_SOCKETIO_CHANNEL=f"cityops-soak-{uuid.uuid4().hex[:8]}", CITYOPS_LOGIN_MAX_FAILURES="0",
               CITYOPS_LOGIN_RATE="")  # its N clients log in from one address within seconds
    subprocess.run([sys.executable, "-c", (
        "from app import build_services\nfrom auth.users import create_user\ns = build_services()\n"
        f"with s.db.write.begin() as x:\n    create_user('wall', {PASSWORD!r}, 'wall', session=x, display_name='wall')\n"
    )], cwd=ROOT, env=env, check=True, capture_output=True)
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        log = open(tmp / f"app-{port}.log", "wb")
        procs.append(subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
    for base, p in zip(bases, procs):
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/readyz", timeout=2)
                break
            except OSError:
                if p.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"app did not start; logs in {tmp}")
                time.sleep(0.2)

    from geo.index import GridIndex

    cell = GridIndex.load(ROOT / "data" / "siping" / "grids.geojson").cell(CELL)
    seen: list[set[str]] = [set() for _ in range(clients_n)]
    disconnects = [0]
    clients = []
    for i in range(clients_n):
        s = requests.Session()
        s.post(f"{bases[i % 2]}/login", data={"username": "wall", "password": PASSWORD}, allow_redirects=False)
        c = socketio.Client(http_session=s, reconnection=True)
        c.on("delta", lambda d, i=i: seen[i].update(_codes(d)))
        c.on("disconnect", lambda *a: disconnects.__setitem__(0, disconnects[0] + 1))
        c.connect(bases[i % 2], transports=["websocket"], wait_timeout=10)
        clients.append(c)
    time.sleep(1.0)
    rss0 = [rss_mb(p.pid) for p in procs]
    print(f"soak: {seconds:.0f} s, {clients_n} clients, {args.rate:g} creates/s, 2 processes, {url.split(':')[0]}")
    print("RSS at start (MB): " + ", ".join(f"{r:.0f}" for r in rss0))

    acked: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    workers = 8

    def drive(w: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        n = 0
        t0 = time.monotonic()
        period = workers / args.rate
        while not stop.is_set():
            n += 1
            body = {"category": "10101", "severity": "normal", "description": f"soak {w}-{n}",
                    "lon": cell.lon + random.uniform(-0.002, 0.002), "lat": cell.lat + random.uniform(-0.002, 0.002)}
            try:
                r = http.post(f"{bases[(w + n) % 2]}/api/v1/incidents", json=body, timeout=10,
                              headers={"Idempotency-Key": uuid.uuid4().hex})
                with lock:
                    (acked.append(r.json()["code"]) if r.status_code in (200, 201)
                     else errors.append(f"{r.status_code} {r.text[:80]}"))
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(repr(exc)[:120])
            wait = t0 + n * period - time.monotonic()
            if wait > 0:
                stop.wait(wait)

    threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in range(workers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join(15)
    elapsed = time.monotonic() - started
    time.sleep(3.0)  # the last windows reach every client
    rss1 = [rss_mb(p.pid) for p in procs]
    want = set(acked)
    missed = sum(len(want - s) for s in seen)
    dropped = disconnects[0]  # before our own disconnects below
    print(f"creates acknowledged: {len(acked)} ({len(acked) / elapsed:.1f}/s), errors: {len(errors)}, "
          f"socket disconnects during the run: {dropped}")
    print(f"missed pushes: {missed} of {len(want) * clients_n} (incident × client)")
    print("RSS at end (MB):   " + ", ".join(f"{r:.0f}" for r in rss1) + "   growth: "
          + ", ".join(f"{(b - a) / a * 100:+.1f} %" for a, b in zip(rss0, rss1)))
    for e in errors[:5]:
        print("  error:", e)
    sys.stdout.flush()
    # Close the sockets without waiting for each goodbye in turn (a close handshake each, 100 in a row,
    # took minutes), then stop the servers.
    closers = [threading.Thread(target=c.disconnect, daemon=True) for c in clients]
    for t in closers:
        t.start()
    for t in closers:
        t.join(5)
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    if not errors and not missed:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"logs kept in {tmp}")
    return 1 if errors or missed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
