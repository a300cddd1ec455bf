"""Who may see a reporter's phone number in full: masking for every page, export and API.

Why one helper: citizens' numbers leak through the edge that forgets to mask, so every edge calls
:func:`phone_for` (a number) or :func:`payload_for` (an event's payload) with the viewer's role, and only the
roles the access policy marks ``full_phone`` (hotline operators, who call citizens back; admins) get the
digits. Pure: no framework, so the API, exports, pushes and pages share it.
"""
from __future__ import annotations

import re

from typing import Any, Mapping

from incidents.access import POLICY
from incidents.model import Role

#: Roles that see reporters' numbers in full: the policy's ``full_phone`` column.
FULL_PHONE_ROLES: frozenset[Role] = frozenset(r for r, a in POLICY.items() if a.full_phone)
#: Keys of event payloads that hold a reporter's number (``created``, ``reporter_added``, channel extras).
PHONE_KEYS = frozenset({"reporter_phone", "phone"})
#: Keys of personal data other than the number, withheld from whoever may not see numbers in full.
PERSONAL_KEYS = frozenset({"email", "reporter_email", "first_name", "last_name", "reporter_name", "account_id"})

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``: the first 3 and last 4 digits stay, the middle is starred.

    Shorter numbers keep less (at most a third of the digits each side) so a 7-digit landline is not
    shown almost whole; separators (``+``, ``-``, spaces) are dropped so the mask has one shape.
    """
    if not phone:
        return ""
    digits = "".join(_DIGITS.findall(phone))
    if not digits:
        return ""
    if len(digits) == 13 and digits.startswith("86"):  # +86 country code: mask the mobile number itself
        digits = digits[2:]
    n = len(digits)
    head, tail = (3, 4) if n >= 11 else (max(n // 3 - 1, 0), max(n // 3, 1) if n > 2 else 0)
    return digits[:head] + "*" * (n - head - tail) + (digits[n - tail:] if tail else "")


def may_see_phone(role: Role | str | None) -> bool:
    """Whether ``role`` sees reporters' numbers in full (API token roles are the same names)."""
    try:
        return role is not None and Role(role) in FULL_PHONE_ROLES
    except ValueError:
        return False


def phone_for(role: Role | str | None, phone: str | None) -> str:
    """The reporter's number as ``role`` may see it: in full for operators, masked for everyone else."""
    return (phone or "") if may_see_phone(role) else mask_phone(phone)


def payload_for(role: Role | str | None, payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """An event payload as ``role`` may see it: numbers through :func:`phone_for`, and for roles that may not
    see numbers in full the other personal fields withheld — also inside ``extra`` (channel extras carry an
    Open311 client's email and name)."""
    full = may_see_phone(role)
    out: dict[str, Any] = {}
    for key, value in (payload or {}).items():
        if key in PHONE_KEYS and isinstance(value, str):
            out[key] = phone_for(role, value)
        elif key in PERSONAL_KEYS and not full:
            continue
        elif key == "extra" and isinstance(value, Mapping):
            out[key] = payload_for(role, value)
        else:
            out[key] = value
    return out


__all__ = ["FULL_PHONE_ROLES", "PERSONAL_KEYS", "PHONE_KEYS", "mask_phone", "may_see_phone", "payload_for",
           "phone_for"]
