"""The FastAPI application: thin HTTP over commands and read-model queries."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import commands, errors, open311, operations, queries
from application.database import create_pool
from projections.deployment import Deployment

log = logging.getLogger("ihanoi.api")

DESCRIPTION = """
Citizen reports of Hà Nội's iHanoi channel (Quyết định 1207/QĐ-UBND).

Commands return the report's new state and version (`ETag`); send `Idempotency-Key` to make a
retry safe and `If-Match` to fail with 409 when someone else changed the report first. Errors
are `application/problem+json` naming the article broken (`rule`). Public endpoints need no
token; the others take a bearer JWT with `sub`, `role` and `unit` claims.
"""


def create_app(runtime: Deployment, jwt_secret: str, follow: bool = True) -> FastAPI:
    """The API over ``runtime``; with ``follow``, read models are kept up to date in a
    background thread of this process (the demo), else by ``ihanoi projections run``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if follow:
            thread = threading.Thread(target=runtime.projector.run_forever, args=(stop,),
                                      name="projector", daemon=True)
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=5)
            app.state.reads.close()

    app = FastAPI(title="iHanoi citizen reports", version="1.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.runtime = runtime
    app.state.jwt_secret = jwt_secret
    # Autocommit: under READ COMMITTED each statement has its own snapshot anyway, so reads
    # answer the same without the BEGIN and COMMIT round trips around them.
    app.state.reads = create_pool(runtime.url, schema=runtime.schema, min_size=1, max_size=8,
                                  name="reads", autocommit=True)
    errors.install(app)
    operations.install(app)
    # Queries first: routes are matched in order, and reads are most of the traffic (no GET
    # route of one router matches a path of another, so the order decides nothing else).
    app.include_router(queries.router, responses=errors.responses(401, 403, 404, 422))
    app.include_router(operations.router)
    app.include_router(commands.router, responses=errors.responses(400, 401, 403, 404, 409, 422))
    app.include_router(open311.router, prefix="/open311/v2", tags=["open311"],
                       responses=errors.responses(400, 401, 403, 404, 422))
    return app
