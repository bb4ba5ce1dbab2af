"""Hardening of the HTTP edge (issue 12 items 5–6), as pure ASGI middleware:

- :class:`RateLimits`: per client IP, limits on anonymous traffic, registrations, report
  submissions (``POST /reports``, Open311's ``POST /requests.json``) and failed
  authentication (401 answers: once spent, every request carrying a token from that address
  is refused until the window moves on). Over a limit: **429** problem+json with
  ``Retry-After``. Counted by the `limits` library in a storage named by a URI: in this
  process's memory by default (one node; several nodes each count on their own, so a client
  gets up to N times the limit), or a shared ``async+redis://`` one.
- :class:`BodyLimit`: a body over the limit is a **413** before it is read whole: a
  ``Content-Length`` over it is refused at once, and a streamed body is counted as it arrives.
  An attachment's upload has its own, larger limit (the policy's), enforced as it streams.
- :class:`SecurityHeaders`: ``X-Content-Type-Options: nosniff`` on every answer and
  ``Cache-Control: no-store`` on every answer but the public ones (``/public/…``, Open311's
  lists and services, the health probes), which may be cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

#: Paths never limited: the orchestrator's probes.
PROBES = frozenset({"/healthz", "/readyz"})
#: What an anonymous caller writes: registration, and report submission (with a token too).
REGISTRATIONS = frozenset({("POST", "/reporters")})
SUBMISSIONS = frozenset({("POST", "/reports"), ("POST", "/open311/v2/requests.json"),
                         ("POST", "/open311/v2/requests.xml")})
#: Answers to GETs without a token anyone may cache: nothing personal in them.
PUBLIC_PREFIXES = ("/public/", "/open311/v2/", "/healthz", "/readyz", "/cong-khai/")


def parse_limit(text: str) -> RateLimitItem | None:
    """``"10/minute"``, ``"100 per hour"`` (the `limits` notation), or ``"off"``: none."""
    if text.strip().lower() in ("off", "none", "0"):
        return None
    return parse(text)


@dataclass(frozen=True)
class Limits:
    """The rate limits, each per client IP (``None``: not limited)."""

    anonymous: RateLimitItem | None
    registrations: RateLimitItem | None
    submissions: RateLimitItem | None
    auth_failures: RateLimitItem | None
    storage: str = "async+memory://"

    @classmethod
    def of(cls, anonymous: str, registrations: str, submissions: str, auth_failures: str,
           storage: str = "memory://") -> Limits:
        if "://" in storage and not storage.startswith("async+"):
            storage = "async+" + storage  # the middleware counts without blocking the loop
        return cls(parse_limit(anonymous), parse_limit(registrations),
                   parse_limit(submissions), parse_limit(auth_failures), storage)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "-"


def _has_token(headers: Headers) -> bool:
    return headers.get("authorization", "").lower().startswith("bearer ")


class RateLimits:
    """Per-IP rate limits on anonymous and failing traffic (429 with ``Retry-After``)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self.limiter = MovingWindowRateLimiter(storage_from_string(limits.storage))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBES or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        ip, headers = _client(scope), Headers(scope=scope)
        route = (scope["method"], scope["path"])
        token = _has_token(headers)
        failures = self.limits.auth_failures
        if token and failures is not None and not await self.limiter.test(failures, "401", ip):
            await self._refuse(scope, receive, send, failures, "401", ip,
                               "too many failed authentications from this address")
            return
        checks = [("anonymous", self.limits.anonymous, not token),
                  ("registrations", self.limits.registrations, route in REGISTRATIONS),
                  ("submissions", self.limits.submissions, route in SUBMISSIONS)]
        for name, limit, applies in checks:
            if applies and limit is not None and not await self.limiter.hit(limit, name, ip):
                await self._refuse(scope, receive, send, limit, name, ip,
                                   f"too many {name.replace('anonymous', 'anonymous requests')}"
                                   " from this address")
                return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == 401 and failures is not None:
            await self.limiter.hit(failures, "401", ip)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: RateLimitItem,
                      name: str, ip: str, detail: str) -> None:
        stats = await self.limiter.get_window_stats(limit, name, ip)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        answer = problem(429, "too-many-requests", "Too many requests",
                         f"{detail}: at most {limit}; retry after {wait} s", Request(scope),
                         limit=str(limit))
        answer.headers["Retry-After"] = str(wait)
        await answer(scope, receive, send)


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


#: Routes that stream their body and enforce their own limit: the upload of an attachment
#: (the policy's ``attachment_max_bytes``, :mod:`api.attachments`).
OWN_LIMIT = frozenset({("POST", "/attachments")})


class BodyLimit:
    """413 for a body over ``max_bytes``, before it is read whole (except :data:`OWN_LIMIT`)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) in OWN_LIMIT:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received, started = 0, False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, watch)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, watch)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = problem(413, "body-too-large", "Request body too large",
                         f"the request body is over {self.max_bytes} bytes", Request(scope),
                         max_bytes=self.max_bytes)
        answer.headers["Connection"] = "close"  # the rest of the body is not read
        await answer(scope, receive, send)


def is_public(scope: Scope) -> bool:
    """A GET of a public answer, without a token."""
    return (scope["method"] in ("GET", "HEAD") and scope["path"].startswith(PUBLIC_PREFIXES)
            and not _has_token(Headers(scope=scope)))


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` everywhere; ``Cache-Control: no-store`` unless the
    answer is public (or names its own caching)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public = is_public(scope)

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ())
                           if h[0].lower() != b"x-content-type-options"]
                headers.append((b"x-content-type-options", b"nosniff"))
                if not public and not any(h[0].lower() == b"cache-control" for h in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, headed)


DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
METRICS_PATHS = ("/metrics",)


class Exposure:
    """The API's documentation and metrics as configured: ``on`` for anyone, ``staff`` for a
    bearer token of a directory officer (not a citizen's; checked as every staff token is,
    Điều 25), ``off``: 404."""

    def __init__(self, app: ASGIApp, docs: str, metrics: str) -> None:
        self.app = app
        self.modes = {**dict.fromkeys(DOCS_PATHS, docs), **dict.fromkeys(METRICS_PATHS, metrics)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        mode = self.modes.get(path) or ("on" if not path.startswith("/docs/")
                                        else self.modes["/docs"])
        if scope["type"] != "http" or mode == "on":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if mode == "staff":
            from api.auth import optional_principal
            from api.errors import Unauthenticated

            try:
                credentials = request.headers.get("authorization", "")
                scheme, _, token = credentials.partition(" ")
                if scheme.lower() != "bearer" or not token:
                    raise Unauthenticated("this endpoint needs a staff bearer token")
                from fastapi.security import HTTPAuthorizationCredentials

                caller = await optional_principal(
                    request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
            except Unauthenticated as error:
                await problem(401, "unauthenticated", "Authentication required", str(error),
                              request)(scope, receive, send)
                return
            if caller is not None and caller.in_directory:
                await self.app(scope, receive, send)
                return
        await problem(404, "not-found", "Not found", f"no resource {path}",
                      request)(scope, receive, send)
