"""parse_draft: a valid report becomes a located Draft; every bad field is named in the error."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import factories as f
from factories import T0
from incidents.intake import MAX_DESCRIPTION, IntakeError, parse_draft
from incidents.model import Channel, Severity
from incidents.taxonomy import Taxonomy

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load(DATA / "taxonomy.csv")


def parse(taxonomy, raw, now=T0):
    return parse_draft(raw, taxonomy=taxonomy, locator=f.default_grid(), channel=Channel.API, now=now)


def test_valid_report_is_normalised_and_located(taxonomy):
    raw = f.report(f.WATER_COVER, severity=" HIGH ", description="  井盖缺失  ", reporter_phone="138 0013 8000",
                   extra={"photo": "p1.jpg"})
    draft = parse(taxonomy, raw)
    assert draft.category == "10101" and draft.severity == Severity.HIGH
    assert draft.description == "井盖缺失"
    assert (draft.grid, draft.district) == (f.CORE_CELL, 220302)
    assert draft.reporter_phone == "13800138000"
    assert draft.reported_at == T0 and draft.channel == Channel.API
    assert draft.extra == {"photo": "p1.jpg"}


def test_severity_defaults_to_normal_and_coordinates_may_be_strings(taxonomy):
    raw = f.report(f.WATER_COVER)
    del raw["severity"]
    raw["lon"], raw["lat"] = str(raw["lon"]), str(raw["lat"])
    assert parse(taxonomy, raw).severity == Severity.NORMAL


def test_reported_at_in_the_past_with_a_zone_is_kept(taxonomy):
    draft = parse(taxonomy, f.report(reported_at="2026-03-10T08:00:00+08:00"))
    assert draft.reported_at == T0 - timedelta(hours=2)


BAD_INPUTS = [
    # (overrides, field, code)
    ({"category": None}, "category", "required"),
    ({"category": "  "}, "category", "required"),
    ({"category": "19999"}, "category", "unknown_category"),
    ({"category": "manhole"}, "category", "unknown_category"),
    ({"severity": "critical"}, "severity", "invalid_choice"),
    ({"description": ""}, "description", "required"),
    ({"description": "   "}, "description", "required"),
    ({"description": "x" * (MAX_DESCRIPTION + 1)}, "description", "too_long"),
    ({"lon": None}, "location", "required"),
    ({"lat": ""}, "location", "required"),
    ({"lon": "east"}, "location", "not_a_number"),
    ({"lat": [43.2]}, "location", "not_a_number"),
    ({"lon": 181}, "location", "out_of_range"),
    ({"lat": -90.5}, "location", "out_of_range"),
    ({"lat": float("nan")}, "location", "out_of_range"),
    ({"lon": f.OUTSIDE_CITY[0], "lat": f.OUTSIDE_CITY[1]}, "location", "outside_city"),
    ({"reporter_phone": "call me"}, "reporter_phone", "invalid_phone"),
    ({"reporter_phone": "12"}, "reporter_phone", "invalid_phone"),
    ({"reported_at": "yesterday"}, "reported_at", "invalid_datetime"),
    ({"reported_at": 1773108000}, "reported_at", "invalid_datetime"),  # epoch seconds from JSON
    ({"reported_at": "2026-03-10T09:00:00"}, "reported_at", "invalid_datetime"),  # naive
    ({"reported_at": datetime(2026, 3, 10, 9, 0)}, "reported_at", "invalid_datetime"),  # naive
    ({"reported_at": "2026-03-10T02:00:01+00:00"}, "reported_at", "in_future"),
    ({"reported_at": datetime(2026, 3, 11, tzinfo=timezone.utc)}, "reported_at", "in_future"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), BAD_INPUTS,
                         ids=[f"{next(iter(o))}-{c}-{i}" for i, (o, _, c) in enumerate(BAD_INPUTS)])
def test_bad_input_names_its_field(taxonomy, overrides, field, code):
    with pytest.raises(IntakeError) as err:
        parse(taxonomy, {**f.report(f.WATER_COVER), **overrides})
    assert (err.value.field, err.value.code) == (field, code)
    assert err.value.message == str(err.value)


def test_missing_category_key_is_required(taxonomy):
    raw = f.report()
    del raw["category"]
    with pytest.raises(IntakeError) as err:
        parse(taxonomy, raw)
    assert err.value.field == "category"


def test_too_long_description_reports_the_limit(taxonomy):
    with pytest.raises(IntakeError) as err:
        parse(taxonomy, f.report(description="长" * (MAX_DESCRIPTION + 1)))
    assert err.value.params == {"max": MAX_DESCRIPTION}


def test_description_of_exactly_the_limit_is_accepted(taxonomy):
    assert len(parse(taxonomy, f.report(description="长" * MAX_DESCRIPTION)).description) == MAX_DESCRIPTION
