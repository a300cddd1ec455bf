"""Accessibility, measured: axe-core (WCAG 2 A/AA rules) on every page, as every role that may open it sees
it, plus the login page, a case file opened from its link, an open drop-down and the workbench with a case
picked. Any critical or serious violation fails its page's test.

axe-core comes bundled in the ``axe-playwright-python`` wheel (``axe.min.js``); only that file's text is read,
so nothing is downloaded at test time and Playwright is never imported. Selenium's ``execute_script`` runs
it through the DevTools protocol, which the page's Content-Security-Policy does not govern, so the policy
the app sends stays exactly as production has it (conftest.py still fails any test that hits it).

One app process for the module and one browser per role; the browsers work side by side (a few threads)
while the tests only read their results, so the whole module stays inside its time budget. Run with ``-s`` to see
the table of counts per page and role.
"""
from __future__ import annotations

import importlib.util
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from auth.roles import PAGE_ROLES
from harness import ARTIFACTS, GRID_WORKER, app_process, login, make_browser, pick_row, seeded_env
from harness import wait_until as _wait

pytestmark = pytest.mark.browser

#: WCAG 2.0/2.1 level A and AA: the rules the city's pages must pass.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")
#: Browsers working at once: one more than the machine's two cores, since a browser often waits on the app;
#: more only makes each slower.
WORKERS = 3
IMPACTS = ("critical", "serious", "moderate")
TOKEN = "a11y-test-secret-0123456789"
LON, LAT, CATEGORY = 124.3505, 43.1702, "10101"  # urban 铁西区, water manhole cover → SWJ (the handler's dept)
#: The login name of each role's seeded user (harness.seeded_env).
USERS = {"grid_worker": GRID_WORKER}
#: The screen each role works on: the office's 1080p, except the grid worker's phone.
SCREENS = {"grid_worker": (390, 844)}


def axe_source() -> str:
    """The text of the axe-core build inside the installed wheel (its package is never imported: it would
    import Playwright)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        pytest.fail("axe-playwright-python (the bundled axe-core) is required: pip install -e '.[test]'")
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class Scan:
    """One page as one role sees it; ``prepare`` brings the page into the state to check."""

    name: str
    role: str
    path: str
    prepare: Callable[[Any], None] | None = None
    #: what ``<html lang>`` must say: the UI's language
    lang: str = "zh-CN"
    seen_lang: str = ""
    violations: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.name}[{self.role}]"

    def count(self, impact: str) -> int:
        return sum(1 for v in self.violations if v.get("impact") == impact)


def _open_category_dropdown(b: Any) -> None:
    """Opened from the keyboard: the select's input is a tab stop; typing opens its options."""
    box = b.wait_for_element("#intake-category")
    assert box.get_attribute("tabindex") in (None, "", "0"), "the select cannot be reached with Tab"
    box.click()
    box.send_keys(Keys.ARROW_DOWN)
    _wait(lambda: [o for o in b.driver.find_elements(By.CSS_SELECTOR, "[data-combobox-option]") if o.is_displayed()])


def _open_drawer(code: str) -> Callable[[Any], None]:
    def open_(b: Any) -> None:
        """The console's case file, opened from its row with the keyboard (rows redraw on pushes: look again)."""
        def opened() -> bool:
            try:
                row = b.driver.find_element(By.CSS_SELECTOR, f'#reassign-list tr[data-case-row="{code}"]')
                b.driver.execute_script("arguments[0].focus()", row)
                row.send_keys(Keys.ENTER)
                return code in b.find_element(".case-drawer .case-title").text
            except Exception:  # not drawn yet, or redrawn under the key
                return False
        _wait(opened, step=0.3)
    return open_


def _in_english(b: Any) -> None:
    """The language switch, as the header's link does it: the page comes back in English."""
    here = urlparse(b.driver.current_url)
    b.driver.get(f"{here.scheme}://{here.netloc}/lang/en?next={here.path}")
    _wait(lambda: b.driver.execute_script("return document.documentElement.lang") == "en"
          and b.driver.find_elements(By.CSS_SELECTOR, "#_pages_content > *"))


def _pick_case(code: str) -> Callable[[Any], None]:
    def pick(b: Any) -> None:
        pick_row(b, code, "已派遣")
    return pick


def scans(code: str) -> list[Scan]:
    """Every page for every role ``auth.roles.PAGE_ROLES`` lets open it, then the states worth a look of
    their own (the login page is scanned by the first browser before it logs in)."""
    out = [Scan("login", "anonymous", "/login")]
    for path, roles in PAGE_ROLES.items():
        out += [Scan(path, role.value, path) for role in sorted(roles, key=lambda r: r.value)]
    out += [
        Scan("/case/<code>", "leader", f"/case/{code}"),
        Scan("/case/<code>", "operator", f"/case/{code}"),
        Scan("/intake dropdown open", "operator", "/intake", _open_category_dropdown),
        Scan("/intake case drawer open", "operator", "/intake", _open_drawer(code)),
        Scan("/workbench case picked", "dept_handler", "/workbench", _pick_case(code)),
        Scan("/wall in English", "wall", "/wall", _in_english, lang="en"),
    ]
    return out


_SETTLED = """
const main = document.querySelector('#_pages_content') || document.body;
return document.readyState === 'complete' && !document.querySelector('._dash-loading')
    && !document.querySelector('[data-dash-is-loading="true"]') && main.children.length > 0
    ? main.querySelectorAll('*').length : -1;
"""


def settle(b: Any, timeout: float = 6.0) -> None:
    """Wait until Dash has rendered the page and its first callbacks' answers stopped changing it (or the
    timeout: the wall keeps ticking, and a page still moving is scanned as it is)."""
    end, last, steady = time.monotonic() + timeout, None, 0
    while time.monotonic() < end:
        size = b.driver.execute_script(_SETTLED)
        steady = steady + 1 if size == last and size != -1 else 0
        if steady >= 3:
            return
        last = size
        time.sleep(0.15)


