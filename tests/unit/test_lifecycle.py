"""The lifecycle table: every (state, action, role) triple is allowed or refused exactly as DESIGN.md says."""
from __future__ import annotations

import itertools

import pytest

from incidents.lifecycle import ACTIONS, TRANSITIONS, TransitionError, allowed_actions, transition
from incidents.model import FINAL_STATES, Role, State

S, R = State, Role

# DESIGN.md's lifecycle table, typed out by hand: (action, from, to, roles). A wrong TRANSITIONS fails here.
DESIGN_TABLE = [
    ("file", [S.REPORTED], S.ACCEPTED, [R.OPERATOR, R.SYSTEM]),
    ("reject", [S.REPORTED], S.REJECTED, [R.OPERATOR]),
    ("merge", [S.REPORTED, S.ACCEPTED], S.MERGED, [R.OPERATOR]),
    ("dispatch", [S.ACCEPTED], S.DISPATCHED, [R.OPERATOR, R.SYSTEM]),
    ("return", [S.DISPATCHED], S.ACCEPTED, [R.DEPT_HANDLER, R.DEPT_HEAD, R.GRID_WORKER]),
    ("acknowledge", [S.DISPATCHED], S.IN_PROGRESS, [R.DEPT_HANDLER, R.GRID_WORKER]),
    ("resolve", [S.IN_PROGRESS], S.RESOLVED, [R.DEPT_HANDLER, R.GRID_WORKER]),
    ("verify_pass", [S.RESOLVED], S.CLOSED, [R.VERIFIER]),
    ("verify_fail", [S.RESOLVED], S.IN_PROGRESS, [R.VERIFIER]),
    ("reopen", [S.CLOSED], S.ACCEPTED, [R.OPERATOR, R.VERIFIER]),
]
LEGAL: dict[tuple[State, str, Role], State] = {
    (state, action, role): target
    for action, sources, target, roles in DESIGN_TABLE
    for state in sources
    for role in roles
}
ALL_TRIPLES = list(itertools.product(State, ACTIONS, Role))


def _ids(triple: tuple[State, str, Role]) -> str:
    state, action, role = triple
    return f"{state.value}-{action}-{role.value}"


def test_the_table_allows_exactly_the_triples_design_md_lists():
    from_table = {
        (state, action, role): t.target
        for action, t in TRANSITIONS.items()
        for state in t.sources
        for role in t.roles
    }
    assert from_table == LEGAL


def test_the_table_has_exactly_design_md_actions_in_order():
    assert ACTIONS == tuple(row[0] for row in DESIGN_TABLE)
    assert all(t.action == action for action, t in TRANSITIONS.items())


@pytest.mark.parametrize("triple", ALL_TRIPLES, ids=_ids)
def test_transition_allows_or_refuses_each_triple_as_the_table_says(triple):
    state, action, role = triple
    t = TRANSITIONS[action]
    if state in t.sources and role in t.roles:
        assert transition(state, action, role) == t.target == LEGAL[triple]
        assert action in allowed_actions(state, role)
        return
    assert triple not in LEGAL
    with pytest.raises(TransitionError) as err:
        transition(state, action, role)
    # The state is checked first: "you can't do that now" says more than "you may not".
    assert err.value.reason == ("state" if state not in t.sources else "role")
    assert action in str(err.value)
    assert action not in allowed_actions(state, role)


def test_unknown_action_is_refused_with_its_own_reason():
    with pytest.raises(TransitionError) as err:
        transition(S.REPORTED, "teleport", R.OPERATOR)
    assert err.value.reason == "unknown_action"
    assert "teleport" in str(err.value)


def test_annotations_are_not_lifecycle_actions():
    with pytest.raises(TransitionError) as err:
        transition(S.DISPATCHED, "escalate", R.SYSTEM)
    assert err.value.reason == "unknown_action"


def test_state_refusal_names_the_states_the_action_needs():
    with pytest.raises(TransitionError) as err:
        transition(S.CLOSED, "merge", R.OPERATOR)
    assert err.value.reason == "state"
    assert "accepted" in str(err.value) and "reported" in str(err.value)


def test_role_refusal_names_the_role():
    with pytest.raises(TransitionError) as err:
        transition(S.RESOLVED, "verify_pass", R.DEPT_HANDLER)
    assert err.value.reason == "role"
    assert "dept_handler" in str(err.value)


@pytest.mark.parametrize("state", sorted(FINAL_STATES - {S.CLOSED}, key=lambda s: s.value))
def test_rejected_and_merged_are_final_for_everyone(state):
    assert all(allowed_actions(state, role) == [] for role in Role)


def test_closed_can_only_be_reopened():
    assert {a for role in Role for a in allowed_actions(S.CLOSED, role)} == {"reopen"}


@pytest.mark.parametrize("role", [R.LEADER, R.ADMIN, R.WALL])
def test_read_only_roles_can_do_nothing(role):
    assert all(allowed_actions(state, role) == [] for state in State)


def test_closed_is_reached_only_through_verify_pass():
    assert [a for a, t in TRANSITIONS.items() if t.target == S.CLOSED] == ["verify_pass"]


def test_allowed_actions_follow_table_order():
    assert allowed_actions(S.REPORTED, R.OPERATOR) == ["file", "reject", "merge"]
    assert allowed_actions(S.DISPATCHED, R.GRID_WORKER) == ["return", "acknowledge"]
    assert allowed_actions(S.DISPATCHED, R.DEPT_HEAD) == ["return"]
