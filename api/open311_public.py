"""What an Open311 answer may show anyone: the public report, without the reporter.

Open311 reads are public by design (clients list requests without a key), so every answer is written as
if the whole internet reads it — in ``CITYOPS_OPEN311_READS=key`` mode too, since a key goes to partner
systems, not to people cleared to see citizens. Kept: the category, state, times, department, the
description and address (they are the report itself). Withheld: the reporter's phone, email, names and
device/account ids (never copied into an answer), and phone numbers or emails typed *inside* the
description or address (replaced by ``***``: reporters write "call me on 138…" and hotline operators
paste call-back numbers). Points are rounded to three decimals (about 100 m), enough to see the street
and too coarse to find a front door. ``media_url`` goes out only when it is an absolute http(s) URL:
older rows may hold anything (``javascript:`` included), and clients render it as a link.
Pure: no Flask, so the views and tests share it.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Decimal places of lat/long in answers: 0.001° is ~111 m north-south, ~80 m east-west here.
POINT_DECIMALS = 3
#: Most ``service_request_id`` codes one request may list (the spec's comma list; other GeoReport
#: servers cap it likewise), so the sequential codes cannot be swept a thousand at a time.
MAX_IDS = 50
MASK = "***"

_PHONE = re.compile(
    r"(?<!\d)(?:"
    r"(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}"  # mobile, with or without +86 and separators
    r"|0\d{2,3}[\s-]?\d{7,8}"  # landline with its area code
    r"|\d{7,8}"  # a local number alone
    r")(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def public_text(text: str | None) -> str | None:
    """``text`` with phone numbers and email addresses replaced by ``***``; other words as written."""
    if not text:
        return text
    return _PHONE.sub(MASK, _EMAIL.sub(MASK, text))


def public_point(value: float | None) -> float | None:
    return None if value is None else round(float(value), POINT_DECIMALS)


def is_web_url(url: str | None) -> bool:
    """True for an absolute ``http``/``https`` URL with a host and no whitespace or control characters
    (browsers drop those, so ``java\\tscript:`` would otherwise pass a scheme check)."""
    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def public_media_url(url: str | None) -> str | None:
    return url if is_web_url(url) else None


__all__ = ["MAX_IDS", "POINT_DECIMALS", "is_web_url", "public_media_url", "public_point", "public_text"]
