"""Login for the whole server: Flask-Login, the login form, and one guard in front of every route.

The guard runs before Dash's own routes too (``/_dash-layout``, ``/_dash-update-component``, component
suites), so hiding a page in the UI is never the only protection. The form is plain server-rendered
HTML (autoescaped) so that no Dash route has to be public.

Sessions end for real: the cookies carry a login id checked against the user's session token (see
auth/sessions.py), logout is a POST with a CSRF token that rotates that token, a session idle for longer
than ``CITYOPS_SESSION_IDLE_MIN`` is logged out (kiosks' device sessions excepted), and every login form
post carries a CSRF token (auth/csrf.py).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable
from urllib.parse import urlparse

from flask import Flask, Response, jsonify, make_response, redirect, render_template_string, request, session
from flask_limiter import RateLimitExceeded
from flask_login import LoginManager, current_user, login_user, logout_user

from auth.csrf import check_csrf, csrf_token
from auth.ratelimit import retry_after
from auth.roles import PAGE_ROLES, home_of, may_open
from auth.sessions import SessionLoader, device_login_id, person_login_id
from auth.users import authenticate, end_sessions, ensure_session_token
from i18n import normalise, t

PUBLIC_PREFIXES = ("/login", "/logout", "/device/", "/healthz", "/readyz", "/metrics", "/assets/", "/lang/", "/api/",
                   "/open311/", "/_favicon", "/favicon.ico")
#: Session key of the last request's time (unix seconds by the app's clock), for the idle timeout.
SEEN = "_seen"

_FORM = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><link rel="stylesheet" href="/assets/00_theme.css"></head>
<body class="login-page"><main class="login-card">
<h1>{{ title }}</h1>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next }}">
<label for="username">{{ l_user }}</label><input id="username" name="username" autocomplete="username" value="{{ username }}" required>
<label for="password">{{ l_pass }}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
{% if error %}<p class="field-error" role="alert">{{ error }}</p>{% endif %}
<button id="login-submit" type="submit">{{ l_submit }}</button>
</form>
<p class="lang-switch"><a href="/lang/zh?next=/login">中文</a> · <a href="/lang/en?next=/login">English</a></p>
</main></body></html>"""


_FORBIDDEN = """<!doctype html><html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ title }}</title><link rel="stylesheet" href="/assets/00_theme.css"></head>
<body><main class="forbidden" id="forbidden"><h1>{{ title }}</h1><p>{{ text }}</p>
<div class="forbidden-actions"><a href="/">{{ back }}</a> ·
<form method="post" action="/logout" class="logout-form"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button type="submit" class="nav-link" id="logout">{{ logout }}</button></form></div></main></body></html>"""

_LOGOUT = """<!doctype html><html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ title }}</title><link rel="stylesheet" href="/assets/00_theme.css"></head>
<body><main class="forbidden" id="message"><h1>{{ title }}</h1><p>{{ text }}</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button type="submit" id="logout">{{ logout }}</button></form></main></body></html>"""

_MESSAGE = """<!doctype html><html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ title }}</title><link rel="stylesheet" href="/assets/00_theme.css"></head>
<body><main class="forbidden" id="message"><h1>{{ title }}</h1><p role="alert">{{ text }}</p>
<p><a href="{{ href }}">{{ link }}</a></p></main></body></html>"""


def current_lang() -> str:
    return normalise(request.cookies.get("lang"))


