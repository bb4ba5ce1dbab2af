"""Query endpoints: one read-model query each, scoped to what the caller may see.

``as_of=<instant>`` answers from the events recorded up to that instant (the read model is
built into a schema of its own the first time, then reused).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from pydantic_core import to_json

from api import consistency
from api.access import (
    INSPECTORATE_KIND,
    check_works_on_reports,
    identity_shown,
    is_city_wide,
    is_inspectorate,
    may_see,
    may_see_alert,
    redact,
    report_units,
)
from api.auth import Caller, CheckedInThread, MaybeCaller, Principal, requires
from api.consistency import etag
from api.errors import Forbidden
from api.read_cache import cacheable
from api.responses import (
    Alert,
    AuditEntry,
    Category,
    CitizenReport,
    DuplicateCandidates,
    LatenessExplained,
    MatterReport,
    OverdueStage,
    Page,
    PartnerApplicationRow,
    Policy,
    PublicResult,
    PublicTimeline,
    PublishedStatistics,
    RepeatDissatisfactionExplained,
    ReportDetail,
    ReporterLock,
    ReportStatus,
    SilentUnit,
    StatisticsExplained,
    UnitInTree,
    UnitLateness,
    UnitOfficer,
    UnitRepeatDissatisfaction,
    UnitStatistics,
    UnitWithChildren,
    WorkItem,
)
from application.services import NotFound
from domain.actors import Role, UnitLevel
from domain.errors import NotPermitted
from domain.policy import ARTICLE_OF_SCOPE, Kind
from domain.report import Status
from domain.statistics import MonthlyStatistics
from projections import (
    alerts,
    audit_trail,
    citizen_reports,
    duplicate_candidates,
    event_chain,
    matters,
    monthly_statistics,
    overdue,
    partner_applications,
    public_results,
    repeat_dissatisfaction,
    report_status,
    report_timeline,
    reporter_locks,
    unit_directory,
    unit_monthly_lateness,
    work_queues,
)
from projections.deployment import Deployment
from projections.engine import FutureInstant, set_search_path
from projections.paging import decode_keys, encode_keys

router = APIRouter(route_class=CheckedInThread)
AsOf = Annotated[AwareDatetime | None, Query(description="answer as of this past instant")]
Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200)]
SearchText = Annotated[str | None, Query(min_length=1, max_length=200,
                                         description="words to search for (issue 13.3)")]
Month = Annotated[str, Query(pattern=r"^2\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
Staff = Depends(requires(Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD,
                         Role.INSPECTOR))
#: Staff, and the city inspectorate for waste-behaviour reports (Điều 24).
Readers = Depends(requires(Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD,
                           Role.INSPECTOR, Role.CITY_INSPECTOR))


def _check_past(runtime: Deployment, as_of: datetime) -> None:
    """``as_of`` names a past instant: a future one would be built, kept and reused stale
    (``Projector.as_of`` refuses it too; here "now" itself is refused as well)."""
    now = runtime.app.now()
    try:
        past = as_of.astimezone(UTC) < now
    except OverflowError:
        past = False
    if not past:
        raise FutureInstant(as_of, now)


#: Who reads the public figures without being staff reads them as published.
PUBLISHED_FIGURES = "Điều 18.4 / seed 000 Điều 2.2.c: the public reads published figures"


def _published_month_ends(request: Request, as_of: datetime) -> set[datetime]:
    """The instants the public may ask ``as_of`` at near ``as_of``: for each month published
    (``MonthlyStatisticsPublished``) of the month of ``as_of`` or the one before, its freeze
    instant (the figures' ``as_of``, else its publication) and the end of that month (the
    1st of the next at 00:00, business time)."""
    app = request.app.state.runtime.app
    zone = ZoneInfo(app.policy().calendar.timezone)
    local = as_of.astimezone(zone)
    this = date(local.year, local.month, 1)
    months = [this] if this == date.min else [(this - timedelta(days=1)).replace(day=1), this]
    instants: set[datetime] = set()
    for month in months:
        try:
            published = app.load(MonthlyStatistics.create_id(month.strftime("%Y-%m")),
                                 MonthlyStatistics, to_change=False)
        except NotFound:
            continue
        frozen = {datetime.fromisoformat(f["as_of"]) for f in published.figures
                  if f.get("as_of")}
        instants |= frozen or {published.published_at}
        following = (month + timedelta(days=32)).replace(day=1)
        instants.add(datetime.combine(following, time(0), tzinfo=zone))
    return instants


def check_public_as_of(request: Request, caller: Principal | None, as_of: datetime | None) -> None:
    """Issue 16: anonymous callers and citizens get ``as_of`` only at a published month end
    (:func:`_published_month_ends`); officers, inspectors and administrators at any past
    instant. Each other instant is a replay of the history: the public reads what was
    published (Điều 18.4; seed 000 Điều 2.2.c)."""
    if as_of is None or (caller is not None and caller.in_directory):
        return
    _check_past(request.app.state.runtime, as_of)
    if as_of not in _published_month_ends(request, as_of):
        raise NotPermitted(PUBLISHED_FIGURES, "without a staff token, as_of may only be a "
                           "published month end: the freeze instant of a month whose "
                           "statistics are published (/public/statistics/published), or "
                           "the end of that month")


def anonymous_and_live(request: Request, caller: Principal | None, as_of: datetime | None
                       ) -> bool:
    """:func:`check_public_as_of`, then whether the answer is the live one read without a
    token: the only kind a public endpoint lets the read cache keep (:func:`cacheable`)."""
    check_public_as_of(request, caller, as_of)
    return caller is None and as_of is None


@contextmanager
def reading(request: Request, as_of: datetime | None = None, *models: str
            ) -> Iterator[psycopg.Connection[Any]]:
    """A read connection on the live read models, or on ``models`` as of an instant."""
    runtime: Deployment = request.app.state.runtime
    if as_of is None:
        with consistency.connection(request) as conn:
            yield conn
        return
    _check_past(runtime, as_of)
    # Builds are bounded and shared by instant (projections.checkpoints.build_as_of).
    schema = runtime.projector.as_of(as_of, list(models))
    # on the primary, where the projector has just built the copies as of the instant
    with request.app.state.reads.primary.connection() as conn, conn.transaction(), \
            conn.cursor() as cur:
        set_search_path(cur, schema, runtime.schema)
        yield conn


def _month(value: str) -> date:
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def _now(request: Request, as_of: datetime | None) -> datetime:
    return as_of or request.app.state.runtime.app.now()


def _scoped_unit(request: Request, p: Principal, unit_id: UUID | None) -> UUID | None:
    """City-wide roles may name any unit (or none: all); officers only their own unit."""
    if is_city_wide(p):
        return unit_id
    if unit_id is not None and unit_id != p.unit_id:
        raise NotFound(f"no unit {unit_id}")
    return p.unit_id


def _json(payload: Any) -> Response:
    """``payload`` as JSON bytes from pydantic-core, the serializer FastAPI applies to the
    declared ``response_model`` (so the same bytes), without validating our own rows again
    nor a second trip through the threadpool to do so: the rows' shape is the model's
    (:mod:`api.responses`), held to it by the tests rather than on every request."""
    return Response(to_json(payload), media_type="application/json")


def _page(rows: list[dict[str, Any]], cursor: str | None) -> Response:
    """A :class:`Page`."""
    return _json({"items": rows, "next_cursor": cursor})


def _bad_cursor(error: ValueError) -> HTTPException:
    return HTTPException(status_code=422, detail=str(error))


def _paged(rows: list[dict[str, Any]], cursor: str | None, limit: int, order: str,
           *key: str) -> Response:
    """A :class:`Page` of a list computed whole (:func:`page_of`)."""
    try:
        return _page(*page_of(rows, cursor, limit, order, *key))
    except ValueError as error:
        raise _bad_cursor(error) from None


def page_of(rows: list[dict[str, Any]], cursor: str | None, limit: int, order: str,
            *key: str) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a list computed whole (bounded: one row per unit, alert, report of a matter
    or category) and the next page's cursor: the rows after the one whose ``key`` columns the
    cursor holds. ``ValueError`` for a cursor of another list."""
    def position(row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(row[k]) for k in key)

    if cursor:
        after = decode_keys(cursor, order, len(key))
        positions = [position(row) for row in rows]
        rows = rows[positions.index(after) + 1:] if after in positions else []
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_keys(order, *position(rows[-1])) if more else None


