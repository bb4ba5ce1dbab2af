"""RFC 9457 problem details for every error, naming the rule broken (e.g. "Điều 12.2")."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import open311_format
from api.consistency import NotYetRead, retry_after
from api.schemas import Problem
from application.services import ConflictError, IdempotencyKeyReused, NotFound
from domain.errors import (
    DomainError,
    InvalidInput,
    InvalidState,
    NotPermitted,
    OutOfScope,
    ReporterLocked,
)

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://ihanoi.hanoi.gov.vn/problems/"
log = logging.getLogger("ihanoi.api")
_DESCRIPTIONS = {400: "The body cannot be parsed", 401: "No valid bearer token",
                 403: "The role may not do this",
                 404: "No such resource, or not visible to the caller",
                 409: "Not possible at this step, or changed by someone else",
                 412: "If-Match names another version than the current one (RFC 9110 "
                      "§13.1.1)",
                 413: "Larger than the policy allows, or a body over IHANOI_MAX_BODY_BYTES",
                 415: "A content type that is not accepted",
                 422: "Invalid request, or a rule of the regulation broken",
                 429: "Too many requests from this address; retry after Retry-After "
                      "seconds",
                 503: "The read models have not reached the asked store position in time, "
                      "or the database does not answer; retry after Retry-After seconds"}
#: Seconds a client is told to wait before retrying while the database does not answer.
DATABASE_RETRY_AFTER = 5
#: What the drivers raise when the database cannot be reached or does not answer in time
#: (``psycopg_pool.PoolTimeout`` is an ``OperationalError``; eventsourcing wraps psycopg's).
UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError, psycopg.InterfaceError, StoreOperationalError,
    StoreInterfaceError)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the problem+json answers with these statuses."""
    schema = Problem.model_json_schema()
    return {status: {"description": _DESCRIPTIONS[status],
                     "content": {PROBLEM: {"schema": schema}}} for status in statuses}


def open311_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of GeoReport v2's errors (a list of ``{code, description}``)."""
    from api.responses import Open311Error
    described = {**_DESCRIPTIONS, 400: "A required field is missing or invalid",
                 403: "No valid api_key or citizen's bearer token"}
    return {status: {"description": described[status], "model": list[Open311Error]}
            for status in statuses}


class Unauthenticated(Exception):
    """No valid bearer token where one is needed."""


class Forbidden(Exception):
    """Authenticated, but the role may not use this endpoint at all."""


class PreconditionFailed(Exception):
    """RFC 9110 §13.1.1: ``If-Match`` names no current version of the resource."""

    rule = "RFC 9110 §13.1.1"


def problem(status: int, slug: str, title: str, detail: str, request: Request,
            **extra: Any) -> Response:
    if open311_format.is_open311(request):
        # GeoReport v2's own form: a list of {code, description}, JSON or XML (not RFC 9457).
        rule = f" ({extra['rule']})" if extra.get("rule") else ""
        descriptions = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
                        for e in extra.get("errors", ())] or [detail + rule]
        answer = open311_format.error(request, status, descriptions)
        for name in ("Retry-After",):
            if name in extra:
                answer.headers[name] = str(extra[name])
        return answer
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def internal(request: Request) -> Response:
    """The answer to an unexpected failure: no stack trace, no message, only that it is logged."""
    return problem(500, "internal", "Internal error",
                   "an unexpected error occurred; it has been logged", request)


def _domain_status(error: DomainError) -> tuple[int, str, str]:
    if isinstance(error, ReporterLocked):
        return 403, "reporter-locked", "Account locked"
    if isinstance(error, NotPermitted):
        return 403, "not-permitted", "Not permitted"
    if isinstance(error, InvalidState):
        return 409, "invalid-state", "Not possible at this step"
    if isinstance(error, OutOfScope):
        return 422, "out-of-scope", "Out of scope"
    if isinstance(error, InvalidInput):
        return 422, "invalid-input", "Invalid content"
    return 422, "rule-broken", "Rule broken"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into problem+json, never a stack trace."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        status, slug, title = _domain_status(error)
        extra: dict[str, Any] = {"rule": error.rule}
        if isinstance(error, ReporterLocked):
            extra["locked_until"] = error.locked_until.isoformat()
        return problem(status, slug, title, error.detail, request, **extra)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return problem(404, "not-found", "Not found", str(error), request)

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, error: ConflictError) -> Response:
        return problem(409, "conflict", "Changed by someone else", str(error), request)

    @app.exception_handler(PreconditionFailed)
    async def precondition_failed(request: Request, error: PreconditionFailed) -> Response:
        return problem(412, "precondition-failed", "Precondition failed", str(error), request,
                       rule=error.rule)

    @app.exception_handler(NotYetRead)
    async def not_yet_read(request: Request, error: NotYetRead) -> Response:
        answer = problem(503, "read-models-behind", "Read models not yet at this position",
                         str(error), request, min_position=error.wanted,
                         read_position=error.reached)
        answer.headers["Retry-After"] = retry_after()
        return answer

    @app.exception_handler(IdempotencyKeyReused)
    async def key_reused(request: Request, error: IdempotencyKeyReused) -> Response:
        """IETF httpapi Idempotency-Key draft, "Error Scenarios": the same key with another
        request (another command, resource or payload) is a 422; a retry repeats it exactly."""
        return problem(422, "idempotency-key-reused", "Idempotency-Key already used",
                       f"{error}; a retry must repeat the same request, a new request needs a "
                       "new Idempotency-Key", request)

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, error: Unauthenticated) -> Response:
        return problem(401, "unauthenticated", "Authentication required", str(error), request)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return problem(403, "forbidden", "Forbidden", str(error), request)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                  for e in error.errors()]
        return problem(422, "validation", "Invalid request",
                       "the request does not match the schema", request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return problem(error.status_code, "http", str(error.detail), str(error.detail), request)

    @app.exception_handler(psycopg.DataError)
    async def unstorable(request: Request, error: psycopg.DataError) -> Response:
        return problem(422, "invalid-value", "Invalid value",
                       "a value of the request cannot be stored or compared (e.g. a NUL "
                       "character or a number out of range)", request)

    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        """Issue 12 item 8: the database is down, restarting or too slow to hand out a
        connection: 503 within the connection timeout, never a hang nor a 500."""
        log.warning("database unavailable: %s", type(error).__name__,
                    extra={"path": request.url.path})
        answer = problem(503, "database-unavailable", "Database unavailable",
                         "the database does not answer at the moment; retry after "
                         "Retry-After seconds", request)
        answer.headers["Retry-After"] = retry_after(DATABASE_RETRY_AFTER)
        return answer

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return internal(request)
