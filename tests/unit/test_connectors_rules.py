"""The pure connector rules: signatures, backoff, the remote answer → our actions mapping."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dispatch import connectors as cx

AT = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


def test_a_signature_verifies_only_with_the_secret_the_timestamp_and_the_body():
    c = cx.Connector("SWJ", "webhook", "http://127.0.0.1/h", "s" * 20)
    body = cx.body_bytes({"key": "k", "incident": {"code": "1"}})
    h = cx.webhook_headers(c, "k", body, AT)
    assert cx.verify("s" * 20, h[cx.TIMESTAMP_HEADER], body, h[cx.SIGNATURE_HEADER])
    assert not cx.verify("t" * 20, h[cx.TIMESTAMP_HEADER], body, h[cx.SIGNATURE_HEADER])
    assert not cx.verify("s" * 20, str(int(h[cx.TIMESTAMP_HEADER]) + 1), body, h[cx.SIGNATURE_HEADER])
    assert not cx.verify("s" * 20, h[cx.TIMESTAMP_HEADER], body + b" ", h[cx.SIGNATURE_HEADER])


def test_backoff_doubles_up_to_its_cap():
    assert [cx.backoff(n, 30, 3600).total_seconds() for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.parametrize(("state", "action", "steps"), [
    ("dispatched", "resolve", ["acknowledge", "resolve"]), ("in_progress", "resolve", ["resolve"]),
    ("resolved", "resolve", []), ("dispatched", "acknowledge", ["acknowledge"]),
    ("in_progress", "acknowledge", []), ("dispatched", "return", ["return"]), ("in_progress", "return", []),
    ("closed", "resolve", []),
])
def test_a_remote_answer_takes_our_incident_to_where_the_department_says_it_is(state, action, steps):
    assert cx.steps_to(state, action) == steps


def test_status_notes_win_over_status_and_replies_keep_only_web_photo_urls():
    c = cx.Connector("SWJ", "open311", options={"status_map": {"处置中": "acknowledge", "closed": "resolve"}})
    assert cx.remote_action(c, "open", "处置中") == "acknowledge"
    assert cx.remote_action(c, "closed", "已结案") == "resolve" and cx.remote_action(c, "open", "已派遣") is None
    assert cx.reply_action({"action": "resolve", "photos": ["https://a/1.jpg", "file:///etc/passwd", 3]}) == (
        "resolve", {"photos": ["https://a/1.jpg"]})
    assert cx.reply_action({"action": "close"}) is None and cx.reply_action(["x"]) is None