def _safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths, so the login cannot be used as an open redirect."""
    if not target:
        return fallback
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _message(lang: str, title_key: str, text_key: str, status: int, href: str = "/",
             link_key: str = "security.back") -> Response:
    return Response(render_template_string(_MESSAGE, lang=lang, title=t(title_key, lang), text=t(text_key, lang),
                                           href=href, link=t(link_key, lang)), status=status)


def install(server: Flask, services: Any) -> LoginManager:
    """Flask-Login, the login/logout/device routes and the guard, on ``services``' store and clock."""
    settings, db, clock = services.settings, services.db, services.clock
    manager = LoginManager(server)
    loader = SessionLoader(db.read, services.devices, clock, timedelta(days=settings.remember_days))
    manager.user_loader(loader)
    server.extensions["cityops_sessions"] = loader  # open sockets are re-checked with it (live/broadcaster.py)
    idle_s = settings.session_idle_min * 60

    def _start_session(user: Any, *, remember: bool) -> None:
        """A fresh session for ``user``: nothing of the anonymous one (its CSRF token) is carried over."""
        session.clear()
        login_user(user, remember=remember)
        session[SEEN] = clock().timestamp()
        # The new session's CSRF token is made now, so the login's own cookie carries it: made lazily by the
        # first page, it could be lost to the page's concurrent requests, each answering with the cookie it
        # came with, and the logout form would then hold a token the session no longer has.
        csrf_token()

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response | tuple[str, int]:
        lang = current_lang()
        username, error = "", ""
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            if not check_csrf():
                return _form(lang, t("security.csrf", lang), username), 400
            throttle = server.extensions.get("cityops_login_throttle")  # auth/throttle.py, per IP + username
            ip = request.remote_addr or "-"
            if throttle is not None and throttle.blocked(ip, username):
                return _form(lang, t("security.login_throttled", lang), username), 429
            with db.read() as s:
                user = authenticate(username, request.form.get("password", ""), session=s)
            if user is not None:
                if throttle is not None:
                    throttle.succeeded(ip, username)
                with db.write.begin() as s:
                    token = ensure_session_token(user.id, session=s)
                _start_session(user.with_login(person_login_id(user.id, token, clock())), remember=True)
                return redirect(_safe_next(request.form.get("next"), home_of(user.role)))
            if throttle is not None:
                throttle.failed(ip, username)
            error = t("login.failed", lang)
        return _form(lang, error, username), (401 if error else 200)

    def _form(lang: str, error: str, username: str) -> str:
        return render_template_string(
            _FORM, lang=lang, title=t("login.title", lang), l_user=t("login.username", lang),
            l_pass=t("login.password", lang), l_submit=t("login.submit", lang), error=error,
            username=username, next=_safe_next(request.args.get("next") or request.form.get("next"), ""),
            csrf=csrf_token(),
        )

    @server.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded) -> Response:
        """Too many login posts from this address (auth.ratelimit): the form again, with the wait. The API's
        blueprints answer their own limits in their error format; anything else gets Werkzeug's 429."""
        resp = exc.get_response()
        if request.path == "/login":
            lang = current_lang()
            resp = make_response(_form(lang, t("ratelimit.login", lang), request.form.get("username", "").strip()),
                                 429)
        resp.headers["Retry-After"] = str(retry_after(server))
        return resp

    @server.get("/logout")
    def logout_page() -> str:
        """A GET never logs out (a link or an image on another site could): it shows the button that posts."""
        lang = current_lang()
        return render_template_string(_LOGOUT, lang=lang, title=t("nav.logout", lang),
                                      text=t("security.logout_confirm", lang), logout=t("nav.logout", lang),
                                      csrf=csrf_token())

    @server.post("/logout")
    def logout() -> Response:
        """End the session everywhere: a person's session token rotates (every cookie of theirs is refused
        from now on); a kiosk's device login is revoked (an admin makes a new one)."""
        if not check_csrf():
            return _message(current_lang(), "security.csrf_title", "security.csrf", 400)
        user = current_user._get_current_object()  # noqa: SLF001 - the user object, not the proxy
        if user.is_authenticated:
            if user.device_id is not None:
                try:
                    services.devices.revoke(user.username, clock(), user.device_id, reason="logout")
                except ValueError:  # revoked meanwhile: nothing left to end
                    pass
            else:
                with db.write.begin() as s:
                    end_sessions(user.id, session=s)
        session.clear()
        logout_user()  # after the clear: it marks the remember-cookie for deletion
        return redirect("/login")

    @server.route("/device/<secret>")
    def device_login(secret: str) -> Response:
        """A kiosk opens its device link: logged in as the link's wall user, in a session that survives the
        browser's restart and has no idle timeout; the link's secret never reaches another page (no referrer)."""
        found = services.devices.login(secret, clock())
        if found is None:
            resp = _message(current_lang(), "device.invalid_title", "device.invalid", 404, "/login", "login.submit")
        else:
            user, device_id = found
            _start_session(user.with_login(device_login_id(user.id, device_id), device_id), remember=False)
            session.permanent = True
            resp = redirect(home_of(user.role))
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @server.route("/lang/<code>")
    def set_lang(code: str) -> Response:
        resp = redirect(_safe_next(request.args.get("next"), "/"))
        resp.set_cookie("lang", normalise(code), max_age=365 * 86400, samesite="Lax")
        return resp

    def _idle() -> bool:
        """Whether this person's session saw no request for longer than the idle limit (then it ends);
        otherwise this request is the session's latest sign of life."""
        if idle_s <= 0 or current_user.device_id is not None:
            return False
        now, seen = clock().timestamp(), session.get(SEEN)
        if isinstance(seen, (int, float)) and now - seen > idle_s:
            session.clear()
            logout_user()  # after the clear: it marks the remember-cookie for deletion
            return True
        if seen != now:
            session[SEEN] = now
        return False

    @server.before_request
    def _guard() -> Response | tuple[Response, int] | None:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if not current_user.is_authenticated or _idle():
            if path.startswith("/_") or request.is_json:
                return jsonify(code="unauthenticated", message="login required", field=None), 401
            return redirect(f"/login?next={path}")
        if path == "/":
            return redirect(home_of(current_user.role))
        if path in PAGE_ROLES and not may_open(current_user.role, path):
            return forbidden_page()
        return None

    return manager


def forbidden_page() -> Response:
    """The 403 page in the user's language (a page of a role they do not have, a case outside their scope)."""
    lang = current_lang()
    return Response(render_template_string(
        _FORBIDDEN, lang=lang, title=t("error.forbidden_title", lang), text=t("error.forbidden", lang),
        back=t("nav.wall", lang), logout=t("nav.logout", lang), csrf=csrf_token()), status=403)


def page_guard(path: str, layout: Callable[..., object], forbidden: Callable[[str], object]) -> Callable[..., object]:
    """Wrap a page layout so a client-side navigation (served by a Dash callback) is checked too."""

    def guarded(**kwargs: object) -> object:
        try:
            user = current_user._get_current_object()  # noqa: SLF001 - outside a request there is no user
            lang = current_lang()
        except RuntimeError:  # Dash validating layouts at start-up: no request, no data
            return layout("zh", **kwargs)
        if not getattr(user, "is_authenticated", False) or not may_open(user.role, path):
            return forbidden(lang)
        return layout(lang, **kwargs)

    return guarded
