"""Server-side checks shared by callbacks: who is calling, in which language, with which services."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user

from auth.login import current_lang
from incidents.model import Role


class Forbidden(Exception):
    pass


def services() -> Any:
    return current_app.extensions["cityops"]


def user_with(*roles: Role) -> Any:
    """The logged-in user if their role is one of ``roles`` — checked on the server for every callback."""
    if not current_user.is_authenticated or current_user.role not in roles:
        raise Forbidden()
    return current_user


def lang() -> str:
    return current_lang()
