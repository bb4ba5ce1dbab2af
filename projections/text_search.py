"""Full-text search shared by the read models' lists (issue 13.3): Vietnamese,
diacritic-insensitive, ranked.

Texts and queries are folded alike by ``public.ihanoi_fold`` (lower case, no diacritics,
``đ`` → ``d``: PostgreSQL's ``unaccent``), created with the ``unaccent`` and ``pg_trgm``
extensions by the migrations 0038 (report_status) and 0038b (public_results). Each query word
must occur in the folded document (a ``LIKE`` served by a GIN trigram index on the same
expression); rows are ranked by ``public.ihanoi_rank`` (``pg_trgm``'s word similarity of the
folded query to the document), then by report id. The functions live in ``public`` (not in
the read models' schema) so that staging and ``asof_…`` copies, which read with their own
schema alone on the ``search_path``, use the same ones and their indexes.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

from projections.paging import MAX_PAGE

FOLD = "public.ihanoi_fold"
RANK = "public.ihanoi_rank"
MAX_WORDS = 8
MAX_QUERY = 200


def document(*columns: str) -> str:
    """The folded search document over ``columns`` (SQL): the expression indexed by the
    migrations, so it must be spelt exactly as there."""
    joined = " || ' ' || ".join(f"COALESCE({c}, '')" for c in columns)
    return f"{FOLD}({joined})"


def words(query: str) -> list[str]:
    """The words of ``query`` (at most :data:`MAX_WORDS`), ``LIKE`` wildcards escaped;
    ``ValueError`` when it has none (or holds a NUL, which no PostgreSQL text can)."""
    if "\x00" in query:
        raise ValueError("q must not contain NUL characters")
    found = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
             for w in query[:MAX_QUERY].split()][:MAX_WORDS]
    if not found:
        raise ValueError("q must contain a word")
    return found


def matching(doc: str, query: str, params: dict[str, Any]) -> tuple[list[str], str]:
    """Conditions (named parameters, added to ``params``) that every word of ``query`` occurs
    in ``doc``, and the rank expression of a row."""
    conditions = []
    for i, word in enumerate(words(query)):
        params[f"q_word_{i}"] = word
        conditions.append(f"{doc} LIKE '%%' || {FOLD}(%(q_word_{i})s) || '%%'")
    params["q_text"] = " ".join(query[:MAX_QUERY].split())
    return conditions, f"{RANK}({FOLD}(%(q_text)s), {doc})"


def encode_rank(order: str, rank: float, report_id: UUID) -> str:
    """An opaque cursor after the row ranked ``rank`` with ``report_id`` in the ranked list
    tagged ``order``."""
    return base64.urlsafe_b64encode(
        json.dumps([order, repr(rank), str(report_id)]).encode()).decode()


def decode_rank(cursor: str, order: str) -> tuple[float, UUID]:
    """Inverse of :func:`encode_rank`; ``ValueError`` when it is not one or was made for
    another list or order."""
    try:
        tag, rank, report_id = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        position = float(rank), UUID(report_id)
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    if tag != order:
        raise ValueError(f"cursor {cursor!r} was made for another list or sort order")
    return position


def ranked(rows: list[dict[str, Any]], limit: int, order: str
           ) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with ``LIMIT limit + 1`` and a ``rank`` column → (the page without the
    rank, the next page's cursor or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}")
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_rank(order, rows[-1]["rank"], rows[-1]["report_id"]) if more else None
    return [{k: v for k, v in r.items() if k != "rank"} for r in rows], cursor
