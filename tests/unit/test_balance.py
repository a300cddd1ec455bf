"""Workload balance: the least-loaded active dept_handler of the department, ties by username."""
from __future__ import annotations

from dispatch.balance import Handler, candidates, least_loaded
from incidents.model import Role

H = Role.DEPT_HANDLER
USERS = [
    Handler("swj_b", H, "SWJ"), Handler("swj_a", H, "SWJ"), Handler("swj_c", H, "SWJ"),
    Handler("swj_off", H, "SWJ", active=False), Handler("swj_head", Role.DEPT_HEAD, "SWJ"),
    Handler("cgj_a", H, "CGJ"), Handler("gw1", Role.GRID_WORKER, "SWJ"),
]


def test_least_loaded_handler_of_the_department_is_suggested() -> None:
    assert least_loaded(USERS, "SWJ", {"swj_a": 3, "swj_b": 1, "swj_c": 2}) == "swj_b"


def test_ties_are_broken_by_username() -> None:
    assert least_loaded(USERS, "SWJ", {"swj_a": 1, "swj_b": 1, "swj_c": 1}) == "swj_a"
    assert least_loaded(USERS, "SWJ", {}) == "swj_a"


def test_handlers_without_open_work_count_as_zero() -> None:
    assert least_loaded(USERS, "SWJ", {"swj_a": 2, "swj_b": 5}) == "swj_c"


def test_disabled_users_heads_and_grid_workers_are_never_suggested() -> None:
    names = {u.username for u in candidates(USERS, "SWJ")}
    assert names == {"swj_a", "swj_b", "swj_c"}
    assert least_loaded(USERS, "SWJ", {"swj_a": 9, "swj_b": 9, "swj_c": 9, "swj_off": 0, "swj_head": 0, "gw1": 0}) == "swj_a"


def test_a_department_without_active_handlers_gets_no_assignee() -> None:
    assert least_loaded(USERS, "GRID", {}) is None
    assert least_loaded([Handler("x", H, "ZJJ", active=False)], "ZJJ", {}) is None
