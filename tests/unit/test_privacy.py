"""Reporters' phone numbers: in full for operators and admins only, masked (138****1234) for everyone else;
event payloads through the same rule."""
from __future__ import annotations

import pytest

from incidents.model import Role
from incidents.privacy import mask_phone, may_see_phone, payload_for, phone_for


@pytest.mark.parametrize("phone, masked", [
    ("13812341234", "138****1234"),
    ("138 1234 1234", "138****1234"),
    ("+86 138-1234-1234", "138****1234"),
    ("0434-3221234", "043****1234"),
    ("", ""),
    (None, ""),
])
def test_mask_phone_keeps_first_three_and_last_four_digits(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_short_numbers_never_show_most_of_their_digits() -> None:
    for phone in ("12345", "1234567", "110"):
        shown = sum(ch.isdigit() for ch in mask_phone(phone))
        assert shown <= len(phone) // 2


@pytest.mark.parametrize("role", list(Role))
def test_only_operators_and_admins_see_the_whole_number(role: Role) -> None:
    full = role in (Role.OPERATOR, Role.ADMIN)
    expected = "13812341234" if full else "138****1234"
    assert phone_for(role, "13812341234") == expected
    assert phone_for(role.value, "13812341234") == expected
    assert may_see_phone(role) is full


@pytest.mark.parametrize("role", list(Role))
def test_event_payloads_carry_what_the_role_may_see(role: Role) -> None:
    """``created`` carries the reporter's number, ``reporter_added`` the added caller's, an Open311 report the
    client's email and name in ``extra``: masked or withheld unless the role sees numbers in full."""
    payload = {"reporter_phone": "13812341234", "phone": "13912345678", "address": "铁西区",
               "extra": {"email": "a@example.org", "first_name": "张", "media_url": "https://x.example/1.jpg"}}
    seen = payload_for(role, payload)
    if role in (Role.OPERATOR, Role.ADMIN):
        assert seen == payload
    else:
        assert seen == {"reporter_phone": "138****1234", "phone": "139****5678", "address": "铁西区",
                        "extra": {"media_url": "https://x.example/1.jpg"}}


def test_unknown_role_names_get_the_masked_number() -> None:
    assert phone_for("nobody", "13812341234") == "138****1234"
    assert phone_for(None, "13812341234") == "138****1234"
