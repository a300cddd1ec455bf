"""The analytics page in a real browser: a filter redraws the charts, a chart mark lists its incidents,
a code opens the timeline — and nothing is fetched from the internet."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Iterator

import pytest
from selenium.webdriver.common.by import By

from harness import PASSWORD, ROOT, app_process, choose, contrast, foreign_requests, login, make_browser
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

SEED = """
import sys
sys.path.insert(0, 'tests')
from datetime import datetime, timedelta, timezone
from analytics_log import write_incident
from app import build_services
from auth.users import create_user
s = build_services()
with s.db.write.begin() as x:
    create_user('leader', {pw!r}, 'leader', session=x, display_name='leader')
now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
def closed(code, at, department, **where):
    write_incident(s, code, [
        (at, 'created', 'reported', {{}}), (at + timedelta(minutes=5), 'file', 'accepted', {{}}),
        (at + timedelta(minutes=9), 'dispatch', 'dispatched', {{'department': department, 'deadline': at + timedelta(hours=20)}}),
        (at + timedelta(hours=1), 'acknowledge', 'in_progress', {{}}),
        (at + timedelta(hours=3 + 10 * (k % 3)), 'resolve', 'resolved', {{}}),
        (at + timedelta(hours=14 + 10 * (k % 3)), 'verify_pass', 'closed', {{}})], **where)
for k in range(12):  # this week in 铁西区, four departments, three categories
    closed(f'AN{{k:03d}}', now - timedelta(days=1 + k % 6, hours=k), {depts!r}[k % 4], category={cats!r}[k % 3])
for k in range(4):  # the same weeks last year, in 铁东区 only
    closed(f'LY{{k:03d}}', now - timedelta(days=366 + 3 * k), 'SWJ', district=220303, grid='220303002001001')