def _text(value: str | None) -> str | None:
    """A closed-set query value (an enum) as the text the read models store."""
    return None if value is None else str(value)


def _check_category(request: Request, category: str | None, kind: str | None) -> None:
    """A ``category`` filter names a category of the policy's catalogue (of ``kind`` if
    given): an unknown one is a 422, not an empty answer."""
    if category is not None and not request.app.state.runtime.app.policy().is_category(
            category, kind):
        of = f" of {kind} reports" if kind else ""
        raise RequestValidationError([{
            "loc": ("query", "category"), "type": "value_error", "input": category,
            "msg": f"unknown category{of}: see /public/categories"}])


# ----------------------------------------------------------------- public (no login)

@router.get("/public/results", response_model=Page[PublicResult], tags=["public"])
def list_public_results(
        request: Request, kind: Kind | None = None,
        category: Annotated[str | None, Query(max_length=100)] = None,
        unit_id: UUID | None = None, published_from: AwareDatetime | None = None,
        published_to: AwareDatetime | None = None, cursor: Cursor = None, limit: Limit = 20,
        as_of: AsOf = None, sort: Literal["-published_at", "published_at"] = "-published_at",
        caller: MaybeCaller = None, q: SearchText = None) -> Response:
    """Điều 8.3, 14.2: published results, newest first (``sort=published_at``: oldest first);
    never any personal data. ``as_of`` without a staff token: a published month end only.
    ``q``: only those whose text, place or result holds every word of ``q``, diacritics and
    case ignored ("duong lang" finds "Đường Láng"), best match first (``sort`` then does not
    apply)."""
    if anonymous_and_live(request, caller, as_of):
        cacheable(request)
    _check_category(request, category, kind)
    with reading(request, as_of, "public_results") as conn:
        try:
            rows, next_cursor = public_results.search(
                conn, kind=_text(kind), category=category, handling_unit_id=unit_id,
                published_from=published_from, published_to=published_to, cursor=cursor,
                limit=limit, sort=sort, q=q)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page(rows, next_cursor)


@router.get("/public/results/{report_id}", response_model=PublicResult, tags=["public"])
def get_public_result(report_id: UUID, request: Request) -> Response:
    """One published result."""
    cacheable(request)
    with reading(request) as conn:
        row = public_results.get(conn, report_id)
    if row is None:
        raise NotFound(f"no published result for report {report_id}")
    return _json(row)


