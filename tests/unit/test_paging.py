"""The one keyset cursor codec of the read API's lists (projections.paging)."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from domain.calendar import BUSINESS_TZ
from projections.paging import (
    decode_cursor,
    decode_keys,
    encode_cursor,
    encode_keys,
    keyset,
    page,
    page_by_keys,
)

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


# ----------------------------------------------------------------- cursors of other keys


def test_a_keys_cursor_decodes_to_its_keys_whatever_characters_they_hold() -> None:
    keys = ("1", "UBND phường Tràng Tiền | \"cũ\"", str(uuid4()))
    assert decode_keys(encode_keys("directory_units depth", *keys), "directory_units depth",
                       3) == keys


@pytest.mark.parametrize("cursor", [
    "not base64!", "bm90IGpzb24=",  # "not json"
    "WyJhIHRhZyIsIDFd",  # ["a tag", 1]: a key that is not text
    "WyJhIHRhZyIsICJ4XHUwMDAweSJd",  # ["a tag", "x\u0000y"]: a NUL PostgreSQL cannot take
    "WyJhIHRhZyIsICJ4IiwgInkiXQ==",  # ["a tag", "x", "y"]: two keys, one expected
])
def test_a_forged_keys_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        decode_keys(cursor, "a tag", 1)


def test_a_keys_cursor_of_another_list_is_refused() -> None:
    with pytest.raises(ValueError, match="another list"):
        decode_keys(encode_keys("work_queues due", "x"), "audit_trail notification_id", 1)


def test_a_page_by_keys_holds_the_last_rows_keys_and_is_the_last_when_nothing_follows() -> None:
    rows = [{"n": str(i)} for i in range(4)]
    shown, cursor = page_by_keys(rows, 3, "t", lambda r: (r["n"],))
    assert shown == rows[:3] and cursor is not None
    assert decode_keys(cursor, "t", 1) == ("2",)
    assert page_by_keys(rows, 4, "t", lambda r: (r["n"],)) == (rows, None)
    with pytest.raises(ValueError):
        page_by_keys(rows, 0, "t", lambda r: (r["n"],))
