"""What every cloud's bucket backend reports the same way about an object.

A bucket port answers with ``ObjectInfo``; its fields must read alike whatever the
store: times in ISO 8601 UTC, entity tags without the quotes HTTP wraps them in, and
``application/octet-stream`` for an object written without a content type (the type
S3, Blob Storage and Cloud Storage each assume for such an object).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["DEFAULT_CONTENT_TYPE", "iso_utc", "unquoted_etag"]

DEFAULT_CONTENT_TYPE = "application/octet-stream"


def iso_utc(moment: datetime | None) -> str | None:
    """An SDK's timestamp as ISO 8601 in UTC; None stays None."""
    if moment is None:
        return None
    from datetime import UTC  # the backends' callers have datetime loaded already

    return moment.astimezone(UTC).isoformat()


def unquoted_etag(raw: str | None) -> str | None:
    """``"abc"`` -> ``abc``: the entity tag without HTTP's quotes; empty means unknown."""
    return raw.strip('"') if raw else None
