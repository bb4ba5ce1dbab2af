"""``public_results``: published results for the public app and web (Điều 8.3, 12.3, 14.2).

A row exists only once the result is published: kind, category, the report's text, the place,
dates, the handling unit (with its name), the result and its evidence, and the rating and its
comment once given. Never the reporter's identity nor any personal data, confidential or not
(Điều 4.4, 5.7, 14.1): the handlers never copy it, not even into the staging table.

Moderation (Điều 4.4, 14.1; issue 7): a report hidden by a unit head is deleted from both
tables, so it never appears, even when published later; a hidden rating comment is never
copied; a redaction overwrites the text (or comment) in both tables, so the original is in no
public table once redacted. Replaying the events in order ends in the same state: a rebuild
keeps them hidden and redacted. Before any moderation, every text copied here — the report's
text and place, the result, the rating comment — has its phone numbers, e-mail addresses and
ID numbers masked (:func:`domain.personal_data.scrub`; Điều 4.4, 14.1): the originals stay
in the event store and the staff views.

Until publication the report waits in ``public_results_pending`` (never queried); unit names
come from the unit directory's events into ``public_results_units``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from domain.personal_data import scrub, scrub_optional
from domain.report import Report
from domain.units import Unit
from projections.engine import ReadModel
from projections.paging import decode_cursor, keyset, page
from projections.text_search import document, ranked, search_rows

model = ReadModel("public_results", tables=(
    "public_results", "public_results_pending", "public_results_units"))


@model.on(Unit.Created, Unit.Renamed)
def _unit_named(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO public_results_units (unit_id, name) VALUES (%s, %s)"
                " ON CONFLICT (unit_id) DO UPDATE SET name = EXCLUDED.name",
                (e.originator_id, e.name))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO public_results_pending (report_id, kind, category, summary, area,"
        " latitude, longitude, submitted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (e.originator_id, e.kind, e.category, scrub(e.text), scrub(e.location["address"]),
         e.location["latitude"], e.location["longitude"], e.at))


@model.on(Report.Rejected)
def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("DELETE FROM public_results_pending WHERE report_id = %s", (e.originator_id,))


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE public_results_pending SET handling_unit_id = %s WHERE report_id = %s",
                (e.handling_unit_id, e.originator_id))


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: a merged handling unit's successor publishes, and is shown, the result."""
    cur.execute("UPDATE public_results_pending SET handling_unit_id = %s"
                " WHERE report_id = %s AND handling_unit_id = %s",
                (e.to_unit_id, e.originator_id, e.from_unit_id))


@model.on(Report.ResultProposed, Report.ResultUpdated)
def _proposed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE public_results_pending SET result_text = %s, evidence = %s"
                " WHERE report_id = %s", (scrub(e.text), Jsonb(e.evidence), e.originator_id))


def _publish(cur: psycopg.Cursor[Any], report_id: UUID, at: datetime) -> None:
    cur.execute(
        "INSERT INTO public_results (report_id, kind, category, summary, area, latitude,"
        " longitude, submitted_at, published_at, handling_unit_id, result_text, evidence,"
        " rating_comment_hidden)"
        " SELECT report_id, kind, category, summary, area, latitude, longitude, submitted_at,"
        " %s, handling_unit_id, result_text, evidence, rating_comment_hidden"
        " FROM public_results_pending"
        " WHERE report_id = %s", (at, report_id))
    cur.execute("DELETE FROM public_results_pending WHERE report_id = %s", (report_id,))


@model.on(Report.Published)
def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _publish(cur, e.originator_id, e.at)


@model.on(Report.InitiativeAnswered)
def _initiative_answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 9: the answer to a capital initiative is public as soon as it is given."""
    _proposed(cur, e, nid)
    _publish(cur, e.originator_id, e.at)


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE public_results SET rating = %s, rating_comment = CASE"
                " WHEN rating_comment_hidden THEN NULL ELSE NULLIF(%s, '') END"
                " WHERE report_id = %s", (e.rating, scrub_optional(e.comment), e.originator_id))


@model.on(Report.Hidden)
def _hidden(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 14.1: a hidden report leaves the public tables for good; a hidden comment is
    dropped and never copied again."""
    if e.target == "report":
        for table in ("public_results_pending", "public_results"):
            cur.execute(f"DELETE FROM {table} WHERE report_id = %s", (e.originator_id,))
        return
    cur.execute("UPDATE public_results_pending SET rating_comment_hidden = true"
                " WHERE report_id = %s", (e.originator_id,))
    cur.execute("UPDATE public_results SET rating_comment_hidden = true, rating_comment = NULL"
                " WHERE report_id = %s", (e.originator_id,))


