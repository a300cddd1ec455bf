"""The access policy table: every role has a row, the workbench's rule is its ``act`` column, a list's filter
(:class:`Reach`) selects exactly the cases :func:`may_read` allows, and only operators and admins see numbers."""
from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from dispatch.handling import HANDLER_ROLES, may_handle
from factories import T0, incident
from incidents.access import POLICY, Reach, Scope, may_act, may_read, reach_of, sees_wall
from incidents.model import Actor, Role
from incidents.privacy import FULL_PHONE_ROLES

DEPARTMENTS = (None, "SWJ", "CGJ")
ASSIGNEES = (None, "me", "someone")
DISTRICTS = (220302, 220303)
CASES = [replace(incident(T0), department=d, assignee=a, district=z)
         for d, a, z in itertools.product(DEPARTMENTS, ASSIGNEES, DISTRICTS)]
ACTORS = [Actor("me", role, dept, district) for role in Role for dept in (None, "SWJ")
          for district in (None, 220302)]


def test_every_role_has_a_row_and_only_the_center_reads_every_case() -> None:
    assert set(POLICY) == set(Role)
    assert {r for r, a in POLICY.items() if a.read is Scope.ALL} == {Role.OPERATOR, Role.ADMIN, Role.VERIFIER,
                                                                      Role.SYSTEM}
    assert FULL_PHONE_ROLES == {Role.OPERATOR, Role.ADMIN}
    assert not sees_wall(Role.GRID_WORKER) and not sees_wall(Role.DEPT_HANDLER) and sees_wall(Role.WALL)


def _selects(reach: Reach, case) -> bool:
    """What ``incidents.search`` does with a Reach, in Python."""
    if reach.nothing:
        return False
    ok = reach.district is None or case.district == reach.district
    ok &= reach.department is None or case.department == reach.department
    if reach.assignee is not None:
        ok &= case.assignee == reach.assignee or (
            reach.unassigned_in is not None and case.assignee is None and case.department == reach.unassigned_in)
    return ok


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: f"{a.role.value}-{a.department}-{a.district}")
def test_a_lists_filter_selects_exactly_the_readable_cases(actor: Actor) -> None:
    reach = reach_of(actor)
    assert [_selects(reach, c) for c in CASES] == [may_read(actor, c) for c in CASES]


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: f"{a.role.value}-{a.department}-{a.district}")
def test_the_workbench_rule_is_the_policys_act_column_and_acting_implies_reading(actor: Actor) -> None:
    for case in CASES:
        if actor.role in HANDLER_ROLES:
            assert may_handle(actor, case) is may_act(actor, case)
        else:
            assert not may_handle(actor, case)
        assert not may_act(actor, case) or may_read(actor, case)


def test_named_cases_of_a_colleague_are_not_a_handlers_and_a_district_leader_stays_in_the_district() -> None:
    colleague = replace(incident(T0), department="SWJ", assignee="someone", district=220302)
    assert not may_read(Actor("me", Role.DEPT_HANDLER, "SWJ"), colleague)
    assert may_read(Actor("head", Role.DEPT_HEAD, "SWJ"), colleague)
    assert may_read(Actor("l", Role.LEADER, None, 220302), colleague)
    assert not may_read(Actor("l", Role.LEADER, None, 220303), colleague)
    assert not may_read(Actor("w", Role.WALL), colleague)
    assert not may_act(Actor("l", Role.LEADER), colleague)
