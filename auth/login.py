"""Login for the whole server: Flask-Login, the login form, and one guard in front of every route.

The guard runs before Dash's own routes too (``/_dash-layout``, ``/_dash-update-component``, component
suites), so hiding a page in the UI is never the only protection. The form is plain server-rendered
HTML (autoescaped) so that no Dash route has to be public.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlparse

from flask import Flask, Response, jsonify, make_response, redirect, render_template_string, request
from flask_limiter import RateLimitExceeded
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy.orm import Session, sessionmaker

from auth.ratelimit import retry_after
from auth.roles import PAGE_ROLES, home_of, may_open
from auth.users import User, authenticate, get_user
from i18n import normalise, t

PUBLIC_PREFIXES = ("/login", "/logout", "/healthz", "/readyz", "/metrics", "/assets/", "/lang/", "/api/", "/open311/", "/_favicon",
                   "/favicon.ico")

_FORM = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><link rel="stylesheet" href="/assets/00_theme.css"></head>
<body class="login-page"><main class="login-card">
<h1>{{ title }}</h1>
<form method="post" action="/login">
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
<p><a href="/">{{ back }}</a> · <a href="/logout">{{ logout }}</a></p></main></body></html>"""


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


def install(server: Flask, read_session: sessionmaker[Session]) -> LoginManager:
    manager = LoginManager(server)

    @manager.user_loader
    def _load(user_id: str) -> User | None:
        with read_session() as s:
            return get_user(int(user_id), session=s)

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        lang = current_lang()
        username, error = "", ""
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            throttle = server.extensions.get("cityops_login_throttle")  # auth/throttle.py, per IP + username
            ip = request.remote_addr or "-"
            if throttle is not None and throttle.blocked(ip, username):
                return _form(lang, t("security.login_throttled", lang), username), 429
            with read_session() as s:
                user = authenticate(username, request.form.get("password", ""), session=s)
            if user is not None:
                if throttle is not None:
                    throttle.succeeded(ip, username)
                login_user(user, remember=True)
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

    @server.route("/logout")
    def logout() -> Response:
        logout_user()
        return redirect("/login")

    @server.route("/lang/<code>")
    def set_lang(code: str) -> Response:
        resp = redirect(_safe_next(request.args.get("next"), "/"))
        resp.set_cookie("lang", normalise(code), max_age=365 * 86400, samesite="Lax")
        return resp

    @server.before_request
    def _guard() -> Response | None:
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if not current_user.is_authenticated:
            if path.startswith("/_") or request.is_json:
                return jsonify(code="unauthenticated", message="login required", field=None), 401
            return redirect(f"/login?next={path}")
        if path == "/":
            return redirect(home_of(current_user.role))
        if path in PAGE_ROLES and not may_open(current_user.role, path):
            lang = current_lang()
            return Response(render_template_string(
                _FORBIDDEN, lang=lang, title=t("error.forbidden_title", lang), text=t("error.forbidden", lang),
                back=t("nav.wall", lang), logout=t("nav.logout", lang)), status=403)
        return None

    return manager


def page_guard(path: str, layout: Callable[[str], object], forbidden: Callable[[str], object]) -> Callable[..., object]:
    """Wrap a page layout so a client-side navigation (served by a Dash callback) is checked too."""

    def guarded(**_kwargs: object) -> object:
        try:
            user = current_user._get_current_object()  # noqa: SLF001 - outside a request there is no user
            lang = current_lang()
        except RuntimeError:  # Dash validating layouts at start-up: no request, no data
            return layout("zh")
        if not getattr(user, "is_authenticated", False) or not may_open(user.role, path):
            return forbidden(lang)
        return layout(lang)

    return guarded
