"""Server-side checks shared by callbacks: who is calling, in which language, with which services."""
from __future__ import annotations

from typing import Any, Callable

from dash import no_update

from flask import current_app
from flask_login import current_user

from auth.login import current_lang
from i18n import t
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


def act_on_selection(
    selected: str | None, version: int | None, roles: tuple[Role, ...],
    act: Callable[[Any, Any, str, int], str], *, keyed_alone: bool = False,
) -> tuple[str, Any]:
    """What every "act on the picked incident" callback shares.

    Check the role on the server, read the ``code@version`` the user picked (the version they saw, so a
    stale pick is an optimistic-lock conflict), run ``act(user, services, code, version)`` for the success
    message, and turn the usual refusals into a message in the user's language. Returns the message and
    the page's next version number (``no_update`` when nothing was tried). Refusals carrying a catalog
    ``key`` (handling, routing) are shown alone (``keyed_alone``) or inside ``queue.failed``.
    """
    from dispatch.handling import HandlingError
    from dispatch.routing import RoutingError
    from incidents.lifecycle import TransitionError
    from incidents.store import ConflictError, NotFoundError

    lg = lang()
    try:
        user = user_with(*roles)
    except Forbidden:
        return t("error.forbidden", lg), no_update
    if not selected or "@" not in selected:
        return t("queue.none_selected", lg), no_update
    code, seen = selected.rsplit("@", 1)
    try:
        message = act(user, services(), code, int(seen))
    except ConflictError:
        message = t("error.conflict", lg, code=code)
    except (HandlingError, RoutingError) as e:
        prefix = "handling.error" if isinstance(e, HandlingError) else "routing.error"
        reason = t(f"{prefix}.{e.key}", lg)
        message = reason if keyed_alone else t("queue.failed", lg, code=code, reason=reason)
    except TransitionError as e:
        message = t("queue.failed", lg, code=code, reason=refused_transition(e, lg))
    except NotFoundError:
        message = t("case.not_found", lg, code=code)
    except ValueError as e:
        message = t("queue.failed", lg, code=code, reason=str(e))
    return message, (version or 0) + 1


def refused_transition(e: Any, lg: str) -> str:
    """Why the lifecycle table refused, in the user's language: the action and the case's state by name."""
    if e.reason in ("state", "role") and e.action:
        state = t(f"state.{e.state.value}", lg) if e.state is not None else ""
        return t(f"error.transition.{e.reason}", lg, action=t(f"action.{e.action}", lg), state=state)
    return t("error.transition.unknown", lg)