@router.get("/public/reports/{report_id}/timeline", response_model=PublicTimeline,
            tags=["public"])
def public_timeline(report_id: UUID, request: Request) -> Response:
    """Điều 14.2: the process of any report that is not hidden (Điều 14.1) — received,
    passed on, accepted and assigned to which unit, coordination, extension, deadlines passed,
    result published, clarification, rating — with when, which unit, the due instants and
    whether they were met; no personal data, confidential or not, and no internal text."""
    cacheable(request)
    with reading(request) as conn:
        found = report_timeline.public_rows(conn, report_id)
        if found is None:
            raise NotFound(f"no public timeline of report {report_id}")
        names = unit_directory.names(conn, report_timeline.unit_ids(found))
    return _json({"report_id": report_id,
                  "steps": [report_timeline.public_step(r, names) for r in found]})


def _with_unit_names(conn: psycopg.Connection[Any], rows: list[dict[str, Any]]
                     ) -> list[dict[str, Any]]:
    names = unit_directory.names(conn, (r["unit_id"] for r in rows))
    return [{**r, "unit_name": names.get(r["unit_id"])} for r in rows]


@router.get("/public/rankings", response_model=Page[UnitLateness], tags=["public"])
def rankings(request: Request, month: Month, as_of: AsOf = None, cursor: Cursor = None,
             limit: Limit = 100, caller: MaybeCaller = None) -> Response:
    """Điều 18.4: units ranked by their share of late reports; over 30% is flagged.
    ``as_of`` without a staff token: a published month end only."""
    if anonymous_and_live(request, caller, as_of):
        with reading(request) as conn:  # before the ranking's own now: see ranking_stands
            until = unit_monthly_lateness.ranking_stands(conn, _month(month), _now(request, None))
        cacheable(request, until)
    return _paged(ranking_rows(request, month, as_of), cursor, limit, f"rankings {month}",
                  "unit_id")


def ranking_rows(request: Request, month: str, as_of: datetime | None
                 ) -> list[dict[str, Any]]:
    """The rows of ``/public/rankings`` (and of its CSV and XLSX exports)."""
    policy = request.app.state.runtime.app.policy()
    with reading(request, as_of, "unit_monthly_lateness") as conn:
        rows = unit_monthly_lateness.ranking(conn, _month(month), _now(request, as_of),
                                             policy.late_share_threshold)
        return _with_unit_names(conn, rows)


@router.get("/public/statistics", response_model=Page[UnitStatistics], tags=["public"])
def statistics(request: Request, month: Month, as_of: AsOf = None, cursor: Cursor = None,
               limit: Limit = 100, caller: MaybeCaller = None) -> Response:
    """Seed 000 Điều 2.2.c: reception and handling figures per unit for a month.
    ``as_of`` without a staff token: a published month end only."""
    if anonymous_and_live(request, caller, as_of):
        cacheable(request)
    return _paged(statistics_rows(request, month, as_of), cursor, limit,
                  f"statistics {month}", "unit_id")


def statistics_rows(request: Request, month: str, as_of: datetime | None
                    ) -> list[dict[str, Any]]:
    """The rows of ``/public/statistics`` (and of its CSV and XLSX exports)."""
    with reading(request, as_of, "monthly_statistics") as conn:
        return _with_unit_names(conn, monthly_statistics.figures(conn, _month(month)))


@router.get("/public/statistics/published", response_model=PublishedStatistics, tags=["public"])
def published_statistics(request: Request, month: Month) -> Response:
    """Seed 000 Điều 2.2.c: the figures frozen on the month's 25th, per unit, with the 30%-late
    and repeat-dissatisfaction flags and the events behind each figure; they never change
    (late events appear in the next month's). 404 until the month is published."""
    published = request.app.state.runtime.app.load(MonthlyStatistics.create_id(month),
                                                   MonthlyStatistics, to_change=False)
    return _json({"month": published.month, "published_at": published.published_at,
                  "policy_version": published.policy_version, "figures": published.figures})


@router.get("/public/repeat-dissatisfaction",
            response_model=Page[UnitRepeatDissatisfaction], tags=["public"])
def repeat_dissatisfaction_tally(request: Request, month: Month, as_of: AsOf = None,
                                 cursor: Cursor = None, limit: Limit = 100,
                                 caller: MaybeCaller = None) -> Response:
    """Điều 18.4: the units flagged in a month: each has a matter with the policy's threshold
    (5) or more "unsatisfied" ratings over its history that reached it in the month or is
    still unresolved; with the matters listed. ``as_of`` without a staff token: a published
    month end only."""
    if anonymous_and_live(request, caller, as_of):
        cacheable(request)
    return _paged(repeat_dissatisfaction_rows(request, month, as_of), cursor, limit,
                  f"repeat-dissatisfaction {month}", "unit_id")


def repeat_dissatisfaction_rows(request: Request, month: str, as_of: datetime | None
                                ) -> list[dict[str, Any]]:
    """The rows of ``/public/repeat-dissatisfaction``."""
    threshold = request.app.state.runtime.app.policy().repeat_dissatisfaction_threshold
    with reading(request, as_of, "repeat_dissatisfaction") as conn:
        return _with_unit_names(conn, repeat_dissatisfaction.tally(conn, _month(month),
                                                                   threshold))


