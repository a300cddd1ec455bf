"""Which role may open which page, and where each role lands after login. Checked on the server."""
from __future__ import annotations

from incidents.access import Scope, access_of, sees_wall
from incidents.model import Role

R = Role
#: page path → roles allowed. Admin may open every page.
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "/wall": frozenset({R.WALL, R.OPERATOR, R.VERIFIER, R.LEADER, R.ADMIN, R.DEPT_HEAD}),
    "/intake": frozenset({R.OPERATOR, R.ADMIN}),
    "/workbench": frozenset({R.DEPT_HANDLER, R.GRID_WORKER, R.DEPT_HEAD}),
    "/verify": frozenset({R.VERIFIER}),
    "/report": frozenset({R.GRID_WORKER}),
    "/admin": frozenset({R.ADMIN}),
    "/import": frozenset({R.OPERATOR, R.ADMIN}),
    "/analytics": frozenset({R.LEADER, R.ADMIN}),
    "/quality": frozenset({R.LEADER, R.ADMIN}),
}

HOME: dict[Role, str] = {R.OPERATOR: "/intake", R.WALL: "/wall", R.DEPT_HANDLER: "/workbench", R.GRID_WORKER: "/workbench",
                         R.DEPT_HEAD: "/workbench", R.VERIFIER: "/verify"}

#: Socket.IO rooms a role's sockets join (the server decides, never the client).
WALL_ROOM = "wall"


def may_open(role: Role, path: str) -> bool:
    roles = PAGE_ROLES.get(path)
    return roles is None or role in roles or role == R.ADMIN


def home_of(role: Role) -> str:
    return HOME.get(role, "/wall")


def rooms_of(role: Role, username: str, department: str | None) -> list[str]:
    """The rooms a user's sockets join, from the access policy's read scope: their own (``user:``), their
    department's shared inbox of cases with no named assignee (``dept:``, handlers), the whole department
    (``head:``, heads), and the wall for those who see it. Grid workers have only their own room."""
    rooms = [user_room(username)]
    scope = access_of(role).read
    if department and scope is Scope.ASSIGNED:
        rooms.append(dept_room(department))
    if department and scope is Scope.DEPARTMENT:
        rooms.append(head_room(department))
    if sees_wall(role) and may_open(role, "/wall"):
        rooms.append(WALL_ROOM)
    return rooms


def user_room(username: str) -> str:
    return f"user:{username}"


def dept_room(department: str) -> str:
    """Handlers of a department: cases dispatched to it with no named assignee."""
    return f"dept:{department}"


def head_room(department: str) -> str:
    """Heads of a department: every case dispatched to it."""
    return f"head:{department}"


def push_rooms(incident: dict[str, object]) -> list[str]:
    """Where a change of ``incident`` (its pushed view) goes: the rooms whose members may read it after the
    change, by the same rule as :func:`rooms_of`."""
    assignee, department = incident.get("assignee"), incident.get("department")
    rooms = [user_room(str(assignee))] if assignee else []
    if department:
        rooms.append(head_room(str(department)))
        if not assignee:
            rooms.append(dept_room(str(department)))
    return rooms
