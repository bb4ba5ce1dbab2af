"""The one keyset cursor codec of the read API's lists (projections.paging)."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from domain.calendar import BUSINESS_TZ
from projections.paging import decode_cursor, encode_cursor, keyset, page

AT = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=BUSINESS_TZ)


def test_a_cursor_decodes_to_the_position_it_was_made_at() -> None:
    report_id = uuid4()
    assert decode_cursor(encode_cursor("overdue due", AT, report_id, "reception"),
                         "overdue due", keys=1) == (AT, report_id, "reception")
    assert decode_cursor(encode_cursor("report_status -submitted_at", AT, report_id),
                         "report_status -submitted_at") == (AT, report_id)


@pytest.mark.parametrize("order", ["report_status submitted_at", "public_results -published_at",
                                   "citizen_reports -submitted_at", "overdue due"])
def test_a_cursor_of_another_list_or_order_is_refused(order: str) -> None:
    cursor = encode_cursor("report_status -submitted_at", AT, uuid4())
    with pytest.raises(ValueError, match="another list or sort order"):
        decode_cursor(cursor, order, keys=1 if order == "overdue due" else 0)


@pytest.mark.parametrize("cursor", ["not-a-cursor", "bm9wZQ==", "", encode_cursor(
    "overdue due", AT.replace(tzinfo=None), uuid4(), "reception"), encode_cursor(
    "overdue due", AT, uuid4())])
def test_a_forged_cursor_a_naive_instant_or_a_missing_key_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        decode_cursor(cursor, "overdue due", keys=1)


def test_the_last_row_of_a_full_page_gives_the_next_cursor_in_the_list_order() -> None:
    column, direction, beyond, tag = keyset("report_status", "-updated_at",
                                            {"-submitted_at": "submitted_at",
                                             "-updated_at": "updated_at"})
    assert (column, direction, beyond, tag) == ("updated_at", "DESC", "<",
                                                "report_status -updated_at")
    rows = [{"report_id": uuid4(), "updated_at": AT} for _ in range(3)]
    shown, cursor = page(rows, 2, tag, "updated_at")
    assert shown == rows[:2] and cursor is not None
    assert decode_cursor(cursor, tag) == (AT, rows[1]["report_id"])
    assert page(rows, 3, tag, "updated_at") == (rows, None)