"""
#: Departments and categories of the seeded incidents, with the names the charts must show for them.
DEPARTMENTS = {"SWJ": "水务集团", "CGJ": "城市管理局", "ZJJ": "住房和城乡建设局", "JTYSJ": "交通运输局"}
CATEGORIES = {"10101": "上水井盖", "10102": "污水井盖", "10103": "雨水井盖"}


@pytest.fixture(scope="module")
def analytics_app(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[str]:
    """``python app.py`` on a store holding a leader and a dozen closed incidents of the last week."""
    tmp = tmp_path_factory.mktemp("analytics")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'cityops.db'}", CITYOPS_DEMO="0",
               CITYOPS_SECRET_KEY="browser-test-secret", PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    seed = SEED.format(pw=PASSWORD, depts=list(DEPARTMENTS), cats=list(CATEGORIES))
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    with app_process(env, tmp / "app.log") as base:
        yield base


def _texts(b: Any, css: str) -> list[str]:
    return [e.get_attribute("textContent") for e in b.driver.find_elements(By.CSS_SELECTOR, css)]


def test_charts_read_at_a_glance_then_filter_click_and_timeline(analytics_app: str) -> None:
    """Rates in % on the axes; every department and category named on its bar (no label skipped); today's
    period marked as not over; 去年同期 drawn for the whole city, which has last year's cases. Then a
    filter redraws the trend, a mark lists its incidents, a code opens its timeline; and 去年同期 is gone —
    from the legend too — for a district that has no cases last year."""
    b = make_browser(1600, 1200)
    try:
        login(b, analytics_app, "leader", "/analytics")
        b.wait_for_element("#an-trend")
        _wait(lambda: b.driver.find_elements(By.CSS_SELECTOR, "#an-trend .scatterlayer .point"))
        _wait(lambda: _texts(b, "#an-ranking .ytick text"))
        assert all(tick.endswith("%") for tick in _texts(b, "#an-trend .ytick text"))
        assert all(tick.endswith("%") for tick in _texts(b, "#an-ranking .xtick text"))
        assert sorted(_texts(b, "#an-ranking .ytick text")) == sorted(DEPARTMENTS.values())
        assert sorted(_texts(b, "#an-mix .ytick text")) == sorted(CATEGORIES.values())
        assert _texts(b, "#an-trend .annotation-text") == ["本期未完"]  # today is the last day shown
        assert "去年同期" in _texts(b, "#an-trend .legendtext")
        week = b.driver.find_element(By.CSS_SELECTOR, "#an-freq input[value='week']")  # filter: by week
        b.driver.find_element(By.CSS_SELECTOR, f"label[for='{week.get_attribute('id')}']").click()
        _wait(lambda: 1 <= len(b.driver.find_elements(By.CSS_SELECTOR, "#an-trend .scatterlayer .trace:first-child .point")) <= 6)
        assert "按时立案率" in b.find_element("#an-indicator-table").text
        # A click on the busiest week's mark, as Plotly reports it (a synthetic mouse click on an SVG point
        # is unreliable headless; the event below is what Plotly emits and what dcc.Graph listens to).
        b.driver.execute_script("""
            const gd = document.querySelector('#an-trend .js-plotly-plot');
            // The busiest mark (not the last one: at some hours of the week the current week is empty).
            const t = gd.data[0];
            let i = 0;
            t.y.forEach((v, k) => { if (v !== null && v > (t.y[i] ?? -Infinity)) { i = k; } });
            gd.emit('plotly_click', {points: [{curveNumber: 0, pointNumber: i, pointIndex: i, x: t.x[i], y: t.y[i]}]});
        """)
        table = _wait(lambda: b.driver.find_elements(By.CSS_SELECTOR, "#an-drill-table"))[0]
        assert "AN0" in table.text
        button = b.driver.find_elements(By.CSS_SELECTOR, "#an-drill-table button")[0]
        code = button.text
        b.driver.execute_script("arguments[0].click()", button)
        timeline = _wait(lambda: b.driver.find_elements(By.CSS_SELECTOR, "#an-timeline-table"))[0]
        assert code in b.find_element("#an-timeline").text and "立案" in timeline.text
        choose(b, "#an-district", "铁西区")
        _wait(lambda: "去年同期" not in _texts(b, "#an-trend .legendtext") and _texts(b, "#an-trend .legendtext"))
        assert _texts(b, "#an-trend .annotation-text") == ["本期未完"]
        assert foreign_requests(b, analytics_app) == []
    finally:
        b.driver.quit()


def _texts(b: Any, css: str) -> list[str]:
    return [e.get_attribute("textContent") for e in b.driver.find_elements(By.CSS_SELECTOR, css)]


#: Text people read on /analytics, from the frame to a card, a hint, a link and a select's value and placeholder.
LEGIBLE = ("#who", ".brand", "#theme-switch", ".an-card h3", ".an-card .field-hint", "#an-report-pdf",
           "#an-indicator", "#an-freq-label")


def test_the_chosen_scheme_persists_follows_the_page_and_stays_legible(analytics_app: str) -> None:
    """Light and dark from one switch in the header: the server paints the choice from the first frame (a
    cookie), the analytics page follows it, every text stays ≥ 4.5:1, and the date picker speaks Chinese."""
    b = make_browser(1920, 1080)
    try:
        login(b, analytics_app, "leader", "/analytics")
        b.wait_for_element("#an-indicator-table")
        for scheme in ("dark", "light"):
            if scheme == "light":
                b.find_element("#theme-switch").click()
                _wait(lambda: b.driver.find_elements(By.CSS_SELECTOR, ".app.theme-light"))
                assert b.driver.current_url.endswith("/analytics")  # back where the switch was clicked
                b.wait_for_element("#an-indicator-table")
            html_scheme = b.driver.execute_script("return document.documentElement.dataset.mantineColorScheme")
            assert html_scheme == scheme
            ratios = {sel: round(contrast(b, sel), 2) for sel in LEGIBLE}
            low = {sel: r for sel, r in ratios.items() if r < 4.5}
            assert low == {}, f"{scheme}: text under 4.5:1 {low}"
            assert contrast(b, "#an-category", placeholder=True) >= 4.5
        # The choice is the browser's: a fresh load is light from its first frame.
        b.driver.get(analytics_app + "/analytics")
        assert _wait(lambda: b.driver.find_elements(By.CSS_SELECTOR, ".app.theme-light"))
        b.find_element("#an-as-of").click()  # the calendar: months and weekdays in Chinese
        cal = _wait(lambda: [e for e in b.driver.find_elements(By.CSS_SELECTOR, ".mantine-DatePickerInput-dropdown, "
                                                                                  "[data-dates-dropdown], .mantine-Popover-dropdown")
                             if e.is_displayed() and e.text.strip()])[0].text
        assert "月" in cal and "一" in cal, cal
        assert not any(w in cal for w in ("Mo", "January", "December", "Su")), cal
        b.find_element("#theme-switch").click()  # and back to dark for whoever comes next
        _wait(lambda: b.driver.find_elements(By.CSS_SELECTOR, ".app.theme-dark"))
    finally:
        b.driver.quit()
