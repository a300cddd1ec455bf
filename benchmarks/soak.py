"""Soak: two app processes behind no balancer, Redis between them, N wall sockets, a steady API stream.

Starts two ``python app.py`` processes on one database (a fresh SQLite file, or ``--database-url``) with
``REDIS_URL`` as the Socket.IO message queue, connects N python-socketio clients (websocket, logged in as
a wall user) spread over both, and creates incidents through the JSON API at ``--rate`` per second,
alternating processes, for ``--minutes``. Every client must see every acknowledged incident (whichever
process made it) in its deltas, or in the snapshot a reconnecting socket gets. Prints per-process RSS at
start, over time and at end, CPU per process, create latency, errors, disconnects and missed pushes.

The load generator must not be the bottleneck (a 2-core machine also runs both app processes): the
sockets live in ``--client-procs`` worker processes, each handling its messages on its sockets' read
threads (python-engineio's client otherwise starts one thread per message: at 100 clients × 40 deltas/s
that starved the read loops, which then missed pings and dropped), and the API threads have this
process to themselves. A worker reports what its clients saw through a pipe at the end. The creates
spread over the city's cells and the taxonomy's categories (see ``_workload``), and the apps run with
``MALLOC_ARENA_MAX=2`` as README "Deploy" says, unless the environment sets it. ``--tracemalloc`` adds
the Python allocations that grew in each app from the end of the warm-up to the end (ops/memdump.py).

Targets: 0 errors, 0 missed, RSS growth < 10 % over 30 minutes (raw, from the start; the growth
from the end of a stated warm-up is printed beside it). ``--smoke`` runs 60 s with 20 clients and checks
only errors and missed pushes (exit status 1 when either is non-zero).

    python benchmarks/soak.py --smoke
    python benchmarks/soak.py --minutes 30 --clients 100 --rate 50
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import resource
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
CODE = re.compile(r"^(\d{8})(\d{5})$")  # YYYYMMDD + the day's 5-digit sequence (incidents/store.py)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (``/proc/PID/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _codes(delta: dict[str, Any]) -> set[str]:
    out = {i.get("code") for i in delta.get("upsert", [])} | set(delta.get("remove", []))
    out |= {e.get("code") for e in delta.get("events", [])}
    return {c for c in out if c}


def _snapshot_codes(snap: dict[str, Any]) -> set[str]:
    """What a (re)connecting wall shows at once: the open incidents (newest first, capped by the server)
    and the ticker."""
    out = {i.get("code") for i in snap.get("incidents", [])} | {e.get("code") for e in snap.get("ticker", [])}
    return {c for c in out if c}


class Seen:
    """The incident codes one client saw, as one bit per daily sequence number: 100 clients × 90,000
    incidents as sets of strings took the old single-process harness hundreds of MB."""

    def __init__(self) -> None:
        self.days: dict[str, bytearray] = {}
        self.other: set[str] = set()

    def add(self, codes: set[str]) -> None:
        for code in codes:
            m = CODE.match(code)
            if m is None:
                self.other.add(code)
                continue
            bits = self.days.get(m[1])
            if bits is None:
                bits = self.days[m[1]] = bytearray(100_000 // 8 + 1)
            n = int(m[2])
            bits[n >> 3] |= 1 << (n & 7)

    def __contains__(self, code: str) -> bool:
        m = CODE.match(code)
        if m is None:
            return code in self.other
        bits = self.days.get(m[1])
        n = int(m[2])
        return bits is not None and bool(bits[n >> 3] & (1 << (n & 7)))


# -------------------------------------------------------------------------------------------------
# Socket clients, in worker processes
# -------------------------------------------------------------------------------------------------

def _client_class() -> type:
    """python-socketio's client with Engine.IO messages handled on the socket's read thread (the library
    starts a thread per message otherwise; our handlers only record codes)."""
    import engineio
    import socketio

    class InlineEngineIO(engineio.Client):
        def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message":
                kwargs["run_async"] = False
            return super()._trigger_event(event, *args, **kwargs)

    class InlineClient(socketio.Client):
        def _engineio_client_class(self) -> type:
            return InlineEngineIO

    return InlineClient


def client_worker(conn: Any, specs: list[tuple[int, str]], password: str, quiet_s: float) -> None:
    """Hold the clients ``specs`` (index, base URL) until told to stop; then, once no message has come
    for ``quiet_s`` (the last windows reach every client), send back what each saw and when it dropped."""
    from webclient import login_session

    Client = _client_class()
    seen = [Seen() for _ in specs]
    stats: dict[str, Any] = {"disconnects": 0, "snapshots": 0, "deltas": 0, "reasons": {},
                             "drops": [[] for _ in specs]}  # per client: (disconnected at, snapshot again at)
    counting = [True]
    last = [time.monotonic()]
    lock = threading.Lock()
    clients = []

    def on_delta(k: int, d: dict[str, Any]) -> None:
        seen[k].add(_codes(d))
        last[0] = time.monotonic()
        stats["deltas"] += 1

    def on_snapshot(k: int, snap: dict[str, Any]) -> None:
        seen[k].add(_snapshot_codes(snap))
        last[0] = time.monotonic()
        with lock:
            stats["snapshots"] += 1
            drops = stats["drops"][k]
            if drops and drops[-1][1] is None:
                drops[-1][1] = time.time()

    def on_disconnect(k: int, reason: Any = None) -> None:
        with lock:
            if not counting[0]:
                return
            stats["disconnects"] += 1
            stats["reasons"][str(reason)] = stats["reasons"].get(str(reason), 0) + 1
            stats["drops"][k].append([time.time(), None])

    try:
        for k, (_, base) in enumerate(specs):
            s = login_session(base, "wall", password)
            c = Client(http_session=s, reconnection=True,
                       websocket_extra_options={"skip_utf8_validation": True})
            c.on("delta", lambda d, k=k: on_delta(k, d))
            c.on("snapshot", lambda d, k=k: on_snapshot(k, d))
            c.on("disconnect", lambda reason=None, k=k: on_disconnect(k, reason))
            c.connect(base, transports=["websocket"], wait_timeout=10)
            clients.append(c)
        conn.send(("ready", len(clients)))
        conn.recv()  # "stop": the API stream has ended
        with lock:
            counting[0] = False
        t_stop = time.monotonic()
        while time.monotonic() - t_stop < 30 and time.monotonic() - last[0] < quiet_s:
            time.sleep(0.2)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        stats["cpu_s"] = ru.ru_utime + ru.ru_stime
        conn.send(("result", [(i, s.days, s.other) for (i, _), s in zip(specs, seen)], stats))
    except Exception as exc:  # noqa: BLE001 — reported by the parent as a harness failure
        conn.send(("error", repr(exc)[:300]))
    finally:
        # Close without waiting for each goodbye in turn (a close handshake each, in a row, took minutes).
        closers = [threading.Thread(target=c.disconnect, daemon=True) for c in clients]
        for t in closers:
            t.start()
        for t in closers:
            t.join(5)
        conn.close()


# -------------------------------------------------------------------------------------------------
# The run
# -------------------------------------------------------------------------------------------------

def _workload(grid: Any) -> tuple[list[tuple[float, float]], list[str]]:
    """Points all over the city (each cell's label point, moved up to ~20 m, kept if still in the city)
    and every category of the taxonomy: a city's stream, not one street corner's. (All at one spot, every
    create after the first minutes had thousands of duplicate candidates within 50 m, so the soak measured
    a hotspot that grew without end instead of a steady state; benchmarks/intake.py covers duplicates.)"""
    import csv

    import numpy as np

    rnd = np.random.default_rng(9)
    cells = list(grid)
    lons = np.array([c.lon for c in cells]) + rnd.uniform(-0.0002, 0.0002, len(cells))
    lats = np.array([c.lat for c in cells]) + rnd.uniform(-0.0002, 0.0002, len(cells))
    inside = [i for i, at in enumerate(grid.locate_indices(lons, lats)) if at < len(grid)]
    with open(ROOT / "data" / "taxonomy.csv", encoding="utf-8") as f:
        categories = [row["code"] for row in csv.DictReader(f)]
    return [(float(lons[i]), float(lats[i])) for i in inside], categories


def _print_growth(procs: list[Any], tmp: Path) -> None:
    """Snapshot 2 of each app, compared with its snapshot 1 (taken at the end of the warm-up)."""
    from ops.memdump import top_growth

    for p in procs:
        p.send_signal(signal.SIGUSR1)
    for p in procs:
        first, second = tmp / f"cityops-{p.pid}-1.tracemalloc", tmp / f"cityops-{p.pid}-2.tracemalloc"
        deadline = time.monotonic() + 120
        size = -1
        while time.monotonic() < deadline:  # written when its size stops changing
            now_size = second.stat().st_size if second.exists() else -1
            if now_size > 0 and now_size == size:
                break
            size = now_size
            time.sleep(1.0)
        if not (first.exists() and second.exists()):
            print(f"tracemalloc: no snapshots from process {p.pid}")
            continue
        print(f"tracemalloc, process {p.pid}: grew most from the end of the warm-up to the end")
        for line in top_growth(first, second, 12):
            print("  " + line)


def _worker_pid(arbiter: int) -> int:
    """gunicorn's worker: the arbiter's one child (``/proc/PID/task/PID/children``)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit(f"gunicorn {arbiter} has no worker")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _missed(acked: list[tuple[str, float]], seen: dict[int, tuple[dict[str, bytearray], set[str]]],
            drops: dict[int, list[list[Any]]]) -> tuple[int, int]:
    """(incident × client pairs not seen, how many of them fell within a second of a client's drop:
    disconnected at … snapshot again at). Whole days at once as integers: 9 M pairs in a 30-min run."""
    at_of = dict(acked)
    want: dict[str, int] = {}
    other: set[str] = set()
    for code, _ in acked:
        m = CODE.match(code)
        if m is None:
            other.add(code)
        else:
            want[m[1]] = want.get(m[1], 0) | (1 << int(m[2]))
    missed = missed_down = 0
    for i, (days, other_seen) in seen.items():
        lost = [c for c in other if c not in other_seen]
        for day, bits in want.items():
            got = int.from_bytes(days.get(day, b""), "little")
            gone = bits & ~got
            while gone:
                low = gone & -gone
                lost.append(f"{day}{low.bit_length() - 1:05d}")
                gone ^= low
        missed += len(lost)
        for code in lost:
            at = at_of[code]
            if any(d0 - 1.0 <= at <= (d1 or float("inf")) + 1.0 for d0, d1 in drops.get(i, [])):
                missed_down += 1
    return missed, missed_down


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="60 s, 20 clients, CI checks")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--rate", type=float, default=50.0, help="API creates per second (both processes)")
    ap.add_argument("--database-url")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--client-procs", type=int, default=0,
                    help="worker processes holding the sockets (default: one per 25 clients, at most 4)")
    ap.add_argument("--api-threads", type=int, default=16, help="concurrent API create requests")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds after which a second RSS baseline is taken (default: a sixth of the run, "
                         "at most 300)")
    ap.add_argument("--server", choices=["app", "gunicorn"], default="app",
                    help="app: python app.py (Werkzeug, a thread per request); gunicorn: README's production "
                         "command (one worker, 100 threads)")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="trace the apps' allocations (slower); print what grew from the warm-up to the end")
    args = ap.parse_args()
    seconds = 60.0 if args.smoke else args.minutes * 60
    clients_n = 20 if args.smoke else args.clients
    warmup = min(300.0, seconds / 6) if args.warmup is None else args.warmup
    procs_n = args.client_procs or max(1, min(4, -(-clients_n // 25)))

    import requests

    tmp = Path(tempfile.mkdtemp(prefix="cityops-soak-"))
    url = args.database_url or f"sqlite:///{tmp / 'cityops.db'}"
    env = dict(os.environ, DATABASE_URL=url, CITYOPS_DEMO="0", CITYOPS_SECRET_KEY="soak-secret-key",
               CITYOPS_API_TOKENS=f"soak:operator:{TOKEN}", REDIS_URL=args.redis_url, PYTHONUNBUFFERED="1",
               CITYOPS_SOCKETIO_CHANNEL=f"cityops-soak-{uuid.uuid4().hex[:8]}", CITYOPS_LOGIN_MAX_FAILURES="0",
               CITYOPS_LOGIN_RATE="")  # its N clients log in from one address within seconds
    # As README "Deploy" runs them: glibc's per-thread malloc arenas (a thread per request and per
    # socket) otherwise keep freed memory, and RSS grew ~3x as fast with no Python object behind it.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    if args.tracemalloc and args.server == "app":
        env.update(CITYOPS_TRACEMALLOC="1", CITYOPS_TRACEMALLOC_DIR=str(tmp))
    subprocess.run([sys.executable, "-c", (
        "from app import build_services\nfrom auth.users import create_user\ns = build_services()\n"
        f"with s.db.write.begin() as x:\n    create_user('wall', {PASSWORD!r}, 'wall', session=x, display_name='wall')\n"
    )], cwd=ROOT, env=env, check=True, capture_output=True)
    procs, bases = [], []
    for _ in range(2):
        port = _free_port()
        log = open(tmp / f"app-{port}.log", "wb")
        cmd = ([sys.executable, "app.py", "--port", str(port)] if args.server == "app" else
               [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "100", "-b", f"127.0.0.1:{port}", "app:wsgi()"])
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
    workers: list[tuple[Any, Any]] = []
    try:
        return _run(args, seconds, clients_n, warmup, procs_n, url, tmp, procs, bases, workers, requests)
    finally:
        for proc, _ in workers:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def _run(args: Any, seconds: float, clients_n: int, warmup: float, procs_n: int, url: str, tmp: Path,
         procs: list[Any], bases: list[str], workers: list[tuple[Any, Any]], requests: Any) -> int:
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

    # What to measure: the app process itself, or gunicorn's one worker (the arbiter only watches it).
    pids = [p.pid if args.server == "app" else _worker_pid(p.pid) for p in procs]

    from geo.index import GridIndex

    points, categories = _workload(GridIndex.load(ROOT / "data" / "siping" / "grids.geojson"))
    ctx = mp.get_context("spawn")
    specs = [(i, bases[i % 2]) for i in range(clients_n)]
    for w in range(procs_n):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=client_worker, args=(child, specs[w::procs_n], PASSWORD, 2.0), daemon=True)
        proc.start()
        child.close()
        workers.append((proc, parent))
    for proc, pipe in workers:
        if not pipe.poll(120):
            raise SystemExit(f"a client worker did not connect its sockets in 120 s; logs in {tmp}")
        msg = pipe.recv()
        if msg[0] != "ready":
            raise SystemExit(f"a client worker failed: {msg[1]}; logs in {tmp}")
    time.sleep(1.0)
    rss0 = [rss_mb(pid) for pid in pids]
    print(f"soak: {seconds:.0f} s, {clients_n} clients, {args.rate:g} creates/s, 2 processes, {url.split(':')[0]}")
    print(f"harness: sockets in {procs_n} worker processes, {args.api_threads} API threads in this one; "
          f"apps: {'python app.py' if args.server == 'app' else 'gunicorn -w 1 --threads 100'}, MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', '2')}")
    print("RSS at start (MB): " + ", ".join(f"{r:.0f}" for r in rss0))
    sys.stdout.flush()

    acked: list[tuple[str, float]] = []  # (code, acknowledged at, epoch seconds)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    n_threads = args.api_threads

    def drive(w: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        rnd = random.Random(w)  # seeded: two runs send the same stream
        n = 0
        t0 = time.monotonic() + w / args.rate  # staggered, so the threads' requests interleave evenly
        period = n_threads / args.rate
        while not stop.is_set():
            wait = t0 + n * period - time.monotonic()
            if wait > 0 and stop.wait(wait):
                break
            n += 1
            lon, lat = rnd.choice(points)
            body = {"category": rnd.choice(categories), "severity": "normal", "description": f"soak {w}-{n}",
                    "lon": lon, "lat": lat}
            t = time.monotonic()
            try:
                r = http.post(f"{bases[(w + n) % 2]}/api/v1/incidents", json=body, timeout=10,
                              headers={"Idempotency-Key": uuid.uuid4().hex})
                with lock:
                    latencies.append(time.monotonic() - t)
                    (acked.append((r.json()["code"], time.time())) if r.status_code in (200, 201)
                     else errors.append(f"{r.status_code} {r.text[:80]}"))
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(repr(exc)[:120])

    samples: list[tuple[float, list[float]]] = []
    sample_every = 60.0 if seconds >= 600 else max(10.0, seconds / 6)
    threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in range(n_threads)]
    cpu0 = [cpu_s(pid) for pid in pids]
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    for t in threads:
        t.start()
    rss_warm: list[float] | None = None
    next_sample = started + sample_every
    while (now := time.monotonic()) < started + seconds:
        stop.wait(min(next_sample, started + seconds) - now)
        now = time.monotonic()
        if rss_warm is None and now - started >= warmup:
            rss_warm = [rss_mb(pid) for pid in pids]
            if args.tracemalloc and args.server == "app":
                for p in procs:
                    p.send_signal(signal.SIGUSR1)  # snapshot 1 (ops/memdump.py)
        if now >= next_sample:
            samples.append((now - started, [rss_mb(pid) for pid in pids]))
            next_sample += sample_every
    stop.set()
    for t in threads:
        t.join(15)
    elapsed = time.monotonic() - started
    cpu1 = [cpu_s(pid) for pid in pids]
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    results: list[tuple[int, dict[str, bytearray], set[str]]] = []
    stats: list[dict[str, Any]] = []
    for _, pipe in workers:
        pipe.send("stop")
    for _, pipe in workers:
        if not pipe.poll(60):
            raise SystemExit(f"a client worker did not report in 60 s; logs in {tmp}")
        msg = pipe.recv()
        if msg[0] != "result":
            raise SystemExit(f"a client worker failed: {msg[1]}; logs in {tmp}")
        results += msg[1]
        stats.append(msg[2])
    rss1 = [rss_mb(pid) for pid in pids]
    if args.tracemalloc and args.server == "app" and rss_warm is not None:
        _print_growth(procs, tmp)

    seen = {i: (days, other) for i, days, other in results}
    drops: dict[int, list[list[Any]]] = {}
    for w, st in enumerate(stats):
        for (i, _), d in zip(specs[w::procs_n], st["drops"]):
            drops[i] = d
    missed, missed_down = _missed(acked, seen, drops)
    dropped = sum(st["disconnects"] for st in stats)  # before our own disconnects at the end
    reasons: dict[str, int] = {}
    for st in stats:
        for k, v in st["reasons"].items():
            reasons[k] = reasons.get(k, 0) + v
    print(f"creates acknowledged: {len(acked)} ({len(acked) / elapsed:.1f}/s), errors: {len(errors)}, "
          f"socket disconnects during the run: {dropped}"
          + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(reasons.items()))})" if reasons else ""))
    print(f"create latency (s): p50 {_percentile(latencies, 0.5):.3f}, p95 {_percentile(latencies, 0.95):.3f}, "
          f"p99 {_percentile(latencies, 0.99):.3f}, max {max(latencies, default=float('nan')):.3f}")
    print(f"missed pushes: {missed} of {len(acked) * clients_n} (incident × client)"
          + (f", {missed_down} of them around a client's disconnect" if missed else ""))
    print(f"deltas received: {sum(st['deltas'] for st in stats)}, snapshots: {sum(st['snapshots'] for st in stats)} "
          f"({clients_n} at connect)")
    print("RSS over time (MB): " + "; ".join(f"{t:.0f} s: " + ", ".join(f"{r:.0f}" for r in rs)
                                               for t, rs in samples))
    print("RSS at end (MB):   " + ", ".join(f"{r:.0f}" for r in rss1) + "   growth: "
          + ", ".join(f"{(b - a) / a * 100:+.1f} %" for a, b in zip(rss0, rss1)))
    if rss_warm is not None:
        print(f"RSS growth after a {warmup:.0f} s warm-up (baseline " + ", ".join(f"{r:.0f}" for r in rss_warm)
              + " MB): " + ", ".join(f"{(b - a) / a * 100:+.1f} %" for a, b in zip(rss_warm, rss1)))
    harness_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    print("CPU over the run (% of one core): apps " + ", ".join(f"{(b - a) / elapsed * 100:.0f}"
                                                               for a, b in zip(cpu0, cpu1))
          + f"; API threads {harness_cpu / elapsed * 100:.0f}; socket workers (incl. connect) "
          + ", ".join(f"{st['cpu_s'] / elapsed * 100:.0f}" for st in stats))
    for e in errors[:5]:
        print("  error:", e)
    sys.stdout.flush()
    if not errors and not missed:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"logs kept in {tmp}")
    return 1 if errors or missed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))  # webclient: the login form's CSRF token (spawned clients inherit it)
    sys.exit(main())
