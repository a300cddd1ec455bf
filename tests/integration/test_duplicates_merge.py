"""Likely duplicates (same category, 50 m, 24 h, both settings) and the operator's merge or keep-apart."""
from __future__ import annotations

import pytest

import factories as f
from incidents.followup import FollowupError, FollowupService
from incidents.model import Channel, State
from incidents.search import SearchService

HOTLINE = Channel.HOTLINE


def intake(services, category=f.WATER_COVER, **raw):
    report = f.report(category, grid=services.grid, **raw)
    return services.dispatch.intake(report, f.operator(), HOTLINE, services.clock())


@pytest.mark.parametrize(("east_m", "hours", "duplicate"), [
    (49, 1, True), (51, 1, False), (10, 23, True), (10, 25, False),
])
def test_duplicate_candidates_at_the_edges_of_distance_and_window(services, clock, east_m, hours, duplicate):
    first = intake(services).incident
    clock.advance(hours=hours)
    second = intake(services, east_m=east_m)
    assert [d.code for d in second.duplicates] == ([first.code] if duplicate else [])
    assert (second.waiting == "duplicate") is duplicate


def test_a_different_category_at_the_same_place_is_not_a_duplicate(services):
    intake(services)
    assert intake(services, f.OTHER_EVENT).duplicates == ()


def test_radius_and_window_come_from_the_settings(settings_factory, clock):
    import app

    svc = app.build_services(settings_factory(duplicate_radius_m=100.0, duplicate_window_h=48.0), clock=clock)
    try:
        first = intake(svc).incident
        clock.advance(hours=40)
        assert [d.code for d in intake(svc, east_m=90).duplicates] == [first.code]
    finally:
        svc.db.dispose()


def test_merge_keeps_both_reporters_on_the_primary(db_services):
    svc = db_services
    primary = intake(svc, reporter_phone="13811112222").incident
    dup = intake(svc, east_m=20, reporter_phone="13933334444").incident
    merged_primary = FollowupService(svc.incidents).merge(dup.code, primary.code, f.operator(), dup.version,
                                                          svc.clock())
    dup_after = svc.incidents.get(dup.code)
    assert dup_after.state == State.MERGED and dup_after.merged_into == primary.code
    assert merged_primary.state == primary.state  # the primary's lifecycle goes on
    added = [e for e in svc.incidents.timeline(primary.code) if e.action == "reporter_added"]
    assert [e.payload["reporter_phone"] for e in added] == ["13933334444"]
    assert added[0].payload["from"] == dup.code
    assert merged_primary.reporter_phone == "13811112222"
    # the second caller still finds their case, and sees where it went
    history = SearchService(svc.db).caller_history("13933334444")
    assert history[0].incident.merged_into == primary.code


def test_merge_into_itself_or_into_a_final_incident_is_refused(services, clock):
    primary = intake(services, f.OTHER_EVENT).incident  # no department: waits as reported
    dup = intake(services, f.OTHER_EVENT, east_m=5).incident
    tools = FollowupService(services.incidents)
    with pytest.raises(FollowupError) as e:
        tools.merge(dup.code, dup.code, f.operator(), dup.version, clock())
    assert e.value.code == "merge_into_itself"
    services.incidents.act(primary.code, "reject", f.operator(), primary.version, clock())
    with pytest.raises(FollowupError) as e:
        tools.merge(dup.code, primary.code, f.operator(), dup.version, clock())
    assert e.value.code == "merge_into_final"
    assert services.incidents.get(dup.code).state == State.REPORTED  # nothing written


def test_keeping_apart_writes_a_note_and_leaves_the_incident_for_dispatch(services, clock):
    first = intake(services).incident
    dup = intake(services, east_m=5).incident
    kept = FollowupService(services.incidents).keep_apart(dup.code, [first.code], f.operator(), dup.version, clock())
    assert kept.state == State.REPORTED
    note = services.incidents.timeline(dup.code)[-1]
    assert note.action == "note" and note.payload == {"kind": "not_duplicate", "candidates": [first.code]}
    dispatched = services.dispatch.dispatch(dup.code, f.operator(), kept.version, clock())
    assert dispatched.state == State.DISPATCHED
