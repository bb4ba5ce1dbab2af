"""The FastAPI application: thin HTTP over commands and read-model queries."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from api import (
    adoption,
    attachments,
    commands,
    consistency,
    errors,
    exports,
    open311,
    operations,
    pages,
    periodic,
    queries,
    read_cache,
    security,
)
from application.database import create_pool
from application.settings import Settings, check_jwt_secret, get_settings
from projections.consistency import ReadPosition
from projections.deployment import Deployment
from projections.replicas import ReadPools

log = logging.getLogger("ihanoi.api")
#: What a browser on an allowed origin may send and read (CORS, IHANOI_CORS_ORIGINS).
CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match",
                "X-Min-Position", "X-Request-ID"]
CORS_EXPOSED = ["ETag", "Location", "X-Store-Position", "X-Request-ID", "Retry-After"]

DESCRIPTION = """
Citizen reports of Hà Nội's iHanoi channel (Quyết định 1207/QĐ-UBND).

Commands return the report's new state and version (`ETag`); send `Idempotency-Key` to make a
retry safe and `If-Match` to fail with 412 when someone else changed the report first. Errors
are `application/problem+json` naming the article broken (`rule`). Public endpoints need no
token; the others take a bearer JWT with `sub`, `role` and `unit` claims.

Read your own writes: a command's answer carries `X-Store-Position` and `Location`; pass the
position to a query (`X-Min-Position` header or `min_position=`) and it answers once the read
models have it (waiting at most a couple of seconds, else 503 with `Retry-After`).
"""


def create_app(runtime: Deployment, jwt_secret: str, follow: bool = True,
               read_wait: float | None = None, settings: Settings | None = None,
               owns_runtime: bool = False) -> FastAPI:
    """The API over ``runtime``; with ``follow``, read models are kept up to date in a
    background thread of this process (the demo), else by ``ihanoi projections run``, whose
    progress this process then follows by LISTEN. A query given a minimum store position
    waits at most ``read_wait`` seconds for it (default: ``IHANOI_READ_WAIT_SECONDS``). The
    edge (rate limits, body size, CORS, docs and metrics) from ``settings`` (default: the
    environment's). With ``owns_runtime`` the runtime is closed when the app shuts down (a
    worker process built it for this app alone)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if follow:
            thread = threading.Thread(target=runtime.projector.run_forever, args=(stop,),
                                      name="projector", daemon=True)
            thread.start()
        else:
            app.state.read_position.listen()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=5)
            app.state.read_position.close()
            app.state.reads.close()
            if owns_runtime:
                runtime.close()

    settings = settings or get_settings()
    check_jwt_secret(jwt_secret, settings.is_production)  # a weak key: refused in production
    app = FastAPI(title="iHanoi citizen reports", version="1.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.runtime = runtime
    app.state.jwt_secret = jwt_secret
    # Autocommit: under READ COMMITTED each statement has its own snapshot anyway, so reads
    # answer the same without the BEGIN and COMMIT round trips around them.
    # Every instant answered in one ISO 8601 form (issue 11 item 7): the read connections'
    # session time zone is the business one, so timestamptz columns come back at +07:00,
    # as the commands' answers (``api.schemas.Instant``) and the CSV export give them.
    # Issue 12 item 8: a database that does not answer fails a read within the timeout
    # (503 with Retry-After), and the pool reconnects by itself once it is back.
    # Behind pgbouncer in transaction mode (``runtime.pooled``) no statement is prepared on
    # the server, and the schema must be the role's search_path (docs/DEPLOYMENT.md).
    # Issue 15.1: with read replicas, queries go to them, the primary being for commands,
    # the projector, the scheduler, as-of readings and reads no replica has caught up with.
    pools = [create_pool(url, schema=runtime.schema, min_size=1, max_size=8, name=name,
                         autocommit=True, timeout=settings.db_timeout_seconds,
                         time_zone="Asia/Ho_Chi_Minh",
                         **({"prepare_threshold": None} if runtime.pooled else {}))
             for name, url in [("reads", runtime.url),
                               *((f"replica-{n}", u) for n, u in enumerate(runtime.read_urls))]]
    app.state.reads = ReadPools(pools[0], pools[1:], schema=runtime.schema,
                                read_models=[m.name for m in runtime.projector.models],
                                wait=settings.read_replica_wait_seconds)
    app.state.read_position = ReadPosition(runtime.projector, pool=app.state.reads.primary)
    app.state.read_wait = settings.read_wait_seconds if read_wait is None else read_wait
    errors.install(app)
    # Middleware, innermost first (each added one wraps the ones before): the public answers
    # kept while they stand (skipping routing, dependencies and the database), the store
    # position headers, the body limit, docs and metrics exposure, the rate limits, the security
    # headers, CORS, then operations (request id, metrics, access log) around everything.
    app.add_middleware(read_cache.ReadCache, entries=settings.read_cache_entries)
    app.add_middleware(consistency.StorePositionHeaders)
    app.add_middleware(security.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(security.Exposure, docs=settings.docs_exposure,
                       metrics=settings.metrics_exposure)
    app.add_middleware(security.RateLimits, limits=security.Limits.of(
        settings.rate_limit_anonymous, settings.rate_limit_registrations,
        settings.rate_limit_submissions, settings.rate_limit_auth_failures,
        settings.rate_limit_storage))
    app.add_middleware(security.SecurityHeaders)
    if settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list,
                           allow_methods=["GET", "POST"], allow_headers=CORS_HEADERS,
                           expose_headers=CORS_EXPOSED, max_age=600)
    operations.install(app)
    # Queries first: routes are matched in order, and reads are most of the traffic (no GET
    # route of one router matches a path of another, so the order decides nothing else).
    # Every query may be asked to wait for a store position (read your own writes).
    app.include_router(queries.router, dependencies=[consistency.ReadAtLeast],
                       responses=errors.responses(401, 403, 404, 422, 429, 503))
    app.include_router(periodic.router, dependencies=[consistency.ReadAtLeast],
                       responses=errors.responses(401, 403, 404, 422, 429, 503))
    app.include_router(exports.router, dependencies=[consistency.ReadAtLeast],
                       responses=errors.responses(401, 403, 404, 422, 429, 503))
    app.include_router(attachments.reads, dependencies=[consistency.ReadAtLeast],
                       responses=errors.responses(401, 404, 422, 429, 503))
    app.include_router(adoption.reads, dependencies=[consistency.ReadAtLeast],
                       responses=errors.responses(401, 403, 404, 422, 429, 503))
    app.include_router(operations.router)
    app.include_router(attachments.router,
                       responses=errors.responses(400, 401, 403, 413, 415, 422))
    app.include_router(commands.router,
                       responses=errors.responses(400, 401, 403, 404, 409, 412, 413, 422, 429,
                                                  503))
    app.include_router(adoption.router,
                       responses=errors.responses(400, 401, 403, 404, 409, 412, 422, 429, 503))
    app.include_router(open311.router, prefix="/open311/v2", tags=["open311"],
                       responses=errors.open311_responses(400, 403, 404, 409, 413, 429, 503))
    pages.install(app)
    return app
