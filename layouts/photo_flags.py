"""Photo provenance in the case file: a warning per photo also attached to another case ("此照片也用于案件 X"), and
each photo's receipt time and the device's position. Pure component trees."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from dash import dcc, html

from i18n import t


def photo_flags(lang: str, flags: Sequence[Mapping[str, Any]]) -> Any:
    """Reused photos, the identical first: reused "after" photos are a known fraud, so this sits by the photos."""
    if not flags:
        return None
    return html.Div([
        html.Strong(t("photo_flags.title", lang)),
        html.Ul([html.Li([html.A(t("photo_flags.photo", lang), href=f["src"], target="_blank"), " ",
                          t("photo_flags.also_on", lang), " ", dcc.Link(f["other_code"], href=f"/case/{f['other_code']}", className="case-link"), " ",
                          html.Span(t("photo_flags.identical", lang) if f["identical"]
                                    else t("photo_flags.similar", lang, distance=f["distance"]), className="muted")])
                 for f in flags]),
    ], className="photo-flags", role="alert", id="photo-flags")


def provenance(lang: str, rows: Sequence[Mapping[str, Any]]) -> Any:
    """Each photo's server receipt time and, when the device gave it, its position."""
    if not rows:
        return None
    return html.Ul([html.Li([html.A(t("photo_flags.photo", lang), href=r["src"], target="_blank"), " ",
                             t("photo_flags.received", lang, at=r["at"]), " · ",
                             t("photo_flags.position", lang, lon=r["lon"], lat=r["lat"], acc=r["acc"])
                             if r.get("lon") is not None else t("photo_flags.no_position", lang)])
                    for r in rows], className="photo-provenance muted")


__all__ = ["photo_flags", "provenance"]
