"""Bearer JWTs carrying subject, role and unit (so a city identity provider can issue them)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import jwt
from fastapi import Depends, Request
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
    inspector has none: he sends no command, :mod:`api.access`)."""
    if credentials is None:
        return None
    current = decode(request.app.state.jwt_secret, credentials.credentials)
    if current.in_directory:
        actor = await run_in_threadpool(_check_still_holds, request.app.state.runtime.app,
                                        current)
        if current.is_staff or current.role == Role.ADMINISTRATOR:
            request.state.actor = actor
        current = replace(current, unit_level=actor.unit_level)
    return current


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
