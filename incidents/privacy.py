"""Who may see a reporter's phone number in full: masking for every page, export and API.

Why one helper: citizens' numbers leak through the edge that forgets to mask, so every edge calls
:func:`phone_for` with the viewer's role, and only operators (who call citizens back) get the digits.
Pure: no framework, so the API, exports and pages share it.
"""
from __future__ import annotations

import re

from incidents.model import Role

#: Roles that see reporters' numbers in full: the hotline operators, who must call the citizen back.
FULL_PHONE_ROLES: frozenset[Role] = frozenset({Role.OPERATOR})

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


__all__ = ["FULL_PHONE_ROLES", "mask_phone", "may_see_phone", "phone_for"]
