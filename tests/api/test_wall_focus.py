"""The wall's rotating focus panels: the settings reach the page in its labels store, a bad setting is refused
at start naming it, and the slot needs no polling (the browser computes the panels from its pushed model)."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from pydantic import ValidationError

import app as cityops_app
from layouts import ids
from settings import Settings


def _walk(component: Any) -> Iterator[Any]:
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _walk(child)


def _wall(settings: Settings, clock: Any, lang: str = "zh") -> tuple[Any, dict[str, Any]]:
    """The wall page as served to ``lang``: (its component tree, the labels store's data)."""
    from callbacks.pages import wall_page

    web = cityops_app.create_app(settings, clock, background=False)
    try:
        with web.server.test_request_context("/wall", base_url="http://wall.local"):
            page = wall_page(web.services, lang)
    finally:
        web.services.db.dispose()
    store = next(c for c in _walk(page) if getattr(c, "id", None) == ids.WALL_LABELS)
    return page, store.data


def test_the_labels_carry_the_focus_cycle_and_the_panels_in_the_configured_order(
        settings_factory: Callable[..., Settings], clock: Any) -> None:
    page, labels = _wall(settings_factory(wall_focus_cycle_s=7.5, wall_focus_panels=" cells, Overdue ,risk"), clock)
    focus = labels["focus"]
    assert focus["cycle_s"] == 7.5
    assert focus["panels"] == ["cells", "overdue", "risk"]
    assert focus["size"] == 6  # a fixed number of rows: the DOM stays bounded however many are overdue
    assert focus["titles"]["overdue"] == "超期案件 {n} · 最久在前"  # a template: the browser fills in the count
    assert focus["districts"]["220302"] == "铁西区"
    assert {"none", "overdue_by", "risk_left", "cell_name", "days", "hours", "minutes"} <= set(focus["text"])
    # Until the browser takes over, the slot shows the first configured panel's title (no count yet).
    slot = next(c for c in _walk(page) if getattr(c, "id", None) == ids.WALL_FOCUS)
    assert "on-list" in slot.className and "网格" in str(slot.to_plotly_json())


def test_english_labels_and_rotation_off_with_the_ranking_first_by_default(
        settings_factory: Callable[..., Settings], clock: Any) -> None:
    page, labels = _wall(settings_factory(wall_focus_cycle_s=0), clock, lang="en")
    assert labels["focus"]["cycle_s"] == 0
    assert labels["focus"]["panels"] == ["ranking", "overdue", "risk", "cells"]
    assert labels["focus"]["titles"]["risk"].startswith("At breach risk")
    slot = next(c for c in _walk(page) if getattr(c, "id", None) == ids.WALL_FOCUS)
    assert "on-ranking" in slot.className  # rotation off: the wall keeps its department ranking


def test_the_wall_has_no_interval_component_the_rotation_runs_in_the_browser(
        settings_factory: Callable[..., Settings], clock: Any) -> None:
    page, _ = _wall(settings_factory(wall_focus_cycle_s=2), clock)
    assert [c for c in _walk(page) if type(c).__name__ == "Interval"] == []


@pytest.mark.parametrize("env,field", [
    ({"CITYOPS_WALL_FOCUS_PANELS": "overdue,top"}, "CITYOPS_WALL_FOCUS_PANELS"),
    ({"CITYOPS_WALL_FOCUS_PANELS": "overdue,overdue"}, "CITYOPS_WALL_FOCUS_PANELS"),
    ({"CITYOPS_WALL_FOCUS_PANELS": " , "}, "CITYOPS_WALL_FOCUS_PANELS"),
    ({"CITYOPS_WALL_FOCUS_CYCLE_S": "-1"}, "CITYOPS_WALL_FOCUS_CYCLE_S"),
])
def test_a_bad_focus_setting_is_refused_at_start_naming_the_setting(env: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, **env)  # type: ignore[arg-type]
    assert field in str(err.value)
