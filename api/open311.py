"""Open311 GeoReport v2 (JSON) over the same commands and read models.

Services are the (kind, category) pairs of the policy's catalogue; our states map to ``open`` /
``closed`` with ``status_notes`` (published, rejected and duplicate reports are closed — a
duplicate's reporter follows the original, Điều 6.2.c); ``expected_datetime`` is the current
stage's due instant.
No personal data is ever returned, and a report's text only once its result is public.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import psycopg
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime

from api.access import acting_as
from api.auth import Caller, requires
from api.consistency import ReadAtLeast, written
from api.responses import (
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
)
from api.schemas import refuse_nul
from application.commands import SubmitReport
from application.services import NotFound
from domain.actors import Role
from projections import report_status, unit_directory

router = APIRouter()

#: The group of each kind's services (Điều 1.2).
GROUPS = {
    "field": "Phản ánh hiện trường", "administrative_regulation": "Quy định hành chính",
    "waste_behaviour": "Lãng phí", "investor_enterprise": "Doanh nghiệp",
    "capital_initiative": "Sáng kiến",
}
Service = tuple[str, str, str, str]


def catalogue(request: Request) -> dict[str, Service]:
    """service_code (``kind.category``) → (kind, category, service_name, group): one service
    per category of the policy's catalogue (``/public/categories``), so a category the city
    adds is a service at once."""
    categories = request.app.state.runtime.app.policy().categories
    return {f"{kind}.{code}": (str(kind), code, name, GROUPS.get(str(kind), str(kind)))
            for kind, table in categories.items() for code, name in table.items()}


STATUS_NOTES = {
    "received": "Đang chờ tiếp nhận", "accepted": "Đã tiếp nhận, đang phân công xử lý",
    "in_handling": "Đang xử lý", "awaiting_approval": "Đang chờ phê duyệt kết quả",
    "in_rework": "Đang hoàn thiện kết quả", "approved": "Kết quả đã được phê duyệt",
    "result_updated": "Đang chờ phê duyệt công khai kết quả",
    "published": "Đã có kết quả xử lý", "rejected": "Từ chối tiếp nhận",
    "duplicate": "Trùng với phản ánh đã gửi",
}
CLOSED = frozenset({"published", "rejected", "duplicate"})
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
Text = AfterValidator(refuse_nul)


def _service(code: str, service: Service) -> Open311Service:
    kind, category, name, group = service
    return Open311Service(service_code=code, service_name=name, description=f"{group}: {name}",
                          metadata=False, type="realtime", keywords=f"{kind},{category}",
                          group=group)


@router.get("/services.json")
def services(request: Request) -> list[Open311Service]:
    """The service list: one service per kind and category of report."""
    return [_service(code, service) for code, service in catalogue(request).items()]


@router.get("/services/{service_code}.json")
def service_definition(service_code: str, request: Request) -> Open311ServiceDefinition:
    """A service's definition (no extra attributes are asked)."""
    if service_code not in catalogue(request):
        raise NotFound(f"no service {service_code}")
    return Open311ServiceDefinition(service_code=service_code, attributes=[])


@router.post("/requests.json", status_code=201,
             dependencies=[Depends(requires(Role.CITIZEN))])
def create_request(
        request: Request, caller: Caller, service_code: Annotated[str, Form()],
        lat: Annotated[float, Form(ge=-90, le=90)], long: Annotated[float, Form(ge=-180, le=180)],
        description: Annotated[str, Form(max_length=5000), Text],
        address_string: Annotated[str, Form(max_length=500), Text] = "",
        media_url: Annotated[str | None, Form(max_length=500), Text] = None) -> JSONResponse:
    """Submit a report (Điều 5, 6) to the city service centre, which distributes it."""
    services = catalogue(request)
    if service_code not in services:
        raise NotFound(f"no service {service_code}")
    runtime = request.app.state.runtime
    with request.app.state.reads.connection() as conn:
        centres = unit_directory.of_level(conn, "service_centre")
    if not centres:
        raise NotFound("no city service centre is configured to receive requests")
    kind, category, _, _ = services[service_code]
    actor = acting_as(request, caller)
    result = runtime.app.handle(SubmitReport(
        UUID(actor.id), kind=kind, category=category, text=description, latitude=lat,
        longitude=long, address=address_string, receiving_unit_id=centres[0]["unit_id"],
        media=[media_url] if media_url else []), actor)
    written(request, result, f"/open311/v2/requests/{result.aggregate_id}.json")
    return JSONResponse([{"service_request_id": str(result.aggregate_id),
                          "service_notice": "Phản ánh sẽ được tiếp nhận trong 08 giờ làm việc",
                          "account_id": actor.id}], status_code=201)


