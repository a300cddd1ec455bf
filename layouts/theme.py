"""The design system's tokens on the Python side: the two colour schemes and Mantine's theme.

The CSS side (assets/00_theme.css) carries the same values as CSS variables; both are kept here and there
side by side so a page built from Mantine components and one built from our own classes look alike.
"""
from __future__ import annotations

from typing import Any

#: The schemes a person may choose; the first is the default (the command center's screens are dark).
THEMES = ("dark", "light")
DEFAULT_THEME = THEMES[0]

#: Okabe–Ito sky blue as Mantine's primary palette (index 0 lightest … 9 darkest); buttons use shade 7 in
#: the light scheme and 4 in the dark one, each ≥ 4.5:1 against its text.
_CITY = ["#e6f4fc", "#c9e7f8", "#a6d7f3", "#7fc6ee", "#56b4e9", "#2f9ad8", "#1780bd", "#0b6aa1", "#075583", "#043f62"]

#: Mantine's dark scheme in our navy instead of its neutral greys (0 text … 2 dimmed, 3 placeholder, 4 borders,
#: 6 inputs, 7 the page), so its controls sit on our panels without a seam; 2 and 3 stay ≥ 4.5:1 on 6 and 7.
_NAVY = ["#e6edf6", "#c9d4e3", "#a9b6c8", "#8fa0b8", "#2b3b5a", "#24324d", "#18233a", "#0b1220", "#080e1a", "#050a12"]

#: One type scale and one spacing scale: the same steps as ``--fs-*`` and ``--space-*`` in 00_theme.css.
FONT_SIZES = {"xs": "12px", "sm": "14px", "md": "15px", "lg": "18px", "xl": "22px"}
SPACING = {"xs": "4px", "sm": "8px", "md": "12px", "lg": "16px", "xl": "24px"}

MANTINE_THEME: dict[str, Any] = {
    "fontFamily": '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", system-ui, sans-serif',
    "primaryColor": "city",
    "primaryShade": {"light": 7, "dark": 4},
    "colors": {"city": _CITY, "dark": _NAVY},
    "fontSizes": FONT_SIZES,
    "spacing": SPACING,
    "defaultRadius": "sm",
    "headings": {"sizes": {"h1": {"fontSize": "22px"}, "h2": {"fontSize": "18px"}, "h3": {"fontSize": "15px"}}},
    # Mantine's dropdowns open above Leaflet's panes (z-index 1000) and Plotly's modebar
    "components": {"Select": {"defaultProps": {"comboboxProps": {"zIndex": 1100}}},
                   "MultiSelect": {"defaultProps": {"comboboxProps": {"zIndex": 1100}}},
                   "DatePickerInput": {"defaultProps": {"popoverProps": {"zIndex": 1100}}}},
}


def normalise_theme(name: str | None) -> str:
    """A stored choice as one of ``THEMES`` (anything else — a stale or forged cookie — is the default)."""
    return name if name in THEMES else DEFAULT_THEME


#: The CSS colour tokens (assets/00_theme.css, ``--name``) that charts draw with, per scheme: Plotly bakes
#: colours into a figure, so the server needs the same values the stylesheet paints the page with (a unit
#: test reads the stylesheet and compares).
SCHEME_TOKENS: dict[str, dict[str, str]] = {
    "dark": {"bg": "#0b1220", "panel": "#121b2e", "panel-2": "#18233a", "text": "#e6edf6", "muted": "#a9b6c8",
             "border": "#2b3b5a", "rule": "#24324d", "accent": "#56B4E9", "ok": "#009E73", "urgent": "#D55E00"},
    "light": {"bg": "#f3f5f8", "panel": "#ffffff", "panel-2": "#eaeff5", "text": "#1b2430", "muted": "#4a5a70",
              "border": "#8d9bb0", "rule": "#dde3ec", "accent": "#0b6aa1", "ok": "#009E73", "urgent": "#D55E00"},
}


def chart_template(scheme: str) -> dict[str, Any]:
    """A Plotly template from the scheme's tokens, so charts look like the page around them: its font, its
    text and rules, transparent grounds (the card shows through) and hover labels in the panel's colours.

    Built from nothing rather than on Plotly's default template, which would travel (~10 KB) in every figure.
    """
    tok = SCHEME_TOKENS[normalise_theme(scheme)]
    axis = {"gridcolor": tok["rule"], "linecolor": tok["border"], "zerolinecolor": tok["border"],
            "tickfont": {"color": tok["text"]}, "title": {"font": {"color": tok["muted"]}}, "automargin": True}
    return {"layout": {
        "font": {"family": MANTINE_THEME["fontFamily"], "color": tok["text"], "size": 13},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "colorway": [tok["accent"], tok["ok"], tok["urgent"], "#E69F00", "#CC79A7", tok["muted"]],
        "xaxis": axis, "yaxis": axis,
        "hoverlabel": {"bgcolor": tok["panel-2"], "bordercolor": tok["border"], "font": {"color": tok["text"],
                                                                                         "family": MANTINE_THEME["fontFamily"]}},
        "legend": {"bgcolor": "rgba(0,0,0,0)", "font": {"color": tok["text"]}},
        "annotationdefaults": {"font": {"color": tok["muted"]}},
    }}


__all__ = ["DEFAULT_THEME", "FONT_SIZES", "MANTINE_THEME", "SCHEME_TOKENS", "SPACING", "THEMES", "chart_template",
           "normalise_theme"]
