"""Wiring: settings → database (DATABASE_URL or embedded PostgreSQL) → write side + read side."""

from __future__ import annotations

from application.database import (
    check_pooled_search_path,
    create_schema,
    eventsourcing_env,
    resolve_database_url,
)
from application.migrations import upgrade
from application.services import Clock, IHanoi, business_now
from application.settings import Settings, get_settings
from projections.deployment import Deployment
from projections.engine import Projector
from projections.registry import READ_MODELS


def open_runtime(settings: Settings | None = None, clock: Clock = business_now,
                 migrate: bool = True) -> Deployment:
    """Connect (starting embedded PostgreSQL when DATABASE_URL is unset), migrate the read
    models, and return the write side and the projector. Commands and queries go to
    DATABASE_URL; schema, migrations and the projector to IHANOI_DIRECT_DATABASE_URL when
    DATABASE_URL is pgbouncer in transaction mode (docs/DEPLOYMENT.md)."""
    settings = settings or get_settings()
    url = resolve_database_url(settings)
    direct = settings.direct_database_url or url
    schema = settings.schema
    create_schema(direct, schema)
    if migrate:
        upgrade(direct, schema)
    timeout = settings.db_timeout_seconds
    if direct != url:
        check_pooled_search_path(url, schema, timeout)
    app = IHanoi(env=eventsourcing_env(url, cipher_key=settings.resolve_cipher_key(),
                                       schema=schema, connect_timeout=timeout,
                                       prepared_statements=direct == url),
                 clock=clock, attachment_store=settings.open_attachment_store())
    projector = Projector(app, direct, READ_MODELS, schema=schema, connect_timeout=timeout)
    projector.ensure_tracking()
    return Deployment(url=url, schema=schema, app=app, projector=projector,
                      direct_url=None if direct == url else direct,
                      read_urls=settings.read_database_url_list)
