"""``report_attachments``: which report references which uploaded file, and as what
(Điều 5.2 media, Điều 8.2 contribution, Điều 12.1 proposal, Điều 12.2 evidence of the
result, Điều 9 answer to an initiative, Điều 13 answer to a clarification).

One row per (attachment, report, use). References that are not attachment ids — the file
names stored by earlier versions — have no row. The API reads it to decide who may fetch a
file: staff who may see one of its reports (the original), the reporter for the files of the
answer to his clarification request (the original, Điều 13), and anyone for the public copy of
a report's media or result evidence once the result is published, unless the report is
confidential (Điều 5.7, 14.1) or hidden.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.report import Report
from projections.engine import ReadModel

model = ReadModel("report_attachments", tables=("report_attachments",))

#: Uses whose public copy is shown with the published result (Điều 12.3, 14.2); contributions
#: and proposals stay between units, and a clarification answer is the reporter's.
PUBLIC_USES = ("media", "result")
#: Uses whose original the report's reporter reads: the answer addressed to him (Điều 13).
REPORTER_USES = ("clarification_answer",)


def _ids(references: list[str] | None) -> list[UUID]:
    ids = []
    for reference in references or []:
        try:
            ids.append(UUID(str(reference)))
        except ValueError:
            continue  # a file name stored before uploads existed
    return ids


def _record(cur: psycopg.Cursor[Any], e: Any, used_as: str, references: list[str] | None
            ) -> None:
    for attachment_id in _ids(references):
        cur.execute("INSERT INTO report_attachments (attachment_id, report_id, used_as, at)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (attachment_id, e.originator_id, used_as, e.at))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _record(cur, e, "media", e.media)


@model.on(Report.CoordinationContributed)
def _contributed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _record(cur, e, "contribution", e.evidence)


@model.on(Report.ResultProposed)
def _proposed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _record(cur, e, "proposal", e.evidence)


@model.on(Report.ResultUpdated, Report.InitiativeAnswered)
def _result(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _record(cur, e, "result", e.evidence)


@model.on(Report.ClarificationAnswered)
def _clarification_answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _record(cur, e, "clarification_answer", e.evidence)


# Queries --------------------------------------------------------------------------------

def reports_of(conn: psycopg.Connection[Any], attachment_id: UUID) -> list[UUID]:
    """The reports that reference an attachment (primary key prefix)."""
    rows = conn.execute("SELECT DISTINCT report_id FROM report_attachments"
                        " WHERE attachment_id = %s ORDER BY report_id",
                        (attachment_id,)).fetchall()
    return [report_id for (report_id,) in rows]


def reports_of_reporter_uses(conn: psycopg.Connection[Any], attachment_id: UUID
                             ) -> list[UUID]:
    """The reports whose reporter may read the attachment's original: it was sent to him with
    the answer to his clarification request (Điều 13)."""
    rows = conn.execute("SELECT DISTINCT report_id FROM report_attachments"
                        " WHERE attachment_id = %s AND used_as = ANY(%s) ORDER BY report_id",
                        (attachment_id, list(REPORTER_USES))).fetchall()
    return [report_id for (report_id,) in rows]


def is_public(conn: psycopg.Connection[Any], attachment_id: UUID) -> bool:
    """Whether the attachment's public copy may be served: media or result evidence of a
    report whose result is published (a row of ``public_results``: hidden reports have none)
    and which is not confidential."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT 1 FROM report_attachments a"
            " JOIN public_results p ON p.report_id = a.report_id"
            " JOIN report_status s ON s.report_id = a.report_id"
            " WHERE a.attachment_id = %s AND a.used_as = ANY(%s)"
            " AND NOT s.confidential AND NOT s.hidden LIMIT 1",
            (attachment_id, list(PUBLIC_USES))).fetchone()
    return row is not None
