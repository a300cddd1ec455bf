"""Browser-test harness: the real app process (``python app.py``) and headless Chromium.

The app runs as a subprocess exactly as a user starts it, so Socket.IO runs over a real websocket.
Browsers are Dash's own testing ``Browser`` (what ``dash_duo`` wraps), with Chromium's background
networking off and the performance log on, so a test can prove no request left the machine. Their console
messages are collected (``CONSOLE``) so that conftest.py fails any test during which the page hit the
Content-Security-Policy.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
PASSWORD = "browser-test-pw"
#: The grid worker of 铁西区 street 1 community 1 in data/rules.toml (users are named after roles otherwise).
GRID_WORKER = "gw220302001001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium() -> None:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("chromium and chromedriver are required for browser tests (the README's test command installs them)")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory, chromium: None) -> Iterator[str]:
    """Start ``python app.py`` on a fresh SQLite store with one user per role; yield its base URL."""
    tmp = tmp_path_factory.mktemp("live")
    env = seeded_env(tmp)
    with app_process(env, tmp / "app.log") as base:
        yield base
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(tmp / "app.log", ARTIFACTS / "app.log")  # kept for diagnosing a failed run


def seeded_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of an app on a fresh SQLite store in ``tmp`` (plus ``extra`` settings), with one user
    per role created in it (password ``PASSWORD``; the grid worker is ``GRID_WORKER``)."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'cityops.db'}", CITYOPS_DEMO="0",
               CITYOPS_SECRET_KEY="browser-test-secret", PYTHONUNBUFFERED="1", **extra)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-c", (
        "from app import build_services\nfrom auth.users import create_user\n"
        "s = build_services()\n"
        "with s.db.write.begin() as x:\n"
        "    for r in ('operator', 'wall', 'verifier', 'leader', 'admin'):\n"
        f"        create_user(r, {PASSWORD!r}, r, session=x, display_name=r)\n"
        f"    create_user({GRID_WORKER!r}, {PASSWORD!r}, 'grid_worker', session=x, department='GRID')\n"
        "    for r in ('dept_handler', 'dept_head'):\n"
        f"        create_user(r, {PASSWORD!r}, r, session=x, display_name=r, department='SWJ')\n"
    )], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def pick_row(b: Any, code: str, state: str) -> None:
    """Select the incident's workbench row once the grid shows it in ``state`` (the grid refreshes on every
    push, so a row found may be stale by the time it is clicked: then look again)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    row = f'.ag-center-cols-container [row-id="{code}"]'

    def selected() -> bool:
        try:
            cells = b.driver.find_elements(By.CSS_SELECTOR, f"{row} .ag-cell")
            if not cells or state not in b.driver.find_element(By.CSS_SELECTOR, row).text:
                return False
            if "ag-row-selected" not in b.driver.find_element(By.CSS_SELECTOR, row).get_attribute("class"):
                cells[0].click()
            detail = b.find_element("#wb-detail").text
            return code in detail and state in detail
        except StaleElementReferenceException:
            return False

    wait_until(selected, step=0.2)


