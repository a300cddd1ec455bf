"""Benchmark: writing the demo history — bulk Core inserts vs the store's per-incident transactions.

Generates months of history with ``data.demo.generate_history`` on a fresh SQLite database (every
event decided by the domain rules, rows written with Core ``insert()`` executemany in one transaction),
then writes a sample of the same incidents again the conventional way — ``store.insert`` and one
``store.apply`` per event through the ORM, one transaction per incident as the live services do — and
prints incidents/s for both and the ratio.

    python benchmarks/history.py            # 12 months (~36k incidents, ~230k events)
    python benchmarks/history.py --smoke    # 1 month, well under 30 s (CI)
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

import app  # noqa: E402
from data import demo  # noqa: E402
from incidents import store  # noqa: E402
from incidents.changes import replay  # noqa: E402
from incidents.model import Actor, Role  # noqa: E402
from incidents.records import EventRow  # noqa: E402
from settings import Settings  # noqa: E402


def services_on(path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}", demo=False)  # type: ignore[call-arg]
    return app.build_services(settings)


def conventional(source, target, sample: int) -> tuple[int, int, float]:  # type: ignore[no-untyped-def]
    """Re-write ``sample`` incidents of ``source`` into ``target`` through the store, one unit each."""
    with source.db.read() as s:
        ids = list(s.scalars(select(EventRow.incident_id).distinct()))
        chosen = set(random.Random(1).sample(ids, min(sample, len(ids))))
        events = defaultdict(list)
        for row in s.scalars(select(EventRow).where(EventRow.incident_id.in_(chosen)).order_by(EventRow.seq)):
            events[row.incident_id].append(store.to_event(row))
    n_events = 0
    t0 = time.perf_counter()
    for evs in events.values():
        reported = replay(evs[:1])
        with target.db.write.begin() as s:
            incident, _ = store.insert(reported.evolve(id=None),
                                       Actor(evs[0].actor, Role.SYSTEM), evs[0].at, session=s)
            for e in evs[1:]:
                incident = store.apply(incident, replace(e, incident_id=incident.id), incident.version, session=s)
        n_events += len(evs)
    return len(events), n_events, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1 month and a small sample (CI)")
    parser.add_argument("--months", type=int, default=None)
    args = parser.parse_args(argv)
    months = args.months or (1 if args.smoke else 12)
    with tempfile.TemporaryDirectory() as tmp:
        bulk = services_on(Path(tmp) / "bulk.db")
        result = demo.generate_history(bulk, months=months)
        print(f"generate_history: {months} months, {result['incidents']:,} incidents, {result['events']:,} events "
              f"in {result['seconds']:.1f} s (write {result['write_seconds']:.1f} s); states {result['states']}")
        slow = services_on(Path(tmp) / "orm.db")
        n, n_events, seconds = conventional(bulk, slow, 300 if args.smoke else 1000)
        bulk_rate = result["incidents"] / result["seconds"]
        orm_rate = n / seconds
        print(f"bulk (rules + Core executemany): {bulk_rate:,.0f} incidents/s")
        print(f"store.insert/apply per incident: {orm_rate:,.0f} incidents/s ({n} incidents, {n_events} events)")
        print(f"ratio: {bulk_rate / orm_rate:.1f}x; the conventional way would take "
              f"~{result['incidents'] / orm_rate:.0f} s for this history")
        bulk.db.dispose()
        slow.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
