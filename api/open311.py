"""Open311 GeoReport v2 over the same commands and read models, in JSON and XML.

Services are the (kind, category) pairs of the policy's catalogue; our states map to ``open`` /
``closed`` with ``status_notes`` (published, rejected and duplicate reports are closed — a
duplicate's reporter follows the original, Điều 6.2.c); ``expected_datetime`` is the current
stage's due instant.
No personal data is ever returned, and a report's text and media only once its result is public
(``media_url``: the public copy of its first uploaded attachment, or its first URL).

Every resource answers ``.json`` and ``.xml`` (:mod:`api.open311_format`; only the JSON twin
is in the OpenAPI document), takes ``jurisdiction_id`` (another than the city's: 404) and
answers errors in GeoReport's form, a list of ``{code, description}``
(:func:`api.errors.problem`). ``POST requests`` takes a partner application's ``api_key``
(issued by an administrator, ``POST /partner-applications``) with the citizen's contact
fields, or a citizen's own bearer token.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID

import psycopg
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator, AwareDatetime
from starlette.concurrency import run_in_threadpool

from api import consistency, open311_format
from api.access import acting_as
from api.auth import Principal, optional_principal
from api.consistency import ReadAtLeast, written
from api.errors import Forbidden, Unauthenticated
from api.responses import (
    Open311Attribute,
    Open311Discovery,
    Open311Endpoint,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
    Open311Submitted,
    Open311Token,
)
from api.schemas import refuse_nul
from application.commands import SubmitPartnerReport, SubmitReport
from application.services import IHanoi, NotFound
from domain.actors import Role
from domain.errors import InvalidInput
from projections import report_status, unit_directory

#: The city's jurisdiction_id (a client may leave it out: there is only one).
JURISDICTION = "hanoi.gov.vn"


class BadRequest(InvalidInput):
    """A GeoReport 400 naming the field (a native 422)."""


def check_jurisdiction(jurisdiction_id: Annotated[str | None, Query(max_length=200)] = None
                       ) -> None:
    """GeoReport: ``jurisdiction_id`` is optional where an endpoint serves one city; another
    city's is a 404."""
    if jurisdiction_id is not None and jurisdiction_id != JURISDICTION:
        raise NotFound(f"no jurisdiction {jurisdiction_id!r}; this endpoint serves "
                       f"{JURISDICTION!r}")


router = APIRouter(dependencies=[Depends(check_jurisdiction)])

#: The group of each kind's services (Điều 1.2).
GROUPS = {
    "field": "Phản ánh hiện trường", "administrative_regulation": "Quy định hành chính",
    "waste_behaviour": "Lãng phí", "investor_enterprise": "Doanh nghiệp",
    "capital_initiative": "Sáng kiến",
}
Service = tuple[str, str, str, str]
F = TypeVar("F", bound=Callable[..., Any])


