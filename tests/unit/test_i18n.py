"""The string catalog: both languages complete, and every key the code asks for exists."""
from __future__ import annotations

import re
import string
from pathlib import Path

import i18n
from incidents.events import EVENT_ACTIONS
from incidents.model import Role, Severity, State

ROOT = Path(__file__).resolve().parents[2]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    assert set(zh) == set(en)
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    assert [k for k in zh if fields(zh[k]) != fields(en[k])] == []


def test_every_literal_key_in_the_code_is_in_the_catalog() -> None:
    used = set()
    for folder in ("auth", "callbacks", "layouts", "live", "app.py"):
        for path in (ROOT / folder).rglob("*.py") if (ROOT / folder).is_dir() else [ROOT / folder]:
            used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys: the pattern is broken"
    assert sorted(k for k in used if not i18n.has(k)) == []


def test_every_state_action_role_and_severity_has_a_name() -> None:
    keys = ([f"state.{s.value}" for s in State] + [f"action.{a}" for a in EVENT_ACTIONS]
            + [f"role.{r.value}" for r in Role] + [f"severity.{s.value}" for s in Severity])
    assert [k for k in keys if not i18n.has(k)] == []


def test_chinese_is_the_default_and_english_switches() -> None:
    assert i18n.t("wall.kpi.open") == "在办案件"
    assert i18n.t("wall.kpi.open", "en") == "Open"
    assert i18n.t("queue.rejected", "en", code="X1") == "Incident X1 rejected"
    assert i18n.normalise("en-US") == "en" and i18n.normalise(None) == "zh"