@model.on(Report.Redacted)
def _redacted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 4.4, 14.1: the redacted version replaces the original wherever it was copied."""
    if e.field == "text":
        for table in ("public_results_pending", "public_results"):
            cur.execute(f"UPDATE {table} SET summary = %s WHERE report_id = %s",
                        (scrub(e.redacted), e.originator_id))
        return
    cur.execute("UPDATE public_results SET rating_comment = NULLIF(%s, '')"
                " WHERE report_id = %s AND NOT rating_comment_hidden",
                (scrub(e.redacted), e.originator_id))


# Queries --------------------------------------------------------------------------------

COLUMNS = ("r.report_id, r.kind, r.category, r.summary, r.area, r.latitude, r.longitude,"
           " r.submitted_at, r.published_at, r.handling_unit_id, u.name AS handling_unit_name,"
           " r.result_text, r.evidence, r.rating, r.rating_comment")


#: The free texts of a row: masked again as they are read, so rows written before the
#: handlers masked them (until ``ihanoi projections rebuild public_results``) show masked too.
TEXTS = ("summary", "area", "result_text", "rating_comment")


def _scrubbed(row: dict[str, Any]) -> dict[str, Any]:
    """Điều 4.4, 14.1: the row with no phone, e-mail or ID number in its texts."""
    return {**row, **{k: scrub_optional(row[k]) for k in TEXTS}}


def get(conn: psycopg.Connection[Any], report_id: UUID) -> dict[str, Any] | None:
    """One published result by report id (None until it is published)."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"SELECT {COLUMNS} FROM public_results r"
            f" LEFT JOIN public_results_units u ON u.unit_id = r.handling_unit_id"
            f" WHERE r.report_id = %s", (report_id,)).fetchone()
    return _scrubbed(row) if row is not None else None


SORTS = {"-published_at": "published_at", "published_at": "published_at"}
"""Orders of the public list: newest (``-``) or oldest published first."""


def search(conn: psycopg.Connection[Any], *, kind: str | None = None,
           category: str | None = None, handling_unit_id: UUID | None = None,
           published_from: datetime | None = None, published_to: datetime | None = None,
           cursor: str | None = None, limit: int = 20, sort: str = "-published_at",
           q: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Published results, newest first (``sort="published_at"``: oldest first), filtered;
    returns one page and the cursor of the next (None on the last page). The date range is
    ``published_from <= published_at < published_to``. With ``q``: only the results whose
    :data:`DOCUMENT` holds every word of ``q`` (diacritics and case ignored), best match first
    (``sort`` does not apply; :mod:`projections.text_search`)."""
    _, direction, beyond, tag = keyset("public_results", sort, SORTS)
    if q is not None:
        return _ranked(conn, q, cursor, limit, **{
            "r.kind = %(kind)s": kind, "r.category = %(category)s": category,
            "r.handling_unit_id = %(unit)s": handling_unit_id,
            "r.published_at >= %(since)s": published_from,
            "r.published_at < %(until)s": published_to})
    filters = {"r.kind = %s": kind, "r.category = %s": category,
               "r.handling_unit_id = %s": handling_unit_id,
               "r.published_at >= %s": published_from, "r.published_at < %s": published_to}
    where = [condition for condition, value in filters.items() if value is not None]
    params: list[Any] = [value for value in filters.values() if value is not None]
    if cursor:
        where.append(f"(r.published_at, r.report_id) {beyond} (%s, %s)")
        params.extend(decode_cursor(cursor, tag))
    with conn.cursor(row_factory=dict_row) as cur:
        # Keyset page on (published_at, report_id), served by an index per filter (read
        # backwards for the oldest first).
        rows = cur.execute(
            f"SELECT {COLUMNS} FROM public_results r"
            f" LEFT JOIN public_results_units u ON u.unit_id = r.handling_unit_id"
            f" WHERE {' AND '.join(where) or 'true'}"
            f" ORDER BY r.published_at {direction}, r.report_id {direction} LIMIT %s",
            (*params, limit + 1)).fetchall()
    return page([_scrubbed(r) for r in rows], limit, tag, "published_at")


#: What public search matches (issue 13.3): the published, masked texts only — the report's
#: text (as redacted), its place and its result; never the rating comment nor any personal
#: data. Indexed (GIN trigram) by the migration 0038b, spelt alike, and (GiST, for the order)
#: by 0041sb.
DOCUMENT = document("r.summary", "r.area", "r.result_text")
RANKED = "public_results rank"
"""The order tag of the ranked (``q``) list in cursors."""


def _ranked(conn: psycopg.Connection[Any], q: str, cursor: str | None, limit: int,
            **filters: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The page of published results matching ``q`` and ``filters`` (condition → value,
    None: no filter), best first (rank, then report id, both descending)."""
    names = ("kind", "category", "unit", "since", "until")
    params: dict[str, Any] = {n: v for n, v in zip(names, filters.values(), strict=True)}
    where = [condition for condition, value in filters.items() if value is not None]
    rows = search_rows(conn, COLUMNS, "public_results r LEFT JOIN public_results_units u"
                       " ON u.unit_id = r.handling_unit_id", where, DOCUMENT, "r.report_id", q,
                       params, RANKED, cursor, limit)
    page_rows, next_cursor = ranked(rows, limit, RANKED)
    return [_scrubbed(r) for r in page_rows], next_cursor
