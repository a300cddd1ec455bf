"""The operator console's "major incidents to acknowledge" section (the wall itself stays read-only)."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from dash import dcc, html

from i18n import t
from layouts import ids


def alerts_section(lang: str) -> html.Section:
    return html.Section([
        dcc.Store(id=ids.ALERTS_PUSH, data=0),
        dcc.Store(id=ids.ALERTS_VERSION, data=0),
        html.H3(t("alerts.title", lang)),
        html.Div(id=ids.ALERTS, className="alerts-list"),
        html.Div(id=ids.ALERTS_MESSAGE, className="alerts-message", role="status"),
    ], className="alerts-section", id="alerts-section")


def alert_rows(alerts: Sequence[Mapping[str, Any]], lang: str, category_names: Mapping[str, str]) -> Any:
    if not alerts:
        return html.Div(t("alerts.empty", lang), className="alerts-empty")
    return html.Ul([
        html.Li([
            html.Span(f"{a['code']}  {t('severity.' + a['severity'], lang)}  "
                      f"{category_names.get(a['category'], a['category'])}  {a.get('address') or ''}"),
            html.Button(t("alerts.ack", lang), id=ids.alert_ack(a["code"]), n_clicks=0, className="danger"),
        ], className="alert-row") for a in alerts
    ])
