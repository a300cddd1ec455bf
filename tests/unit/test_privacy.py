"""Reporters' phone numbers: in full for operators only, masked (138****1234) for everyone else."""
from __future__ import annotations

import pytest

from incidents.model import Role
from incidents.privacy import mask_phone, may_see_phone, phone_for


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
def test_only_operators_see_the_whole_number(role: Role) -> None:
    expected = "13812341234" if role is Role.OPERATOR else "138****1234"
    assert phone_for(role, "13812341234") == expected
    assert phone_for(role.value, "13812341234") == expected
    assert may_see_phone(role) is (role is Role.OPERATOR)


def test_unknown_role_names_get_the_masked_number() -> None:
    assert phone_for("nobody", "13812341234") == "138****1234"
    assert phone_for(None, "13812341234") == "138****1234"
