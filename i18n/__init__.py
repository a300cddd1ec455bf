"""The one string catalog: every user-visible string, zh-CN by default, English switchable.

Keys are dotted (``wall.kpi.open``); values may hold ``{name}`` placeholders. A key missing from a
language falls back to zh-CN, and a key missing everywhere shows as itself so a gap is visible, not
silent. Tests check both files have the same keys.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LANGS = {"zh": "zh_CN.toml", "en": "en.toml"}
DEFAULT_LANG = "zh"


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    return _flatten(tomllib.loads((HERE / LANGS[lang]).read_text(encoding="utf-8")))


def normalise(lang: str | None) -> str:
    lang = (lang or "").lower()
    return "en" if lang.startswith("en") else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The string for ``key`` in ``lang`` with ``params`` filled in."""
    text = catalog(normalise(lang)).get(key) or catalog(DEFAULT_LANG).get(key) or key
    return text.format(**params) if params else text


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalog(normalise(lang))
