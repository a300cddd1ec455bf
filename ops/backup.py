"""Backup and restore of the embedded store, and attachment retention.

SQLite: the online backup API copies a consistent snapshot page by page while the app keeps serving
(readers and the writer are not stopped; WAL content is included). Restore copies a backup over the
store with the same API — run it with the app stopped. PostgreSQL is backed up with its own tools
(``pg_dump -Fc`` / ``pg_restore``, README "Production"): we refuse rather than half-do it.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says what to do instead."""


PG_HINT = ("PostgreSQL is backed up with its own tools: pg_dump -Fc -f cityops.dump \"$DATABASE_URL\" "
           "and restored with pg_restore --clean --if-exists -d \"$DATABASE_URL\" cityops.dump (README, Production)")


def _sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///"):
        raise BackupError(PG_HINT)
    path = database_url.removeprefix("sqlite:///")
    if not path or path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(path)


def backup(database_url: str, target: Path) -> int:
    """Copy the live store to ``target`` (a new SQLite file); returns its size in bytes."""
    source = _sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst, pages=1024, sleep=0.005)  # in steps, so the app's writer is never held for long
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    tmp.replace(target)  # a half-written backup never carries the final name
    return target.stat().st_size


def restore(database_url: str, source: Path) -> int:
    """Replace the store's content with the backup ``source`` (stop the app first); returns its size."""
    target = _sqlite_path(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the backup failed its integrity check: {check}")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target.stat().st_size


def purge_uploads(uploads_dir: Path, days: int, now: float | None = None) -> list[Path]:
    """Remove attachment files older than ``days`` (by modification time) and then-empty folders.

    ``days <= 0`` keeps everything. Only regular files inside ``uploads_dir`` are touched (symlinks are
    not followed). A removed photo's link in the timeline then answers 404."""
    if days <= 0 or not uploads_dir.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - days * 86400
    removed: list[Path] = []
    for path in sorted(uploads_dir.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
            path.unlink()
            removed.append(path)
    for folder in sorted((p for p in uploads_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return removed


__all__ = ["BackupError", "PG_HINT", "backup", "purge_uploads", "restore"]
