"""Shared fixtures: a private PostgreSQL database per test, copied from a migrated template.

Server choice (first that applies):
  1. TEST_DATABASE_URL: any database on the server to use; we only CREATE/DROP DATABASE there.
  2. postgres@127.0.0.1:5432 (trust auth), if it accepts a connection within ~1 s.
  3. an embedded PostgreSQL 18 kept in <tmp>/ihanoi-test-<uid>/pg18 (reused between runs).

Migrating the read models (every alembic revision) takes far longer than copying a database,
so each test session (each xdist worker) migrates once, into a template database, and every
test gets a copy of it (``CREATE DATABASE … TEMPLATE``).

Fixtures:
  cipher_key        (session)  a freshly generated AES-256 key (base64).
  template_database (session)  ``ihanoi_tpl_<hex>``: a schema ``t_<hex>`` holding the migrated
                               read models and IHanoi's event-store tables.
  database_url      (function) URL of the test's own copy ``ihanoi_t_<hex>`` (dropped with the
                               template at the end of the session: see TemplateDatabase).
  fresh_schema      (function) that schema's name in the test's database (nothing else is
                               there but what the template holds).
  es_env            (function) eventsourcing_env(database_url, cipher_key, fresh_schema).

Marker ``embedded``: runs only when IHANOI_TEST_EMBEDDED=1 or 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

import functools
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from application.database import (
    create_database,
    drop_database,
    embedded_server_url,
    eventsourcing_env,
    redact_url,
)
from application.migrations import upgrade
from application.services import IHanoi

LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EMBEDDED_TEST_PGDATA = Path(tempfile.gettempdir()) / f"ihanoi-test-{os.getuid()}" / "pg18"


def local_server_reachable(timeout: float = 1.0) -> bool:
    """Does 127.0.0.1:5432 answer (TCP) within ``timeout`` seconds?"""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class ServerChoice:
    kind: str  # "TEST_DATABASE_URL" | "local" | "embedded"
    admin_url: str | None  # None for embedded until started
    note: str = ""

    def describe(self) -> str:
        if self.kind == "embedded":
            where = f"embedded PostgreSQL 18 (pgdata {EMBEDDED_TEST_PGDATA})"
            return where + (f" [{self.note}]" if self.note else "")
        return f"{self.kind}: {redact_url(self.admin_url or '')}"


@functools.cache
def choose_server() -> ServerChoice:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return ServerChoice("TEST_DATABASE_URL", url)
    if not local_server_reachable():
        return ServerChoice("embedded", None, "127.0.0.1:5432 unreachable")
    try:
        with psycopg.connect(LOCAL_ADMIN_URL, connect_timeout=2):
            pass
    except psycopg.Error as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return ServerChoice("embedded", None, f"127.0.0.1:5432 refused us: {reason}")
    return ServerChoice("local", LOCAL_ADMIN_URL)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded: needs the embedded PostgreSQL server; runs only when "
        "IHANOI_TEST_EMBEDDED=1 or 127.0.0.1:5432 is unreachable",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"database server: {choose_server().describe()}; each test uses its own copy of a migrated template database"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("IHANOI_TEST_EMBEDDED") == "1":
        return
    embedded_items = [item for item in items if item.get_closest_marker("embedded")]
    if not embedded_items or not local_server_reachable():
        return
    skip = pytest.mark.skip(
        reason="embedded PostgreSQL test: set IHANOI_TEST_EMBEDDED=1 to run it "
        "(runs by itself when 127.0.0.1:5432 is unreachable)"
    )
    for item in embedded_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def cipher_key() -> str:
    from eventsourcing.cipher import AESCipher

    return AESCipher.create_key(32)


@dataclass
class TemplateDatabase:
    """A migrated database that tests copy instead of migrating their own.

    ``DROP DATABASE`` forces a checkpoint, which costs seconds on a busy server, so copies are
    dropped together when the session ends (concurrent drops share checkpoints).
    """

    admin_url: str
    name: str
    schema: str
    copies: list[str] = field(default_factory=list)

    def copy(self) -> str:
        """A new database ``ihanoi_t_<hex>`` made from the template: its URL."""
        name = f"ihanoi_t_{uuid.uuid4().hex[:12]}"
        self.copies.append(name)
        return create_database(self.admin_url, name, template=self.name)

    def drop(self) -> None:
        """Drop the copies (``WITH (FORCE)``), then the template."""
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(functools.partial(drop_database, self.admin_url, force=True),
                          self.copies))
        drop_database(self.admin_url, self.name, force=True)


@pytest.fixture(scope="session")
def template_database(cipher_key: str) -> Iterator[TemplateDatabase]:
    """Made and migrated once per test session (per xdist worker: its names are its own)."""
    choice = choose_server()
    admin_url = choice.admin_url or embedded_server_url(EMBEDDED_TEST_PGDATA)
    tag = uuid.uuid4().hex[:12]
    template = TemplateDatabase(admin_url, f"ihanoi_tpl_{tag}", f"t_{tag}")
    url = create_database(admin_url, template.name)
    try:
        upgrade(url, template.schema)
        # The event-store tables, made on the application's first start.
        IHanoi(env=eventsourcing_env(url, cipher_key=cipher_key, schema=template.schema)).close()
        yield template
    finally:
        template.drop()


@pytest.fixture
def database_url(template_database: TemplateDatabase) -> str:
    """The test's own database, a copy of the template."""
    return template_database.copy()


@pytest.fixture
def fresh_schema(database_url: str, template_database: TemplateDatabase) -> str:
    """The schema of the test's database that holds the migrated read models and the event
    store's tables (``t_<hex>``, the same name for every test of this session)."""
    return template_database.schema


@pytest.fixture
def es_env(database_url: str, cipher_key: str, fresh_schema: str) -> dict[str, str]:
    """``env`` for an eventsourcing Application with its own event store (fresh_schema)."""
    return eventsourcing_env(database_url, cipher_key=cipher_key, schema=fresh_schema)
