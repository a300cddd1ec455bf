"""API tokens bound to whom they act for: static entries, stored tokens, the create-token command."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from api.cli import token_command
from auth.tokens import TokenChecker, TokenError, create_token, parse_static
from incidents.model import Actor, Role
from incidents.records import UserRow


@pytest.mark.parametrize("spec", [
    "a:dept_handler:secret-123456",  # a department's token must say which department (or user)
    "a:dept_head:secret-123456",
    "a:grid_worker:secret-123456",  # a grid worker's token must say which worker
    "a:grid_worker@dept=GRID:secret-123456",
    "a:operator@dept=SWJ:secret-123456",  # the center's roles act for the whole center
    "a:dept_handler@SWJ:secret-123456",
    "a:dept_handler@dept=SWJ@user=x:secret-123456",
    "a:operator:secret-123456,b:wall:secret-123456",  # two entries, one secret
])
def test_static_tokens_that_could_act_on_anyones_case_are_refused_at_start(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_static(spec)


def test_static_tokens_keep_working_unbound_for_the_center_and_bound_for_the_rest() -> None:
    tokens = {t.name: t for t in parse_static("feeder:operator:s-1234567,swj:dept_handler@dept=SWJ:s-2345678,"
                                              "app:grid_worker@user=gw1:s-3456789").values()}
    assert tokens["feeder"].actor == Actor("feeder", Role.OPERATOR)
    assert tokens["swj"].actor == Actor("swj", Role.DEPT_HANDLER, "SWJ")
    assert tokens["app"].username == "gw1" and tokens["app"].actor.name == "gw1"


def test_stored_tokens_are_bound_checked_and_resolved_to_their_user(services: Any) -> None:
    svc = services
    now = svc.clock()
    with svc.db.write.begin() as s:
        s.add(UserRow(username="gw_t", password_hash="x", role="grid_worker", department="GRID", district=220302,
                      active=True))
    with svc.db.write.begin() as s:
        for bad in ({"role": "grid_worker"}, {"role": "grid_worker", "username": "nobody"},
                    {"role": "dept_handler", "department": "NOPE"}, {"role": "leader", "username": "gw_t"}):
            with pytest.raises(TokenError):
                create_token("bad", bad.pop("role"), now, session=s, **bad)
        worker = create_token("gw-app", "grid_worker", now, session=s, username="gw_t")
        dept = create_token("swj-sys", Role.DEPT_HANDLER, now, session=s, department="SWJ")
        with pytest.raises(TokenError):
            create_token("swj-sys", Role.OPERATOR, now, session=s)  # names are unique
    checker = TokenChecker("", svc.db.read)
    assert checker.check(worker).actor == Actor("gw_t", Role.GRID_WORKER, "GRID", 220302)
    assert checker.check(dept).actor == Actor("swj-sys", Role.DEPT_HANDLER, "SWJ")
    with svc.db.write.begin() as s:
        s.execute(update(UserRow).where(UserRow.username == "gw_t").values(active=False))
    assert checker.check(worker) is None  # the user left: the token stops with them


def test_the_create_token_command_prints_a_working_secret_once(services: Any, capsys: Any) -> None:
    svc = services
    assert token_command(svc, "cgj-sys", "dept_handler", "CGJ", None) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert TokenChecker("", svc.db.read).check(secret).actor == Actor("cgj-sys", Role.DEPT_HANDLER, "CGJ")
    assert token_command(svc, "loose", "grid_worker", None, None) == 2
    assert "must be bound" in capsys.readouterr().err
