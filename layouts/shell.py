"""The frame around every page: header with navigation, language and theme switches and logout."""
from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from i18n import t
from layouts.case_file import case_drawer
from layouts.theme import DEFAULT_THEME, MANTINE_THEME


def logout_control(lang: str, csrf: str) -> html.Form:
    """Logout is a POST carrying the session's CSRF token (a GET or another site's form cannot log anyone
    out); the button looks like the header's other links."""
    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=csrf, id="logout-csrf"),
        html.Button(t("nav.logout", lang), type="submit", className="nav-link link-button", id="logout"),
    ], method="post", action="/logout", className="logout-form")


def theme_switch(lang: str, theme: str) -> html.A:
    """A plain link to the server (which stores the choice in a cookie and returns to the page it came from,
    by its referrer): that page
    is painted in the chosen scheme from its first frame, with no script."""
    other = "light" if theme == "dark" else "dark"
    return html.A(t(f"theme.to_{other}", lang), href=f"/theme/{other}", id="theme-switch",
                  className="nav-link", title=t("theme.hint", lang))


def root(lang: str, user: str | None, role_label: str | None, links: list[tuple[str, str]],
         csrf: str = "", theme: str = DEFAULT_THEME, kiosk: bool = False) -> dmc.MantineProvider:
    """The frame; ``csrf`` is the session's token for the logout form (made per request by the caller).

    ``theme`` (``dark``/``light``) sets Mantine's colour scheme and the ``theme-*`` class our CSS variables
    hang on, both from the server, so the first paint is already right. A ``kiosk`` (the wall's screen)
    gets no header at all: nobody stands at it to switch language, theme or page, or to log out (an admin
    revokes its device login), and the wall takes the whole screen. The dates provider makes every date
    picker speak the UI's language; the notification container shows action results as toasts."""
    other = "en" if lang == "zh" else "zh"
    return dmc.MantineProvider(dmc.DatesProvider(html.Div([
        dcc.Location(id="url"),
        dmc.NotificationContainer(id="notifications", position="top-right", autoClose=5000),
        None if kiosk else html.Header([
            html.Div(t("app.title", lang), className="brand"),
            html.Nav([dcc.Link(label, href=href, className="nav-link") for href, label in links], className="nav"),
            html.Div([
                html.Span(f"{user} · {role_label}" if user else "", className="who", id="who"),
                theme_switch(lang, theme) if user else None,
                html.A(t("lang.switch", lang), href=f"/lang/{other}?next=/", id="lang-switch", className="nav-link"),
                logout_control(lang, csrf),
            ], className="session"),
        ], className="app-header"),
        html.Main(dash.page_container, className="app-main"),
        *([case_drawer(lang)] if user else []),
    ], className=f"app lang-{lang} theme-{theme}" + (" kiosk" if kiosk else ""), lang="zh-CN" if lang == "zh" else "en"),
        settings={"locale": "zh-cn" if lang == "zh" else "en", "firstDayOfWeek": 1}),
        forceColorScheme=theme, theme=MANTINE_THEME, id="mantine-root")


def forbidden(lang: str) -> html.Div:
    return html.Div([html.H2(t("error.forbidden_title", lang)), html.P(t("error.forbidden", lang))],
                    className="forbidden", id="forbidden")