@router.get("/public/alerts", response_model=Page[Alert], tags=["public"])
def alerts_for_area(request: Request, area_unit_id: UUID, cursor: Cursor = None,
                    limit: Limit = 100) -> Response:
    """Điều 15–17: the alerts reaching a resident of ``area_unit_id`` (a commune, district or
    the city) now — sent by that unit or any unit above it, and still valid; latest first."""
    with reading(request) as conn:
        if unit_directory.unit(conn, area_unit_id) is None:
            raise NotFound(f"no unit {area_unit_id}")
        rows = alerts.for_area(conn, area_unit_id, request.app.state.runtime.app.now())
    return _paged(rows, cursor, limit, f"alerts {area_unit_id}", "alert_id")


@router.get("/public/units/{unit_id}", response_model=UnitWithChildren, tags=["public"])
def get_unit(unit_id: UUID, request: Request) -> Response:
    """A unit of the directory and its direct children."""
    with reading(request) as conn:
        row = unit_directory.unit(conn, unit_id)
        if row is None:
            raise NotFound(f"no unit {unit_id}")
        return _json({**row, "children": unit_directory.children(conn, unit_id)})


@router.get("/public/units", response_model=Page[UnitInTree], tags=["public"])
def list_units(request: Request, level: UnitLevel | None = None, parent_id: UUID | None = None,
               include_inactive: bool = False, cursor: Cursor = None,
               limit: Limit = 100) -> Response:
    """The unit tree, so that an app can pick a receiving unit: every unit with its level,
    parent, depth (0: a root) and area of residents (``area_unit_id``), breadth first (by
    depth, then name); merged and dissolved units only with ``include_inactive``."""
    with reading(request) as conn:
        try:
            rows, next_cursor = unit_directory.tree_page(
                conn, level=_text(level), parent_id=parent_id, include_inactive=include_inactive,
                cursor=cursor, limit=limit)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page(rows, next_cursor)


@router.get("/public/categories", response_model=Page[Category], tags=["public"])
def list_categories(request: Request, kind: Kind | None = None, cursor: Cursor = None,
                    limit: Limit = 100) -> Response:
    """The catalogue of categories per kind of report in the policy in force (Điều 1.2, 3.2,
    3.7, 9, 10, 11): a report's ``category`` must be one of its kind's, else 422."""
    catalogue = request.app.state.runtime.app.policy().categories
    rows = [{"kind": k, "code": code, "name": name,
             "article": ARTICLE_OF_SCOPE.get(Kind(k), "Điều 1.2")}
            for k in Kind if kind is None or k == kind
            for code, name in sorted(catalogue.get(k, {}).items())]
    return _paged(rows, cursor, limit, "policy categories", "kind", "code")


@router.get("/public/policy", response_model=Policy, tags=["public"])
def policy(request: Request) -> Response:
    """The service-level policy in force (deadlines, calendar, thresholds)."""
    return _json(request.app.state.runtime.app.policy().to_dict())


# ----------------------------------------------------------------- staff and citizens

@router.get("/reports", response_model=Page[ReportStatus], tags=["reports"],
            dependencies=[Readers])
def list_reports(
        request: Request, caller: Caller, unit_id: UUID | None = None,
        kind: Kind | None = None, status: Status | None = None,
        category: Annotated[str | None, Query(max_length=100)] = None,
        submitted_from: AwareDatetime | None = None, submitted_to: AwareDatetime | None = None,
        area: Annotated[str | None, Query(max_length=100)] = None, cursor: Cursor = None,
        limit: Limit = 20, as_of: AsOf = None,
        sort: Literal["-submitted_at", "submitted_at", "-updated_at", "updated_at"]
        = "-submitted_at", q: SearchText = None) -> Response:
    """Reports concerning the caller's unit (city-wide for the centre and inspectors; for the
    city inspectorate, waste-behaviour reports city-wide, Điều 24), newest submitted first
    unless ``sort`` says otherwise (``-``: descending). Unknown ``kind``, ``status`` or
    ``category`` values are a 422. ``q``: only those whose text, address or result holds
    every word of ``q``, diacritics and case ignored, best match first (``sort`` then does
    not apply)."""
    _check_category(request, category, kind)
    city_wide = is_city_wide(caller) or is_inspectorate(caller)
    units = None if city_wide else {caller.unit_id}
    if is_inspectorate(caller):
        if kind not in (None, INSPECTORATE_KIND):
            return _page([], None)
        kind = INSPECTORATE_KIND
    with reading(request, as_of, "report_status") as conn:
        try:
            rows, next_cursor = report_status.search(
                conn, units=units, unit_id=unit_id, kind=_text(kind), status=_text(status),
                category=category,
                submitted_from=submitted_from, submitted_to=submitted_to, area=area,
                cursor=cursor, limit=limit, sort=sort, q=q)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page(_redacted(request, caller, rows), next_cursor)


@router.get("/partner-applications", response_model=Page[PartnerApplicationRow],
            tags=["directory"], dependencies=[Depends(requires(Role.ADMINISTRATOR))])
def partner_applications_list(request: Request, cursor: Cursor = None,
                              limit: Limit = 100) -> Response:
    """Điều 28.1: the Open311 partner applications issued a key, the newest first, and
    whether it is revoked (never the key)."""
    with reading(request) as conn:
        rows = partner_applications.every(conn)
    return _paged(rows, cursor, limit, "partner-applications", "partner_id")


