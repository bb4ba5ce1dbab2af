"""Keyset pagination shared by the read models' list queries: opaque cursors, sort orders."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

MAX_PAGE = 200


def encode_cursor(at: datetime, report_id: UUID, sort: str = "") -> str:
    """An opaque keyset position after the row (at, report_id) of a page listed in ``sort``
    order (empty: the list's default order)."""
    raw = "|".join((at.isoformat(), str(report_id), *((sort,) if sort else ()))).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str, sort: str = "") -> tuple[datetime, UUID]:
    """Inverse of :func:`encode_cursor`; ``ValueError`` when it is not one, or when it was
    made for another sort order than ``sort``."""
    try:
        at, report_id, *order = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        position = datetime.fromisoformat(at), UUID(report_id)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    if "|".join(order) != sort:
        raise ValueError(f"cursor {cursor!r} was made for another sort order")
    return position


def keyset(sort: str, sorts: dict[str, str]) -> tuple[str, str, str, str]:
    """For a ``sort`` such as ``-submitted_at`` among ``sorts`` (its name → column; the first
    is the list's default order): the column, ``ASC``/``DESC``, the keyset comparison
    (``>``/``<``) of the next page, and the order's tag in cursors (none for the default)."""
    if sort not in sorts:
        raise ValueError(f"sort must be one of {', '.join(sorts)}")
    descending = sort.startswith("-")
    tag = "" if sort == next(iter(sorts)) else sort
    return sorts[sort], "DESC" if descending else "ASC", "<" if descending else ">", tag


def page(rows: list[dict[str, Any]], limit: int, key: str, sort: str = ""
         ) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the next page's cursor or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}")
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last[key], last["report_id"], sort)
