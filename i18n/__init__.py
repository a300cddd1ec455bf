"""The one string catalog: every user-visible string, zh-CN by default, English switchable.

Keys are dotted (``wall.kpi.open``); values may hold ``{name}`` placeholders. Each language is a folder
(``i18n/zh_CN/``, ``i18n/en/``) of TOML files, one per area of the product, merged into one catalog; a key
defined twice is an error. A key missing from a language falls back to zh-CN, and a key missing
everywhere shows as itself so a gap is visible, not silent. Tests check both languages have the same keys.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LANGS = {"zh": "zh_CN", "en": "en"}
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
    merged: dict[str, str] = {}
    for path in sorted((HERE / LANGS[lang]).glob("*.toml")):
        part = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        twice = sorted(set(part) & set(merged))
        if twice:
            raise ValueError(f"{path}: keys already defined in another file: {twice[:5]}")
        merged.update(part)
    return merged


def normalise(lang: str | None) -> str:
    lang = (lang or "").lower()
    return "en" if lang.startswith("en") else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The string for ``key`` in ``lang`` with ``params`` filled in."""
    text = catalog(normalise(lang)).get(key) or catalog(DEFAULT_LANG).get(key) or key
    return text.format(**params) if params else text


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalog(normalise(lang))
