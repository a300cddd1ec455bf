"""Routing rules: the taxonomy's defaults, overrides from rules rows, grid workers by longest prefix."""
from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.rules import KINDS, Route, RoutingRules, rows_from_toml

DATA = Path(__file__).resolve().parents[2] / "data"

DEFAULTS = {
    "10101": ("SWJ", False),  # water manhole cover
    "20102": ("CGJ", True),  # exposed garbage, on the spot by default
    "20601": (None, False),  # other event: no department
}
CELL = "220302001001001"


def rules(*rows: tuple[str, str, str]) -> RoutingRules:
    return RoutingRules.from_rows(rows, DEFAULTS)


def test_taxonomy_default_department_routes_when_no_rule_overrides():
    assert rules().route("10101", CELL) == Route("SWJ")


def test_rule_overrides_the_taxonomy_default():
    r = rules(("category_department", "10101", "JTJ"))
    assert r.route("10101", CELL) == Route("JTJ")


def test_an_empty_rule_clears_the_default_so_an_operator_decides():
    assert rules(("category_department", "10101", "")).route("10101", CELL) is None


def test_category_without_department_is_ambiguous_without_a_fallback():
    assert rules().route("20601", CELL) is None
    assert rules().route("99999", CELL) is None  # unknown to the taxonomy, too


def test_fallback_department_catches_categories_without_one():
    r = rules(("setting", "fallback_department", "CGJ"))
    assert r.route("20601", CELL) == Route("CGJ")
    assert r.route("10101", CELL) == Route("SWJ")  # a known department still wins


def test_grid_worker_is_found_by_the_longest_code_prefix():
    r = rules(
        ("grid_workers", "220302001", "street_worker"),
        ("grid_workers", "220302001001", "community_worker"),
        ("grid_workers", "220302001001001", "cell_worker"),
    )
    assert r.worker_for("220302001001001") == "cell_worker"
    assert r.worker_for("220302001001002") == "community_worker"
    assert r.worker_for("220302001002001") == "street_worker"
    assert r.worker_for("220302002001001") is None
    assert r.worker_for("220303001001001") is None


def test_grid_work_goes_to_the_cell_s_worker_or_waits():
    r = rules(("category_department", "20102", "GRID"), ("grid_workers", "220302001001", "gw1"))
    assert r.route("20102", CELL) == Route("GRID", "gw1")
    assert r.route("20102", "220302009001001") is None  # a village without a worker: ambiguous


def test_grid_department_name_is_a_setting():
    r = rules(("setting", "grid_department", "WG"), ("category_department", "20102", "WG"),
              ("grid_workers", "220302001001", "gw1"))
    assert r.route("20102", CELL) == Route("WG", "gw1")


def test_onspot_defaults_come_from_the_taxonomy_and_rules_toggle_them():
    assert rules().allows_onspot("20102") and not rules().allows_onspot("10101")
    r = rules(("onspot", "20102", "false"), ("onspot", "10101", "1"))
    assert not r.allows_onspot("20102") and r.allows_onspot("10101")


def test_working_hours_setting_is_split_into_periods():
    assert rules().working_hours == ("08:30-12:00", "13:30-17:30")
    assert rules(("setting", "working_hours", "09:00-12:00, 14:00-18:00")).working_hours == (
        "09:00-12:00", "14:00-18:00")


def test_unknown_rule_kind_is_refused():
    with pytest.raises(ValueError, match="unknown rule kind 'grid_worker'"):
        rules(("grid_workers", "220302001", "a"), ("grid_worker", "220302001", "b"))


def test_shipped_rules_toml_flattens_into_known_kinds():
    rows = rows_from_toml(DATA / "rules.toml")
    assert {kind for kind, _, _ in rows} <= set(KINDS)
    assert ("category_department", "20102", "GRID") in rows
    assert ("grid_workers", "220302001001", "gw220302001001") in rows
    assert ("setting", "fallback_department", "") in rows


def test_rows_from_toml_turns_booleans_into_flags(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[onspot]\n"20102" = true\n"10101" = false\n', encoding="utf-8")
    assert rows_from_toml(path) == [("onspot", "20102", "1"), ("onspot", "10101", "0")]


def test_rows_from_toml_rejects_unknown_sections(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[grid_worker]\n"220302001001" = "gw1"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown sections.*grid_worker"):
        rows_from_toml(path)
