"""Published results (Điều 8.3, 12.3, 14.2): the list with its filters, search and paging, and
a result's page with its public timeline, evidence, rating and comment — from the read-model
queries of ``/public/results``, ``/public/reports/{id}/timeline`` and
``/public/attachments/{id}``, so never any personal data (Điều 4.4, 5.7, 14.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import psycopg
from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from api.pages import months, render, router
from api.pages.months import MONTH, MoiTrang, Thang, Tiep
from api.queries import reading
from application.services import NotFound
from domain.calendar import BUSINESS_TZ
from domain.policy import Kind
from projections import public_results, report_attachments, report_timeline, unit_directory

HERE = "/cong-khai/ket-qua"
TITLE = "Kết quả xử lý phản ánh, kiến nghị"
PAGE = 20
#: The units results are filed under (the handling unit), grouped in the filter by level.
HANDLING_LEVELS = {"service_centre": "Trung tâm Phục vụ hành chính công",
                   "department": "Sở, ban, ngành", "district": "Quận, huyện, thị xã",
                   "commune": "Xã, phường, thị trấn"}
DonVi = Annotated[str | None, Query(alias="don-vi", max_length=40)]  # the handling unit
Loai = Annotated[str | None, Query(alias="loai", max_length=40)]  # the kind
LinhVuc = Annotated[str | None, Query(alias="linh-vuc", max_length=100)]  # the category
TuKhoa = Annotated[str | None, Query(alias="tu-khoa")]  # words to search for


class Refused(ValueError):
    """A request a page cannot answer: ``problem`` says why, in Vietnamese."""

    def __init__(self, problem: str, status: int = 400) -> None:
        super().__init__(problem)
        self.problem, self.status = problem, status


def unit_id_of(text: str | None, what: str) -> UUID | None:
    """A unit chosen in a filter (none or empty: none); a malformed one is refused."""
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise Refused(f"{what} không hợp lệ: hãy chọn trong danh sách.") from None


def link(path: str, **query: Any) -> str:
    """``path`` with the parameters of ``query`` that are set: a page of the same list."""
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def month_range(month: str | None) -> tuple[datetime | None, datetime | None]:
    """``YYYY-MM`` as the instants ``[its 1st 00:00, the next month's 1st 00:00)`` in Hà Nội
    (the ``published_from``/``published_to`` of ``/public/results``); none: no bounds."""
    if not month:
        return None, None
    if not MONTH.match(month):
        raise Refused(months.not_a_month(month))
    start, end = months.first_day(month), months.earlier(month, -1)
    return (datetime(start.year, start.month, 1, tzinfo=BUSINESS_TZ),
            datetime(end.year, end.month, 1, tzinfo=BUSINESS_TZ))


def _units(conn: psycopg.Connection[Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(label, unit_directory.of_level(conn, level))
            for level, label in HANDLING_LEVELS.items()]


@router.get("/ket-qua", response_class=HTMLResponse)
def results(request: Request, don_vi: DonVi = None, loai: Loai = None,
            linh_vuc: LinhVuc = None, thang: Thang = None, tu_khoa: TuKhoa = None,
            tiep: Tiep = None, moi_trang: MoiTrang = None) -> HTMLResponse:
    """Điều 8.3, 14.2: published results as ``/public/results`` lists them — newest first
    (best match first with words to search for), by handling unit, kind, category and month
    of publication; a page at a time, by the same cursor."""
    policy = request.app.state.runtime.app.policy()
    words = (tu_khoa or "").strip()
    try:
        unit = unit_id_of(don_vi, "Đơn vị")
        if loai and loai not in set(Kind):
            raise Refused("Loại phản ánh không hợp lệ: hãy chọn trong danh sách.")
        if linh_vuc and not policy.is_category(linh_vuc, loai or None):
            raise Refused("Lĩnh vực không có trong danh mục"
                          + (" của loại phản ánh đã chọn." if loai else "."))
        published_from, published_to = month_range(thang)
        if len(words) > 200:
            raise Refused("Từ khoá tìm kiếm dài quá 200 ký tự.")
        per_page = months.rows_per_page(moi_trang, PAGE)
        with reading(request) as conn:
            try:
                rows, next_cursor = public_results.search(
                    conn, kind=loai or None, category=linh_vuc or None, handling_unit_id=unit,
                    published_from=published_from, published_to=published_to,
                    cursor=tiep or None, limit=per_page, q=words or None)
            except ValueError:
                raise Refused(months.BAD_CURSOR) from None
            units = _units(conn)
    except Refused as refused:
        return months.invalid(request, TITLE, refused.problem, HERE, refused.status,
                              "Xem tất cả kết quả")
    filters = {"don-vi": don_vi, "loai": loai, "linh-vuc": linh_vuc, "thang": thang,
               "tu-khoa": words}
    return render(
        request, "results.html", TITLE, rows=rows, filters=filters, units=units,
        kinds=list(Kind), categories=policy.categories, filtered=any(filters.values()),
        first_url=link(HERE, **filters, **{"moi-trang": moi_trang}) if tiep else None,
        next_url=next_cursor and link(HERE, **filters, **{"moi-trang": moi_trang},
                                      tiep=next_cursor))


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
    with reading(request) as conn:
        try:
            row = public_results.get(conn, UUID(report_id))
        except ValueError:
            row = None
        if row is None:
            return months.invalid(
                request, "Không tìm thấy kết quả xử lý", "Không có kết quả xử lý công khai "
                "nào ở địa chỉ này: phản ánh chưa có kết quả công khai, hoặc địa chỉ không "
                "đúng.", HERE, 404, "Xem tất cả kết quả")
        wanted = row["report_id"]
        found = report_timeline.public_rows(conn, wanted) or []
        names = unit_directory.names(conn, report_timeline.unit_ids(found))
        steps = [step_view(report_timeline.public_step(r, names)) for r in found]
        evidence = _evidence(request, conn, row["evidence"])
    categories = request.app.state.runtime.app.policy().categories
    return render(request, "result.html", "Kết quả xử lý phản ánh", row=row, steps=steps,
                  evidence=evidence,
                  category=categories.get(row["kind"], {}).get(row["category"],
                                                                row["category"]))
