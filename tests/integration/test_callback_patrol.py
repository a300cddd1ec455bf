"""Callbacks (回访) after closing, and grid workers' patrol reports with on-the-spot resolution."""
from __future__ import annotations

import base64

import pytest

import factories as f
from dispatch.patrol import PatrolService
from incidents.followup import FollowupError, FollowupService
from incidents.intake import IntakeError
from incidents.model import Channel, State
from incidents.places import PlaceService
from incidents.uploads import UploadError, decode_data_url, store_image

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def closed(services, clock):
    inc = services.dispatch.intake(f.report(grid=services.grid), f.operator(), Channel.HOTLINE, clock()).incident
    h = f.dept_handler()
    inc = services.incidents.act(inc.code, "acknowledge", h, inc.version, clock())
    inc = services.incidents.act(inc.code, "resolve", h, inc.version, clock())
    return services.incidents.act(inc.code, "verify_pass", f.verifier(), inc.version, clock())


def test_a_satisfied_callback_is_an_event_on_the_closed_incident(services, clock):
    inc = closed(services, clock)
    after = FollowupService(services.incidents).callback(inc.code, f.operator(), inc.version, clock(), reached=True,
                                                         satisfaction="basically_satisfied", comment=" ok ")
    assert after.state == State.CLOSED
    last = services.incidents.timeline(inc.code)[-1]
    assert (last.action, last.payload) == ("callback", {"reached": True, "satisfaction": "basically_satisfied",
                                                         "comment": "ok"})


def test_an_unreached_caller_is_recorded_without_satisfaction(services, clock):
    inc = closed(services, clock)
    FollowupService(services.incidents).callback(inc.code, f.operator(), inc.version, clock(), reached=False,
                                                 satisfaction="satisfied")
    assert services.incidents.timeline(inc.code)[-1].payload["satisfaction"] is None


def test_a_dissatisfied_callback_reopens_within_the_window(services, clock):
    inc = closed(services, clock)
    tools = FollowupService(services.incidents, reopen_days=30)
    clock.advance(days=2)
    after = tools.callback(inc.code, f.operator(), inc.version, clock(), reached=True, satisfaction="dissatisfied",
                           comment="没修好", reopen=True)
    assert after.state == State.ACCEPTED
    assert [e.action for e in services.incidents.timeline(inc.code)][-2:] == ["callback", "reopen"]


def test_reopening_is_refused_after_the_window_or_when_satisfied(services, clock):
    inc = closed(services, clock)
    tools = FollowupService(services.incidents, reopen_days=30)
    with pytest.raises(FollowupError):
        tools.callback(inc.code, f.operator(), inc.version, clock(), reached=True, satisfaction="satisfied", reopen=True)
    clock.advance(days=31)
    with pytest.raises(FollowupError) as e:
        tools.callback(inc.code, f.operator(), inc.version, clock(), reached=True, satisfaction="dissatisfied",
                       reopen=True)
    assert e.value.code == "reopen_too_late"
    assert services.incidents.get(inc.code).state == State.CLOSED  # the callback was rolled back too


def test_a_callback_on_an_open_incident_is_refused(services, clock):
    inc = services.dispatch.intake(f.report(grid=services.grid), f.operator(), Channel.HOTLINE, clock()).incident
    with pytest.raises(ValueError):
        FollowupService(services.incidents).callback(inc.code, f.operator(), inc.version, clock(), reached=True,
                                                     satisfaction="satisfied")


def test_on_the_spot_resolution_writes_file_dispatch_acknowledge_resolve(services, clock):
    worker = f.grid_worker()
    result = PatrolService(services.dispatch).report(f.report(f.GARBAGE, grid=services.grid), worker, clock(),
                                                     photo="2026/03/x.png", onspot=True, note="已清理")
    assert result.incident.state == State.RESOLVED and result.incident.assignee == worker.name
    events = services.incidents.timeline(result.incident.code)
    assert [(e.action, e.actor) for e in events] == [
        ("created", worker.name), ("file", "system"), ("dispatch", "system"),
        ("acknowledge", worker.name), ("resolve", worker.name)]
    assert events[-1].payload["photo"] == "2026/03/x.png"
    assert result.incident.channel == Channel.PATROL and result.incident.extra["photo"] == "2026/03/x.png"


def test_on_the_spot_is_refused_for_categories_the_rules_do_not_allow(services, clock):
    with pytest.raises(IntakeError) as e:
        PatrolService(services.dispatch).report(f.report(f.WATER_COVER, grid=services.grid), f.grid_worker(), clock(),
                                                onspot=True)
    assert e.value.code == "onspot_not_allowed"
    assert services.incidents.list() == []


def test_a_patrol_report_without_on_the_spot_takes_the_ordinary_intake(services, clock):
    result = PatrolService(services.dispatch).report(f.report(f.GARBAGE, grid=services.grid), f.grid_worker(), clock())
    assert result.incident.state == State.DISPATCHED and result.incident.channel == Channel.PATROL


def test_uploads_are_checked_by_content_and_size(tmp_path, clock):
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    rel = store_image(decode_data_url(url, 1000), tmp_path, clock())
    assert (tmp_path / rel).read_bytes() == PNG and rel.endswith(".png")
    with pytest.raises(UploadError) as e:
        decode_data_url(url, 10)
    assert e.value.code == "upload_too_large"
    with pytest.raises(UploadError) as e:
        store_image(b"<html>not an image</html>", tmp_path, clock())
    assert e.value.code == "upload_not_image"
    with pytest.raises(UploadError):
        decode_data_url("data:image/png;base64,@@@", 1000)


def test_the_gazetteer_is_seeded_and_ranks_landmarks_first(services):
    places = PlaceService(services.db)
    hits = places.lookup("英雄")
    assert [p.name for p in hits][:2] == ["英雄广场", "英雄大路"]
    station = places.lookup("四平站")[0]
    assert station.kind == "landmark" and services.grid.locate_one(station.lon, station.lat) == station.grid
    assert places.lookup("Hero")[0].name == "英雄广场"  # alias, case-insensitive
    assert places.lookup("铁西区第12社区")[0].kind == "community"
    assert places.lookup("") == []
