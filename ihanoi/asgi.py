"""The API as an ASGI application factory, for servers that start worker processes of their
own: ``ihanoi serve --no-projector --workers N``, ``uvicorn --factory ihanoi.asgi:create_api``
or ``gunicorn -k uvicorn.workers.UvicornWorker 'ihanoi.asgi:create_api()'``. Each worker
builds its runtime from the environment (no migrations: run ``ihanoi migrate`` first) and
follows the read models that ``ihanoi projections run`` keeps, by LISTEN."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from api.operations import configure_logging
from application.settings import get_settings
from ihanoi.runtime import open_runtime


def create_api() -> FastAPI:
    """One worker's API, without a projector of its own; closes its runtime on shutdown."""
    configure_logging()
    settings = get_settings()
    return create_app(open_runtime(settings, migrate=False), settings.resolve_jwt_secret(),
                      follow=False, settings=settings, owns_runtime=True)
