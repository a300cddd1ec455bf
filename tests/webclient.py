"""A logged-in HTTP client of a running app, for integration tests and benchmarks: the login form's CSRF token
is read first and posted with the credentials, as a browser does."""
from __future__ import annotations

import re
from typing import Any

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_session(base: str, username: str, password: str, timeout: float = 10) -> Any:
    """A ``requests.Session`` logged in to the app at ``base`` (asserts the login succeeded)."""
    import requests

    s = requests.Session()
    found = CSRF.search(s.get(f"{base}/login", timeout=timeout).text)
    assert found is not None, "the login form carries no csrf_token"
    r = s.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": found.group(1)},
               allow_redirects=False, timeout=timeout)
    assert r.status_code == 302, r.text[:300]
    return s
