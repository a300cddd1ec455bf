"""The incident taxonomy (GB/T 30428.2 style): families, large classes and small classes.

This module owns what a category *is* — its 5-digit code (family digit 1 = 部件 component,
2 = 事件 event, then a 2-digit large class and a 2-digit small class, e.g. ``10101`` 上水井盖), its
Chinese and English names, the department that handles it by default (``None`` when routing needs an
operator's judgement) and whether a grid worker may resolve it on the spot (自行处置) — plus lookup and
search over the whole list. Intake classifies with it, routing reads the default department, the
console's pickers search it.

It is pure: rows come in (``data/taxonomy.csv`` at first start, the database table afterwards) and
validated, immutable ``Category`` values come out, so every process sees the same rules.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

__all__ = ["FAMILIES", "Category", "Family", "LargeClass", "Taxonomy"]

Family = Literal["component", "event"]
Lang = Literal["zh", "en"]
# The standard's family digit leads every code, so the family is never stored apart from the code.
FAMILIES: Mapping[str, Family] = MappingProxyType({"1": "component", "2": "event"})
_CODE = re.compile(r"[12]\d{4}")
_TRUE = frozenset({"1", "true", "yes", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "n", "f", ""})


@dataclass(frozen=True)
class Category:
    """One small class (小类)."""

    code: str
    family: Family
    large_code: str
    large_zh: str
    large_en: str
    zh: str
    en: str
    department: str | None
    onspot: bool

    def __post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise ValueError(f"category code {self.code!r} must be 5 digits starting with 1 or 2")
        if FAMILIES[self.code[0]] != self.family:
            raise ValueError(
                f"category {self.code}: family {self.family!r} does not match the code's family digit "
                f"({self.code[0]} = {FAMILIES[self.code[0]]})"
            )
        if self.large_code != self.code[1:3]:
            raise ValueError(f"category {self.code}: large_code {self.large_code!r} must be {self.code[1:3]!r}")
        if self.code[3:] == "00":
            raise ValueError(f"category {self.code}: small class 00 is not a small class")
        if not self.zh.strip() or not self.en.strip():
            raise ValueError(f"category {self.code}: both a Chinese and an English name are required")

    @property
    def large_key(self) -> str:
        """Family digit + large class (``101``): unique across both families, unlike ``large_code``."""
        return self.code[:3]

    def name(self, lang: Lang = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def large_name(self, lang: Lang = "zh") -> str:
        return self.large_en if lang == "en" else self.large_zh


@dataclass(frozen=True)
class LargeClass:
    """One large class (大类); ``key`` = family digit + ``code``, e.g. ``204`` 突发事件."""

    key: str
    family: Family
    code: str
    zh: str
    en: str

    def name(self, lang: Lang = "zh") -> str:
        return self.en if lang == "en" else self.zh


def _parse_onspot(value: object, code: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"category {code}: onspot must be 0 or 1, got {value!r}")


def _text(row: Mapping[str, object], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


class Taxonomy:
    """An immutable, validated set of categories in code order."""

    __slots__ = ("_by_code", "_large")

    def __init__(self, categories: Iterable[Category]) -> None:
        by_code: dict[str, Category] = {}
        large: dict[str, LargeClass] = {}
        for cat in sorted(categories, key=lambda c: c.code):
            if cat.code in by_code:
                raise ValueError(f"duplicate category code {cat.code}")
            by_code[cat.code] = cat
            lc = LargeClass(cat.large_key, cat.family, cat.large_code, cat.large_zh, cat.large_en)
            known = large.setdefault(lc.key, lc)
            if known != lc:
                raise ValueError(
                    f"category {cat.code}: large class {lc.key} named {lc.zh}/{lc.en}, "
                    f"but earlier rows call it {known.zh}/{known.en}"
                )
        self._by_code: Mapping[str, Category] = MappingProxyType(by_code)
        self._large: tuple[LargeClass, ...] = tuple(large[k] for k in sorted(large))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, object]], *, departments: Collection[str] | None = None
    ) -> Taxonomy:
        """Build from rows shaped like ``data/taxonomy.csv``.

        With ``departments`` given, a default department that is not in it raises ``ValueError``:
        a typo there would silently send cases nowhere.
        """
        categories: list[Category] = []
        for row in rows:
            code = _text(row, "code")
            department = _text(row, "department") or None
            if departments is not None and department is not None and department not in departments:
                raise ValueError(f"category {code}: unknown department {department!r}")
            categories.append(
                Category(
                    code=code,
                    family=_text(row, "family"),  # type: ignore[arg-type]  # checked in __post_init__
                    large_code=_text(row, "large_code"),
                    large_zh=_text(row, "large_zh"),
                    large_en=_text(row, "large_en"),
                    zh=_text(row, "zh"),
                    en=_text(row, "en"),
                    department=department,
                    onspot=_parse_onspot(row.get("onspot"), code),
                )
            )
        return cls(categories)

    @classmethod
    def load(cls, csv_path: str | Path, *, departments: Collection[str] | None = None) -> Taxonomy:
        """Read ``data/taxonomy.csv`` (``#`` lines are comments)."""
        text = Path(csv_path).read_text(encoding="utf-8-sig")
        lines = (line for line in io.StringIO(text) if line.strip() and not line.lstrip().startswith("#"))
        return cls.from_rows(csv.DictReader(lines), departments=departments)

    # -- lookup -------------------------------------------------------------------------------

    def get(self, code: str) -> Category:
        """The category with this 5-digit code; ``KeyError`` saying which code is unknown."""
        try:
            return self._by_code[str(code).strip()]
        except KeyError:
            size = len(self._by_code)
            raise KeyError(f"unknown category code {code!r} (the taxonomy has {size} small classes)") from None

    def all(self) -> tuple[Category, ...]:
        return tuple(self._by_code.values())

    def large_classes(self, family: Family | None = None) -> tuple[LargeClass, ...]:
        return tuple(lc for lc in self._large if family is None or lc.family == family)

    def in_large_class(self, key: str) -> tuple[Category, ...]:
        """Small classes of a large class given by its 3-digit key (``204``)."""
        return tuple(c for c in self._by_code.values() if c.large_key == key)

    def search(self, text: str, lang: Lang | None = None) -> list[Category]:
        """Categories whose code starts with ``text`` or whose name contains it (case-insensitive).

        ``lang`` limits name matching to ``zh`` or ``en``; ``None`` matches both. Large-class names
        match too, so 突发事件 lists its small classes. Results: code-prefix hits first, then names
        starting with the text, then other name hits, each in code order. An empty query returns all.
        """
        needle = text.strip().casefold()
        if not needle:
            return list(self._by_code.values())
        ranked: list[tuple[int, str, Category]] = []
        for cat in self._by_code.values():
            if cat.code.startswith(needle):
                ranked.append((0, cat.code, cat))
                continue
            own, large = self._names(cat, lang)
            if any(n.startswith(needle) for n in own):
                ranked.append((1, cat.code, cat))
            elif any(needle in n for n in own + large):
                ranked.append((2, cat.code, cat))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [cat for _, _, cat in ranked]

    @staticmethod
    def _names(cat: Category, lang: Lang | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(own names, large-class names), casefolded, for the requested language(s)."""
        if lang == "zh":
            own, large = (cat.zh,), (cat.large_zh,)
        elif lang == "en":
            own, large = (cat.en,), (cat.large_en,)
        else:
            own, large = (cat.zh, cat.en), (cat.large_zh, cat.large_en)
        return tuple(n.casefold() for n in own), tuple(n.casefold() for n in large)

    def departments(self) -> frozenset[str]:
        """Every default department code the taxonomy names."""
        return frozenset(c.department for c in self._by_code.values() if c.department)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __repr__(self) -> str:
        return f"Taxonomy({len(self)} small classes, {len(self._large)} large classes)"