_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
   .then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify({error: String(e)})));
"""


def run_axe(b: Any, source: str) -> list[dict[str, Any]]:
    """The page's violations. axe-core is injected once per page load: the bundle declares ``axe`` in the
    injected function's scope, so it is also put on ``window`` for the asynchronous run that follows."""
    if not b.driver.execute_script("return !!window.axe"):
        b.driver.execute_script(source + "\nwindow.axe = axe;")
    b.driver.set_script_timeout(30)
    result = json.loads(b.driver.execute_async_script(_RUN, TAGS))
    if isinstance(result, dict):
        raise AssertionError(f"axe failed: {result['error']}")
    return result


_NAVIGATE = """
const old = document.querySelector('#_pages_content > *');
if (old) old.setAttribute('data-a11y-left', '1');
window.history.pushState({}, '', arguments[0]);
window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
"""


def navigate(b: Any, path: str) -> None:
    """Go to ``path`` as the header's links do (Dash's client-side routing): no reload of the renderer, which
    is most of a page load's time; then wait until the previous page's content is gone."""
    b.driver.execute_script(_NAVIGATE, path)
    _wait(lambda: not b.driver.execute_script("return !!document.querySelector('[data-a11y-left]')"), step=0.1)


def run_role(base: str, role: str, todo: list[Scan], source: str) -> None:
    """One browser for ``role``: log in, then each page in turn (the anonymous login scan comes first). The
    browser quits as soon as its pages are done: a page left open (the wall above all) keeps drawing and
    would slow the browsers still working."""
    b = make_browser(*SCREENS.get(role, (1920, 1080)))
    logged_in = False
    try:
        for scan in todo:
            start = time.monotonic()
            try:
                if scan.role == "anonymous":
                    b.driver.get(base + scan.path)
                    b.wait_for_element("#login-submit")
                elif not logged_in:
                    login(b, base, USERS.get(role, role), scan.path)
                    logged_in = True
                    _wait(lambda: scan.path in b.driver.current_url and "/login" not in b.driver.current_url)
                elif urlparse(b.driver.current_url).path != scan.path:
                    navigate(b, scan.path)
                settle(b)
                if scan.prepare:
                    scan.prepare(b)
                    settle(b, 2.0)
                scan.seen_lang = b.driver.execute_script("return document.documentElement.lang")
                scan.violations = run_axe(b, source)
            except Exception as exc:  # reported by the scan's own test
                scan.error = f"{type(exc).__name__}: {exc}"
            scan.seconds = time.monotonic() - start
    finally:
        b.driver.quit()


def _create_incident(base: str) -> str:
    body = json.dumps({"category": CATEGORY, "description": "人民大街井盖缺失", "lon": LON, "lat": LAT}).encode()
    req = urllib.request.Request(base + "/api/v1/incidents", data=body, method="POST", headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    return str(json.load(urllib.request.urlopen(req))["code"])


def print_table(done: list[Scan]) -> None:
    width = max(len(s.key) for s in done)
    print(f"\naxe-core {', '.join(TAGS)}: violations per page and role")
    print(f"{'page[role]':<{width}}  critical  serious  moderate  seconds")
    for s in done:
        counts = "  ".join(f"{s.count(i):>{len(i)}}" for i in IMPACTS) if not s.error else "error"
        print(f"{s.key:<{width}}  {counts}  {s.seconds:7.1f}")
    totals = "  ".join(f"{sum(s.count(i) for s in done):>{len(i)}}" for i in IMPACTS)
    print(f"{'total':<{width}}  {totals}")


ALL = scans("CODE")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[dict[str, Scan]]:
    """Run every scan once, one thread (and browser) per role, against one app process."""
    source = axe_source()
    tmp = tmp_path_factory.mktemp("a11y")
    env = seeded_env(tmp, CITYOPS_API_TOKENS=f"a11ytest:operator:{TOKEN}")
    with app_process(env, tmp / "app.log") as base:
        todo = scans(_create_incident(base))
        by_role: dict[str, list[Scan]] = {}
        for s in todo:
            by_role.setdefault(s.role, []).append(s)
        anonymous = by_role.pop("anonymous")
        by_role["operator"] = anonymous + by_role["operator"]
        # The roles with the most pages start first, so no browser is left working alone at the end.
        order = sorted(by_role.items(), key=lambda item: -len(item[1]))
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for f in [pool.submit(run_role, base, role, items, source) for role, items in order]:
                f.result()
        print_table(todo)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # every finding in full, for fixing them
        (ARTIFACTS / "axe.json").write_text(json.dumps({s.key: s.violations for s in todo}, ensure_ascii=False,
                                                       indent=1), encoding="utf-8")
        yield {s.key: s for s in todo}


def describe(v: dict[str, Any]) -> str:
    nodes = "; ".join(" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:4])
    return f"  {v['impact']:<8} {v['id']}: {v['help']} ({len(v.get('nodes', []))}×) e.g. {nodes}"


@pytest.mark.parametrize("key", [s.key for s in ALL])
def test_no_critical_or_serious_wcag_violation(results: dict[str, Scan], key: str) -> None:
    scan = results[key]
    assert not scan.error, f"{key} could not be scanned: {scan.error}"
    assert scan.seen_lang == scan.lang, f"{key}: <html lang> is {scan.seen_lang!r}, the UI is in {scan.lang!r}"
    bad = [v for v in scan.violations if v.get("impact") in BLOCKING]
    assert not bad, f"{key}: {len(bad)} critical/serious WCAG violations\n" + "\n".join(map(describe, bad))