def both_formats(path: str, root: str, **route: Any) -> Callable[[F], F]:
    """Register ``path.json`` (documented, answered by the endpoint's return) and its
    ``path.xml`` twin (the same endpoint, rendered as the XML document ``root``)."""
    def register(endpoint: F) -> F:
        @functools.wraps(endpoint)
        async def as_xml(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            value = await endpoint(*args, **kwargs)
            if isinstance(value, Response):
                return value
            data = [v.model_dump(mode="json") for v in value] if isinstance(value, list) \
                else value.model_dump(mode="json")
            return open311_format.render(request, root, data, route.get("status_code", 200))

        xml_route = {k: v for k, v in route.items() if k != "response_model"}
        router.add_api_route(f"{path}.xml", as_xml, response_model=None,
                             include_in_schema=False, **xml_route)
        router.add_api_route(f"{path}.json", endpoint, **route)
        return endpoint

    return register


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
#: How long POST waits for its request to be readable before answering a token instead.
POST_READ_WAIT = 1.0
Text = AfterValidator(refuse_nul)

#: The extra attributes every service asks (``attribute[code]`` in POST requests).
ATTRIBUTES = [
    Open311Attribute(
        variable=True, code="citizen_id", datatype="string", required=True,
        datatype_description="Số căn cước công dân (12 chữ số)", order=1,
        description="Số căn cước công dân của người phản ánh (Điều 5.5); bắt buộc khi gửi qua "
                    "ứng dụng đối tác (api_key)"),
    Open311Attribute(
        variable=True, code="occurred_at", datatype="datetime", required=False,
        datatype_description="ISO 8601, có múi giờ", order=2,
        description="Thời điểm xảy ra sự việc (Điều 6.1)"),
    Open311Attribute(
        variable=True, code="confidential", datatype="singlevaluelist", required=False,
        datatype_description=None, order=3,
        description="Đề nghị giữ bí mật danh tính người phản ánh (Điều 5.7)",
        values=[{"key": "false", "name": "Không"}, {"key": "true", "name": "Có"}]),
]


def _service(code: str, service: Service) -> Open311Service:
    kind, category, name, group = service
    return Open311Service(service_code=code, service_name=name, description=f"{group}: {name}",
                          metadata=True, type="realtime", keywords=f"{kind},{category}",
                          group=group)


@both_formats("/discovery", "discovery", response_model=Open311Discovery)
async def discovery(request: Request) -> Open311Discovery:
    """GeoReport's service discovery: this endpoint, its specification and formats."""
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    return Open311Discovery(
        changeset="2026-11-29T00:00:00+07:00",
        contact="Trung tâm Phục vụ hành chính công Hà Nội — iHanoi",
        key_service="Quản trị hệ thống iHanoi cấp api_key cho ứng dụng đối tác (Điều 28.1)",
        endpoints=[Open311Endpoint(
            specification="http://wiki.open311.org/GeoReport_v2", url=base,
            changeset="2026-11-29T00:00:00+07:00", type="production",
            formats=["text/xml", "application/json"])])


@both_formats("/services", "services", response_model=list[Open311Service])
async def services(request: Request) -> list[Open311Service]:
    """The service list: one service per kind and category of report."""
    return [_service(code, service) for code, service in catalogue(request).items()]


@both_formats("/services/{service_code}", "service_definition",
              response_model=Open311ServiceDefinition)
async def service_definition(service_code: str, request: Request) -> Open311ServiceDefinition:
    """A service's definition: the attributes every service asks (the citizen ID of Điều 5.5,
    required from partner applications; the instant of the event; confidentiality)."""
    if service_code not in catalogue(request):
        raise NotFound(f"no service {service_code}")
    return Open311ServiceDefinition(service_code=service_code, attributes=ATTRIBUTES)


def _key_hash(api_key: str) -> tuple[UUID, str]:
    """A partner's ``api_key`` is ``<application id>.<secret>``: the id and the secret's
    SHA-256."""
    partner, _, secret = api_key.partition(".")
    try:
        return UUID(partner), hashlib.sha256(secret.encode()).hexdigest()
    except ValueError:
        raise Forbidden("invalid api_key") from None


def _occurred(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest("Open311 GeoReport v2", "attribute[occurred_at]: not an ISO 8601 "
                         "date-time") from None
    if instant.tzinfo is None:
        raise BadRequest("Open311 GeoReport v2", "attribute[occurred_at]: needs a time zone")
    return instant


Field = Annotated[str | None, Form(max_length=500), Text]


@both_formats("/requests", "service_requests", methods=["POST"], status_code=201,
              response_model=list[Open311Submitted])
async def create_request(
        request: Request, principal: Annotated[Principal | None, Depends(optional_principal)],
        service_code: Annotated[str, Form(max_length=200)],
        description: Annotated[str, Form(max_length=5000), Text],
        lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
        long: Annotated[float | None, Form(ge=-180, le=180)] = None,
        address_string: Annotated[str, Form(max_length=500), Text] = "",
        address_id: Field = None,
        media_url: Field = None, api_key: Field = None, jurisdiction_id: Field = None,
        email: Field = None, phone: Field = None, first_name: Field = None,
        last_name: Field = None, device_id: Field = None, account_id: Field = None,
        citizen_id: Annotated[str | None, Form(alias="attribute[citizen_id]", max_length=40),
                              Text] = None,
        occurred_at: Annotated[str | None, Form(alias="attribute[occurred_at]", max_length=40),
                               Text] = None,
        confidential: Annotated[bool, Form(alias="attribute[confidential]")] = False,
) -> Response:
    """Submit a report (Điều 5, 6) to the city service centre, which distributes it: with a
    partner application's ``api_key`` for the citizen named by the contact fields and
    ``attribute[citizen_id]`` (Điều 5.5), or with a citizen's bearer token. The answer gives
    ``service_request_id`` once the request is readable (else a ``token`` for
    ``GET tokens/{token}``), the notice of the 8-hour reception period and the account."""
    check_jurisdiction(jurisdiction_id)
    if api_key is None and principal is None:
        raise Unauthenticated("an api_key (partner application) or a citizen's bearer token "
                              "is required")
    if api_key is None and principal is not None and principal.role != Role.CITIZEN:
        raise Forbidden(f"role {principal.role} may not submit service requests")
    services_ = catalogue(request)
    if service_code not in services_:
        raise NotFound(f"no service {service_code}")
    if (lat is None) != (long is None):
        raise BadRequest("Điều 6.1", "lat and long go together: give both or neither")
    if lat is None and not address_string.strip():
        raise BadRequest("Điều 6.1", "the place is required: lat and long, or address_string"
                         " (address_id is not supported), or both")
    runtime = request.app.state.runtime
    app: IHanoi = runtime.app
    with consistency.connection(request) as conn:
        centres = unit_directory.of_level(conn, "service_centre")
    if not centres:
        raise NotFound("no city service centre is configured to receive requests")
    kind, category, _, _ = services_[service_code]
    content: dict[str, Any] = {
        "kind": kind, "category": category, "text": description, "latitude": lat,
        "longitude": long, "address": address_string,
        "receiving_unit_id": centres[0]["unit_id"], "occurred_at": _occurred(occurred_at),
        "media": [media_url] if media_url else [], "confidential": confidential}
    if api_key is not None:
        if not (citizen_id or "").strip():
            raise BadRequest("Điều 5.5", "attribute[citizen_id]: the citizen ID number (căn "
                             "cước công dân) is required to register or match the reporter")
        partner_id, key_hash = _key_hash(api_key)
        name = " ".join(p.strip() for p in (last_name, first_name) if p and p.strip())
        command: SubmitReport | SubmitPartnerReport = SubmitPartnerReport(
            partner_id, key_hash, name=name, phone=phone, email=email,
            national_id=citizen_id, **content)
        try:
            result = await run_in_threadpool(app.handle, command)
        except NotFound:
            raise Forbidden("invalid api_key") from None
    else:
        assert principal is not None
        actor = await run_in_threadpool(acting_as, request, principal)
        result = await run_in_threadpool(app.handle, SubmitReport(UUID(actor.id), **content),
                                         actor)
    report_id = str(result.aggregate_id)
    written(request, result, f"/open311/v2/requests/{report_id}.json")
    readable = result.position is None or await request.app.state.read_position.wait_for(
        result.position, min(POST_READ_WAIT, request.app.state.read_wait))
    report = app.aggregates.cached(result.aggregate_id)
    account = str(getattr(report, "reporter_id", "")) or None
    answer = Open311Submitted(
        service_request_id=report_id if readable else None,
        token=None if readable else report_id,
        service_notice="Phản ánh sẽ được tiếp nhận trong 08 giờ làm việc",
        account_id=account)
    return open311_format.render(request, "service_requests",
                                 [answer.model_dump(mode="json")], 201)


def _media_url(reference: Any, base: str) -> str | None:
    """A media reference as a URL: an uploaded attachment's id is its public copy (without
    EXIF, ``/public/attachments/{id}``); an http(s) URL stays; a bare file name has none."""
    text = str(reference)
    if text.startswith(("https://", "http://")):
        return text
    try:
        return f"{base}/public/attachments/{UUID(text)}"
    except ValueError:
        return None


def _request_row(row: dict[str, Any], units: dict[Any, str], services: dict[str, Service],
                 base: str = "") -> Open311Request:
    published = row["status"] == "published"
    code = f"{row['kind']}.{row['category']}"
    unit = row["handling_unit_id"] or row["receiving_unit_id"]
    media = [url for url in (_media_url(m, base) for m in row.get("media") or ()) if url]
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
        media_url=media[0] if media and published and not row.get("confidential") else None,
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


def _ids(value: str) -> list[UUID]:
    try:
        return [UUID(v.strip()) for v in value.split(",") if v.strip()]
    except ValueError:
        raise BadRequest("Open311 GeoReport v2", f"service_request_id: {value!r} is not a "
                         "comma-separated list of service request ids") from None


def _find(request: Request, services: dict[str, Service], service_request_id: str | None,
          service_code: str | None, start_date: datetime | None, end_date: datetime | None,
          status: str | None) -> list[Open311Request]:
    if service_request_id:
        filters: dict[str, Any] = {"report_ids": _ids(service_request_id)}
        closed = None
    else:
        codes = [c.strip() for c in (service_code or "").split(",") if c.strip()]
        unknown = [c for c in codes if c not in services]
        if unknown:
            raise NotFound(f"no service {', '.join(unknown)}")
        end = end_date or request.app.state.runtime.app.now()
        start = start_date or _shifted(end, -DEFAULT_WINDOW)
        if start is not None and start_date is not None and end_date is not None:
            if start > end:
                raise BadRequest("Open311 GeoReport v2", "start_date is after end_date")
            if end - start > DEFAULT_WINDOW:
                raise BadRequest("Open311 GeoReport v2", "start_date to end_date may not span "
                                 "more than 90 days")
        statuses = set((status or "open,closed").split(","))
        filters = {"submitted_from": start,
                   "submitted_to": _shifted(end, timedelta(microseconds=1)),
                   "services": codes or None}
        closed = None if len(statuses) == 2 else "closed" in statuses
    with consistency.connection(request) as conn:
        rows = _summaries(conn, closed, filters)
        units = unit_directory.names(
            conn, (r["handling_unit_id"] or r["receiving_unit_id"] for r in rows))
    base = str(request.base_url).rstrip("/")
    return [_request_row(r, units, services, base) for r in rows]


@both_formats("/requests", "service_requests", response_model=list[Open311Request],
              dependencies=[ReadAtLeast])
async def list_requests(
        request: Request,
        service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
        service_code: Annotated[str | None, Query(max_length=2000)] = None,
        start_date: AwareDatetime | None = None,
        end_date: AwareDatetime | None = None,
        status: Annotated[str | None, Query(pattern="^(open|closed)(,(open|closed))*$")] = None,
) -> list[Open311Request]:
    """Service requests (default: those of the 90 days up to ``end_date``), newest first, at
    most 1000; ``service_request_id`` (comma-separated) overrides every other filter;
    ``service_code`` and ``status`` take comma-separated lists."""
    return await run_in_threadpool(_find, request, catalogue(request), service_request_id,
                                   service_code, start_date, end_date, status)


async def _readable(request: Request, report_id: UUID) -> list[Open311Request]:
    """The request, once the read models show it: a miss waits (bounded) for them to reach
    the store's head, so a GET right after the POST answers without X-Min-Position."""
    services = catalogue(request)
    found = await run_in_threadpool(_find, request, services, str(report_id), None, None,
                                    None, None)
    if found:
        return found
    app: IHanoi = request.app.state.runtime.app
    written_ = await run_in_threadpool(app.aggregates.read, report_id)
    head = (await run_in_threadpool(app.recorder.max_notification_id)
            if report_id in written_ else None)
    if head and await request.app.state.read_position.wait_for(head,
                                                               request.app.state.read_wait):
        found = await run_in_threadpool(_find, request, services, str(report_id), None, None,
                                        None, None)
    if not found:
        raise NotFound(f"no service request {report_id}")
    return found


def _report_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no service request {value}") from None


@both_formats("/requests/{service_request_id}", "service_requests",
              response_model=list[Open311Request], dependencies=[ReadAtLeast])
async def get_request(service_request_id: str, request: Request) -> list[Open311Request]:
    """One service request (GeoReport answers with a list of one)."""
    return await _readable(request, _report_id(service_request_id))


@both_formats("/tokens/{token}", "service_requests", response_model=list[Open311Token],
              dependencies=[ReadAtLeast])
async def token(token: str, request: Request) -> list[Open311Token]:
    """The service request a POST's ``token`` stands for, once it is readable (404 before)."""
    [found] = await _readable(request, _report_id(token))
    return [Open311Token(service_request_id=found.service_request_id, token=token)]
