"""Keyset pagination shared by the read models' list queries: opaque cursors."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

MAX_PAGE = 200


def encode_cursor(at: datetime, report_id: UUID) -> str:
    """An opaque keyset position after the row (at, report_id) of a page."""
    raw = f"{at.isoformat()}|{report_id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Inverse of :func:`encode_cursor`; ``ValueError`` when it is not one."""
    try:
        at, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), UUID(report_id)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error


def page(rows: list[dict[str, Any]], limit: int, key: str
         ) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the next page's cursor or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}")
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last[key], last["report_id"])
