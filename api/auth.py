"""Bearer JWTs carrying subject, role and unit (so a city identity provider can issue them)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from inspect import iscoroutinefunction
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.errors import Forbidden, Unauthenticated
from application.services import IHanoi, NotFound
from domain.actors import Actor, Role, UnitLevel
from domain.errors import DomainError, NotPermitted

ALGORITHM = "HS256"
ISSUER = "ihanoi"
bearer = HTTPBearer(auto_error=False, description="JWT with sub, role and unit claims")


@dataclass(frozen=True)
class Principal:
    """Who calls: the token's subject (officer or reporter id), role and unit; for an officer
    also his unit's level, as the directory holds it."""

    subject: str
    role: Role
    unit_id: UUID | None
    unit_level: UnitLevel | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)

    @property
    def in_directory(self) -> bool:
        """Every role but the citizen's is an officer of the unit directory (Điều 25):
        officers, heads, inspectors, the city inspectorate and administrators."""
        return self.role != Role.CITIZEN


def mint(secret: str, subject: str, role: str, unit_id: UUID | None = None,
         lifetime: timedelta = timedelta(hours=12)) -> str:
    """A signed token (``ihanoi token`` uses this for the demo)."""
    now = datetime.now(UTC)
    claims = {"sub": subject, "role": Role(role).value, "iss": ISSUER, "iat": now,
              "exp": now + lifetime}
    if unit_id is not None:
        claims["unit"] = str(unit_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iss"]})
        role = Role(claims.get("role"))
        unit = UUID(claims["unit"]) if claims.get("unit") else None
    except (jwt.PyJWTError, ValueError) as error:
        raise Unauthenticated(f"invalid bearer token: {error}") from None
    if role == Role.SYSTEM:
        raise Unauthenticated("system tokens are not accepted over HTTP")
    return Principal(subject=str(claims["sub"]), role=role, unit_id=unit)


async def optional_principal(request: Request, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal | None:
    """The caller, if a token is sent. Asynchronous so that a request does not hop through the
    threadpool for each dependency; only a staff token's check reads the event store, in a
    worker thread. Every token but a citizen's is checked against the directory (Điều 25):
    an inspector's or administrator's too. The officer or administrator read there is the
    request's actor (``request.state.actor``): the directory is read once per request (an
    inspector has none: he sends no command, :mod:`api.access`).

    On a read route (:class:`CheckedInThread`) the check is left to the endpoint's own worker
    thread when this process's directory cache knows the officer as the token names him: the
    request is scoped with that actor and refused there, before the endpoint reads anything,
    if the store says otherwise (issue 16: one trip to the threadpool instead of two)."""
    if credentials is None:
        return None
    current = decode(request.app.state.jwt_secret, credentials.credentials)
    if current.in_directory:
        app: IHanoi = request.app.state.runtime.app
        actor = _as_cached(app, current) if _checks_in_thread(request) else None
        if actor is not None:
            _deferred.set((app, current))
        else:
            actor = await run_in_threadpool(_check_still_holds, app, current)
        if current.is_staff or current.role == Role.ADMINISTRATOR:
            request.state.actor = actor
        current = replace(current, unit_level=actor.unit_level)
    return current


def _as_cached(app: IHanoi, current: Principal) -> Actor | None:
    """The caller as this process last read the directory, without asking the store, if that
    agrees with his token; else None (the check then reads the store at once)."""
    try:
        actor = app.cached_officer_actor(UUID(current.subject))
    except ValueError:
        return None
    if actor is None or actor.role != current.role or actor.unit_id != current.unit_id:
        return None
    return actor


def _check_still_holds(app: IHanoi, current: Principal) -> Actor:
    """Điều 25: an officer — an inspector and an administrator too — reads and acts with the
    unit and role the directory gives him now; a token from before a transfer or dismissal,
    or naming no officer of the directory, does not work."""
    try:
        actor = app.officer_actor(UUID(current.subject))
    except (ValueError, NotFound, DomainError):
        raise Unauthenticated("the token's officer no longer holds office") from None
    if actor.role != current.role or actor.unit_id != current.unit_id:
        raise Unauthenticated("the token's role or unit no longer matches the directory; "
                              "sign in again")
    return actor


async def principal(current: Annotated[Principal | None, Depends(optional_principal)]
                    ) -> Principal:
    if current is None:
        raise Unauthenticated("this endpoint needs a bearer token")
    return current


def requires(*roles: Role):
    """A dependency admitting only ``roles``."""
    allowed = frozenset(roles)

    async def check(current: Annotated[Principal, Depends(principal)]) -> Principal:
        if current.role == Role.CITY_INSPECTOR and current.role not in allowed:
            raise NotPermitted("Điều 24", "the city inspectorate reads waste-behaviour reports "
                               "(their results, matters and audit trail) and changes nothing")
        if current.role not in allowed:
            raise Forbidden(f"role {current.role} may not use this endpoint")
        return current

    return check


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]


#: Issue 16: the directory check (Điều 25) of this request, left by :func:`optional_principal`
#: to the endpoint's worker thread (:class:`CheckedInThread`): the app and the caller.
_deferred: ContextVar[tuple[IHanoi, Principal] | None] = ContextVar("directory_check",
                                                                    default=None)


def _checks_in_thread(request: Request) -> bool:
    route = request.scope.get("route")
    return isinstance(route, CheckedInThread) and route.checks_in_thread


class CheckedInThread(APIRoute):
    """A route whose synchronous endpoint starts, in its worker thread, with the directory
    check (Điều 25) that :func:`optional_principal` left to it: the store is read as before,
    so a transfer or dismissal recorded before the request refuses it, but a staff read makes
    one trip to the threadpool instead of two (issue 16). The query routers use it."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.checks_in_thread = not iscoroutinefunction(endpoint)
        if self.checks_in_thread:
            endpoint = _checked_first(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_checked(request: Request) -> Response:
            token = _deferred.set(None)  # this request's own check only
            try:
                return await handle(request)
            finally:
                _deferred.reset(token)

        return handle_checked


def _checked_first(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(endpoint)
    def checked(*args: Any, **kwargs: Any) -> Any:
        deferred = _deferred.get()
        if deferred is not None:
            _check_still_holds(*deferred)
        return endpoint(*args, **kwargs)

    return checked