@router.get("/units/{unit_id}/officers", response_model=Page[UnitOfficer],
            tags=["directory"],
            dependencies=[Depends(requires(Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER,
                                           Role.UNIT_HEAD, Role.INSPECTOR,
                                           Role.ADMINISTRATOR))])
def unit_officers(unit_id: UUID, request: Request, caller: Caller,
                  role: Annotated[Role | None, Query()] = None, cursor: Cursor = None,
                  limit: Limit = 100) -> Response:
    """Điều 8.1: the officers in office in a unit, by name, so that its head (or the head of
    a unit above it) can assign work: for the staff of that unit or of a unit above it,
    inspectors and administrators; any other unit does not exist for the caller (404)."""
    with reading(request) as conn:
        if unit_directory.unit(conn, unit_id) is None:
            raise NotFound(f"no unit {unit_id}")
        if caller.role not in (Role.INSPECTOR, Role.ADMINISTRATOR) \
                and caller.unit_id != unit_id \
                and caller.unit_id not in unit_directory.ancestors(conn, unit_id):
            raise NotFound(f"no unit {unit_id}")
        try:
            rows, next_cursor = unit_directory.officers_page(
                conn, unit_id, role=_text(role), cursor=cursor, limit=limit)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page(rows, next_cursor)


@router.get("/reports/{report_id}", response_model=ReportDetail, tags=["reports"])
def get_report(report_id: UUID, request: Request, caller: Caller) -> Response:
    """One report's full state, if the caller may see it (else 404, never a leak), with its
    whole timeline — every step, who (role, unit), when, due, on time — and what staff must
    read: the citizen's questions and the answers (Điều 13), the head's reasons for returning
    the result (Điều 12.1), the coordinating units' contributions (Điều 8.2.c), the rejection
    and escalations with their reasons and who decided (Điều 7.2). The reporter reads the
    public steps, his questions and their answers and why his report was rejected."""
    check_works_on_reports(caller)
    with reading(request) as conn:
        row = report_status.get(conn, report_id)
        if row is None or not may_see(caller, row):
            raise NotFound(f"no report {report_id}")
        steps = report_timeline.rows(conn, report_id)
        names = unit_directory.names(conn, report_timeline.unit_ids(steps))
    story = report_timeline.summary(steps)
    if caller.role == Role.CITIZEN:
        answer = _json({**_redacted(request, caller, [row])[0],
                        **_for_reporter(steps, story, names)})
    else:
        coordination = story.pop("coordination")
        answer = _json({**_redacted(request, caller, [row])[0], **story,
                        "coordinating_units": coordination,
                        "timeline": [report_timeline.staff_step(r, names) for r in steps]})
    answer.headers["ETag"] = etag(row["version"])
    return answer


def _redacted(request: Request, caller: Principal, rows: list[dict[str, Any]]
              ) -> list[dict[str, Any]]:
    """The rows as the caller may read them (``api.access.redact``), with the reporter's
    identity decrypted from the event store, in one query, for the rows whose reporter he may
    see (Điều 5.7): no read model holds it (Điều 4.4, 14.1)."""
    wanted = [r["report_id"] for r in rows if identity_shown(caller, r)]
    identities = request.app.state.runtime.app.reporters(*wanted) if wanted else {}
    return [redact(caller, r, identities.get(r["report_id"])) for r in rows]


#: The texts a reporter reads on his own report's steps: his question, its answer and the
#: files sent with it, the stated reason of a rejection (Điều 7.2.a, 13).
REPORTER_TEXTS = {"ClarificationRequested": ("question",),
                  "ClarificationAnswered": ("answer", "evidence"), "Rejected": ("note",)}


