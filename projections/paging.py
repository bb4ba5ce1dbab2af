"""Keyset pagination shared by the read models' list queries: opaque cursors, sort orders.

A cursor is the position of the last row of a page — its sort instant, its report and any
further key (the overdue list's stage) — bound to the list and order it was made for (its
*order tag*, such as ``report_status -submitted_at``): any other list or order refuses it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

MAX_PAGE = 200

Position = tuple[Any, ...]
"""A keyset position: (an aware instant, a report id, then any further text keys)."""


def encode_cursor(order: str, at: datetime, report_id: UUID, *keys: str) -> str:
    """An opaque cursor: the position after the row (at, report_id, *keys) of the list and
    order tagged ``order``."""
    raw = "|".join((order, at.isoformat(), str(report_id), *keys)).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str, order: str, keys: int = 0) -> Position:
    """Inverse of :func:`encode_cursor` for a position with ``keys`` further text keys;
    ``ValueError`` when it is not one, or when it was made for another list or order than
    ``order``."""
    try:
        tag, at, report_id, *rest = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        instant, report = datetime.fromisoformat(at), UUID(report_id)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    if tag != order:
        raise ValueError(f"cursor {cursor!r} was made for another list or sort order")
    if len(rest) != keys or instant.tzinfo is None:
        raise ValueError(f"invalid cursor {cursor!r}")
    return (instant, report, *rest)


def keyset(listing: str, sort: str, sorts: dict[str, str]) -> tuple[str, str, str, str]:
    """For a ``sort`` such as ``-submitted_at`` among ``sorts`` (its name → column) of the list
    ``listing``: the column, ``ASC``/``DESC``, the keyset comparison (``>``/``<``) of the next
    page, and the order's tag in cursors."""
    if sort not in sorts:
        raise ValueError(f"sort must be one of {', '.join(sorts)}")
    descending = sort.startswith("-")
    return (sorts[sort], "DESC" if descending else "ASC", "<" if descending else ">",
            f"{listing} {sort}")


def page(rows: list[dict[str, Any]], limit: int, order: str, key: str, *keys: str,
         max_page: int = MAX_PAGE) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the next page's cursor or None),
    the cursor being the last row's ``key`` instant, report and ``keys``."""
    if not 1 <= limit <= max_page:
        raise ValueError(f"limit must be 1 to {max_page}")
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(order, last[key], last["report_id"],
                                       *(last[k] for k in keys))


def encode_keys(order: str, *keys: str) -> str:
    """An opaque cursor for a list ordered by other keys than (instant, report): the text
    ``keys`` of the page's last row (JSON, so any character may appear in them), bound to the
    list and order tagged ``order``."""
    return base64.urlsafe_b64encode(json.dumps([order, *keys]).encode()).decode()


def decode_keys(cursor: str, order: str, count: int) -> tuple[str, ...]:
    """Inverse of :func:`encode_keys` for ``count`` keys; ``ValueError`` when it is not one,
    or when it was made for another list or order than ``order``."""
    try:
        tag, *keys = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError, TypeError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    if tag != order:
        raise ValueError(f"cursor {cursor!r} was made for another list or sort order")
    if len(keys) != count or not all(isinstance(k, str) and "\x00" not in k for k in keys):
        raise ValueError(f"invalid cursor {cursor!r}")
    return tuple(keys)


def page_by_keys(rows: list[dict[str, Any]], limit: int, order: str,
                 keys: Callable[[dict[str, Any]], tuple[str, ...]],
                 max_page: int = MAX_PAGE) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` → (the page, the next page's cursor or None),
    the cursor holding ``keys(last row)``."""
    if not 1 <= limit <= max_page:
        raise ValueError(f"limit must be 1 to {max_page}")
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_keys(order, *keys(rows[limit - 1]))