@contextmanager
def app_process(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``python app.py`` on a free port with ``env``: yields its base URL once ``/healthz`` answers, and
    stops it afterwards (the log stays at ``log_path`` for diagnosing a failure)."""
    proc, base, log = start_app(env, log_path)
    try:
        yield base
    finally:
        stop_app(proc, log)


def start_app(env: dict[str, str], log_path: Path,
              root: Path = ROOT) -> tuple[subprocess.Popen, str, Any]:  # type: ignore[type-arg]
    """``python app.py`` of the checkout at ``root`` (a benchmark may serve an older commit's)."""
    port = _free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=root, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return proc, base, log
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail("app did not start:\n" + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.2)


def stop_app(proc: subprocess.Popen, log: Any) -> None:  # type: ignore[type-arg]
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def wait_until(predicate: Any, timeout: float = 20.0, step: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned), or fail after ``timeout`` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def choose(browser: Any, selector: str, text: str) -> None:
    """Pick the option whose label contains ``text`` from the searchable select ``selector`` (a Mantine
    Select: its id is the input a person types into), and wait until the box shows it. Options re-render
    while the server answers a typed query or a push refreshes the list, so a stale, covered or vanished
    option is looked up again (and the list reopened) until the choice holds."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(selector)
    box.click()
    box.send_keys(Keys.CONTROL, "a")  # a chosen value shows as text in the box: type over it
    box.send_keys(Keys.DELETE)
    box.send_keys(text)

    def shown() -> list[Any]:  # Mantine's options (Dash's radio and check lists use role=option too)
        return [o for o in browser.driver.find_elements(By.CSS_SELECTOR, "[data-combobox-option]") if o.is_displayed()]

    clicked: list[bool] = []

    def chosen() -> bool:
        # The box shows the typed text too, before the server's options arrive: the choice holds only once
        # an option was clicked and the list has closed on it.
        try:
            options = [o for o in shown() if text in o.text]
            if options:
                options[0].click()
                clicked.append(True)
                return False
            if clicked and not shown() and text in (browser.find_element(selector).get_attribute("value") or ""):
                return True
            if not shown():
                browser.find_element(selector).click()  # the list closed under a refresh: open it again
        except WebDriverException:
            pass
        return False

    wait_until(chosen, step=0.2)


def confirm(browser: Any, selector: str) -> str:
    """Click ``selector`` and accept the confirmation dialog it opens (``dcc.ConfirmDialogProvider``); returns
    the dialog's text, so a test can check it names the case."""
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(selector).click()
    alert = WebDriverWait(browser.driver, 10).until(EC.alert_is_present())
    text = alert.text
    alert.accept()
    return text


def contrast(browser: Any, selector: str, placeholder: bool = False) -> float:
    """WCAG contrast of the first ``selector``'s text (its placeholder's with ``placeholder``) against the
    nearest opaque background behind it."""
    return browser.driver.execute_script("""
      function rgb(s) { return s.match(/[\\d.]+/g).map(Number); }
      function lum(c) { var a = c.slice(0, 3).map(function (v) { v /= 255;
          return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2]; }
      var el = document.querySelector(arguments[0]);
      var fg = rgb(getComputedStyle(el, arguments[1] ? '::placeholder' : null).color);
      var n = el, bg = null;
      while (n && n.nodeType === 1) { var c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length < 4 || c[3] > 0.9) { bg = c; break; } n = n.parentElement; }
      bg = bg || rgb(getComputedStyle(document.documentElement).backgroundColor);
      var l1 = lum(fg), l2 = lum(bg); return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    """, selector, placeholder)


#: Every browser console message read so far this session, in order. Chromium hands each message out once
#: (``get_log`` drains it), so every read — a test's own included — is kept here for the CSP check.
CONSOLE: list[str] = []
#: Drivers not yet quit, read once more after each test.
LIVE: list[Any] = []
#: How Chromium words a Content-Security-Policy violation in the console.
CSP_MARKERS = ("Content Security Policy", "Refused to")


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if any(marker in m for marker in CSP_MARKERS)]


def drain_consoles() -> None:
    """Read the console of every open browser into ``CONSOLE``."""
    for driver in list(LIVE):
        try:
            driver.get_log("browser")
        except Exception:  # a crashed or closing browser has nothing more to say
            LIVE.remove(driver)


def make_browser(width: int = 1920, height: int = 1080):  # type: ignore[no-untyped-def]
    from dash.testing.browser import Browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    class WatchedChrome(webdriver.Chrome):
        """Chromium whose console messages are kept in ``CONSOLE`` (read before it quits, too)."""

        def get_log(self, log_type: str) -> Any:
            entries = super().get_log(log_type)
            if log_type == "browser":
                CONSOLE.extend(str(e.get("message", "")) for e in entries)
            return entries

        def quit(self) -> None:
            try:
                self.get_log("browser")
            except Exception:
                pass
            if self in LIVE:
                LIVE.remove(self)
            super().quit()

    class CityBrowser(Browser):
        """Dash's Browser on Debian's Chromium, offline-safe flags, with the network (performance) log."""

        def _get_chrome(self):  # type: ignore[no-untyped-def]
            o = webdriver.ChromeOptions()
            for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--no-first-run", "--disable-quic", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                         f"--window-size={width},{height}", "--hide-scrollbars"):
                o.add_argument(flag)
            o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
            driver = WatchedChrome(service=Service(shutil.which("chromedriver")), options=o)
            LIVE.append(driver)
            return driver

    b = CityBrowser("chrome", headless=True, percy_run=False, wait_timeout=15)
    # The viewport exactly (a wall is 1920×1080 of page, not of window).
    b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                             {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    b.network_log = []  # type: ignore[attr-defined]
    return b


def login(browser, base: str, username: str, path: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    browser.driver.get(f"{base}/login?next={path}")
    browser.driver.find_element(By.ID, "username").send_keys(username)
    browser.driver.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.driver.find_element(By.ID, "login-submit").click()


def foreign_requests(browser, base: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every URL the page asked for on a host other than the app's (from Chromium's network log)."""
    host = urlparse(base).netloc
    bad = []
    for entry in browser.driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") not in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            continue
        url = msg["params"].get("request", {}).get("url") or msg["params"].get("url", "")
        parts = urlparse(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != host:
            bad.append(url)
    return bad
