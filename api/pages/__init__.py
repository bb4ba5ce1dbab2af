"""Public web pages (issue 13.1): server-rendered in Vietnamese from the same read models as the
JSON API, usable without JavaScript, on a phone, and by a screen reader (Điều 14.2, 18.4;
seed 000 Điều 2.2.c). Each page lives in its own module here and renders a template of
``templates/`` extending ``base.html``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.pages.labels import vietnamese
from domain.calendar import BUSINESS_TZ

HERE = Path(__file__).parent
PREFIX = "/cong-khai"  # "public": every page's path starts here
router = APIRouter(prefix=PREFIX, include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")
static = StaticFiles(directory=HERE / "static")


def when(value: datetime | None) -> str:
    """An instant as Hà Nội reads it: ``14:05 03/03/2026``."""
    return "" if value is None else value.astimezone(BUSINESS_TZ).strftime("%H:%M %d/%m/%Y")


def percent(value: float | None) -> str:
    """A share as Vietnamese writes it: ``33,3 %``."""
    return "" if value is None else f"{value * 100:.1f} %".replace(".", ",")


templates.env.filters["when"] = when
templates.env.filters["percent"] = percent
templates.env.filters["vi"] = vietnamese


def render(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    """``template`` with the page's ``title`` (the ``<title>`` and the ``<h1>``)."""
    return templates.TemplateResponse(request, template, {"title": title, **context})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The entry page: what the public can look up."""
    return render(request, "home.html", "Cổng thông tin phản ánh, kiến nghị iHanoi")


def _answer_in_html(app: Any, error: type[Exception], status: int | None, problem: str
                    ) -> None:
    """Under the pages' prefix, ``error`` answers an HTML page saying ``problem`` (with
    ``status``, else the error's own) instead of the API's problem+json, which every other
    path keeps."""
    api_handler = app.exception_handlers[error]

    async def handler(request: Request, exc: Exception) -> Any:
        if not request.url.path.startswith(f"{PREFIX}/"):
            return await api_handler(request, exc)
        from api.pages.months import invalid

        code = status or getattr(exc, "status_code", 400)
        return invalid(request, "Không xem được trang này", problem, back=f"{PREFIX}/",
                       back_label="Về trang chủ", status_code=code)

    app.add_exception_handler(error, handler)


def install(app: Any) -> None:
    """Mount the pages, their static files, and ``/`` leading to them."""
    from api.pages import (  # noqa: F401 (their routes join the router)
        alerts,
        ranking,
        results,
        statistics,
    )

    app.mount(f"{PREFIX}/static", static, name="static")
    app.include_router(router)
    _answer_in_html(app, RequestValidationError, 400,
                    "Tham số của trang không hợp lệ (quá dài hoặc sai định dạng).")
    _answer_in_html(app, StarletteHTTPException, None, "Không có trang này.")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
