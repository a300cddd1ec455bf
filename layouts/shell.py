"""The frame around every page: header with navigation, language switch and logout."""
from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from i18n import t
from layouts.case_file import case_drawer


def logout_control(lang: str, csrf: str) -> html.Form:
    """Logout is a POST carrying the session's CSRF token (a GET or another site's form cannot log anyone
    out); the button looks like the header's other links."""
    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=csrf, id="logout-csrf"),
        html.Button(t("nav.logout", lang), type="submit", className="nav-link link-button", id="logout"),
    ], method="post", action="/logout", className="logout-form")


def root(lang: str, user: str | None, role_label: str | None, links: list[tuple[str, str]],
         csrf: str = "") -> dmc.MantineProvider:
    """The frame; ``csrf`` is the session's token for the logout form (made per request by the caller).

    Mantine's provider wraps everything so any page may use the design system's components."""
    other = "en" if lang == "zh" else "zh"
    return dmc.MantineProvider(html.Div([
        dcc.Location(id="url"),
        html.Header([
            html.Div(t("app.title", lang), className="brand"),
            html.Nav([dcc.Link(label, href=href, className="nav-link") for href, label in links], className="nav"),
            html.Div([
                html.Span(f"{user} · {role_label}" if user else "", className="who", id="who"),
                html.A(t("lang.switch", lang), href=f"/lang/{other}?next=/", id="lang-switch", className="nav-link"),
                logout_control(lang, csrf),
            ], className="session"),
        ], className="app-header"),
        html.Main(dash.page_container, className="app-main"),
        *([case_drawer(lang)] if user else []),
    ], className=f"app lang-{lang}", lang="zh-CN" if lang == "zh" else "en"), forceColorScheme="dark",
        id="mantine-root")


def forbidden(lang: str) -> html.Div:
    return html.Div([html.H2(t("error.forbidden_title", lang)), html.P(t("error.forbidden", lang))],
                    className="forbidden", id="forbidden")
