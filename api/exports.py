"""Exports as CSV and XLSX (issue 13): the monthly ranking (Điều 18.4), the monthly statistics
(seed 000 Điều 2.2.c), the periodic reports (Điều 18.3.b, 25.4) and the audit trail (Điều 22).

Each export answers the rows of its JSON twin for the same query, with the same scoping and
access checks (the same query functions). CSV keeps the JSON field names as its header (for
machines, like ``/audit.csv``); XLSX has Vietnamese headers, a frozen header row, dates and
instants as date cells (at Asia/Ho_Chi_Minh, Excel knowing no offsets) and figures as numbers.
Instants in CSV are ISO 8601 at +07:00. XLSX is written by openpyxl in write-only mode into a
temporary file, then streamed: memory stays flat however many rows; the audit trail's rows
come from a server-side cursor (its CSV from ``COPY``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from pydantic import AwareDatetime

from api.auth import Caller, CheckedInThread, MaybeCaller
from api.periodic import PeriodLabel, periodic_report_of
from api.queries import (
    AsOf,
    Auditor,
    Month,
    Staff,
    _audit_scope,
    _whole_report,
    _without_citizens,
    check_public_as_of,
    ranking_rows,
    reading,
    statistics_rows,
)
from projections import audit_trail

router = APIRouter(route_class=CheckedInThread)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1 << 16
#: (field, Vietnamese header) of each export's columns, in order.
Columns = tuple[tuple[str, str], ...]

RANKING: Columns = (
    ("rank", "Thứ hạng"), ("unit_id", "Mã đơn vị"), ("unit_name", "Đơn vị"),
    ("received", "Số phản ánh tiếp nhận"), ("late_in_reception", "Trễ hạn tiếp nhận"),
    ("late_in_handling", "Trễ hạn xử lý"), ("reports_late", "Số phản ánh trễ hạn"),
    ("share_late", "Tỷ lệ trễ hạn"), ("flagged", "Vượt ngưỡng trễ hạn"))
STATISTICS: Columns = (
    ("unit_id", "Mã đơn vị"), ("unit_name", "Đơn vị"), ("received", "Tiếp nhận"),
    ("accepted", "Chấp nhận xử lý"), ("rejected", "Từ chối"), ("escalated", "Chuyển cấp trên"),
    ("marked_duplicate", "Trùng lặp"), ("assigned", "Giao xử lý"),
    ("published", "Công khai kết quả"), ("published_on_time", "Công khai đúng hạn"),
    ("rated_satisfied", "Hài lòng"), ("rated_acceptable", "Chấp nhận được"),
    ("rated_unsatisfied", "Không hài lòng"))
PERIODIC: Columns = (
    ("first_day", "Từ ngày"), ("last_day", "Đến ngày"), ("unit_id", "Mã đơn vị"),
    ("unit_name", "Đơn vị"), ("received", "Tiếp nhận"), ("accepted", "Chấp nhận xử lý"),
    ("rejected", "Từ chối"), ("escalated", "Chuyển cấp trên"), ("assigned", "Giao xử lý"),
    ("published", "Công khai kết quả"), ("published_on_time", "Công khai đúng hạn"),
    ("late_in_reception", "Trễ hạn tiếp nhận"), ("late_in_handling", "Trễ hạn xử lý"),
    ("rated_satisfied", "Hài lòng"), ("rated_acceptable", "Chấp nhận được"),
    ("rated_unsatisfied", "Không hài lòng"), ("alerts_sent", "Cảnh báo đã gửi"),
    ("initiatives_received", "Sáng kiến tiếp nhận"),
    ("initiatives_answered", "Sáng kiến đã trả lời"),
    ("initiatives_answered_on_time", "Sáng kiến trả lời đúng hạn"))
#: The periodic report's city totals row: no unit, this name.
TOTAL = "Tổng cộng"
AUDIT: Columns = (
    ("notification_id", "Số thứ tự sự kiện"), ("aggregate_type", "Loại đối tượng"),
    ("aggregate_id", "Mã đối tượng"), ("version", "Phiên bản"),
    ("event_type", "Loại sự kiện"), ("at", "Thời điểm"), ("actor_id", "Người thực hiện"),
    ("actor_role", "Vai trò"), ("actor_unit_id", "Đơn vị người thực hiện"),
    ("actor_unit_level", "Cấp đơn vị người thực hiện"), ("unit_id", "Đơn vị"),
    ("report_id", "Mã phản ánh"), ("closed_stage", "Bước kết thúc"),
    ("closed_unit_id", "Đơn vị của bước kết thúc"),
    ("closed_started_at", "Bắt đầu bước kết thúc"), ("closed_due", "Hạn bước kết thúc"),
    ("closed_on_time", "Đúng hạn"), ("opened_stage", "Bước mở"),
    ("opened_unit_id", "Đơn vị của bước mở"), ("opened_due", "Hạn bước mở"),
    ("details", "Chi tiết"), ("event_digest", "Mã băm sự kiện"),
    ("previous_hash", "Mã băm trước"), ("event_hash", "Mã băm chuỗi"))


def _text(value: Any) -> Any:
    """A value as the CSV prints it (instants ISO 8601 at +07:00)."""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _cell(value: Any) -> Any:
    """A value as an XLSX cell: numbers, booleans, dates and local instants typed, the rest
    text (Excel knows no offset: instants at Asia/Ho_Chi_Minh, as the header says)."""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL).replace(tzinfo=None)
    if isinstance(value, bool | int | float | Decimal | date) or value is None:
        return value
    if isinstance(value, UUID):
        return str(value)
    return _text(value)


def _csv(columns: Columns, rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(key for key, _ in columns)
    for row in rows:
        writer.writerow(_text(row.get(key)) for key, _ in columns)
        if out.tell() >= CHUNK:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def _xlsx(title: str, columns: Columns, rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The rows as a workbook of one sheet, written in write-only mode to a temporary file,
    then read back ``CHUNK`` bytes at a time; the file is removed once sent (or abandoned)."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for _, name in columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        formats = {}
        for row in rows:
            cells = []
            for key, _ in columns:
                value = _cell(row.get(key))
                if isinstance(value, date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = formats.setdefault(
                        type(value), "yyyy-mm-dd hh:mm:ss" if isinstance(value, datetime)
                        else "yyyy-mm-dd")
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
        book.save(path)
        with open(path, "rb") as file:
            while block := file.read(CHUNK):
                yield block
    finally:
        os.unlink(path)


def _answer(fmt: str, name: str, title: str, columns: Columns,
            rows: Callable[[], Iterable[dict[str, Any]]]) -> StreamingResponse:
    """``rows`` (called once the answer streams) as ``name``.csv or ``name``.xlsx."""
    body = _csv(columns, rows()) if fmt == "csv" else _xlsx(title, columns, rows())
    return StreamingResponse(
        body, media_type="text/csv" if fmt == "csv" else XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _file(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


def _routes(fmt: str) -> None:
    """The exports in ``fmt``: the routes are declared once per format."""

    @router.get(f"/public/rankings.{fmt}", tags=["public"], response_class=StreamingResponse,
                responses=_file("Điều 18.4: the monthly ranking, one unit a row"))
    def rankings_file(request: Request, month: Month, as_of: AsOf = None,
                      caller: MaybeCaller = None) -> StreamingResponse:
        """Điều 18.4: the rows of ``/public/rankings`` for the month, all of them (``as_of``
        without a staff token: a published month end only)."""
        check_public_as_of(request, caller, as_of)
        rows = ranking_rows(request, month, as_of)
        return _answer(fmt, f"xep-hang-{month}", f"Xếp hạng {month}", RANKING, lambda: rows)

    @router.get(f"/public/statistics.{fmt}", tags=["public"],
                response_class=StreamingResponse,
                responses=_file("Seed 000 Điều 2.2.c: the monthly statistics, one unit a row"))
    def statistics_file(request: Request, month: Month, as_of: AsOf = None,
                        caller: MaybeCaller = None) -> StreamingResponse:
        """Seed 000 Điều 2.2.c: the rows of ``/public/statistics`` for the month (``as_of``
        without a staff token: a published month end only)."""
        check_public_as_of(request, caller, as_of)
        rows = statistics_rows(request, month, as_of)
        return _answer(fmt, f"thong-ke-{month}", f"Thống kê {month}", STATISTICS,
                       lambda: rows)

    @router.get(f"/periodic-reports.{fmt}", tags=["reports"], dependencies=[Staff],
                response_class=StreamingResponse,
                responses=_file("Điều 18.3.b: a period's figures, one unit a row, then the "
                                "totals (no unit id, named \"Tổng cộng\")"))
    def periodic_file(request: Request, caller: Caller, period: PeriodLabel,
                      unit_id: UUID | None = None, as_of: AsOf = None) -> StreamingResponse:
        """Điều 18.3.b, 25.4: ``/periodic-reports`` for the same query, one unit a row and
        the totals last, each row with the period's first and last day."""
        report = periodic_report_of(request, caller, period, unit_id, as_of)
        days = {"first_day": report["period"]["first_day"],
                "last_day": report["period"]["last_day"]}
        rows = [*({**days, **unit} for unit in report["units"]),
                {**days, **report["totals"], "unit_id": None, "unit_name": TOTAL}]
        label = report["period"]["label"].replace("..", "_")
        return _answer(fmt, f"bao-cao-{label}", "Báo cáo định kỳ", PERIODIC, lambda: rows)


for _format in ("csv", "xlsx"):
    _routes(_format)


@router.get("/audit.xlsx", tags=["audit"], dependencies=[Auditor],
            response_class=StreamingResponse, responses={200: {
                "description": "The audit trail, one event a row, with a header",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def audit_xlsx(request: Request, caller: Caller, report_id: UUID | None = None,
               unit_id: UUID | None = None, since: AwareDatetime | None = None,
               until: AwareDatetime | None = None) -> StreamingResponse:
    """Điều 22: ``/audit.csv`` as a workbook, scoped as ``/audit``; rows from a server-side
    cursor into a write-only workbook, so memory stays flat however long the trail."""
    unit, kind = _audit_scope(caller, request, unit_id)
    unit = _whole_report(request, caller, report_id, unit_id, unit)

    def rows() -> Iterator[dict[str, Any]]:
        with reading(request) as conn:
            for row in audit_trail.export_rows(conn, report_id=report_id, unit_id=unit,
                                               since=since, until=until, kind=kind):
                yield _without_citizens(row)

    return _answer("xlsx", "audit-trail", "Nhật ký", AUDIT, rows)
