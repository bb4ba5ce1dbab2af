"""The public pages' answers kept while they cannot change (issue 16).

An anonymous ``GET`` of a page that opts in (:func:`cacheable`) is kept as the bytes it was
answered with, under its path and query, and answered again from them only while

- the read models stand where they stood when it was read — the store position this process
  knows they have reached (:class:`projections.consistency.ReadPosition`), taken *before*
  the endpoint reads, so an answer read while they moved is never reused — and
- the policy in force is the one it was read under (``IHanoi.policy``, re-read every 30 s
  and at each adoption), and
- the business clock is before the instant the endpoint named, for an answer that turns
  stale by itself (the ranking: a stage still open becomes late at its due instant).

So it answers exactly what the endpoint would. A request with a token, a minimum store
position or an ``as_of`` is never served from it (the endpoints opt in only without them).
Pure ASGI, innermost: the rate limits, security headers, request id and access log still
apply to every answer; routing, the dependencies, the trip to a worker thread and the
database are skipped. A rebuild run by another process with the same code replays the same
rows; new code means a restart, which empties the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Requests that must not be answered from the cache: they name someone, or wait for a
#: store position (``api.consistency.at_least``).
_PERSONAL = (b"authorization", b"x-min-position", b"cookie")


@dataclass(frozen=True)
class _Answer:
    position: int
    policy: object
    until: datetime | None
    start: Message
    body: bytes
    route: Any


def cacheable(request: Request, until: datetime | None = None) -> None:
    """The answer of this request may be reused while the read models do not move (and,
    with ``until``, before that business instant)."""
    request.scope.setdefault("state", {})["read_cache"] = (until,)


class ReadCache:
    """Pure ASGI middleware keeping up to ``entries`` answers (the least recently used go);
    0 keeps none."""

    def __init__(self, app: ASGIApp, entries: int = 256) -> None:
        self.app = app
        self.entries = entries
        self._answers: OrderedDict[tuple[str, bytes], _Answer] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET" or not self.entries
                or b"min_position" in scope["query_string"]
                or any(name in _PERSONAL for name, _ in scope["headers"])):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        app = state.runtime.app
        position: int = state.read_position.known
        # Read at least there, whichever server reads it (api.consistency.connection).
        scope.setdefault("state", {})["read_cache_position"] = position
        policy = app.policy()
        key = (scope["path"], scope["query_string"])
        answer = self._answers.get(key)
        if answer is not None and answer.position == position and answer.policy is policy \
                and (answer.until is None or app.now() < answer.until):
            self._answers.move_to_end(key)
            scope["route"] = answer.route
            await send({**answer.start, "headers": list(answer.start["headers"])})
            await send({"type": "http.response.body", "body": answer.body})
            return
        messages: list[Message] = []

        async def keep(message: Message) -> None:  # as sent, before outer layers add to it
            messages.append({**message, "headers": list(message["headers"])}
                            if message["type"] == "http.response.start" else message)
            await send(message)

        await self.app(scope, receive, keep)
        opted = scope.get("state", {}).get("read_cache")
        if (opted is None or len(messages) != 2 or messages[0]["status"] != 200
                or messages[1].get("more_body")):
            return
        self._answers[key] = _Answer(position, policy, opted[0], messages[0],
                                     messages[1].get("body", b""), scope.get("route"))
        self._answers.move_to_end(key)
        while len(self._answers) > self.entries:
            self._answers.popitem(last=False)
