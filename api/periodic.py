"""Periodic reports over HTTP (Điều 18.3.b, 25.4; seed 000 Điều 2.2.c, 2.4): monthly,
quarterly, yearly and ad-hoc figures per unit, each explainable to its events, and the
monthly figures per head of unit. Staff only: the service centre and Home Affairs inspectors
read every unit, other staff their own unit. ``as_of=`` answers from the events recorded up
to that instant, as the other read endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from api.auth import Caller, CheckedInThread, Principal
from api.queries import (
    AsOf,
    Cursor,
    Limit,
    Month,
    Staff,
    _json,
    _month,
    _paged,
    _scoped_unit,
    _with_unit_names,
    reading,
)
from api.responses import HeadFigures, Page, PeriodExplained, PeriodicReport
from projections import periodic_reports

router = APIRouter(tags=["reports"], dependencies=[Staff], route_class=CheckedInThread)
PeriodLabel = Annotated[str, Query(
    max_length=40, description="YYYY-MM (monthly), YYYY-Qn (quarterly), YYYY (yearly) or "
                               "YYYY-MM-DD..YYYY-MM-DD (ad hoc, both days included)")]
MODEL = "periodic_reports"


def _period(label: str) -> tuple[str, date, date]:
    try:
        return periodic_reports.period(label)
    except ValueError as error:
        raise RequestValidationError([{"loc": ("query", "period"), "type": "value_error",
                                       "msg": str(error)}]) from None


@router.get("/periodic-reports", response_model=PeriodicReport)
def periodic_report(request: Request, caller: Caller, period: PeriodLabel,
                    unit_id: UUID | None = None, as_of: AsOf = None) -> Response:
    """Điều 18.3.b, 25.4: reception and handling per unit over a month, quarter, year or any
    range of days, with alerts sent and capital initiatives received and answered."""
    return _json(periodic_report_of(request, caller, period, unit_id, as_of))


def periodic_report_of(request: Request, caller: Principal, period: str,
                       unit_id: UUID | None, as_of: datetime | None) -> dict[str, Any]:
    """The answer of ``/periodic-reports`` (and of its CSV and XLSX exports), scoped as it."""
    _period(period)
    unit = _scoped_unit(request, caller, unit_id)
    with reading(request, as_of, MODEL) as conn:
        report = periodic_reports.report(conn, period, unit)
        report["units"] = _with_unit_names(conn, report["units"])
        return report


@router.get("/periodic-reports/explain", response_model=PeriodExplained)
def explain_periodic_report(
        request: Request, caller: Caller, period: PeriodLabel, unit_id: UUID,
        metric: Annotated[str, Query(pattern=f"^({'|'.join(periodic_reports.METRICS)})$")],
        as_of: AsOf = None) -> Response:
    """Seed 001 7.a: the reports (alerts) and event ids behind one figure of a unit."""
    _, first, last = _period(period)
    unit = _scoped_unit(request, caller, unit_id)
    assert unit is not None  # a unit was named
    start, end = periodic_reports.bounds(first, last)
    with reading(request, as_of, MODEL) as conn:
        return _json(periodic_reports.explain(conn, unit, start, end, metric))


@router.get("/periodic-reports/heads", response_model=Page[HeadFigures])
def heads_of_units(request: Request, caller: Caller, month: Month,
                   unit_id: UUID | None = None, as_of: AsOf = None, cursor: Cursor = None,
                   limit: Limit = 100) -> Response:
    """Seed 000 Điều 2.4: each head of unit in office in the month, with his unit's figures
    over his part of it (the monthly evaluation of heads by Home Affairs); a page of
    ``limit`` terms and the cursor of the next."""
    unit = _scoped_unit(request, caller, unit_id)
    with reading(request, as_of, MODEL) as conn:
        rows = _with_unit_names(conn, periodic_reports.heads(conn, _month(month), unit))
    return _paged(rows, cursor, limit, f"heads {month}", "officer_id", "unit_id", "since_nid")
