"""``python app.py import-geography``: the sample replaces the geography in one transaction, open cases move
into its cells (and say so on their timeline), a refused file changes nothing, and another process's grid
index follows the new version."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

import app
from api.cli import geography_command
from factories import OTHER_EVENT, RURAL_CELL, WATER_COVER, operator, report
from incidents.geography import geography_version
from incidents.model import Channel
from incidents.records import GeoFeatureRow, IncidentRow, PlaceRow

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "geography.geojson"
SIPING_STATION = (124.3560, 43.1690)  # inside the sample's cell 220302102002001
NEW_CELL = "220302102002001"


def _intake(services, clock, lon: float, lat: float, category: str = WATER_COVER) -> str:
    raw = report(category, lon=lon, lat=lat, reporter_phone="13900000000")
    return services.dispatch.intake(raw, operator(), Channel.HOTLINE, clock()).incident.code


def _row(services, code: str) -> IncidentRow:
    with services.db.read() as s:
        return s.scalars(select(IncidentRow).where(IncidentRow.code == code)).one()


def _import(settings, services, path: Path, capsys, lang: str = "en") -> tuple[int, str, str]:
    rc = geography_command(settings, lambda: services, str(path), "wgs84", lang)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_a_new_database_holds_the_generated_geography(services):
    geography = services.geography.get()
    assert geography.generated and geography.version == 1
    assert len(services.grid) == sum(f.level == "cell" for f in geography.features) > 4000
    with services.db.read() as s:
        assert s.scalar(select(func.count()).select_from(GeoFeatureRow)) == len(geography.features)


def test_the_sample_replaces_the_geography_and_moves_open_cases_into_its_cells(db_services, db_url, settings_factory,
                                                                              clock, capsys):
    services, settings = db_services, settings_factory(database_url=db_url)
    other = app.build_services(settings.model_copy(update={"geography_check_s": 0.0}), clock=clock)
    moving = _intake(services, clock, *SIPING_STATION)
    rural = report(cell=RURAL_CELL)
    elsewhere = _intake(services, clock, rural["lon"], rural["lat"])
    rejected = _intake(services, clock, SIPING_STATION[0] + 0.001, SIPING_STATION[1], OTHER_EVENT)  # waits, reported
    services.incidents.act(rejected, "reject", operator(), _row(services, rejected).version, clock())
    old_cell, version = _row(services, moving).grid, _row(services, moving).version
    outside_cell = _row(services, elsewhere).grid
    rejected_cell = _row(services, rejected).grid
    assert old_cell != NEW_CELL and other.grid.locate_one(*SIPING_STATION) == old_cell

    rc, out, err = _import(settings, services, SAMPLE, capsys)

    assert rc == 0, err
    assert "2 open cases checked: 1 moved into another cell, 1 outside every new cell" in out
    assert f"moved {moving}: {old_cell} → {NEW_CELL}" in out and f"outside every cell: {elsewhere}" in out
    assert "220302001001 → gw220302001001" in out  # a grid worker rule of a community that is gone
    row = _row(services, moving)
    assert (row.grid, row.district, row.version) == (NEW_CELL, 220302, version)  # the handler's work is unchanged
    assert _row(services, elsewhere).grid == outside_cell  # kept, and reported
    assert _row(services, rejected).grid == rejected_cell  # a finished case keeps the cell it was handled in
    timeline = services.incidents.timeline(moving)
    assert timeline[-1].action == "relocate" and timeline[-1].payload["from_grid"] == old_cell
    # The other process (its own Services on the same database) locates into the new cells on its next call.
    assert other.grid.locate_one(*SIPING_STATION) == NEW_CELL and len(other.grid) == 16
    assert other.geography.get().version == 2 and not other.geography.get().generated
    with services.db.read() as s:
        places = {(r.kind, r.name): r.grid for r in s.scalars(select(PlaceRow))}
    assert places[("landmark", "四平站")] == NEW_CELL and places[("community", "铁西区站前社区")].startswith("220302102002")
    other.db.dispose()


def test_a_refused_file_changes_nothing_and_names_every_problem(services, settings, clock, tmp_path, capsys):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    cells = [f for f in data["features"] if f["properties"]["level"] == "cell"]
    cells[1]["properties"]["code"] = cells[0]["properties"]["code"]  # a duplicate code
    cells[2]["properties"]["parent_code"] = "220302101999"  # a missing parent
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code = _intake(services, clock, *SIPING_STATION)
    with services.db.read() as s:
        before = (geography_version(s), s.scalar(select(func.count()).select_from(GeoFeatureRow)),
                  s.scalar(select(func.count()).select_from(PlaceRow)))

    rc, out, err = _import(settings, services, bad, capsys, lang="zh")

    assert rc == 1 and out == ""
    assert f"{cells[0]['properties']['code']}: 该编码出现 2 次" in err
    assert f"{cells[2]['properties']['code']}: 上级 220302101999 不在文件中" in err
    assert "未做任何更改" in err
    with services.db.read() as s:
        after = (geography_version(s), s.scalar(select(func.count()).select_from(GeoFeatureRow)),
                 s.scalar(select(func.count()).select_from(PlaceRow)))
    assert after == before
    assert _row(services, code).grid == services.grid.locate_one(*SIPING_STATION) != NEW_CELL


def test_an_unreadable_file_is_refused_naming_it(services, settings, tmp_path, capsys):
    rc, _, err = _import(settings, services, tmp_path / "missing.geojson", capsys)
    assert rc == 2 and "missing.geojson" in err


def test_the_command_is_listed_with_its_options(capsys):
    with pytest.raises(SystemExit):
        app.main(["import-geography", "--help"])
    help_text = capsys.readouterr().out
    assert "import-geography" in help_text and "--crs {wgs84,gcj02}" in help_text
