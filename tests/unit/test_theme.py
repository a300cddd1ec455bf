"""The design system's pieces: the colour-scheme choice, the frame it paints, selects and grids in the UI's
language."""
from __future__ import annotations

from types import SimpleNamespace

import dash_ag_grid as dag
import dash_mantine_components as dmc
import pytest
from dash import dcc, html
from flask import Flask

import auth.preferences as prefs
from i18n import t
from layouts import components, theme
from layouts.shell import root


def _walk(node):  # type: ignore[no-untyped-def]
    yield node
    kids = getattr(node, "children", None)
    for kid in kids if isinstance(kids, (list, tuple)) else [kids]:
        if kid is not None and hasattr(kid, "_prop_names"):
            yield from _walk(kid)


def test_the_schemes_are_the_same_on_both_sides_of_the_layers() -> None:
    assert prefs.THEMES == theme.THEMES and prefs.DEFAULT_THEME == theme.DEFAULT_THEME == "dark"
    assert theme.normalise_theme("light") == "light" and theme.normalise_theme("<b>") == "dark"


@pytest.mark.parametrize("name", ["dark", "light"])
def test_the_frame_is_painted_in_the_chosen_scheme_by_the_server(name: str) -> None:
    frame = root("zh", "张三", "受理员", [], theme=name)
    assert frame.forceColorScheme == name
    app = next(n for n in _walk(frame) if isinstance(n, html.Div) and "app" in (n.className or "").split())
    assert f"theme-{name}" in app.className
    dates = next(n for n in _walk(frame) if isinstance(n, dmc.DatesProvider))
    assert dates.settings["locale"] == "zh-cn"
    switch = next(n for n in _walk(frame) if getattr(n, "id", None) == "theme-switch")
    other = "light" if name == "dark" else "dark"
    assert switch.href == f"/theme/{other}" and switch.children == t(f"theme.to_{other}", "zh")


def test_a_kiosk_has_no_header_so_no_link_to_switch_language_theme_or_page_or_to_log_out() -> None:
    frame = root("zh", "wall", "大屏", [("/wall", "大屏")], kiosk=True)
    nodes = list(_walk(frame))
    assert not [n for n in nodes if isinstance(n, (html.Header, html.Nav, html.A, html.Form, dcc.Link))]
    assert not [n for n in nodes if getattr(n, "id", None) in ("theme-switch", "lang-switch", "logout")]
    app = next(n for n in nodes if isinstance(n, html.Div) and "app" in (n.className or "").split())
    assert "kiosk" in app.className.split()
    person = list(_walk(root("zh", "张三", "领导", [("/wall", "大屏")])))
    assert [n for n in person if getattr(n, "id", None) == "lang-switch"]  # a person's frame keeps them


def test_the_switch_remembers_the_choice_and_returns_to_the_page() -> None:
    server = Flask(__name__)
    prefs.install(server)
    client = server.test_client()
    resp = client.get("/theme/light", headers={"Referer": "http://localhost/analytics?x=1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/analytics?x=1")
    cookie = resp.headers["Set-Cookie"]
    assert "theme=light" in cookie and "HttpOnly" in cookie
    other_site = client.get("/theme/dark", headers={"Referer": "https://evil.example/x"})
    assert other_site.headers["Location"].endswith("/")
    forged = client.get("/theme/purple")
    assert "Set-Cookie" not in forged.headers


def test_a_kiosk_stays_dark_whatever_its_cookie_says(monkeypatch: pytest.MonkeyPatch) -> None:
    server = Flask(__name__)
    wall = SimpleNamespace(is_authenticated=True, role=SimpleNamespace(value="wall"), device_id=None)
    leader = SimpleNamespace(is_authenticated=True, role=SimpleNamespace(value="leader"), device_id=None)
    kiosk = SimpleNamespace(is_authenticated=True, role=SimpleNamespace(value="leader"), device_id=7)
    for user, expected in ((wall, "dark"), (leader, "light"), (kiosk, "dark")):
        monkeypatch.setattr(prefs, "current_user", SimpleNamespace(_get_current_object=lambda u=user: u))
        with server.test_request_context("/", headers={"Cookie": "theme=light"}):
            assert prefs.current_theme() == expected


def test_selects_take_string_values_and_speak_the_catalog() -> None:
    sel = components.select("zh", id="x", options=[{"label": "铁西区", "value": 220302}, "week"], value=220302)
    assert sel.data == [{"label": "铁西区", "value": "220302"}, {"label": "week", "value": "week"}]
    assert sel.value == "220302" and sel.searchable and sel.nothingFoundMessage == t("dropdown.no_options_found", "zh")
    many = components.select("en", id="y", options=["a"], multi=True, value=["a"])
    assert isinstance(many, dmc.MultiSelect) and many.value == ["a"]


def test_every_grid_has_the_catalogs_locale_and_the_themes_colours() -> None:
    from layouts.workbench import workbench

    grids = [n for n in _walk(workbench("zh")) if isinstance(n, dag.AgGrid)]
    assert grids
    for g in grids:
        assert g.dashGridOptions["theme"] == components.GRID_THEME
        assert g.dashGridOptions["localeText"]["noRowsToShow"]
        assert "overlayNoRowsTemplate" not in g.dashGridOptions  # refused by dash-ag-grid (XSS guard)


#: Pages whose controls are still dcc.Dropdown (none: a page added with one fails below).
STILL_DCC: set[str] = set()


def test_pages_use_the_design_systems_selects_and_dates() -> None:
    import pathlib

    for path in sorted(pathlib.Path(components.__file__).parent.glob("*.py")):
        if path.stem in STILL_DCC:
            continue
        text = path.read_text(encoding="utf-8")
        for old in ("dcc.Dropdown(", "dropdown(lang", "DatePickerRange(", "DatePickerSingle("):
            assert old not in text or path.stem == "components", f"{path.name} still builds {old}"


def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_filled_badges_keep_their_label_legible() -> None:
    for kind, fill in components.BADGE_COLORS.items():
        b = components.badge("紧急", kind)
        assert b.variant == "filled" and _contrast(b.c, fill) >= 4.5, kind


def test_theme_tokens_meet_the_contrast_floor_in_both_schemes() -> None:
    """The CSS tokens' text colours against the backgrounds they are used on (assets/00_theme.css)."""
    import pathlib
    import re

    css = (pathlib.Path(components.__file__).parents[1] / "assets" / "00_theme.css").read_text(encoding="utf-8")
    blocks = re.findall(r"\n([^\n{]*)\{([^}]*--bg:[^}]*)\}", css)
    assert len(blocks) == 2
    for _selector, body in blocks:
        tok = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})", body))
        for fg in ("text", "muted", "link", "error"):
            for bg in ("bg", "panel", "panel-2", "input-bg"):
                assert _contrast(tok[fg], tok[bg]) >= 4.5, (fg, bg, _selector)
        assert _contrast(tok["on-accent"], tok["accent"]) >= 4.5
