"""An output as the site serves it: bytes, a media type, a status, and an ETag from its bytes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

HTML = "text/html; charset=utf-8"
JSON = "application/json"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


def etag_of(*parts: bytes) -> str:
    """A strong validator: the same bytes always give the same tag, on any machine."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Output:
    path: str
    body: bytes
    media_type: str
    status: int = 200
    ticker_slot: bool = False
    """A page whose ticker is put in as it is served (see `pipeline/render/ticker.py`)."""
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", etag_of(self.body))

    @classmethod
    def text(cls, path: str, text: str, media_type: str, **extra: object) -> Output:
        return cls(path, text.encode("utf-8"), media_type, **extra)  # type: ignore[arg-type]
