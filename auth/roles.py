"""Which role may open which page, and where each role lands after login. Checked on the server."""
from __future__ import annotations

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
    rooms = [f"user:{username}"]
    if may_open(role, "/wall"):
        rooms.append(WALL_ROOM)
    if department:
        rooms.append(f"dept:{department}")
    return rooms
