"""Patrol photos: checked by content (not by the name the phone gives) and size, stored outside the web root.

Why content sniffing: the browser's declared type and the file name are the client's word; the first
bytes decide. Files go to ``settings.uploads_dir`` (``var/uploads`` by default, never under ``assets/``)
with a random name, so an upload can never overwrite another or be served as a page.
"""
from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from pathlib import Path


class UploadError(ValueError):
    """A refused upload; ``code`` is a catalog key suffix (``error.<code>``), like IntakeError."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field, self.code, self.message, self.params = "photo", code, message, params


#: Magic numbers of the image types phones produce and browsers show.
_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("jpg", b"\xff\xd8\xff", 0),
    ("png", b"\x89PNG\r\n\x1a\n", 0),
    ("webp", b"WEBP", 8),
)


def image_kind(data: bytes) -> str | None:
    """The file extension the bytes are (jpg, png, webp), or ``None``."""
    for ext, magic, offset in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic and (ext != "webp" or data[:4] == b"RIFF"):
            return ext
    return None


def decode_data_url(contents: str, max_bytes: int) -> bytes:
    """The bytes of a ``data:<type>;base64,<data>`` URL as ``dcc.Upload`` gives it, size-checked first."""
    head, _, b64 = (contents or "").partition(",")
    if not head.startswith("data:") or ";base64" not in head:
        raise UploadError("upload_unreadable", "the upload is not a base64 data URL")
    if len(b64) * 3 // 4 > max_bytes + 3:  # refuse before decoding a huge body
        raise UploadError("upload_too_large", f"the photo is larger than {max_bytes} bytes", max_mb=max_bytes // 1_000_000)
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("upload_unreadable", "the upload is not valid base64") from None
    if len(data) > max_bytes:
        raise UploadError("upload_too_large", f"the photo is larger than {max_bytes} bytes", max_mb=max_bytes // 1_000_000)
    return data


def store_image(data: bytes, root: Path, now: datetime) -> str:
    """Write a checked image under ``root/YYYY/MM/`` and return its path relative to ``root``."""
    ext = image_kind(data)
    if ext is None:
        raise UploadError("upload_not_image", "the upload is not a JPEG, PNG or WebP image")
    rel = Path(f"{now:%Y}") / f"{now:%m}" / f"{uuid.uuid4().hex}.{ext}"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return rel.as_posix()


__all__ = ["UploadError", "image_kind", "decode_data_url", "store_image"]
