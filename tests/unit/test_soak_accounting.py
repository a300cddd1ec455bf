"""The soak's accounting (benchmarks/soak.py): what a wall client counts as seen, and the missed pushes."""
from __future__ import annotations

from benchmarks.soak import Seen, _codes, _missed, _snapshot_codes


def test_a_delta_counts_its_upserts_removals_and_ticker_lines():
    delta = {"upsert": [{"code": "2026112500001"}], "remove": ["2026112500002"],
             "events": [{"code": "2026112500003"}, {"code": None}], "kpi": {}}
    assert _codes(delta) == {"2026112500001", "2026112500002", "2026112500003"}


def test_a_snapshot_counts_its_open_incidents_and_ticker():
    snap = {"incidents": [{"code": "2026112500001"}], "ticker": [{"code": "2026112500004"}], "alerts": []}
    assert _snapshot_codes(snap) == {"2026112500001", "2026112500004"}


def test_seen_keeps_one_bit_per_daily_sequence_and_other_codes_aside():
    s = Seen()
    s.add({"2026112500003", "2026112699999", "odd-code"})
    assert "2026112500003" in s and "2026112699999" in s and "odd-code" in s
    assert "2026112500004" not in s and "2026112600003" not in s and "other" not in s
    assert set(s.days) == {"20261125", "20261126"}


def test_missed_counts_pairs_and_those_around_a_clients_drop():
    a, b = Seen(), Seen()
    a.add({"2026112500001", "2026112500002", "odd"})
    b.add({"2026112500001"})
    acked = [("2026112500001", 10.0), ("2026112500002", 20.0), ("2026112500003", 30.0), ("odd", 40.0)]
    seen = {0: (a.days, a.other), 1: (b.days, b.other)}
    # client 0 misses 3 (connected); client 1 misses 2, 3 and odd: 2 and 3 while it was away (19.5 … 31)
    assert _missed(acked, seen, {1: [[19.5, 30.5]]}) == (4, 2)
    assert _missed(acked, seen, {1: [[35.0, None]]}) == (4, 1)  # never back: away from 34 s on
