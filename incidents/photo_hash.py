"""Photo fingerprints: a content hash (SHA-256) for the same file, and a 64-bit difference hash (dHash) for the
same picture re-encoded, resized or lightly recompressed — and the rule that calls two photos the same.

Why both: a handler who reuses an "after" photo rarely re-sends the very bytes (a phone re-encodes on share),
so an exact hash alone misses most reuse; a perceptual hash within a few bits catches it. Pure (Pillow only):
the store, the tests and a future batch check share it.
"""
from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from typing import Any, Iterable

#: Two photos whose dHashes differ in at most this many of 64 bits show the same picture.
MAX_DISTANCE = 5
#: Larger images are not hashed (a phone photo is 12–50 megapixels; the exact hash still applies).
MAX_PIXELS = 80_000_000
_SIGN = 1 << 63


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dhash(data: bytes) -> int | None:
    """The 64-bit difference hash: the image in grey at 9×8, one bit per horizontal neighbour pair (left brighter
    than right). ``None`` when Pillow cannot read the bytes (they were checked by their magic number only)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:  # a crafted giant would cost seconds and gigabytes
                return None
            img.draft("L", (64, 64))  # JPEG decodes at a fraction of its size: the hash needs 9×8
            small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
            px = small.tobytes()  # mode L: one byte per pixel
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return bits


def distance(a: int, b: int) -> int:
    """Hamming distance between two 64-bit hashes (either stored signed or unsigned)."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def to_signed(h: int | None) -> int | None:
    """A 64-bit unsigned hash as the signed BIGINT both backends store."""
    return None if h is None else h - (1 << 64) if h >= _SIGN else h


@dataclass(frozen=True)
class Position:
    """Where the device said it was when the photo was sent (WGS84; accuracy in metres, as the browser's
    Geolocation API reports it). The device's word, kept beside the server's receipt time, never instead."""

    lon: float
    lat: float
    accuracy_m: float | None = None


def position_of(raw: Any) -> Position | None:
    """A browser's ``{lon, lat, accuracy}`` as a :class:`Position`, or ``None`` when absent or not a place on
    Earth (a refused permission, a page that sent nothing, a forged value)."""
    if not isinstance(raw, dict):
        return None
    try:
        lon, lat = float(raw["lon"]), float(raw["lat"])
        acc = raw.get("accuracy")
        accuracy = None if acc is None else float(acc)
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    if accuracy is not None and not (math.isfinite(accuracy) and accuracy >= 0):
        accuracy = None
    return Position(lon, lat, accuracy)


@dataclass(frozen=True)
class Print:
    """One stored photo's fingerprint and the case it belongs to."""

    code: str
    name: str
    sha256: str
    dhash: int | None


@dataclass(frozen=True)
class Reuse:
    """A photo of this case (``name``) that also appears on ``other_code`` — identical bytes, or ``distance``
    bits apart in dHash."""

    name: str
    other_code: str
    other_name: str
    identical: bool
    distance: int


def reuses(mine: Iterable[Print], others: Iterable[Print], max_distance: int = MAX_DISTANCE) -> list[Reuse]:
    """Every pair of one of ``mine`` and a photo of another case that shows the same picture, nearest first.
    Photos of the same case never flag each other (a handler may send two shots of one scene)."""
    mine = list(mine)
    out: list[Reuse] = []
    for o in others:
        for m in mine:
            if o.code == m.code:
                continue
            if o.sha256 == m.sha256:
                out.append(Reuse(m.name, o.code, o.name, True, 0))
            elif m.dhash is not None and o.dhash is not None and (d := distance(m.dhash, o.dhash)) <= max_distance:
                out.append(Reuse(m.name, o.code, o.name, False, d))
    return sorted(out, key=lambda r: (r.distance, r.other_code, r.name))


__all__ = ["MAX_DISTANCE", "Position", "Print", "position_of", "Reuse", "dhash", "distance", "reuses", "sha256", "to_signed"]
