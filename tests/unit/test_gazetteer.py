"""The committed gazetteer is exactly what its builder produces, and every place lies in its grid cell."""
from __future__ import annotations

from pathlib import Path

import factories as f
from geo.gazetteer import DEFAULT_PATH, Place, build, rank, read_csv, write_csv


def test_builder_reproduces_the_committed_gazetteer(tmp_path: Path) -> None:
    out = tmp_path / "gazetteer.csv"
    write_csv(build(f.default_grid()), out)
    assert out.read_text(encoding="utf-8") == DEFAULT_PATH.read_text(encoding="utf-8")


def test_every_place_lies_in_the_cell_it_names() -> None:
    grid = f.default_grid()
    places = read_csv()
    assert {p.kind for p in places} == {"street", "community", "landmark", "road"}
    codes = grid.locate([p.lon for p in places], [p.lat for p in places])
    assert [str(c) for c in codes] == [p.grid for p in places]


def test_rank_prefers_exact_then_prefix_then_contains_then_alias() -> None:
    def p(kind: str, name: str, alias: str = "") -> Place:
        return Place(kind, name, alias, 220302, 124.3, 43.1, "")

    places = [p("street", "大英雄街道"), p("road", "英雄大路"), p("landmark", "英雄广场"), p("landmark", "纪念馆", "英雄"),
              p("community", "英雄")]
    assert [x.name for x in rank("英雄", places)] == ["英雄", "英雄广场", "英雄大路", "大英雄街道", "纪念馆"]
    assert rank("  ", places) == []
