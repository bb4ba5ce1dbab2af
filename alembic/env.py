"""Alembic environment for the read-model tables (raw SQL; no ORM metadata).

Database URL, first found wins:
  1. ``config.attributes["url"]``  (application.migrations.upgrade)
  2. ``-x url=postgresql://...``   (command line)
  3. the app's settings: DATABASE_URL, else the embedded PostgreSQL in the data dir

Target schema, first found wins: ``config.attributes["schema"]``, ``-x schema=...``,
IHANOI_DB_SCHEMA, "public". The schema is created if missing, ``search_path`` is set to it
alone (so revisions use unqualified names and cannot touch another schema by accident) and
``alembic_version`` lives in it, so each schema carries its own migration state.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from alembic import context
from application.database import advisory_lock_key, redact_url, sqlalchemy_url

if TYPE_CHECKING:
    from application.settings import Settings

config = context.config
log = logging.getLogger("alembic.env")

# Programmatic callers (tests, app start-up) keep their own logging setup: fileConfig
# would otherwise replace handlers and disable existing loggers.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = None


def _settings() -> Settings:
    from application.settings import get_settings

    return get_settings()


def database_url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from application.database import resolve_database_url

    return resolve_database_url(_settings())


def target_schema() -> str:
    schema = config.attributes.get("schema") or context.get_x_argument(as_dictionary=True).get(
        "schema"
    )
    return schema or _settings().schema or "public"


def _quote(schema: str) -> str:
    return '"' + schema.replace('"', '""') + '"'


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    schema = target_schema()
    context.configure(
        url=sqlalchemy_url(database_url()),
        target_metadata=target_metadata,
        version_table_schema=schema,
        literal_binds=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        context.execute(f"SET LOCAL search_path TO {_quote(schema)}")
        context.run_migrations()


def run_migrations_online() -> None:
    url = database_url()
    schema = target_schema()
    log.info("migrating schema %s of %s", schema, redact_url(url))
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    with engine.connect() as connection:
        # Serialise concurrent upgrades of the same schema (e.g. API and projection runner
        # starting together). A session lock: released when this connection closes.
        connection.execute(
            text("SELECT pg_advisory_lock(:key)"),
            {"key": advisory_lock_key(f"ihanoi-alembic:{schema}")},
        )
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}"))
        connection.execute(text(f"SET search_path TO {_quote(schema)}"))
        connection.commit()
        connection.dialect.default_schema_name = schema

        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
