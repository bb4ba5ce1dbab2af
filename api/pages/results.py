"""Published results (Điều 8.3, 12.3, 14.2): the list with its filters, search and paging, and
a result's page with its public timeline, evidence, rating and comment — from the read-model
queries of ``/public/results``, ``/public/reports/{id}/timeline`` and
``/public/attachments/{id}``, so never any personal data (Điều 4.4, 5.7, 14.1)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import psycopg
from fastapi import Request
from fastapi.responses import HTMLResponse

from api.pages import PageError, render, router
from api.queries import reading
from application.services import NotFound
from domain.calendar import BUSINESS_TZ
from domain.policy import Kind
from projections import public_results, report_attachments, report_timeline, unit_directory

#: The units results are filed under (the handling unit), grouped in the filter by level.
HANDLING_LEVELS = {"service_centre": "Trung tâm Phục vụ hành chính công",
                   "department": "Sở, ban, ngành", "district": "Quận, huyện, thị xã",
                   "commune": "Xã, phường, thị trấn"}
PAGE_SIZE = 20
MONTH = re.compile(r"^2\d{3}-(0[1-9]|1[0-2])$")


def unit_id_of(text: str, what: str) -> UUID | None:
    """A unit chosen in a filter (empty: none); a malformed one is a 400."""
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise PageError(400, f"{what} không hợp lệ: hãy chọn trong danh sách.") from None


def page_size(limit: str) -> int:
    """Rows per page: ``limit`` when given (1–100), else :data:`PAGE_SIZE`."""
    if not limit:
        return PAGE_SIZE
    if not (limit.isdigit() and 1 <= int(limit) <= 100):
        raise PageError(400, "Số dòng mỗi trang phải là một số từ 1 đến 100.")
    return int(limit)


BAD_CURSOR = "Liên kết trang không hợp lệ hoặc đã cũ: hãy xem lại từ trang đầu."


def link(path: str, **query: Any) -> str:
    """``path`` with the parameters of ``query`` that are set: a page of the same list."""
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def month_range(month: str) -> tuple[datetime | None, datetime | None]:
    """``YYYY-MM`` as the instants ``[first day 00:00, next month's first day 00:00)`` in
    Hà Nội (the ``published_from``/``published_to`` of ``/public/results``)."""
    if not month:
        return None, None
    if not MONTH.match(month):
        raise PageError(400, f"Tháng “{month}” không hợp lệ: hãy nhập theo dạng năm-tháng, "
                             "ví dụ 2026-03.")
    year, number = int(month[:4]), int(month[5:])
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)
    return (datetime(start.year, start.month, 1, tzinfo=BUSINESS_TZ),
            datetime(end.year, end.month, 1, tzinfo=BUSINESS_TZ))


def _units(conn: psycopg.Connection[Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(label, unit_directory.of_level(conn, level))
            for level, label in HANDLING_LEVELS.items()]


@router.get("/ket-qua", response_class=HTMLResponse)
def results(request: Request, unit_id: str = "", kind: str = "", category: str = "",
            month: str = "", q: str = "", cursor: str = "", limit: str = ""
            ) -> HTMLResponse:
    """Điều 8.3, 14.2: published results, newest first (best match first with ``q``),
    filtered by handling unit, kind, category and month of publication; a page at a time."""
    policy = request.app.state.runtime.app.policy()
    unit = unit_id_of(unit_id, "Đơn vị")
    if kind and kind not in set(Kind):
        raise PageError(400, "Loại phản ánh không hợp lệ: hãy chọn trong danh sách.")
    if category and not policy.is_category(category, kind or None):
        raise PageError(400, "Lĩnh vực không có trong danh mục"
                        + (" của loại phản ánh đã chọn." if kind else "."))
    published_from, published_to = month_range(month)
    words = q.strip()
    if len(words) > 200:
        raise PageError(400, "Từ khoá tìm kiếm dài quá 200 ký tự.")
    if len(cursor) > 200:
        raise PageError(400, BAD_CURSOR)
    size = page_size(limit)
    with reading(request) as conn:
        try:
            rows, next_cursor = public_results.search(
                conn, kind=kind or None, category=category or None, handling_unit_id=unit,
                published_from=published_from, published_to=published_to,
                cursor=cursor or None, limit=size, q=words or None)
        except ValueError:
            raise PageError(400, BAD_CURSOR) from None
        units = _units(conn)
    filters = {"unit_id": unit_id, "kind": kind, "category": category, "month": month,
               "q": words}
    here = "/cong-khai/ket-qua"
    return render(
        request, "results.html", "Kết quả xử lý phản ánh, kiến nghị", rows=rows,
        filters=filters, units=units, kinds=list(Kind), categories=policy.categories,
        first_url=link(here, **filters, limit=limit) if cursor else None,
        next_url=next_cursor and link(here, **filters, limit=limit, cursor=next_cursor),
        filtered=any(filters.values()))


def _evidence(request: Request, conn: psycopg.Connection[Any], references: list[str]
              ) -> list[dict[str, Any]]:
    """Điều 12.2, 12.3: the result's evidence the public may fetch — the public copies (no
    EXIF) of uploaded files; a file name stored before uploads existed has none."""
    app = request.app.state.runtime.app
    files = []
    for reference in references:
        try:
            attachment_id = UUID(reference)
            if not report_attachments.is_public(conn, attachment_id):
                continue
            attachment = app.attachment(attachment_id)
        except (ValueError, NotFound):
            continue
        url = f"/public/attachments/{attachment_id}"
        files.append({"url": url, "pdf": attachment.content_type == "application/pdf",
                      "thumbnail": f"{url}/thumbnail" if attachment.thumbnail_sha256 else None})
    return files


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def step_view(step: dict[str, Any]) -> dict[str, Any]:
    """A step of the public timeline (``report_timeline.public_step``) as the page shows it:
    where it happened, the few public facts, and each stage it closed with its due instant
    and whether that was met (Điều 14.2)."""
    details = step["details"]
    passed = details.get("stage")
    return {
        "at": step["at"], "label": step["label"],
        "unit": step["unit_name"] or step["actor_unit_name"],
        "urgency": details.get("urgency"), "rating": details.get("rating"),
        "due": _instant(details.get("due")),
        "deadline": passed and {"stage": passed["stage"], "due": _instant(passed["due"])},
        "closed": [{"stage": s["stage"], "due": _instant(s["due"]), "on_time": s["on_time"]}
                   for s in step["closed"] if s["due"] is not None]}


@router.get("/ket-qua/{report_id}", response_class=HTMLResponse)
def result(request: Request, report_id: str) -> HTMLResponse:
    """Điều 14.2: a published result — the report, its result and evidence, its public
    timeline, and the rating and comment as moderated (Điều 13, 14.1)."""
    missing = PageError(404, "Không có kết quả xử lý công khai nào ở địa chỉ này: phản ánh "
                             "chưa có kết quả công khai, hoặc địa chỉ không đúng.")
    try:
        wanted = UUID(report_id)
    except ValueError:
        raise missing from None
    with reading(request) as conn:
        row = public_results.get(conn, wanted)
        if row is None:
            raise missing
        found = report_timeline.public_rows(conn, wanted) or []
        names = unit_directory.names(conn, report_timeline.unit_ids(found))
        steps = [step_view(report_timeline.public_step(r, names)) for r in found]
        evidence = _evidence(request, conn, row["evidence"])
    categories = request.app.state.runtime.app.policy().categories
    return render(request, "result.html", "Kết quả xử lý phản ánh", row=row, steps=steps,
                  evidence=evidence,
                  category=categories.get(row["kind"], {}).get(row["category"],
                                                                row["category"]))