def _request_row(row: dict[str, Any], units: dict[Any, str], services: dict[str, Service]
                 ) -> Open311Request:
    published = row["status"] == "published"
    code = f"{row['kind']}.{row['category']}"
    unit = row["handling_unit_id"] or row["receiving_unit_id"]
    return Open311Request(
        service_request_id=str(row["report_id"]),
        status="closed" if row["status"] in CLOSED else "open",
        status_notes=STATUS_NOTES.get(row["status"], row["status"]),
        service_name=services[code][2] if code in services else row["category"],
        service_code=code,
        description=row["text"] if published else None,
        agency_responsible=units.get(unit),
        service_notice=None,
        requested_datetime=row["submitted_at"].isoformat(),
        updated_datetime=row["updated_at"].isoformat(),
        expected_datetime=row["stage_due"].isoformat() if row["stage_due"] else None,
        address=row["address"] or None,
        address_id=None,
        zipcode=None,
        lat=row["latitude"],
        long=row["longitude"],
        media_url=None,
    )


def _shifted(instant: datetime, delta: timedelta) -> datetime | None:
    """``instant + delta``, or None (no bound) past the calendar's ends."""
    try:
        return instant + delta
    except OverflowError:
        return None


def _summaries(conn: psycopg.Connection[Any], closed: bool | None, filters: dict[str, Any]
               ) -> list[dict[str, Any]]:
    """``report_status.public_summaries`` with Open311's meaning of ``closed``: its own filter
    counts published and rejected reports only, so duplicates (closed here) are moved across:
    the closed requests are the newest of both lists; the open ones lose the duplicates (with
    more than 1000 matches, the page may then hold fewer than 1000)."""
    if closed is None:
        return report_status.public_summaries(conn, limit=MAX_RESULTS, **filters)
    rest = [r for r in report_status.public_summaries(conn, limit=MAX_RESULTS, closed=False,
                                                      **filters)
            if (r["status"] in CLOSED) == closed]
    if not closed:
        return rest
    rows = rest + report_status.public_summaries(conn, limit=MAX_RESULTS, closed=True, **filters)
    return sorted(rows, key=lambda r: r["submitted_at"], reverse=True)[:MAX_RESULTS]


@router.get("/requests.json", dependencies=[ReadAtLeast])
def list_requests(
        request: Request,
        service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
        service_code: str | None = None, start_date: AwareDatetime | None = None,
        end_date: AwareDatetime | None = None,
        status: Annotated[str | None, Query(pattern="^(open|closed)(,(open|closed))*$")] = None,
) -> list[Open311Request]:
    """Service requests (default: those of the 90 days up to ``end_date``), newest first, at
    most 1000; ``service_request_id`` (comma-separated) overrides every other filter."""
    services = catalogue(request)
    if service_request_id:
        try:
            ids = [UUID(value.strip()) for value in service_request_id.split(",")]
        except ValueError:
            raise NotFound(f"no service request {service_request_id}") from None
        filters: dict[str, Any] = {"report_ids": ids}
        closed = None
    else:
        if service_code and service_code not in services:
            raise NotFound(f"no service {service_code}")
        end = end_date or request.app.state.runtime.app.now()
        statuses = set((status or "open,closed").split(","))
        filters = {"submitted_from": start_date or _shifted(end, -DEFAULT_WINDOW),
                   "submitted_to": _shifted(end, timedelta(microseconds=1)),
                   "kind": services[service_code][0] if service_code else None,
                   "category": services[service_code][1] if service_code else None}
        closed = None if len(statuses) == 2 else "closed" in statuses
    with request.app.state.reads.connection() as conn:
        rows = _summaries(conn, closed, filters)
        units = unit_directory.names(
            conn, (r["handling_unit_id"] or r["receiving_unit_id"] for r in rows))
    return [_request_row(r, units, services) for r in rows]


@router.get("/requests/{service_request_id}.json", dependencies=[ReadAtLeast])
def get_request(service_request_id: str, request: Request) -> list[Open311Request]:
    """One service request (GeoReport answers with a list of one)."""
    try:
        report_id = UUID(service_request_id)
    except ValueError:
        raise NotFound(f"no service request {service_request_id}") from None
    rows = list_requests(request, service_request_id=str(report_id))
    if not rows:
        raise NotFound(f"no service request {service_request_id}")
    return rows

