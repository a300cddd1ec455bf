"""``python app.py import FILE [--map FIELD=COLUMN …]``: bulk CSV import with a progress bar;
``python app.py create-token --name N --role R [--department D | --username U]``: a stored API token."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from dispatch.importer import CsvError, import_csv
from incidents.model import Actor, Role


def import_command(services: Any, file: str | None, maps: list[str]) -> int:
    if not file:
        print("usage: python app.py import FILE [--map FIELD=COLUMN ...]", file=sys.stderr)
        return 2
    mapping = dict(m.split("=", 1) for m in maps if "=" in m) or None
    path = Path(file)

    def bar(phase: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        print(f"\r{phase:9s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr,
              flush=True)

    try:
        report = import_csv(services, path.read_bytes(), mapping, Actor("import", Role.OPERATOR),
                            services.clock(), progress=bar)
    except (CsvError, OSError) as exc:
        print(f"\nimport refused: {exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    print(f"{report.imported} of {report.total} rows imported ({report.encoding}); {len(report.errors)} refused")
    if report.errors:
        errors = path.with_name(path.stem + ".errors.csv")
        errors.write_text(report.error_csv(), encoding="utf-8")
        print(f"refused rows with line numbers and reasons: {errors}")
    return 0 if not report.errors else 1


def token_command(services: Any, name: str, role: str, department: str | None, username: str | None) -> int:
    """Store a token bound as asked and print its secret once (only its SHA-256 is kept)."""
    from auth.tokens import TokenError, create_token

    try:
        with services.db.write.begin() as s:
            secret = create_token(name, role, services.clock(), session=s, department=department, username=username)
    except TokenError as exc:
        print(f"create-token refused: {exc}", file=sys.stderr)
        return 2
    bound = f" for department {department}" if department else f" acting as {username}" if username else ""
    print(f"token {name} ({role}{bound}); send it as 'Authorization: Bearer <secret>', shown only now:")
    print(secret)
    return 0
