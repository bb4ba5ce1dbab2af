"""The month a monthly page shows (``?thang=YYYY-MM``): by default the last completed one in
Hà Nội (Điều 18.4; seed 000 Điều 2.2.c), and a clear page when it is not a month."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from api.pages import render
from domain.calendar import BUSINESS_TZ

MONTH = re.compile(r"^2\d{3}-(0[1-9]|1[0-2])$")  # as the JSON API's ``month``
MAX_PAGE = 100  # rows a page shows at most (``?moi-trang=``), as the JSON API's ``limit``
Thang = Annotated[str | None, Query(alias="thang", max_length=20)]  # the month
Tiep = Annotated[str | None, Query(alias="tiep", max_length=200)]  # the next page's cursor
MoiTrang = Annotated[str | None, Query(alias="moi-trang", max_length=10)]  # rows per page


#: What a page says of a "Trang sau" link whose cursor no longer reads.
BAD_CURSOR = "Liên kết trang sau không còn đúng: hãy xem lại từ trang đầu."


def not_a_month(value: str) -> str:
    """What a page says of a ``?thang=`` that is not a month."""
    return f"“{value}” không phải một tháng: hãy chọn tháng theo dạng NNNN-TT, ví dụ 2026-03."


class NotAMonth(ValueError):
    """``?thang=`` is not a month ``YYYY-MM``."""


def chosen(request: Request, value: str | None) -> str:
    """``value`` if it names a month, else (none given) the last completed month."""
    if value is None or value == "":
        today: date = request.app.state.runtime.app.now().astimezone(BUSINESS_TZ).date()
        return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if not MONTH.match(value):
        raise NotAMonth(value)
    return value


def rows_per_page(value: str | None, default: int) -> int:
    """``?moi-trang=`` between 1 and :data:`MAX_PAGE`; ``default`` when not a number."""
    try:
        return min(max(int(value or default), 1), MAX_PAGE)
    except ValueError:
        return default


def first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def label(month: str | date) -> str:
    """``2026-03`` as Vietnamese writes it: ``3/2026``."""
    day = first_day(month) if isinstance(month, str) else month
    return f"{day.month}/{day.year}"


def earlier(month: str, months: int) -> date:
    """The 1st of the month ``months`` before ``month``."""
    day = first_day(month)
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def invalid(request: Request, title: str, problem: str, back: str, status_code: int = 400,
            back_label: str = "Xem tháng gần nhất") -> HTMLResponse:
    """A page saying what is wrong with the request, with ``status_code``, leading ``back``
    (a link named ``back_label``)."""
    response = render(request, "invalid.html", title, problem=problem, back=back,
                      back_label=back_label)
    response.status_code = status_code
    return response
