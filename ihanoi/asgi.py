"""The API as an ASGI application factory, for servers that start worker processes of their
own: ``ihanoi serve --no-projector --workers N``, ``uvicorn --factory ihanoi.asgi:create_api``
or ``gunicorn -k uvicorn.workers.UvicornWorker 'ihanoi.asgi:create_api()'``. Each worker
builds its runtime from the environment (no migrations: run ``ihanoi migrate`` first) and
follows the read models that ``ihanoi projections run`` keeps, by LISTEN."""

from __future__ import annotations

import socket

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


def run_workers(workers: int, host: str, port: int, log_level: str = "warning") -> None:
    """uvicorn's ``workers`` processes of :func:`create_api`, as ``uvicorn.run(workers=…)``
    but on a listening socket made with ``IPPROTO_TCP``: uvicorn's own
    (``Config.bind_socket``) has protocol 0, so asyncio leaves TCP_NODELAY off on the
    connections its workers accept, and every answer then waits ~40 ms for the client's
    delayed ACK (benchmarks/README.md, "Read replicas")."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("ihanoi.asgi:create_api", factory=True, host=host, port=port,
                            workers=workers, log_level=log_level, server_header=False)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()
