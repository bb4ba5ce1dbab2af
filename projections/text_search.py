"""Full-text search shared by the read models' lists (issue 13.3): Vietnamese,
diacritic-insensitive, ranked.

Texts and queries are folded alike by ``public.ihanoi_fold`` (lower case, no diacritics,
``đ`` → ``d``: PostgreSQL's ``unaccent``), created with the ``unaccent`` and ``pg_trgm``
extensions by the migrations 0038 (report_status) and 0038b (public_results). Each query word
must occur in the folded document (a ``LIKE`` served by a GIN trigram index on the same
expression); rows are ranked by ``pg_trgm``'s word similarity of the folded query to the
document, best first, then by report id, descending. The order is read from a GiST index
(0041sa/0041sb) as a distance, ``document <->> query`` (1 − word similarity), then
``public.ihanoi_id_key(report_id) <-> 2^52`` (the id's first 52 bits, highest first), so a
common query stops after one page instead of ranking every match; two matches at the same
distance whose ids share their first 52 bits (odds ~n²/2^53) are in no set order there, and a
page boundary between them would skip one. The functions live in ``public`` (not in the
read models' schema) so that staging and ``asof_…`` copies, which read with their own schema
alone on the ``search_path``, use the same ones and their indexes; the ordering operators are
``pg_trgm``'s and ``btree_gist``'s, which 0041sa requires in ``public``.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from projections.paging import MAX_PAGE

FOLD = "public.ihanoi_fold"
KEY = "public.ihanoi_id_key"
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


def matching(doc: str, report_id: str, query: str, params: dict[str, Any], order: str,
             cursor: str | None) -> tuple[list[str], str, str]:
    """Conditions (named parameters, added to ``params``) that every word of ``query`` occurs
    in ``doc`` and, with ``cursor`` (of the list tagged ``order``), that the row comes after
    it; a row's distance (1 − its rank) and its key in the ranked order."""
    conditions = []
    for i, word in enumerate(words(query)):
        params[f"q_word_{i}"] = word
        conditions.append(f"{doc} LIKE '%%' || {FOLD}(%(q_word_{i})s) || '%%'")
    params["q_text"] = " ".join(query[:MAX_QUERY].split())
    distance = f"({doc} || ' ') OPERATOR(public.<->>) {FOLD}(%(q_text)s)"
    key = f"{KEY}({report_id})"
    if cursor:
        params["after_distance"], params["after_id"] = decode_rank(cursor, order)
        conditions.append(f"({distance} > %(after_distance)s::real"
                          f" OR ({distance} = %(after_distance)s::real"
                          f" AND {key} < {KEY}(%(after_id)s::uuid)))")
    return conditions, distance, key


COMMON = 200
"""Matches (after the cursor) from which a query reads its page in order from the GiST index
rather than ranking every match: ranking costs ~20–80 µs a row, the ordered read a few ms
when matches are dense, most of the index when they are sparse."""


def search_rows(conn: psycopg.Connection[Any], columns: str, source: str, where: list[str],
                doc: str, report_id: str, query: str, params: dict[str, Any], order: str,
                cursor: str | None, limit: int) -> list[dict[str, Any]]:
    """The rows of ``source`` matching ``where`` and ``query`` after ``cursor``, best first,
    at most ``limit`` + 1, with their ``distance`` (for :func:`ranked`). ``doc`` is spelt as
    the GIN index. A probe through the GIN index counts the matches up to :data:`COMMON`:
    fewer are all ranked (a materialised set, so the planner cannot choose the ordered scan
    for them); as many or more are read in order from the GiST index, whose expression
    (``doc || ' '``) the ``LIKE`` then names, so that it serves both. Never prepared: each
    query is planned for its own words."""
    conditions, distance, key = matching(doc, report_id, query, params, order, cursor)
    params["limit"], params["common"] = limit + 1, COMMON
    scope = " AND ".join([*where, *conditions])
    with conn.cursor(row_factory=dict_row) as cur:
        found = cur.execute(f"SELECT count(*) AS n FROM (SELECT FROM {source} WHERE {scope}"
                            f" LIMIT %(common)s) m", params, prepare=False).fetchone()
        if found is not None and found["n"] < COMMON:
            return cur.execute(
                f"WITH m AS MATERIALIZED (SELECT {columns}, {distance} AS distance"
                f" FROM {source} WHERE {scope}) SELECT * FROM m"
                f" ORDER BY distance, {KEY}(report_id) DESC, report_id DESC LIMIT %(limit)s",
                params, prepare=False).fetchall()
        ordered = " AND ".join([*where, *(c.replace(f"{doc} LIKE", f"({doc} || ' ') LIKE")
                                          for c in conditions)])
        return cur.execute(
            f"SELECT {columns}, {distance} AS distance FROM {source} WHERE {ordered}"
            f" ORDER BY {distance}, {key} OPERATOR(public.<->) {2 ** 52}::float8"
            f" LIMIT %(limit)s", params, prepare=False).fetchall()


def encode_rank(order: str, distance: float, report_id: UUID) -> str:
    """An opaque cursor after the row at ``distance`` (a ``real``, which its ``repr`` gives
    back exactly) with ``report_id`` in the ranked list tagged ``order``."""
    return base64.urlsafe_b64encode(
        json.dumps([order, repr(distance), str(report_id)]).encode()).decode()


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
    """Rows fetched with ``LIMIT limit + 1`` and a ``distance`` column → (the page without
    the distance, the next page's cursor or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1 to {MAX_PAGE}")
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_rank(order, rows[-1]["distance"], rows[-1]["report_id"]) if more else None
    return [{k: v for k, v in r.items() if k != "distance"} for r in rows], cursor
