"""Invariants of the incident's history under random actions by random roles.

Pure domain first (``decide`` + ``apply_event``, routing from the real rules and SLA files), then the same
walk through the real store on SQLite, where the replayed event list must equal the stored row.
"""
from __future__ import annotations

import copy
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import factories as f
from factories import T0
from dispatch.calendar import WorkCalendar
from dispatch.reference import _periods
from dispatch.rules import RoutingRules, rows_from_toml
from dispatch.sla import SlaTable
from dispatch.sla import deadline as sla_deadline
from incidents import store
from incidents.changes import apply_event, decide, replay
from incidents.events import ANNOTATION_RULES, NON_VERSIONING
from incidents.lifecycle import TRANSITIONS, TransitionError
from incidents.model import Actor, Channel, Incident, Role, State
from incidents.taxonomy import Taxonomy

DATA = Path(__file__).resolve().parents[2] / "data"

#: Everything decide() accepts; lifecycle actions are drawn twice as often, so walks get somewhere.
LIFECYCLE = list(TRANSITIONS)
ANNOTATIONS = ["reassign", "escalate", "note", "callback", "deadline_changed", "extension_request",
               "extension_approve", "extension_refuse", "alarm_repeat", "alarm_clear", "alert_acknowledged"]
ACTION_CHOICES = LIFECYCLE * 2 + ANNOTATIONS


@lru_cache(maxsize=1)
def reference() -> tuple[Taxonomy, SlaTable, WorkCalendar, RoutingRules]:
    taxonomy = Taxonomy.load(DATA / "taxonomy.csv")
    rules = RoutingRules.from_rows(
        rows_from_toml(DATA / "rules.toml"), {c.code: (c.department, c.onspot) for c in taxonomy}
    )
    calendar = WorkCalendar.load(DATA / "calendar", periods=_periods(rules.working_hours))
    return taxonomy, SlaTable.load(DATA / "sla.csv"), calendar, rules


def routing(incident: Incident, action: str, now) -> dict:
    """What the dispatch layer would hand ``decide`` for ``action``: department, assignee, deadline."""
    _, sla, calendar, rules = reference()
    due = sla_deadline(sla.limit(incident.category, incident.severity), now, calendar)
    if action in ("dispatch", "reassign"):
        route = rules.route(incident.category, incident.grid)
        dept, who = (route.department, route.assignee) if route else ("CGJ", None)
        return {"department": dept, "assignee": who, "deadline": due}
    if action in ("deadline_changed", "extension_approve"):
        return {"deadline": (incident.deadline or now) + timedelta(days=1)}
    if action == "merge":
        return {"payload": {"into": "2026031099999"}}
    if action == "escalate":
        return {"payload": {"step": "warn"}}
    return {}


def table_allows(state: State, action: str, role: Role) -> bool:
    """The lifecycle table for transitions, ANNOTATION_RULES for annotations."""
    t = TRANSITIONS.get(action)
    if t is not None:
        return state in t.sources and role in t.roles
    states, roles = ANNOTATION_RULES[action]
    return (states is None or state in states) and role in roles


