"""CLI of the data exchange, reached through ``python app.py <command> …``:

* ``connector list`` · ``connector set DEPT KIND [--url URL] [--secret S] [--options JSON] [--disabled]``
* ``outbox status`` · ``outbox dead`` · ``outbox retry [ID …]`` (all dead letters without ids)
* ``quality [--since DATE] [--until DATE] [--freq day|week] [FILE]`` — the feedback report as CSV
* ``archive --older-than-days N [--batch 1000] [--export FILE]`` — MOVE finished incidents (closed, rejected,
  merged) older than N days, with their events, to the archive tables in batches (optionally also to a gzip file)
* ``archive --before DATE FILE`` — COPY finished incidents and their events to a gzip JSON-lines file
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable

from dispatch.connectors import ConnectorError
from dispatch.outbox import connector_from
from incidents.archive import export_archive, move_finished
from incidents.model import Actor, Role
from incidents.quality import quality, quality_csv, week_start

CLI_ACTOR = Actor("cli", Role.ADMIN)


def _day(value: str, tz: Any) -> datetime:
    """A date (midnight in the city's zone) or an ISO datetime with a zone."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date") from None
    if at.tzinfo is None:
        at = datetime.combine(at.date(), time(0), tzinfo=tz) if at.time() == time(0) else at.replace(tzinfo=tz)
    return at


def main(argv: list[str], build_services: Callable[[], Any]) -> int:
    parser = argparse.ArgumentParser(prog="cityops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conn = sub.add_parser("connector").add_subparsers(dest="sub", required=True)
    conn.add_parser("list")
    cset = conn.add_parser("set")
    cset.add_argument("department")
    cset.add_argument("kind", choices=["none", "webhook", "open311"])
    cset.add_argument("--url", default="")
    cset.add_argument("--secret", default="")
    cset.add_argument("--options", default="{}", help="JSON: status_map, service_codes, jurisdiction_id, timeout_s")
    cset.add_argument("--disabled", action="store_true")
    out = sub.add_parser("outbox").add_subparsers(dest="sub", required=True)
    out.add_parser("status")
    out.add_parser("dead")
    retry = out.add_parser("retry")
    retry.add_argument("ids", nargs="*", type=int)
    q = sub.add_parser("quality")
    q.add_argument("--since")
    q.add_argument("--until")
    q.add_argument("--freq", choices=["day", "week"], default="week")
    q.add_argument("file", nargs="?")
    a = sub.add_parser("archive")
    a.add_argument("--older-than-days", type=int, help="move finished incidents older than N days to the archive tables")
    a.add_argument("--batch", type=int, default=1000, help="incidents per transaction (with --older-than-days)")
    a.add_argument("--export", help="also write the moved incidents to this gzip JSON-lines file")
    a.add_argument("--before", help="copy (not move) finished incidents before DATE to FILE")
    a.add_argument("file", nargs="?")
    args = parser.parse_args(argv)
    services = build_services()
    now = services.clock()
    tz = services.settings.tz
    ex = services.exchange
    if args.command == "connector" and args.sub == "list":
        for c in ex.connectors():
            print(json.dumps({"department": c.department, "kind": c.kind, "url": c.url, "enabled": c.enabled,
                              "secret": "***" if c.secret else "", "options": dict(c.options)}, ensure_ascii=False))
        return 0
    if args.command == "connector":
        try:
            c = connector_from(args.department, args.kind, args.url, args.secret, not args.disabled,
                               json.loads(args.options))
            ex.configure(c, CLI_ACTOR, now, services.reference.get().departments)
        except (ConnectorError, ValueError) as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
        print(f"connector of {args.department}: {args.kind}")
        return 0
    if args.command == "outbox":
        if args.sub == "status":
            print(json.dumps(ex.counts(), ensure_ascii=False))
        elif args.sub == "dead":
            for d in ex.dead_letters():
                print(json.dumps(d, ensure_ascii=False))
        else:
            print(f"{ex.retry(args.ids or None, now, CLI_ACTOR)} dead letters queued again")
        return 0
    if args.command == "quality":
        until = _day(args.until, tz) if args.until else datetime.combine(
            week_start(now.astimezone(tz).date()), time(0), tzinfo=tz)
        since = _day(args.since, tz) if args.since else until - timedelta(days=7)
        with services.db.read() as s:
            text = quality_csv(quality(since, until, args.freq, tz, session=s, grid=services.grid))
        if args.file:
            Path(args.file).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.older_than_days is not None:
        return _move(args, services, now)
    if not args.before or not args.file:
        print("refused: give --older-than-days N (move) or --before DATE FILE (copy)", file=sys.stderr)
        return 2
    before = _day(args.before, tz)
    with services.db.read() as s:
        n = export_archive(Path(args.file), before, session=s)
    print(f"{n} finished incidents before {before.isoformat()} archived to {args.file}")
    return 0


def _move(args: argparse.Namespace, services: Any, now: datetime) -> int:
    """The archive move. The age must cover the reopen window: an archived incident can no longer be reopened
    or called back, so moving one that still may be would take that right away."""
    reopen_days = services.settings.reopen_days
    if args.older_than_days < reopen_days or args.batch < 1:
        print(f"refused: --older-than-days must be at least the reopen window ({reopen_days} days) and --batch "
              "at least 1", file=sys.stderr)
        return 2
    before = now - timedelta(days=args.older_than_days)
    export = Path(args.export) if args.export else None
    n = move_finished(services.db, before, batch=args.batch, export=export)
    print(f"{n} finished incidents before {before.isoformat()} moved to the archive tables"
          + (f" and written to {export}" if export else ""))
    return 0


__all__ = ["main"]
