"""Read your own writes over HTTP.

- A command's answer carries ``X-Store-Position`` — the notification id of the last event it
  recorded (a replay: the store's head) — and ``Location``, the URL of what it wrote
  (:func:`written`, called by the one path of every command, ``CommandRequest.send``; this
  module's middleware turns it into headers on a 2xx answer).
- A query given a minimum position (``X-Min-Position`` header or ``?min_position=``) waits,
  at most ``read_wait`` seconds (``IHANOI_READ_WAIT_SECONDS``, 2 s by default), until every
  read model has applied the store up to it; then it answers from them as usual, else 503
  problem+json with ``Retry-After`` (:func:`at_least`, a dependency of every query router).
  With read replicas, it answers from one whose read models have the position too, or else
  from the primary (:meth:`projections.replicas.ReadPools.route`); :func:`connection` hands
  out the connection chosen.

The wait sleeps on the projector's progress (:class:`projections.consistency.ReadPosition`),
not on polling queries.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Header, Query, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.services import CommandResult
from projections.consistency import ReadPosition
from projections.replicas import ReadPools

POSITION_HEADER = "X-Store-Position"  # asked back as X-Min-Position (``at_least``)
#: Seconds a client is told to wait before retrying a read the read models have not reached.
RETRY_AFTER = 1
_MAX = 2**63 - 1  # notification ids are bigint


class NotYetRead(Exception):
    """The read models have not reached the position the caller asked for within the wait."""

    def __init__(self, wanted: int, reached: int, waited: float) -> None:
        super().__init__(f"the read models are at store position {reached}, not yet at "
                         f"{wanted}, after waiting {waited:g} s; retry later")
        self.wanted, self.reached = wanted, reached


def etag(version: int) -> str:
    """The entity tag of an aggregate's version: its number, quoted (RFC 9110 §8.8.3); a
    command's ``If-Match`` with it succeeds while nobody else changed the aggregate."""
    return f'"{version}"'


def written(request: Request, result: CommandResult, location: str | None) -> None:
    """Remember what a command wrote, for the headers of its answer."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    if result.position is not None:
        state["store_position"] = result.position
    if location is not None:
        state["location"] = location


async def at_least(
        request: Request,
        min_position: Annotated[int | None, Query(
            ge=0, le=_MAX, description="answer only once the read models have applied the "
            "event store up to this position (a command's X-Store-Position); waits, bounded, "
            "else 503 with Retry-After")] = None,
        x_min_position: Annotated[int | None, Header(
            ge=0, le=_MAX, description="the same as the min_position query parameter")] = None,
) -> None:
    """Wait until the read models have reached the position the caller asks for (the larger
    of the header and the query parameter), at most the configured wait; else 503. On the
    event loop: a query that asks for no position costs no thread hop, one that waits holds
    no thread."""
    wanted = max(p for p in (min_position, x_min_position, 0) if p is not None)
    if wanted == 0:
        return
    position: ReadPosition = request.app.state.read_position
    timeout: float = request.app.state.read_wait
    if not await position.wait_for(wanted, timeout):
        raise NotYetRead(wanted, position.known, timeout)
    request.state.read_pool = await request.app.state.reads.route(wanted)


def connection(request: Request) -> AbstractContextManager[psycopg.Connection[Any]]:
    """A read connection for this request: on the replica (or the primary) that has the
    position it asked for, or that the read cache will keep its answer under; else on the
    next replica in turn (none: the primary)."""
    reads: ReadPools = request.app.state.reads
    pool = getattr(request.state, "read_pool", None)
    kept_at = getattr(request.state, "read_cache_position", None)
    if pool is None and kept_at is not None:  # an answer api.read_cache may keep
        pool = reads.at(kept_at)
    return reads.connection(pool)


#: The dependency of every read of the read models (the query routers have it).
ReadAtLeast = Depends(at_least)


class StorePositionHeaders:
    """Pure ASGI middleware: a successful command's answer gets ``X-Store-Position`` and
    ``Location`` from what :func:`written` remembered of the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                state = scope.get("state") or {}
                extra = []
                if "store_position" in state:
                    extra.append((POSITION_HEADER.lower().encode(),
                                  str(state["store_position"]).encode()))
                if "location" in state:
                    extra.append((b"location", str(state["location"]).encode()))
                if extra:
                    message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_position)


def retry_after(seconds: float = RETRY_AFTER) -> str:
    return str(max(1, math.ceil(seconds)))
