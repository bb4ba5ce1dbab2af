"""Shared fixtures: a private PostgreSQL database per test run (per xdist worker).

Server choice (first that applies):
  1. TEST_DATABASE_URL: any database on the server to use; we only CREATE/DROP DATABASE there.
  2. postgres@127.0.0.1:5432 (trust auth), if it accepts a connection within ~1 s.
  3. an embedded PostgreSQL 18 kept in <tmp>/ihanoi-test-<uid>/pg18 (reused between runs).

Fixtures:
  database_url   (session)  URL of a fresh database ``ihanoi_test_<hex>``, dropped at the end.
  cipher_key     (session)  a freshly generated AES-256 key (base64).
  fresh_schema   (function) a new empty schema ``t_<hex>`` in that database, dropped after.
  es_env         (function) eventsourcing_env(database_url, cipher_key, fresh_schema).

Marker ``embedded``: runs only when IHANOI_TEST_EMBEDDED=1 or 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

import functools
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from application.database import (
    create_database,
    create_schema,
    drop_database,
    drop_schema,
    embedded_server_url,
    eventsourcing_env,
    redact_url,
)

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
    return f"database server: {choose_server().describe()}; each run uses its own database"


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
def database_url() -> Iterator[str]:
    """A fresh database for this test session (one per xdist worker), dropped afterwards."""
    choice = choose_server()
    admin_url = choice.admin_url or embedded_server_url(EMBEDDED_TEST_PGDATA)
    name = f"ihanoi_test_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name)
    try:
        yield url
    finally:
        drop_database(admin_url, name, force=True)


@pytest.fixture(scope="session")
def cipher_key() -> str:
    from eventsourcing.cipher import AESCipher

    return AESCipher.create_key(32)


@pytest.fixture
def fresh_schema(database_url: str) -> Iterator[str]:
    """An empty schema of its own (``t_<hex>``) for one test; dropped (CASCADE) after it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    create_schema(database_url, schema)
    try:
        yield schema
    finally:
        drop_schema(database_url, schema)


@pytest.fixture
def es_env(database_url: str, cipher_key: str, fresh_schema: str) -> dict[str, str]:
    """``env`` for an eventsourcing Application with its own event store (fresh_schema)."""
    return eventsourcing_env(database_url, cipher_key=cipher_key, schema=fresh_schema)
