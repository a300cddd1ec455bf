"""The breach-risk model is checked against what happened on generated history (incidents.risk_calibration).

Three months of demo history (fixed seed) are written; at a moment every 6 hours over 20 days, ending 10
days before the history does (time for outcomes), every running, not-yet-overdue incident is scored with
the model fitted as the app fits it (refitted every 5 days here for speed), then compared with its next
resolve. Stated tolerances: the model's Brier score beats the constant base-rate baseline; in every bin
with predictions for at least 30 distinct incidents the observed miss rate is within max(0.05, 2.5 standard
errors) of the mean prediction, the error clustered by incident (one incident scored at several moments
shares one outcome, so a bin dominated by a few long-limit incidents is as uncertain as a few draws); the
count-weighted mean gap over all bins is under 0.05. A model off by more than noise in a well-populated
bin fails; a bin made of a few incidents is judged only as far as its sample allows.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from data import demo
from dispatch.risk_clock import reference_elapsed
from incidents.risk_calibration import Calibration, calibrate, moments_between, summarise

END = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
MIN_INCIDENTS, TOLERANCE, SIGMAS, MEAN_GAP = 30, 0.05, 2.5, 0.05


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory, template_db: Any, make_services: Any) -> Calibration:
    import shutil

    path = tmp_path_factory.mktemp("calibration") / "history.db"
    shutil.copyfile(template_db, path)
    services = make_services(database_url=f"sqlite:///{path}")
    try:
        demo.generate_history(services, months=3, now=END, seed=demo.SEED)
        last = END - timedelta(days=10)
        moments = moments_between(last - timedelta(days=20), last, timedelta(hours=6))
        with services.db.read() as s:
            return calibrate(moments, session=s, tz=services.settings.tz, data_end=END, refit_days=5,
                             elapsed=reference_elapsed(services.reference))
    finally:
        services.db.dispose()


def test_the_model_beats_the_base_rate_on_brier_score(calibration: Calibration) -> None:
    assert calibration.n > 5000
    assert calibration.brier < calibration.brier_baseline, calibration.table()


def test_each_well_populated_bin_observes_what_it_predicts(calibration: Calibration) -> None:
    judged = [b for b in calibration.bins if b.incidents >= MIN_INCIDENTS]
    assert len(judged) >= 5, calibration.table()
    for b in judged:
        allowed = max(TOLERANCE, SIGMAS * (b.se_clustered or 0))
        assert abs((b.observed or 0) - (b.predicted or 0)) <= allowed, calibration.table()
    gap = sum(b.n * abs((b.observed or 0) - (b.predicted or 0)) for b in calibration.bins if b.n) / calibration.n
    assert gap < MEAN_GAP, calibration.table()


def test_summarise_counts_bins_and_scores_by_hand() -> None:
    import pandas as pd

    pairs = pd.DataFrame({"p": [0.05, 0.05, 0.95, 0.95], "missed": [0.0, 0.0, 1.0, 0.0]})
    cal = summarise(pairs, moments=1)
    assert [b.n for b in cal.bins] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert cal.bins[9].observed == 0.5 and cal.base_rate == 0.25
    assert cal.brier == pytest.approx((0.05 ** 2 * 2 + 0.05 ** 2 + 0.95 ** 2) / 4, abs=1e-5)
    assert cal.brier_baseline == pytest.approx((0.25 ** 2 * 3 + 0.75 ** 2) / 4, abs=1e-5)


def test_the_error_is_clustered_by_incident_so_repeats_do_not_pass_for_evidence() -> None:
    import pandas as pd

    once_each = summarise(pd.DataFrame({"code": ["a", "b"], "p": [0.55, 0.55], "missed": [1.0, 1.0]}), moments=1)
    one_twice = summarise(pd.DataFrame({"code": ["a", "a"], "p": [0.55, 0.55], "missed": [1.0, 1.0]}), moments=2)
    assert once_each.bins[5].se_clustered == pytest.approx((0.45 ** 2 * 2) ** 0.5 / 2, abs=1e-4)
    assert one_twice.bins[5].se_clustered == pytest.approx(0.45 * 2 / 2, abs=1e-4)  # as uncertain as one draw
    # 400 distinct incidents predicted at 0.3 of which half missed: far beyond noise, the judging fails it
    n = 400
    off = summarise(pd.DataFrame({"code": [f"c{i}" for i in range(n)], "p": [0.3] * n,
                                  "missed": [float(i % 2) for i in range(n)]}), moments=1)
    b = off.bins[3]
    assert b.incidents >= MIN_INCIDENTS
    assert abs(b.observed - b.predicted) > max(TOLERANCE, SIGMAS * b.se_clustered)
