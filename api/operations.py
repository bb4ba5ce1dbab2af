"""Operations: health, readiness, Prometheus metrics, JSON logs with request ids."""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.responses import Health, NotReady, Ready
from projections.engine import Projector
from projections.replicas import ReadPools

router = APIRouter(tags=["operations"])
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
READY_LAG = 1000  # events: beyond this the read side is too far behind to serve
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Metrics:
    """One registry per app, so several apps (tests) never collide. With
    ``PROMETHEUS_MULTIPROC_DIR`` set (``ihanoi serve --workers N``), the values live in files
    there and a scrape of any worker answers for all of them (prometheus_client's
    multiprocess mode)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram("ihanoi_request_seconds", "HTTP request latency",
                                 ["method", "route", "status"], registry=self.registry,
                                 buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
        self.commands = Counter("ihanoi_commands_total", "Commands by type and outcome",
                                ["command", "outcome"], registry=self.registry)
        self.lag = Gauge("ihanoi_projection_lag_events",
                         "Stored events not yet applied by the slowest read model",
                         registry=self.registry, multiprocess_mode="mostrecent")


class ProjectorMetrics(Collector):
    """The projector's failures, read at each scrape (issue 12 item 7): failed attempts by
    kind (``database`` unreachable, ``handler`` failing) and read model, failures in a row,
    and ``ihanoi_projection_stalled`` = 1 naming the read model and the event a handler keeps
    failing on."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector

    def collect(self) -> Iterator[Metric]:
        projector = self.projector
        failures = CounterMetricFamily(
            "ihanoi_projection_failures", "Failed projector attempts (each retried after a "
            "backoff) by kind and read model", labels=["kind", "read_model"])
        for (kind, model), count in sorted(projector.failures_total.items()):
            failures.add_metric([kind, model], count)
        yield failures
        failure = projector.failure
        yield GaugeMetricFamily("ihanoi_projection_failures_in_a_row",
                                "Consecutive failed projector attempts (0: working)",
                                value=failure.attempts if failure else 0)
        stalled = GaugeMetricFamily(
            "ihanoi_projection_stalled", "1 while a read model's handler keeps failing on "
            "one event", labels=["read_model", "event", "notification_id"])
        if (s := projector.stalled) is not None:
            stalled.add_metric([s.read_model or "", s.event or "", str(s.notification_id)], 1)
        yield stalled


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id it belongs to (unless it names one itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr, each with the request id it belongs to."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s "
                                       "%(request_id)s", json_ensure_ascii=False))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("ihanoi")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class Observe:
    """Pure ASGI middleware around every HTTP request: the request id (echoed when the caller
    sent a well-formed one, else made up) in the context and the ``X-Request-ID`` header, the
    latency histogram, commands by outcome, one JSON access line; an unexpected failure is
    logged and answered with a bare 500 problem that carries the id too."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger("ihanoi.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value.decode("latin-1") for name, value in scope["headers"]
                      if name == b"x-request-id"), "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        method, path = scope["method"], scope["path"]
        status, started = 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*(h for h in message.get("headers", ())
                                        if h[0].lower() != b"x-request-id"),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        token = request_id.set(rid)
        began = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # answered here, so that it too carries the id
            errors.log.exception("unhandled error", extra={"path": path})
            if started:
                raise
            await errors.internal(Request(scope))(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
        elapsed = time.perf_counter() - began
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.latency.labels(method, route, status).observe(elapsed)
        if method == "POST" and route != "unmatched":
            self.metrics.commands.labels(route, "ok" if status < 400 else str(status)).inc()
        self.log.info("request", extra={"method": method, "path": path, "status": status,
                                        "ms": round(elapsed * 1000, 2), "request_id": rid})


class ReadRouteMetrics(Collector):
    """Where the queries given a store position went (issue 15.1): a replica that had it, a
    replica after waiting for it, or the primary after waiting in vain; the replicas in
    service; the last waits."""

    def __init__(self, reads: ReadPools) -> None:
        self.reads = reads

    def collect(self) -> Iterator[Metric]:
        routed = self.reads.routed
        routes = CounterMetricFamily("ihanoi_read_routes", "Queries given a store position, "
                                     "by where they were read", labels=["route"])
        for route in ("replica", "replica_after_wait", "primary_after_wait"):
            routes.add_metric([route], getattr(routed, route))
        yield routes
        waits = sorted(routed.waited)
        yield GaugeMetricFamily("ihanoi_read_replica_wait_p99_seconds",
                                "p99 of the last 1,000 waits for a replica to have a position",
                                value=waits[int(len(waits) * 0.99)] if waits else 0.0)
        yield GaugeMetricFamily("ihanoi_read_replicas_in_service",
                                "Read replicas configured and not left aside",
                                value=len(self.reads.in_service()))


def install(app: FastAPI) -> None:
    app.state.metrics = Metrics()
    app.state.metrics.registry.register(ProjectorMetrics(app.state.runtime.projector))
    app.state.metrics.registry.register(ReadRouteMetrics(app.state.reads))
    app.add_middleware(Observe, metrics=app.state.metrics)


@router.get("/healthz")
async def healthz() -> Health:  # reads nothing: answered on the event loop
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses={503: {
    "model": NotReady, "description": "Not ready: the database is unreachable or the read "
                                      "models lag"}})
def readyz(request: Request) -> JSONResponse:
    """The database answers, no read model is stalled on an event its handler keeps failing
    on, and the read models are caught up within a bound."""
    projector = request.app.state.runtime.projector
    if (stalled := projector.stalled) is not None:
        return JSONResponse({"status": "stalled", "read_model": stalled.read_model,
                             "event": stalled.event, "notification_id": stalled.notification_id,
                             "attempts": stalled.attempts, "detail": stalled.error},
                            status_code=503)
    try:
        lag = projector.lag()
    except Exception as error:  # noqa: BLE001 — any database failure means not ready
        return JSONResponse({"status": "unavailable", "detail": type(error).__name__},
                            status_code=503)
    ready = lag <= READY_LAG
    return JSONResponse({"status": "ready" if ready else "lagging", "projection_lag": lag},
                        status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response, responses={200: {
    "description": "Prometheus text exposition format",
    "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics: request latency, commands by outcome, projection lag."""
    state = request.app.state
    try:
        state.metrics.lag.set(state.runtime.projector.lag())
    except Exception:  # noqa: BLE001 — the database is down: the lag is unknown
        state.metrics.lag.set(float("nan"))
    registry = state.metrics.registry
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()  # every worker's counters, histograms and the lag
        MultiProcessCollector(registry, directory)
        registry.register(ProjectorMetrics(state.runtime.projector))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
