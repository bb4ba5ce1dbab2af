"""``partner_applications``: the Open311 partner applications an administrator issued keys
to, and whether each key is revoked (Điều 28.1). Never the key nor its hash."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from domain.partner import PartnerApplication
from projections.engine import ReadModel

model = ReadModel("partner_applications", tables=("partner_applications",))


@model.on(PartnerApplication.Issued)
def _issued(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO partner_applications (partner_id, name, issued_by, issued_at)"
                " VALUES (%s, %s, %s, %s)", (e.originator_id, e.name, e.issued_by, e.at))


@model.on(PartnerApplication.Revoked)
def _revoked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE partner_applications SET revoked_at = %s WHERE partner_id = %s",
                (e.at, e.originator_id))


def every(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Every partner application, the newest first (they are few)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT partner_id, name, issued_by, issued_at, revoked_at"
                           " FROM partner_applications"
                           " ORDER BY issued_at DESC, partner_id").fetchall()
