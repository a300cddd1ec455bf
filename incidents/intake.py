"""Intake's first steps, shared by every channel: validate → normalise → classify → locate.

Errors are values naming the field (``IntakeError.field``) and a stable ``code`` the UI translates
from the catalog; the API shows the English ``message``. Nothing is stored here.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Protocol
from urllib.parse import urlparse

from incidents.model import Channel, Severity

MAX_DESCRIPTION = 4000
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


class IntakeError(ValueError):
    """Bad input for one field; ``code`` is a catalog key suffix (``error.<code>``)."""

    def __init__(self, field: str, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field, self.code, self.message, self.params = field, code, message, params


class Locator(Protocol):
    def locate_one(self, lon: float, lat: float) -> str: ...


class Classifier(Protocol):
    def get(self, code: str) -> Any: ...


@dataclass(frozen=True)
class Draft:
    """A validated, normalised report, located into its grid cell; ready for the store."""

    category: str
    severity: Severity
    description: str
    lon: float
    lat: float
    grid: str
    district: int
    channel: Channel
    reported_at: datetime
    address: str = ""
    reporter_phone: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def parse_draft(
    raw: Mapping[str, Any], *, taxonomy: Classifier, locator: Locator, channel: Channel, now: datetime,
) -> Draft:
    """Check every field of a raw report and return a located :class:`Draft`, or raise IntakeError."""
    category = str(raw.get("category") or "").strip()
    if not category:
        raise IntakeError("category", "required", "category is required")
    try:
        taxonomy.get(category)
    except KeyError:
        raise IntakeError("category", "unknown_category", f"unknown category {category!r}") from None
    sev_raw = str(raw.get("severity") or "normal").strip().lower()
    try:
        severity = Severity(sev_raw)
    except ValueError:
        raise IntakeError("severity", "invalid_choice", f"severity must be urgent, high or normal, not {sev_raw!r}") from None
    description = str(raw.get("description") or "").strip()
    if not description:
        raise IntakeError("description", "required", "description is required")
    if len(description) > MAX_DESCRIPTION:
        raise IntakeError("description", "too_long", f"description is longer than {MAX_DESCRIPTION} characters",
                          max=MAX_DESCRIPTION)
    lon = _coordinate(raw.get("lon"), "lon", -180, 180)
    lat = _coordinate(raw.get("lat"), "lat", -90, 90)
    try:
        grid = locator.locate_one(lon, lat)
    except ValueError:
        raise IntakeError("location", "outside_city", f"({lon:.6f}, {lat:.6f}) is outside the city's grids") from None
    phone = re.sub(r"\s+", "", str(raw.get("reporter_phone") or ""))
    if phone and not _PHONE.match(phone):
        raise IntakeError("reporter_phone", "invalid_phone", f"{phone!r} is not a phone number")
    address = str(raw.get("address") or "").strip()[:500]
    reported_at = raw.get("reported_at") or now
    if isinstance(reported_at, str):
        try:
            reported_at = datetime.fromisoformat(reported_at)
        except ValueError:
            raise IntakeError("reported_at", "invalid_datetime", "reported_at must be an ISO 8601 datetime") from None
    if not isinstance(reported_at, datetime):  # e.g. a JSON number: refuse it as a value, not a crash
        raise IntakeError("reported_at", "invalid_datetime", "reported_at must be an ISO 8601 datetime")
    if reported_at.tzinfo is None:
        raise IntakeError("reported_at", "invalid_datetime", "reported_at needs a time zone")
    if reported_at > now:
        raise IntakeError("reported_at", "in_future", "reported_at lies in the future")
    return Draft(
        category=category, severity=severity, description=description, lon=lon, lat=lat, grid=grid,
        district=int(grid[:6]), channel=channel, reported_at=reported_at, address=address,
        reporter_phone=phone, extra=_extra(raw.get("extra")),
    )


def _coordinate(value: Any, name: str, lo: float, hi: float) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise IntakeError("location", "required", f"{name} is required")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise IntakeError("location", "not_a_number", f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise IntakeError("location", "out_of_range", f"{name} must lie between {lo} and {hi}")
    return v


#: Bounds of a report's ``extra``: named plain values a channel keeps with the report (an Open311 client's
#: media link, a sensor's device) — never a document of its own.
MAX_EXTRA_KEYS, MAX_EXTRA_TEXT = 20, 2000
_EXTRA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
#: ``extra`` keys that hold a link some page may show: only absolute http(s) URLs are kept.
LINK_KEYS = frozenset({"media_url"})


def _extra(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise IntakeError("extra", "invalid_choice", "extra must be an object of named values")
    if len(value) > MAX_EXTRA_KEYS:
        raise IntakeError("extra", "too_long", f"extra has more than {MAX_EXTRA_KEYS} values", max=MAX_EXTRA_KEYS)
    for key, item in value.items():
        field = f"extra.{key}" if isinstance(key, str) and _EXTRA_KEY.match(key) else "extra"
        if field == "extra":
            raise IntakeError("extra", "invalid_choice", "extra names are letters, digits, '_', '.' or '-'")
        if not (item is None or isinstance(item, (bool, int, float)) or
                (isinstance(item, str) and len(item) <= MAX_EXTRA_TEXT)):
            raise IntakeError(field, "invalid_choice",
                              f"{field} must be a number, true/false or a text of at most {MAX_EXTRA_TEXT} characters")
        if key in LINK_KEYS and item is not None and not is_web_link(item):
            raise IntakeError(field, "invalid_url", f"{field} must be an absolute http(s) URL")
    return dict(value)


def is_web_link(value: Any) -> bool:
    """An absolute ``http``/``https`` URL with a host (no ``javascript:``, ``data:`` or relative paths)."""
    if not isinstance(value, str) or len(value) > MAX_EXTRA_TEXT:
        return False
    parts = urlparse(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)
