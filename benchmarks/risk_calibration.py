"""Calibration of the breach-risk model (incidents/risk.py) on generated history — a printed report.

Generates ``--months`` of demo history (``data.demo.generate_history``, fixed seed) into a fresh SQLite
database, then at a moment every ``--every-h`` hours over the last ``--days`` days before the end (leaving
``--tail-days`` for outcomes to happen) scores every running, not-yet-overdue incident with the model
fitted as the app fits it, and compares with what happened (``incidents.risk_calibration``). Prints the
reliability table (predicted vs observed miss rate per probability bin) and the Brier scores of the
model and of the constant base-rate baseline; writes benchmarks/results/risk_calibration.json.

    python benchmarks/risk_calibration.py            # 6 months of history, 60 days of moments
    python benchmarks/risk_calibration.py --smoke    # 3 months, 20 days: well under 30 s
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import app  # noqa: E402
from data import demo  # noqa: E402
from dispatch.risk_clock import reference_elapsed  # noqa: E402
from incidents.risk_calibration import calibrate, moments_between  # noqa: E402
from settings import Settings  # noqa: E402

END = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--days", type=int, default=60, help="days of moments before the tail")
    ap.add_argument("--tail-days", type=int, default=10, help="days left after the last moment for outcomes")
    ap.add_argument("--every-h", type=float, default=6.0)
    ap.add_argument("--seed", type=int, default=demo.SEED)
    ap.add_argument("--refit-days", type=int, default=1, help="reuse a fit this many days (the app: 1)")
    ap.add_argument("--wall-clock", action="store_true", help="the model on wall-clock shares (the old clock)")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    if args.smoke:
        args.months, args.days, args.refit_days = 3, 20, 5
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/calibration.db", demo=False)  # type: ignore[call-arg]
        services = app.build_services(settings)
        t0 = time.perf_counter()
        gen = demo.generate_history(services, months=args.months, now=END, seed=args.seed)
        t_gen = time.perf_counter() - t0
        last = END - timedelta(days=args.tail_days)
        moments = moments_between(last - timedelta(days=args.days), last, timedelta(hours=args.every_h))
        t1 = time.perf_counter()
        with services.db.read() as s:
            cal = calibrate(moments, session=s, tz=settings.tz, data_end=END, refit_days=args.refit_days,
                            elapsed=None if args.wall_clock else reference_elapsed(services.reference))
        t_cal = time.perf_counter() - t1
        services.db.dispose()
    print(f"history: {gen['incidents']} incidents, {gen['events']} events, {args.months} months, seed {args.seed} "
          f"({t_gen:.1f} s); calibration {t_cal:.1f} s; clock: {'wall' if args.wall_clock else 'SLA (working time)'}")
    print(cal.table())
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / ("risk_calibration-smoke.json" if args.smoke else "risk_calibration.json")).write_text(json.dumps({
        "months": args.months, "seed": args.seed, "clock": "wall" if args.wall_clock else "sla", "moments": cal.moments, "n": cal.n, "base_rate": cal.base_rate,
        "brier": cal.brier, "brier_baseline": cal.brier_baseline, "skill": round(cal.skill, 4),
        "bins": [{"lo": b.lo, "hi": b.hi, "n": b.n, "incidents": b.incidents, "predicted": b.predicted,
                  "observed": b.observed}
                 for b in cal.bins]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
