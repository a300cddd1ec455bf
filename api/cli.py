"""``python app.py import FILE [--map FIELD=COLUMN …]``: bulk CSV import with a progress bar;
``python app.py create-token --name N --role R [--department D | --username U]``: a stored API token;
``python app.py import-geography FILE [--crs wgs84|gcj02]``: the city's own geography."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

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


#: How many moved cases, outside cases and stale rules the import prints by name before summarising.
_LIST_AT_MOST = 20


def problem_text(problem: Any, lang: str) -> str:
    """One validation problem as the user reads it: the feature's code, then the reason."""
    from i18n import t

    params = dict(problem.params)
    for name in ("got", "expected"):  # level names in the user's language
        if problem.key == "parent_level" and name in params:
            params[name] = "/".join(t(f"geography.level_name.{v}", lang) for v in str(params[name]).split("/"))
    return f"{problem.code or t('geography.whole_file', lang)}: {t('geography.problem.' + problem.key, lang, **params)}"


def _listed(lines: list[str], lang: str) -> list[str]:
    from i18n import t

    if len(lines) <= _LIST_AT_MOST:
        return lines
    return lines[:_LIST_AT_MOST] + [t("geography.more", lang, n=len(lines) - _LIST_AT_MOST)]


def geography_command(settings: Any, build_services: Callable[[], Any], file: str | None, crs: str, lang: str) -> int:
    """``import-geography FILE [--crs wgs84|gcj02]``: validate the whole file, print every problem and exit 1
    changing nothing (the database is not even opened); else replace the geography, re-locate the open cases
    and report what moved."""
    from dispatch.geography import import_geography
    from geo.geography import city_extent, read_file, validate
    from i18n import t

    if not file:
        print("usage: python app.py import-geography FILE [--crs wgs84|gcj02]", file=sys.stderr)
        return 2
    print(t("geography.reading", lang, file=file, crs=crs), file=sys.stderr)
    try:
        features, problems = read_file(file, crs)
    except Exception as exc:  # fiona/pyogrio raise their own kinds for a missing or unreadable file
        print(t("geography.unreadable", lang, file=file, reason=str(exc) or type(exc).__name__), file=sys.stderr)
        return 2
    problems += validate(features, city_extent(settings.data_dir / "siping"))
    if problems:
        for p in problems:
            print(problem_text(p, lang), file=sys.stderr)
        print(t("geography.refused", lang, n=len(problems)), file=sys.stderr)
        return 1
    services = build_services()
    report = import_geography(services.incidents, features, source=str(Path(file).resolve()), now=services.clock())
    counts = ", ".join(f"{report.counts[level]} {t('geography.level.' + level, lang)}"
                       for level in ("district", "street", "community", "cell", "place") if level in report.counts)
    print(t("geography.checked", lang, file=file, counts=counts))
    print(t("geography.imported", lang, file=file, version=report.version))
    print(t("geography.open_cases", lang, n=report.open_cases, moved=len(report.moved), outside=len(report.outside)))
    for line in _listed([t("geography.moved_line", lang, code=c, old=o, new=n) for c, o, n in report.moved], lang):
        print(line)
    for line in _listed([t("geography.outside_line", lang, code=c) for c in report.outside], lang):
        print(line)
    if report.stale_rules:
        print(t("geography.stale", lang, n=len(report.stale_rules)))
        for line in _listed([t("geography.stale_line", lang, code=c, worker=w) for c, w in report.stale_rules], lang):
            print(line)
    return 0