class IncidentHistory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.incident = f.incident(T0, category=f.GARBAGE)
        self.events = [f.created(self.incident)]

    @rule(
        action=st.sampled_from(ACTION_CHOICES),
        role=st.sampled_from(list(Role)),
        minutes=st.integers(min_value=0, max_value=24 * 60),
    )
    def random_act(self, action: str, role: Role, minutes: int) -> None:
        """Any action by any role: mostly refusals, which must change nothing."""
        self.act(action, role, minutes)

    @rule(data=st.data(), minutes=st.integers(min_value=0, max_value=24 * 60))
    def legal_act(self, data: st.DataObject, minutes: int) -> None:
        """An action the table allows now, so that walks reach rework, closure and reopening."""
        moves = [(a, r) for a, t in TRANSITIONS.items() if self.incident.state in t.sources for r in t.roles]
        if not moves:  # rejected or merged: nothing is legal any more
            return
        action, role = data.draw(st.sampled_from(sorted(moves, key=lambda m: (m[0], m[1].value))))
        self.act(action, role, minutes)

    def act(self, action: str, role: Role, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        before = self.incident
        snapshot = copy.deepcopy(before)
        n_events = len(self.events)
        try:
            event = decide(before, action, f.ACTORS[role], self.now, seq=n_events + 1,
                           **routing(before, action, self.now))
        except TransitionError:
            assert not table_allows(before.state, action, role)
            assert self.incident == snapshot and len(self.events) == n_events  # a refusal changes nothing
            return
        assert table_allows(before.state, action, role)
        after = apply_event(before, event)
        assert before == snapshot  # folding never mutates the old incident

        if action in NON_VERSIONING:
            assert event.version == after.version == before.version
            assert after.updated_at == before.updated_at
        else:
            assert event.version == after.version == before.version + 1
            assert after.updated_at == self.now
        if action in TRANSITIONS:
            assert after.state == TRANSITIONS[action].target
        else:
            assert after.state == before.state  # annotations are not transitions
        if after.state == State.CLOSED and before.state != State.CLOSED:
            assert action == "verify_pass"
        if action == "verify_fail":
            assert after.rework_count == before.rework_count + 1
            assert after.deadline == before.deadline  # rework keeps the deadline
        if action == "return":
            assert after.department is None and after.assignee is None and after.deadline is None
        if action == "reopen":
            assert after.deadline is None and after.closed_at is None
        self.incident = after
        self.events.append(event)

    @invariant()
    def replay_equals_the_folded_incident(self) -> None:
        assert replay(self.events) == self.incident

    @invariant()
    def versions_follow_the_events(self) -> None:
        for prev, e in zip(self.events, self.events[1:]):
            assert e.version == prev.version + (0 if e.action in NON_VERSIONING else 1)

    @invariant()
    def closed_only_after_verify_pass(self) -> None:
        entered_closed = [e.action for e in self.events if e.to_state == "closed" and e.from_state != "closed"]
        assert set(entered_closed) <= {"verify_pass"}
        if self.incident.state == State.CLOSED:
            assert entered_closed and self.incident.closed_at is not None

    @invariant()
    def rework_count_is_the_number_of_verify_fails(self) -> None:
        assert self.incident.rework_count == sum(e.action == "verify_fail" for e in self.events)


def test_random_histories_keep_the_invariants():
    run_state_machine_as_test(
        IncidentHistory,
        settings=settings(max_examples=150, stateful_step_count=40, derandomize=True, deadline=None,
                          database=None),
    )


def test_the_created_event_alone_replays_to_the_reported_incident():
    inc = f.incident(T0)
    assert replay([f.created(inc)]) == inc


# -- the same walk on the real store ---------------------------------------------------------------


def legal_moves(incident: Incident) -> tuple[list[tuple[str, Role]], list[tuple[str, Role]]]:
    """(lifecycle moves the table allows now, annotations). Moves that end the walk (reject, merge) are
    listed once and the others three times, so walks often get as far as rework, closure and reopening."""
    moves = []
    for a, t in TRANSITIONS.items():
        if incident.state in t.sources:
            role = sorted(t.roles, key=lambda r: r.value)[0]
            moves += [(a, role)] * (1 if t.target in (State.REJECTED, State.MERGED) else 3)
    notes = [("note", Role.OPERATOR), ("alarm_repeat", Role.SYSTEM)]
    if incident.state in (State.DISPATCHED, State.IN_PROGRESS):
        notes += [("reassign", Role.OPERATOR), ("extension_approve", Role.OPERATOR), ("escalate", Role.SYSTEM)]
    return moves, notes


@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_store_events_replay_to_the_stored_row(services, clock, data):
    """Each example files a new incident in the same database; its events must rebuild its row."""
    raw = f.report(f.OTHER_EVENT, grid=services.grid)  # no department: waits as reported
    code = services.dispatch.intake(raw, f.operator(), Channel.HOTLINE, clock.now).incident.code
    for _ in range(data.draw(st.integers(min_value=0, max_value=20), label="steps")):
        current = services.incidents.get(code)
        moves, notes = legal_moves(current)
        annotate = not moves or data.draw(st.integers(min_value=0, max_value=3), label="kind") == 0
        action, role = data.draw(st.sampled_from(notes if annotate else moves), label="move")
        clock.advance(minutes=data.draw(st.integers(min_value=0, max_value=600), label="minutes"))
        routed = routing(current, action, clock.now)
        if action in ("dispatch", "reassign"):
            routed["department"] = "CGJ"  # 20601 has none: the operator picks one
        new = services.incidents.act(code, action, f.ACTORS[role], current.version, clock.now, **routed)
        assert new.version == current.version + (0 if action in NON_VERSIONING else 1)
    with services.db.read() as s:
        stored = store.get(code, session=s)
        events = store.events_of(stored.id, session=s)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert replay(events) == stored


def test_the_whole_loop_with_return_rework_and_reopen_replays_to_the_stored_row(services, clock):
    """The walk above, once by hand, so the long path is always covered whatever Hypothesis draws."""
    code = services.dispatch.intake(f.report(f.WATER_COVER, grid=services.grid), f.operator(), Channel.HOTLINE,
                                    clock.now).incident.code  # auto: created, file, dispatch
    handler, ver = f.dept_handler("SWJ"), f.verifier()
    steps = [
        ("escalate", f.system(), {"payload": {"step": "warn"}}),
        ("return", handler, {}),
        ("dispatch", f.operator(), {"department": "SWJ", "deadline": T0 + timedelta(days=2)}),
        ("acknowledge", handler, {}),
        ("resolve", handler, {}),
        ("verify_fail", ver, {}),
        ("resolve", handler, {}),
        ("verify_pass", ver, {}),
        ("reopen", f.operator(), {}),
        ("dispatch", f.operator(), {"department": "CGJ", "deadline": T0 + timedelta(days=3)}),
    ]
    for action, who, routed in steps:
        current = services.incidents.get(code)
        services.incidents.act(code, action, who, current.version, clock.advance(hours=1), **routed)
    with services.db.read() as s:
        stored = store.get(code, session=s)
        events = store.events_of(stored.id, session=s)
    assert replay(events) == stored
    assert (stored.state, stored.department, stored.rework_count) == (State.DISPATCHED, "CGJ", 1)
    assert stored.version == 3 + len(steps) - 1  # every step but the escalation bumped it
    assert stored.closed_at is None and stored.resolved_at is None  # reopened


@pytest.mark.parametrize("action", sorted(NON_VERSIONING - {"verify_task_sent", "verify_task_answered"}))
def test_annotations_that_change_nothing_never_make_a_handler_conflict(action):
    inc = f.incident(T0, state=State.DISPATCHED, department="CGJ")
    actor = {"alert_acknowledged": f.operator(), "instruction": f.ACTORS[Role.LEADER]}.get(action, f.system())
    payload = {"step": "warn"} | ({"grid": inc.grid, "district": inc.district} if action == "relocate" else {})
    annotated = apply_event(inc, decide(inc, action, actor, T0, seq=2, payload=payload))
    # The handler loaded version 1 before the sweep wrote; their action still applies to version 1.
    assert annotated.version == inc.version
    acked = decide(annotated, "acknowledge", f.ACTORS[Role.DEPT_HANDLER], T0, seq=3)
    assert acked.version == 2


def test_a_verification_task_and_its_answer_never_make_the_verifier_conflict():
    inc = f.incident(T0, state=State.RESOLVED, department="CGJ", assignee="h1")
    sent = apply_event(inc, decide(inc, "verify_task_sent", f.ACTORS[Role.VERIFIER], T0, seq=2,
                                   payload={"worker": "gw1"}))
    gw = Actor("gw1", Role.GRID_WORKER)
    answered = apply_event(sent, decide(sent, "verify_task_answered", gw, T0, seq=3, payload={"verdict": "resolved"}))
    assert answered.version == inc.version
    passed = decide(answered, "verify_pass", f.ACTORS[Role.VERIFIER], T0, seq=4)
    assert passed.version == inc.version + 1
