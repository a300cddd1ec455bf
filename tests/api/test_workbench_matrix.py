"""The authorisation matrix, generated from one table: every role × page and role × action."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from callbacks import admin as acb
from callbacks import case_decisions as cd
from callbacks import queue as qcb
from callbacks import verify as vcb
from callbacks import workbench as wcb
from i18n import t
from incidents.model import Role
from test_workbench import as_user
from webapp import ROLES, login

R = Role
#: page → roles that may open it (admin opens every page), and action → roles that may call it.
PAGES: dict[str, set[Role]] = {
    "/wall": {R.WALL, R.OPERATOR, R.VERIFIER, R.LEADER, R.ADMIN, R.DEPT_HEAD},
    "/intake": {R.OPERATOR, R.ADMIN},
    "/workbench": {R.DEPT_HANDLER, R.GRID_WORKER, R.DEPT_HEAD, R.ADMIN},
    "/verify": {R.VERIFIER, R.ADMIN},
    "/admin": {R.ADMIN},
}
ACTIONS: dict[str, tuple[set[Role], Callable[[], Any]]] = {
    "workbench.act": ({R.DEPT_HANDLER, R.GRID_WORKER, R.DEPT_HEAD},
                      lambda: wcb.handle("acknowledge", None, None, None, None, None, 0)[0]),
    "workbench.detail": ({R.DEPT_HANDLER, R.GRID_WORKER, R.DEPT_HEAD}, lambda: wcb.show_detail(None, 0)[0]),
    "verify.act": ({R.VERIFIER}, lambda: vcb.verify_action(True, None, None, 0)[0]),
    "verify.list": ({R.VERIFIER}, lambda: str(vcb.show_waiting(0, None)[0])),
    "case.dispatch": ({R.OPERATOR}, lambda: cd.dispatch(1, None, None, None, 0)[0]),
    "case.reassign": ({R.OPERATOR}, lambda: cd.reassign(1, None, None, None, None, 0)[0]),
    "case.reject": ({R.OPERATOR}, lambda: cd.reject(1, None, None, 0)[0]),
    "case.extension": ({R.OPERATOR}, lambda: cd.decide_extension(1, 0, None, None, 0)[0]),
    "queue.list": ({R.OPERATOR}, lambda: str(qcb.show_queue(0, 0).to_plotly_json())),
    "admin.act": ({R.ADMIN}, lambda: acb.admin_action("rule", {}, 0)[0]),
    "admin.list": ({R.ADMIN}, lambda: str(acb.show_admin(0)[0])),
}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_every_role_opens_exactly_the_pages_of_the_table(web: Any, role: Role) -> None:
    client = web.server.test_client()
    login(client, role.value)
    got = {path: client.get(path).status_code for path in PAGES}
    assert got == {path: 200 if role in allowed else 403 for path, allowed in PAGES.items()}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_every_role_may_call_exactly_the_actions_of_the_table(web: Any, role: Role) -> None:
    forbidden = t("error.forbidden", "zh")
    with as_user(web, role.value):
        got = {name: forbidden not in str(call()) for name, (_roles, call) in ACTIONS.items()}
    assert got == {name: role in roles for name, (roles, _call) in ACTIONS.items()}
