"""核查任务 and photo provenance, pure: who may send and answer a task, what the worker may read, the fold that
keeps the open task on the incident, the timeline's task status, and the photo fingerprints that flag reuse."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

import factories as f
from factories import T0
from dispatch.verify_task import task_status
from incidents.access import actions_for, may_act, may_answer_task, may_read
from incidents.changes import apply_event, decide, replay
from incidents.events import TASK_WORKER_KEY, Event
from incidents.lifecycle import TransitionError
from incidents.model import Actor, Role, State
from incidents.photo_hash import Print, dhash, distance, position_of, reuses, sha256, to_signed

HANDLER = Actor("cgj_handler", Role.DEPT_HANDLER, "CGJ")
WORKER = Actor("gw_a", Role.GRID_WORKER, "GRID")
OTHER_WORKER = Actor("gw_b", Role.GRID_WORKER, "GRID")


def resolved(**extra: object):
    return f.incident(T0, state=State.RESOLVED, department="CGJ", assignee=HANDLER.name,
                      extra={"source": "test", **extra})


def sent(worker: str = WORKER.name):
    inc = resolved()
    return apply_event(inc, decide(inc, "verify_task_sent", f.verifier(), T0, seq=2, payload={"worker": worker}))


@pytest.mark.parametrize("role,allowed", [(Role.VERIFIER, True), (Role.ADMIN, True), (Role.OPERATOR, False),
                                          (Role.LEADER, False), (Role.DEPT_HANDLER, False), (Role.GRID_WORKER, False),
                                          (Role.SYSTEM, False)])
def test_only_verifiers_and_admins_send_a_verification_task(role, allowed):
    inc = resolved()
    if allowed:
        assert decide(inc, "verify_task_sent", f.ACTORS[role], T0, seq=2, payload={"worker": "gw"}).version == 1
    else:
        with pytest.raises(TransitionError):
            decide(inc, "verify_task_sent", f.ACTORS[role], T0, seq=2, payload={"worker": "gw"})


@pytest.mark.parametrize("state", [s for s in State if s is not State.RESOLVED])
def test_a_task_is_sent_only_for_a_case_awaiting_verification(state):
    with pytest.raises(TransitionError):
        decide(resolved().evolve(state=state), "verify_task_sent", f.verifier(), T0, seq=2, payload={"worker": "gw"})


def test_the_verifier_is_offered_the_task_once_and_the_named_worker_the_answer():
    inc = resolved()
    assert "verify_task_sent" in actions_for(f.verifier(), inc)
    assert "verify_task_answered" not in actions_for(WORKER, inc)
    out = sent()
    assert out.extra[TASK_WORKER_KEY] == WORKER.name and out.version == inc.version
    assert "verify_task_sent" not in actions_for(f.verifier(), out)  # one open task at a time
    assert actions_for(WORKER, out) == ["verify_task_answered"]
    assert "verify_task_answered" not in actions_for(OTHER_WORKER, out)
    assert "verify_task_answered" not in actions_for(f.admin(), out)


def test_the_named_worker_reads_the_case_only_while_the_task_is_open():
    inc = resolved()
    assert not may_read(WORKER, inc)
    out = sent()
    assert may_read(WORKER, out) and may_answer_task(WORKER, out)
    assert not may_act(WORKER, out)  # reading and answering, not handling
    assert not may_read(OTHER_WORKER, out) and not may_answer_task(OTHER_WORKER, out)
    assert not may_answer_task(Actor(WORKER.name, Role.DEPT_HANDLER, "CGJ"), out)  # the name alone is not enough
    answered = apply_event(out, decide(out, "verify_task_answered", WORKER, T0, seq=3, payload={"verdict": "resolved"}))
    assert TASK_WORKER_KEY not in answered.extra and not may_read(WORKER, answered)
    assert answered.extra == inc.extra


@pytest.mark.parametrize("decision", ["verify_pass", "verify_fail"])
def test_the_verifiers_decision_closes_an_unanswered_task(decision):
    out = sent()
    decided = apply_event(out, decide(out, decision, f.verifier(), T0, seq=3, payload={"reason": "x"}))
    assert not may_read(WORKER, decided)
    with pytest.raises(TransitionError):
        decide(decided, "verify_task_answered", WORKER, T0, seq=4, payload={"verdict": "resolved"})


def test_a_task_needs_a_worker():
    with pytest.raises(ValueError):
        decide(resolved(), "verify_task_sent", f.verifier(), T0, seq=2, payload={})


def test_the_replay_rebuilds_the_open_task_like_the_store():
    inc = f.incident(T0)
    events = [f.created(inc)]
    steps = [("file", f.operator(), {}), ("dispatch", f.operator(), {"department": "CGJ", "assignee": HANDLER.name}),
             ("acknowledge", HANDLER, {}), ("resolve", HANDLER, {}),
             ("verify_task_sent", f.verifier(), {"payload": {"worker": WORKER.name}})]
    current = inc
    for seq, (action, who, kw) in enumerate(steps, start=2):
        e = decide(current, action, who, T0, seq=seq, **kw)
        events.append(e)
        current = apply_event(current, e)
    assert replay(events) == current
    assert current.extra[TASK_WORKER_KEY] == WORKER.name and may_read(WORKER, replay(events))


def _event(seq: int, action: str, **payload: object) -> Event:
    return Event(1, seq, T0, "ver1", action, "resolved", "resolved", "CGJ", "h", None, dict(payload))


def test_task_status_follows_the_timeline():
    assert task_status([_event(1, "resolve")]) is None
    open_ = task_status([_event(2, "verify_task_sent", worker="gw_a", note="看一下")])
    assert open_ is not None and open_.open and open_.worker == "gw_a" and open_.note == "看一下"
    done = task_status([_event(2, "verify_task_sent", worker="gw_a"),
                        _event(3, "verify_task_answered", verdict="unresolved", note="还在", photos=["a.jpg", 5])])
    assert done is not None and not done.open and done.verdict == "unresolved" and done.photos == ("a.jpg",)
    closed = task_status([_event(2, "verify_task_sent", worker="gw_a"), _event(3, "verify_pass")])
    assert closed is not None and not closed.open and closed.verdict is None


# -- photo fingerprints ---------------------------------------------------------------------------

def _scene(seed: int, size: tuple[int, int] = (320, 240), fmt: str = "JPEG", quality: int = 90) -> bytes:
    img = Image.new("RGB", (320, 240), (90, 110, 120))
    draw = ImageDraw.Draw(img)
    for k in range(6):
        x = (seed * 37 + k * 53) % 280
        y = (seed * 71 + k * 29) % 200
        draw.rectangle([x, y, x + 40, y + 30], fill=((seed * 40 + k * 30) % 255, (k * 60) % 255, 200 - k * 20))
    out = io.BytesIO()
    img.resize(size).save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()


def test_hamming_distance_counts_differing_bits_signed_or_not():
    assert distance(0, 0) == 0
    assert distance(0b1011, 0b0001) == 2
    assert distance(2**64 - 1, 0) == 64
    h = 0xF000_0000_0000_0001
    assert to_signed(h) < 0 and distance(to_signed(h), h) == 0
    assert to_signed(5) == 5 and to_signed(None) is None


def test_a_recompressed_resized_copy_is_near_and_another_scene_is_far():
    original = _scene(1)
    copy = _scene(1, size=(240, 180), quality=55)
    other = _scene(7)
    assert distance(dhash(original), dhash(copy)) <= 5
    assert distance(dhash(original), dhash(other)) > 5
    assert dhash(b"\xff\xd8\xff not a jpeg") is None


def test_reuse_finds_identical_and_near_photos_on_other_cases_only():
    a, a_copy, b = _scene(1), _scene(1, size=(240, 180), quality=55), _scene(7)
    mine = [Print("C1", "a.jpg", sha256(a), dhash(a)), Print("C1", "b.jpg", sha256(b), dhash(b))]
    others = [Print("C1", "a2.jpg", sha256(a_copy), dhash(a_copy)),  # the same case: never a flag
              Print("C2", "x.jpg", sha256(a), dhash(a)),  # the very same file
              Print("C3", "y.png", sha256(a_copy), dhash(a_copy)),  # re-encoded
              Print("C4", "z.jpg", sha256(_scene(3)), dhash(_scene(3))),
              Print("C5", "n.jpg", "0" * 64, None)]
    found = reuses(mine, others)
    assert [(r.name, r.other_code, r.identical) for r in found] == [("a.jpg", "C2", True), ("a.jpg", "C3", False)]
    assert found[1].distance <= 5


@pytest.mark.parametrize("raw,expected", [
    ({"lon": 124.3, "lat": 43.2, "accuracy": 12.5}, (124.3, 43.2, 12.5)),
    ({"lon": "124.3", "lat": 43.2}, (124.3, 43.2, None)),
    ({"lon": 124.3, "lat": 43.2, "accuracy": -1}, (124.3, 43.2, None)),
    ({"lon": 200, "lat": 43.2}, None), ({"lon": float("nan"), "lat": 1}, None), ({"lat": 1}, None),
    (None, None), ("124,43", None), ({"lon": None, "lat": 1}, None),
])
def test_the_devices_position_is_kept_only_when_it_is_a_place(raw, expected):
    p = position_of(raw)
    assert (None if p is None else (p.lon, p.lat, p.accuracy_m)) == expected
