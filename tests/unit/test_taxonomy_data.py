"""The seed taxonomy and departments, and lookup/search over them (incidents/taxonomy.py)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from incidents.taxonomy import Category, Taxonomy

DATA = Path(__file__).resolve().parents[2] / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


DEPARTMENTS = _rows("departments.csv")
DEPT_CODES = {d["code"] for d in DEPARTMENTS}
TAXONOMY = Taxonomy.load(DATA / "taxonomy.csv", departments=DEPT_CODES)

STANDARD_LARGE_CLASSES = {
    "101": "公用设施", "102": "道路交通", "103": "市容环境", "104": "园林绿化", "105": "房屋土地", "106": "其他设施",
    "201": "市容环境", "202": "宣传广告", "203": "施工管理", "204": "突发事件", "205": "街面秩序", "206": "其他事件",
}


# -- departments.csv ------------------------------------------------------------------------------


def test_departments_have_unique_codes_names_and_a_known_kind() -> None:
    assert [d for d in DEPARTMENTS if not (d["code"] and d["zh"] and d["en"])] == []
    assert len(DEPT_CODES) == len(DEPARTMENTS)
    assert {d["kind"] for d in DEPARTMENTS} == {"dept", "grid"}
    assert {d["code"] for d in DEPARTMENTS if d["kind"] == "grid"} == {"GRID"}
    assert len(DEPARTMENTS) >= 12


# -- taxonomy.csv ---------------------------------------------------------------------------------


def test_taxonomy_has_at_least_forty_small_classes() -> None:
    assert len(TAXONOMY) >= 40


def test_codes_are_unique_and_well_formed() -> None:
    codes = [r["code"] for r in _rows("taxonomy.csv")]
    assert len(codes) == len(set(codes))
    for row in _rows("taxonomy.csv"):
        code = row["code"]
        assert re.fullmatch(r"[12]\d{4}", code), code
        assert row["family"] == {"1": "component", "2": "event"}[code[0]], code
        assert row["large_code"] == code[1:3], code


def test_large_classes_are_the_standards_twelve() -> None:
    assert {lc.key: lc.zh for lc in TAXONOMY.large_classes()} == STANDARD_LARGE_CLASSES
    assert all(lc.en for lc in TAXONOMY.large_classes())
    assert len(TAXONOMY.large_classes("event")) == 6


def test_every_department_named_by_the_taxonomy_exists() -> None:
    assert TAXONOMY.departments() <= DEPT_CODES
    assert "GRID" not in TAXONOMY.departments()  # grid workers act on the spot, they are not a default


def test_some_categories_wait_for_an_operator() -> None:
    unrouted = [c.code for c in TAXONOMY if c.department is None]
    assert unrouted and all(code in TAXONOMY for code in unrouted)
    assert all(c.department is None for c in TAXONOMY.in_large_class("206"))


def test_only_a_few_categories_may_be_resolved_on_the_spot() -> None:
    onspot = {c.code for c in TAXONOMY if c.onspot}
    assert {"20102", "20104", "20201"} <= onspot  # 暴露垃圾, 道路不洁, 非法小广告
    assert len(onspot) <= len(TAXONOMY) // 10
    assert not any(c.onspot for c in TAXONOMY.in_large_class("204"))  # never an emergency


def test_well_known_small_classes_are_present() -> None:
    expected = {
        "10101": "上水井盖", "20101": "私搭乱建", "20102": "暴露垃圾", "20103": "积存垃圾渣土", "20104": "道路不洁",
        "20105": "水域不洁", "20106": "绿地脏乱", "20201": "非法小广告", "20301": "施工扰民", "20401": "管道破裂",
        "20402": "路面塌陷", "20403": "道路积水", "20404": "火灾", "20501": "无照经营", "20502": "占道经营",
    }
    assert {code: TAXONOMY.get(code).zh for code in expected} == expected


# -- lookup and search ----------------------------------------------------------------------------


def test_get_returns_the_category_and_unknown_codes_raise_clearly() -> None:
    cover = TAXONOMY.get("10101")
    assert (cover.family, cover.large_zh, cover.en, cover.department) == (
        "component", "公用设施", "Water supply manhole cover", "SWJ",
    )
    with pytest.raises(KeyError, match="unknown category code '99999'"):
        TAXONOMY.get("99999")


def test_search_by_code_prefix() -> None:
    hits = TAXONOMY.search("1010")
    assert hits and all(c.code.startswith("1010") for c in hits)
    assert [c.code for c in TAXONOMY.search("20102")] == ["20102"]


def test_search_by_chinese_name() -> None:
    assert [c.code for c in TAXONOMY.search("暴露垃圾")] == ["20102"]
    covers = TAXONOMY.search("井盖", "zh")
    assert len(covers) >= 10 and all("井盖" in c.zh for c in covers)


def test_search_by_english_name_is_case_insensitive() -> None:
    assert "20102" in [c.code for c in TAXONOMY.search("EXPOSED garbage", "en")]
    assert {c.code for c in TAXONOMY.search("manhole", "en")} == {c.code for c in TAXONOMY.search("井盖", "zh")}
    assert TAXONOMY.search("manhole", "zh") == []


def test_search_ranks_name_prefix_before_substring_and_matches_large_classes() -> None:
    hits = [c.zh for c in TAXONOMY.search("垃圾")]
    assert hits.index("垃圾箱") < hits.index("暴露垃圾")
    emergencies = TAXONOMY.search("突发事件")
    assert {c.code for c in emergencies} == {c.code for c in TAXONOMY.in_large_class("204")}


def test_empty_search_lists_everything() -> None:
    assert TAXONOMY.search("  ") == list(TAXONOMY.all())


# -- validation -----------------------------------------------------------------------------------

GOOD = {
    "code": "20102", "family": "event", "large_code": "01", "large_zh": "市容环境", "large_en": "City appearance",
    "zh": "暴露垃圾", "en": "Exposed garbage", "department": "CGJ", "onspot": "1",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "2010"}, "5 digits"),
        ({"code": "30102"}, "5 digits"),
        ({"family": "component"}, "family digit"),
        ({"large_code": "02"}, "large_code"),
        ({"code": "20100"}, "small class 00"),
        ({"onspot": "maybe"}, "onspot"),
        ({"department": "NOPE"}, "unknown department"),
        ({"en": ""}, "English"),
    ],
)
def test_bad_rows_are_refused(change: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Taxonomy.from_rows([{**GOOD, **change}], departments=DEPT_CODES)


def test_duplicate_codes_and_inconsistent_large_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Taxonomy.from_rows([GOOD, GOOD])
    with pytest.raises(ValueError, match="large class"):
        Taxonomy.from_rows([GOOD, {**GOOD, "code": "20103", "large_zh": "别的"}])


def test_empty_department_means_none() -> None:
    tax = Taxonomy.from_rows([{**GOOD, "department": ""}])
    assert tax.get("20102").department is None
    assert isinstance(tax.get("20102"), Category)
