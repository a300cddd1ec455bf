"""Backup and restore of the embedded store: a backup taken while the app writes restores every incident."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from factories import WATER_COVER, operator, report
from incidents.model import Channel
from incidents.records import EventRow, IncidentRow
from ops.backup import PG_HINT, BackupError, backup, restore

ROOT = Path(__file__).resolve().parents[2]


def _create(services, clock, n: int) -> list[str]:
    """``n`` incidents 100 m apart (no duplicate candidates), through the console's intake path."""
    return [services.dispatch.intake(report(WATER_COVER, east_m=100.0 * i, description=f"井盖 {i}"), operator(),
                                     Channel.HOTLINE, clock()).incident.code for i in range(n)]


def _codes_and_events(url: str) -> tuple[set[str], int]:
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        codes = {r[0] for r in con.execute(f"SELECT code FROM {IncidentRow.__tablename__}")}
        events = con.execute(f"SELECT count(*) FROM {EventRow.__tablename__}").fetchone()[0]
        return codes, events
    finally:
        con.close()


def test_a_restored_backup_holds_every_incident_and_event(services, clock, settings, tmp_path):
    codes = set(_create(services, clock, 12))
    out = tmp_path / "backups" / "cityops-backup.db"
    assert backup(settings.database_url, out) > 0
    with services.db.read() as s:
        events = len(s.scalars(select(EventRow.id)).all())
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    restore(restored, out)
    got_codes, got_events = _codes_and_events(restored)
    assert codes <= got_codes and len(got_codes) == len(codes) and got_events == events
    assert not out.with_name(out.name + ".partial").exists()


def test_restore_over_a_store_replaces_its_content(services, clock, settings, tmp_path):
    before = set(_create(services, clock, 3))
    out = tmp_path / "b.db"
    backup(settings.database_url, out)
    _create(services, clock, 2)  # written after the backup: gone after the restore
    services.db.dispose()
    restore(settings.database_url, out)
    assert _codes_and_events(settings.database_url)[0] == before


def test_postgresql_is_refused_with_the_pg_dump_hint(tmp_path):
    with pytest.raises(BackupError) as err:
        backup("postgresql+psycopg://postgres@127.0.0.1/cityops", tmp_path / "x")
    assert str(err.value) == PG_HINT and "pg_dump" in PG_HINT


def test_the_cli_backs_up_and_restores(services, clock, settings, tmp_path):
    codes = set(_create(services, clock, 2))
    env = {"DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin", "CITYOPS_DEMO": "0"}
    out = tmp_path / "cli.db"
    r = subprocess.run([sys.executable, "app.py", "backup", str(out)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    target = f"sqlite:///{tmp_path / 'cli-restored.db'}"
    r = subprocess.run([sys.executable, "app.py", "restore", str(out)], cwd=ROOT, env={**env, "DATABASE_URL": target},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert _codes_and_events(target)[0] == codes