def _for_reporter(steps: list[dict[str, Any]], story: dict[str, Any],
                  names: dict[UUID, str]) -> dict[str, Any]:
    """Item 7: the reporter's view carries nothing his other views hide — no officer, no
    internal step or text, no coordination (``api.access.CITIZEN_HIDDEN``)."""
    timeline = []
    for r in steps:
        if not report_timeline.is_public(r["event_type"]):
            continue
        step = report_timeline.staff_step(r, names)
        public = report_timeline.public_step(r, names)
        keep = REPORTER_TEXTS.get(r["event_type"], ())
        timeline.append({**step, "actor_id": None, "closed": public["closed"],
                         "opened": public["opened"], "details": public["details"],
                         "texts": {k: v for k, v in r["texts"].items() if k in keep}})

    def anonymous(by: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if by is None else {**by, "actor_id": None}

    rejection = story["rejection"]
    return {
        "timeline": timeline,
        "clarifications": [{**c, "answered": anonymous(c["answered"])}
                           for c in story["clarifications"]],
        "returns": [], "coordinating_units": [],
        "rejection": None if rejection is None else {**rejection,
                                                     "by": anonymous(rejection["by"])},
        "escalations": [{**e, "why": None, "by": anonymous(e["by"])}
                        for e in story["escalations"]]}


@router.get("/reports/{report_id}/matter", response_model=Page[MatterReport],
            tags=["matters"])
def matter_timeline(report_id: UUID, request: Request, caller: Caller, cursor: Cursor = None,
                    limit: Limit = 100) -> Response:
    """Điều 18.4: the matter the report belongs to — its reports oldest first, with their
    published results and ratings — for staff who may see the report and for its reporter.
    The reporter sees his own reports of the matter and the others' only where their result is
    public (published, not hidden: Điều 14.1); an unpublished result is never shown to him."""
    check_works_on_reports(caller)
    with reading(request) as conn:
        row = report_status.get(conn, report_id)
        if row is None or not may_see(caller, row):
            raise NotFound(f"no report {report_id}")
        timeline = matters.timeline_of_report(conn, report_id)
        if is_inspectorate(caller):  # Điều 24: the waste-behaviour reports of the matter
            timeline = [r for r in timeline if may_see(caller, report_status.get(
                conn, r["report_id"]) or {})]
        elif caller.role == Role.CITIZEN:
            timeline = [r for r in timeline if _public_or_own(caller, report_status.get(
                conn, r["report_id"]))]
    return _paged(timeline, cursor, limit, f"matter of {report_id}", "report_id")


def _public_or_own(citizen: Principal, row: dict[str, Any] | None) -> bool:
    """A report of a matter a citizen may know of: his own, or one whose result is public."""
    return row is not None and (str(row["reporter_id"]) == citizen.subject
                                or (row["status"] == "published" and not row["hidden"]))


@router.get("/reports/{report_id}/duplicate-candidates",
            response_model=DuplicateCandidates, tags=["matters"],
            dependencies=[Staff])
def duplicate_candidates_of(
        report_id: UUID, request: Request, caller: Caller,
        radius_m: Annotated[float, Query(gt=0, le=5000)] = duplicate_candidates.DEFAULT_RADIUS_M,
        days: Annotated[int, Query(ge=0, le=365)] = duplicate_candidates.DEFAULT_DAYS
) -> Response:
    """Điều 6.2.c: open reports of the same category from other reporters within ``radius_m``
    metres and ``days`` days of the report, nearest first, as possible duplicates. The service
    centre and inspectors see every candidate; other staff the candidates concerning their
    unit, and only the number of those concerning other units (``in_other_units``: worth
    raising with the service centre, which sees them)."""
    with reading(request) as conn:
        row = report_status.get(conn, report_id)
        if row is None or not may_see(caller, row):
            raise NotFound(f"no report {report_id}")
        found = duplicate_candidates.candidates(conn, report_id, radius_m, days)
        if is_city_wide(caller):
            return _json({"candidates": found, "in_other_units": 0})
        shown = [c for c in found if caller.unit_id in report_units(
            report_status.get(conn, c["report_id"]) or {})]
    return _json({"candidates": shown, "in_other_units": len(found) - len(shown)})


@router.get("/reporters/{reporter_id}/lock", response_model=ReporterLock, tags=["citizens"],
            dependencies=[Depends(requires(Role.CITIZEN, Role.INSPECTOR, Role.ADMINISTRATOR))])
def reporter_lock(reporter_id: UUID, request: Request, caller: Caller) -> Response:
    """Điều 27.2–3: a reporter's streak of consecutive violations and his lock (30 days after
    more than 3), for the reporter himself, inspectors and administrators; another citizen's
    account does not exist for a citizen (404)."""
    if caller.role == Role.CITIZEN and caller.subject != str(reporter_id):
        raise NotFound(f"no reporter {reporter_id}")
    with reading(request) as conn:
        row = reporter_locks.lock(conn, reporter_id)
    if row is None:
        raise NotFound(f"no reporter {reporter_id}")
    locked = row["locked_until"] is not None and row["lifted_at"] is None \
        and request.app.state.runtime.app.now() < row["locked_until"]
    return _json({**row, "locked": locked})


@router.get("/me/reports", response_model=Page[CitizenReport], tags=["citizens"],
            dependencies=[Depends(requires(Role.CITIZEN))])
def my_reports(request: Request, caller: Caller, cursor: Cursor = None,
               limit: Limit = 20) -> Response:
    """The caller's own reports and their status."""
    with reading(request) as conn:
        try:
            rows, next_cursor = citizen_reports.of_reporter(conn, UUID(caller.subject),
                                                            cursor=cursor, limit=limit)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page(rows, next_cursor)


@router.get("/overdue", response_model=Page[OverdueStage], tags=["reports"], dependencies=[Staff])
def list_overdue(request: Request, caller: Caller, unit_id: UUID | None = None,
                 cursor: Cursor = None,
                 limit: Annotated[int, Query(ge=1, le=overdue.MAX_PAGE)] = 100,
                 as_of: AsOf = None) -> Response:
    """Điều 7.2.d, 8.5: open stages past their due instant, most late first, with how late
    in working hours (``late``); a page of ``limit`` and the cursor of the next."""
    unit = _scoped_unit(request, caller, unit_id)
    calendar = request.app.state.runtime.app.policy().calendar
    with reading(request, as_of, "overdue") as conn:
        try:
            rows, next_cursor = overdue.overdue_page(conn, _now(request, as_of), calendar, unit,
                                                     cursor, limit)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page([{**r, "late": r["late"].total_seconds() / 3600} for r in rows], next_cursor)


@router.get("/work-queue", response_model=Page[WorkItem], tags=["reports"],
            dependencies=[Depends(requires(Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER,
                                           Role.UNIT_HEAD))])
def work_queue(request: Request, caller: Caller, unit_id: UUID | None = None,
               mine: bool = False, cursor: Cursor = None,
               limit: Annotated[int, Query(ge=1, le=200)] = work_queues.QUEUE_PAGE
               ) -> Response:
    """What awaits the caller's unit (or, with ``mine``, the caller), soonest due first; a
    page of ``limit`` and the cursor of the next."""
    unit = _scoped_unit(request, caller, unit_id) or caller.unit_id
    if unit is None:
        raise NotFound("name a unit")
    with reading(request) as conn:
        try:
            rows, next_cursor = work_queues.queue_page(
                conn, unit, caller.subject if mine else None, cursor=cursor, limit=limit)
        except ValueError as error:
            raise _bad_cursor(error) from None
        return _page(_with_action_texts(conn, rows), next_cursor)


def _with_action_texts(conn: psycopg.Connection[Any], items: list[dict[str, Any]]
                       ) -> list[dict[str, Any]]:
    """Issue 11: each work item with what its holder must read — the open question on a
    clarification (Điều 13), the last reason for a return on a rework (Điều 12.1), and the
    coordinating units with their contributions (Điều 8.2.c)."""
    texts = report_timeline.action_texts(conn, [i["report_id"] for i in items])
    out = []
    for item in items:
        story = texts.get(item["report_id"])
        question = return_reason = None
        coordination: list[dict[str, Any]] = []
        if story is not None:
            open_questions = [c for c in story["clarifications"] if c["answered"] is None]
            if item["item"] == "clarification" and open_questions:
                question = open_questions[-1]["question"]
            if item["item"] == "rework" and story["returns"]:
                return_reason = story["returns"][-1]["reason"]
            coordination = story["coordination"]
        out.append({**item, "question": question, "return_reason": return_reason,
                    "coordinating_units": coordination})
    return out


Auditor = Depends(requires(Role.INSPECTOR, Role.UNIT_HEAD, Role.RECEIVING_OFFICER,
                           Role.CITY_INSPECTOR))


def _audit_scope(caller: Principal, request: Request, unit_id: UUID | None
                 ) -> tuple[UUID | None, str | None]:
    """The unit and report kind the caller's trail is limited to: the city inspectorate reads
    the trail of waste-behaviour reports, city-wide (Điều 24)."""
    if is_inspectorate(caller):
        return unit_id, INSPECTORATE_KIND
    return _scoped_unit(request, caller, unit_id), None


def _without_citizens(row: dict[str, Any]) -> dict[str, Any]:
    """Điều 5.7, 14.1: the trail names officers, never a citizen — not even by account id
    (his identity is shown, where allowed, with the report itself)."""
    return {**row,
            "actor_id": None if row["actor_role"] == Role.CITIZEN else row["actor_id"],
            "aggregate_id": None if row["aggregate_type"] == "Reporter" else row["aggregate_id"]}


def _lines(blocks: Iterable[bytes]) -> Iterator[str]:
    """The text lines of a byte stream, each with its newline (as ``csv.reader`` needs)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    for block in blocks:
        pending += decoder.decode(block)
        *complete, pending = pending.split("\n")
        yield from (line + "\n" for line in complete)
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _csv_without_citizens(blocks: Iterable[bytes], flush_at: int = 1 << 16
                          ) -> Iterator[bytes]:
    """The CSV export with :func:`_without_citizens` applied row by row, still streamed."""
    reader = csv.reader(_lines(blocks))
    header = next(reader, None)
    if header is None:
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for values in reader:
        writer.writerow(_without_citizens(dict(zip(header, values, strict=True))).values())
        if out.tell() >= flush_at:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def _whole_report(request: Request, caller: Principal, report_id: UUID | None,
                  unit_id: UUID | None, unit: UUID | None) -> UUID | None:
    """Issue 11: an audit query of a report the caller may see shows it whole, every unit's
    steps (no unit limit); a report he may not see does not exist for him (404). Otherwise
    the query keeps ``unit``, its unit limit."""
    if report_id is None or unit_id is not None or unit is None:
        return unit
    with reading(request) as conn:
        row = report_status.get(conn, report_id)
    if row is None or not may_see(caller, row):
        raise NotFound(f"no report {report_id}")
    return None


@router.get("/audit", response_model=Page[AuditEntry], tags=["audit"], dependencies=[Auditor])
def audit(request: Request, caller: Caller, report_id: UUID | None = None,
          unit_id: UUID | None = None, since: AwareDatetime | None = None,
          until: AwareDatetime | None = None, cursor: Cursor = None,
          limit: Annotated[int, Query(ge=1, le=audit_trail.MAX_PAGE)] = 1000) -> Response:
    """Điều 22: who did what to which report, when, in which unit, on time or not (for the
    city inspectorate: of waste-behaviour reports only, Điều 24). With
    ``report_id`` (and no ``unit_id``), the whole history of a report the caller may see —
    every unit's steps, not only his own unit's (else 404). In event order, a page of
    ``limit`` and the cursor of the next."""
    unit, kind = _audit_scope(caller, request, unit_id)
    unit = _whole_report(request, caller, report_id, unit_id, unit)
    with reading(request) as conn:
        try:
            rows, next_cursor = audit_trail.rows_page(
                conn, report_id=report_id, unit_id=unit, since=since, until=until,
                kind=kind, cursor=cursor, limit=limit)
        except ValueError as error:
            raise _bad_cursor(error) from None
    return _page([_without_citizens(row) for row in rows], next_cursor)


@router.get("/audit.csv", tags=["audit"], dependencies=[Auditor],
            response_class=StreamingResponse, responses={200: {
                "description": "The audit trail, one event a line, with a header",
                "content": {"text/csv": {"schema": {"type": "string"}}}}})
def audit_csv(request: Request, caller: Caller, report_id: UUID | None = None,
              unit_id: UUID | None = None, since: AwareDatetime | None = None,
              until: AwareDatetime | None = None) -> StreamingResponse:
    """The audit trail as CSV, in event order, streamed; scoped as ``/audit``."""
    unit, kind = _audit_scope(caller, request, unit_id)
    unit = _whole_report(request, caller, report_id, unit_id, unit)

    def stream() -> Iterator[bytes]:
        with reading(request) as conn:
            yield from _csv_without_citizens(audit_trail.export_csv(
                conn, report_id=report_id, unit_id=unit, since=since, until=until, kind=kind))

    return StreamingResponse(stream(), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="audit-trail.csv"'})


@router.get("/audit/chain.csv", tags=["audit"], dependencies=[Depends(requires(Role.INSPECTOR))],
            response_class=StreamingResponse, responses={200: {
                "description": "The event store's hash chain, one event a line, with a header",
                "content": {"text/csv": {"schema": {"type": "string"}}}}})
def audit_chain_csv(request: Request) -> StreamingResponse:
    """Điều 22: the whole hash chain of the event store (notification id, the event's digest,
    the chain's hash before and after it), for Home Affairs inspectors to verify offline with
    ``scripts/verify_audit_export.py`` against the daily heads they kept."""

    def stream() -> Iterator[bytes]:
        with reading(request) as conn:
            yield from event_chain.export_csv(conn)

    return StreamingResponse(stream(), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="event-chain.csv"'})


@router.get("/explain/lateness", response_model=LatenessExplained,
            tags=["audit"], dependencies=[Staff])
def explain_lateness(
        request: Request, caller: Caller, unit_id: UUID, month: Month,
        figure: Literal["received", "late_in_reception", "late_in_handling", "reports_late"],
        as_of: AsOf = None) -> Response:
    """The reports and event ids behind one figure of the monthly lateness ranking."""
    unit = _scoped_unit(request, caller, unit_id)
    with reading(request, as_of, "unit_monthly_lateness") as conn:
        return _json(unit_monthly_lateness.explain(conn, unit, _month(month), figure,
                                                   _now(request, as_of)))


@router.get("/explain/statistics", response_model=StatisticsExplained,
            tags=["audit"], dependencies=[Staff])
def explain_statistics(
        request: Request, caller: Caller, unit_id: UUID, month: Month,
        metric: Annotated[str, Query(pattern=f"^({'|'.join(monthly_statistics.METRICS)})$")],
        as_of: AsOf = None) -> Response:
    """The reports and event ids behind one figure of the monthly statistics."""
    unit = _scoped_unit(request, caller, unit_id)
    with reading(request, as_of, "monthly_statistics") as conn:
        return _json(monthly_statistics.explain(conn, unit, _month(month), metric))



@router.get("/explain/repeat-dissatisfaction",
            response_model=RepeatDissatisfactionExplained, tags=["audit"],
            dependencies=[Staff])
def explain_repeat_dissatisfaction(request: Request, caller: Caller, unit_id: UUID,
                                   month: Month, as_of: AsOf = None) -> Response:
    """Seed 001 7.a: the matters, ratings and events behind a unit's repeat-dissatisfaction
    flag in a month."""
    unit = _scoped_unit(request, caller, unit_id)
    threshold = request.app.state.runtime.app.policy().repeat_dissatisfaction_threshold
    with reading(request, as_of, "repeat_dissatisfaction") as conn:
        return _json(repeat_dissatisfaction.explain(conn, unit, _month(month), threshold))


# ----------------------------------------------------------------- alerts (Chương III)

@router.get("/alerts/cadence", response_model=Page[SilentUnit],
            tags=["alerts"], dependencies=[Staff])
def alert_cadence(request: Request, caller: Caller, cursor: Cursor = None,
                  limit: Limit = 100) -> Response:
    """Seed 001 1.d, seed 003 1: the department, district and commune units that have sent no
    alert in the policy's last 3 days, longest silent first — city-wide for the service centre and
    inspectors; for a unit head, his unit and the units below it."""
    app = request.app.state.runtime.app
    city_wide = is_city_wide(caller)
    if not city_wide and caller.role != Role.UNIT_HEAD:
        raise Forbidden("the alert cadence is followed by the service centre, inspectors and "
                        "unit heads")
    with reading(request) as conn:
        rows = alerts.cadence(conn, app.now(), app.policy().alert_cadence_days)
        if not city_wide:
            own = {caller.unit_id} | {u["unit_id"] for u in unit_directory.descendants(
                conn, caller.unit_id)}
            rows = [r for r in rows if r["unit_id"] in own]
        rows = _with_unit_names(conn, rows)
    return _paged(rows, cursor, limit, "alert cadence", "unit_id")


@router.get("/alerts/{alert_id}", response_model=Alert, tags=["alerts"], dependencies=[Staff])
def get_alert(alert_id: UUID, request: Request, caller: Caller) -> Response:
    """One alert, whatever its status, for its unit's staff and inspectors (else 404)."""
    with reading(request) as conn:
        row = alerts.alert(conn, alert_id)
    if row is None or not may_see_alert(caller, row["unit_id"]):
        raise NotFound(f"no alert {alert_id}")
    return _json(row)
