"""The projection machinery: read models fed only by stored events, exactly once.

A :class:`ReadModel` is a set of handlers ``(cursor, event, notification_id)`` writing its own
tables. The runner reads stored events in notification order in batches, applies them to
every read model that has not yet seen them, and moves each model's tracking position **in the
same transaction** — a crash anywhere rolls the whole batch back, so no event is applied twice
or lost. (``eventsourcing``'s own ``ProjectionRunner`` commits one event per transaction; we
use its recorder and mapper but batch, which rebuilds need.) Tracking rows are locked
``FOR UPDATE`` while a batch runs, so two runners never apply the same batch.

Handlers use unqualified table names; the ``search_path`` decides which copy they write:
the live schema, a staging schema during a rebuild, or an ``asof_…`` schema. Their cursor is a
:class:`Statements` (``execute``, ``executemany``, ``fetchone``, ``fetchall``), which pipelines
their statements.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, Self
from uuid import uuid4

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.persistence import OperationalError as StoreOperationalError
from psycopg import pq, sql
from psycopg._queries import PostgresQuery
from psycopg.adapt import Transformer
from psycopg.errors import error_from_result

from application.database import advisory_lock_key
from application.sealing import Sealer
from application.topics import topics_of
from domain.errors import InvalidInput

Handler = Callable[[psycopg.Cursor[Any], Any, int], None]
Progress = Callable[[int, int], None]  # (events done, events in total)
log = logging.getLogger("ihanoi.projections")

#: Errors meaning the database cannot be reached (rather than a handler failing on an event).
UNREACHABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError, psycopg.InterfaceError, StoreOperationalError,
    StoreInterfaceError)


class HandlerFailed(Exception):
    """A read model's handler failed on one stored event."""

    def __init__(self, read_model: str, topic: str, notification_id: int,
                 cause: BaseException) -> None:
        super().__init__(f"read model {read_model} failed on event #{notification_id} "
                         f"({topic}): {type(cause).__name__}: {cause}")
        self.read_model, self.topic, self.notification_id = read_model, topic, notification_id


@dataclass(frozen=True)
class Failure:
    """Why the projector's last attempt failed, and how many times in a row it did.

    ``kind`` is ``database`` when the database could not be reached (the projector waits for
    it), ``handler`` when applying events failed (``read_model``, ``event`` — the event's
    topic — and ``notification_id`` name the culprit once isolated: the projector then
    retries that one event alone)."""

    kind: Literal["database", "handler"]
    error: str
    attempts: int
    since: datetime
    read_model: str | None = None
    event: str | None = None
    notification_id: int | None = None

    def same_as(self, other: Failure | None) -> bool:
        return other is not None and (self.kind, self.read_model, self.notification_id) == (
            other.kind, other.read_model, other.notification_id)


@dataclass
class ReadModel:
    """One read model: its tables (created by an alembic revision) and its event handlers."""

    name: str
    tables: tuple[str, ...]
    handlers: dict[str, Handler] = field(default_factory=dict)
    #: Its non-unique indexes that its handlers find rows by: kept during a replay, while its
    #: other non-unique indexes are built once after it (issue 16: maintained row by row,
    #: the text-search ones above all, they cost most of a rebuild).
    replay_indexes: tuple[str, ...] = ()

    def on(self, *event_classes: type) -> Callable[[Handler], Handler]:
        """Register a handler for one or more event classes."""
        def register(handler: Handler) -> Handler:
            for cls in event_classes:
                for topic in topics_of(cls):
                    self.handlers[topic] = handler
            return handler
        return register

    @property
    def topics(self) -> list[str]:
        return sorted(self.handlers)

    def process(self, cur: Any, event: Any, topic: str, nid: int) -> None:
        handler = self.handlers.get(topic)
        if handler is not None:
            handler(cur, event, nid)


class Statements:
    """What handlers get as their cursor: their statements queued in libpq's pipeline mode,
    each distinct one prepared once per connection, the buffer flushed every
    ``FLUSH_EVERY`` statements and the results read in bulk.

    psycopg's own pipeline flushes and polls the socket after every ``execute`` — most of the
    client's CPU at ~10 statements per event. A handler that reads a result
    (``execute(…).fetchone()``) syncs the pipeline first. The first SQL error is raised when
    the pipeline syncs (at the latest on leaving the ``with`` block); the transaction is then
    aborted and must be rolled back, as with psycopg's pipeline. Queries and parameters are
    converted by psycopg's own ``PostgresQuery`` (as ``Cursor.execute`` does).
    """

    FLUSH_EVERY = 200
    _names = itertools.count()

    def __init__(self, conn: psycopg.Connection[Any], prepared: dict[Any, bytes],
                 sealer: Sealer | None = None) -> None:
        self._conn, self._pg, self._prepared = conn, conn.pgconn, prepared
        #: The application's cipher for the personal values a handler must keep
        #: (:func:`application.sealing.sealer_of`).
        self.sealer = sealer
        self._tx = Transformer.from_context(conn)
        self._queued = self._pending = 0
        self._error: psycopg.Error | None = None
        self._last: pq.abc.PGresult | None = None  # the last statement's result, once read
        self._rows: list[tuple[Any, ...]] | None = None  # its rows, once loaded

    def __enter__(self) -> Self:
        self._pg.enter_pipeline_mode()
        self._pg.nonblocking = 1
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._sync()
        finally:
            self._pg.nonblocking = 0
            self._pg.exit_pipeline_mode()
        if self._error is not None and exc[0] is None:
            raise self._error

    def execute(self, query: Any, params: Any = None) -> Statements:
        pgq = PostgresQuery(self._tx)
        pgq.convert(query, params)
        key = (pgq.query, pgq.types)
        name = self._prepared.get(key)
        if name is None:
            name = self._prepared[key] = f"_projector_{next(self._names)}".encode()
            self._pg.send_prepare(name, pgq.query, param_types=pgq.types)
            self._pending += 1
        self._pg.send_query_prepared(name, pgq.params, param_formats=pgq.formats)
        self._pending += 1
        self._queued += 1
        self._rows = None
        if self._queued % self.FLUSH_EVERY == 0:
            self._communicate()
        return self

    def executemany(self, query: Any, params_seq: Iterable[Any]) -> None:
        for params in params_seq:
            self.execute(query, params)

    def check(self) -> None:
        """Sync the pipeline and raise the first error of the statements sent so far."""
        self._sync()
        if self._error is not None:
            raise self._error

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._load(), []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._load()
        return rows.pop(0) if rows else None

    def _load(self) -> list[tuple[Any, ...]]:
        """The rows of the last statement: the pipeline is synced to read them."""
        if self._rows is None:
            self._sync()
            if self._error is not None:
                raise self._error
            result = self._last
            if result is None or result.status != pq.ExecStatus.TUPLES_OK:
                raise psycopg.ProgrammingError("the last statement returned no rows")
            self._tx.set_pgresult(result)
            self._rows = self._tx.load_rows(0, result.ntuples, tuple)
        return self._rows

    def _communicate(self) -> None:
        """Send what is buffered, reading results as they come so the server never blocks
        on a full socket."""
        while True:
            flushed = self._pg.flush() == 0
            self._pg.consume_input()
            self._read(wait=False)
            if flushed:
                return
            select.select([self._pg.socket], [self._pg.socket], [])

    def _sync(self) -> None:
        self._pg.pipeline_sync()
        self._pending += 1
        self._communicate()
        self._read(wait=True)

    def _read(self, wait: bool) -> None:
        while self._pending and (wait or not self._pg.is_busy()):
            result = self._pg.get_result()
            if result is None:
                continue
            self._pending -= 1
            if result.status != pq.ExecStatus.PIPELINE_SYNC:
                self._last = result
            if result.status == pq.ExecStatus.FATAL_ERROR and self._error is None:
                self._error = error_from_result(result, self._conn.info.encoding)
                self._prepared.clear()  # statements after the error were never prepared


def rerouted(*columns: str) -> str:
    """Điều 28.1: the ``SET`` assignments that move each of ``columns`` naming the merged unit
    ``%(from)s`` to its successor ``%(to)s`` (for a handler of ``Report.Rerouted``)."""
    return ", ".join(f"{c} = CASE WHEN {c} = %(from)s THEN %(to)s ELSE {c} END"
                     for c in columns)


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """``"schema"."name"`` as text, for a ``regclass`` cast."""
    return f"{_quoted(schema)}.{_quoted(name)}"


def standalone_indexes(cur: psycopg.Cursor[Any], schema: str, table: str
                       ) -> list[tuple[str, str, bool]]:
    """The indexes of ``schema.table`` that back no constraint (a constraint's decides an
    ``ON CONFLICT`` or an error), by name: ``(name, definition, unique)``."""
    return [(name, definition, unique) for name, definition, unique in cur.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT FROM pg_constraint k"
        " WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) ORDER BY c.relname",
        (qualified(schema, table),)).fetchall()]


def _staging_key(schema: str) -> int:
    return advisory_lock_key(f"projection staging {schema}")


def advance_channel(schema: str) -> str:
    """The channel a projector NOTIFYs when it has moved the read models of ``schema``."""
    return f"{schema}_read_models_advanced"


def qualified_schemas(*schemas: str) -> str:
    """``"a", "b"`` as text: a ``search_path`` value (for ``set_config``)."""
    return ", ".join(_quoted(s) for s in schemas)


def set_search_path(cur: psycopg.Cursor[Any], *schemas: str) -> None:
    cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(
        sql.SQL(", ").join(_ident(s) for s in schemas)))


class EventRecorder(Protocol):
    """What the projector reads of eventsourcing's PostgreSQL application recorder: stored
    events in notification order, the table holding them and the channel it notifies."""

    @property
    def events_table_name(self) -> str: ...

    @property
    def channel_name(self) -> str: ...

    def max_notification_id(self) -> int | None: ...

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *,
                             inclusive_of_start: bool = True) -> Sequence[Notification]: ...


class EventSource(Protocol):
    """An event-sourced application as the projector reads it: the recorder selecting its
    stored events and the mapper decoding them (``IHanoi`` is one)."""

    @property
    def recorder(self) -> EventRecorder: ...

    @property
    def mapper(self) -> Mapper[Any]: ...


#: The rule an as-of for an instant still to come breaks: its events are not all recorded yet,
#: so a schema built for it would be kept and served stale once they are.
AS_OF_PAST = "as-of: an instant not yet passed"


class FutureInstant(InvalidInput):
    """An as-of asked for an instant later than now (:data:`AS_OF_PAST`)."""

    def __init__(self, instant: datetime, now: datetime) -> None:
        super().__init__(AS_OF_PAST, f"as of {instant.isoformat()}: that instant has not "
                         f"passed yet (now is {now.isoformat()}); ask for a past instant")
        self.instant, self.now = instant, now


class Projector:
    """Keeps read models up to date with the event store of ``source``."""

    #: Consecutive failures of one handler on one event after which the projector is
    #: reported stalled (``/readyz`` 503, ``ihanoi_projection_stalled``, an error log).
    STALLED_AFTER = 3

    def __init__(self, source: EventSource, conninfo: str, models: Sequence[ReadModel],
                 schema: str = "public", batch_size: int = 500, max_as_of: int = 32,
                 connect_timeout: int = 5, retry_initial: float = 0.2,
                 retry_max: float = 30.0, clock: Callable[[], datetime] | None = None
                 ) -> None:
        self.source = source
        #: "Now" for as-of: ``clock``, else the source's clock (``IHanoi.now``), else UTC now.
        self.now: Callable[[], datetime] = clock or getattr(
            source, "now", None) or (lambda: datetime.now(UTC))
        self.sealer = Sealer.of(source.mapper)
        self.conninfo = conninfo
        self.models = list(models)
        self.schema = schema
        self.batch_size = batch_size
        self.max_as_of = max_as_of
        self.topics = sorted({t for m in self.models for t in m.topics})
        self._by_name = {m.name: m for m in self.models}
        #: Called in this process with the position every model has reached, after each
        #: batch that moved them (:class:`projections.consistency.ReadPosition` listens).
        self.on_advance: list[Callable[[int], None]] = []
        #: libpq's ``connect_timeout`` (seconds) of every connection the projector opens.
        self.connect_timeout = connect_timeout
        #: ``run_forever``'s backoff after a failure: doubling from ``retry_initial`` seconds
        #: up to ``retry_max``.
        self.retry_initial, self.retry_max = retry_initial, retry_max
        #: The last attempt's failure while ``run_forever`` has not succeeded since, else None.
        self.failure: Failure | None = None
        #: Failed attempts since the start, by (kind, read model or "").
        self.failures_total: dict[tuple[str, str], int] = {}

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, **kwargs)

    @property
    def stalled(self) -> Failure | None:
        """The failure when one handler has failed on one event ``STALLED_AFTER`` times in a
        row (it will not pass by itself), else None."""
        failure = self.failure
        if failure is not None and failure.kind == "handler" \
                and failure.attempts >= self.STALLED_AFTER:
            return failure
        return None

    def model(self, name: str) -> ReadModel:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no read model {name!r}; known: {sorted(self._by_name)}") from None

    # ----------------------------------------------------------------- reading events

    def head(self) -> int:
        """The last notification id in the event store."""
        return self.source.recorder.max_notification_id() or 0

    def _notifications(self, after: int, limit: int, topics: Sequence[str],
                       stop: int | None = None) -> Sequence[Notification]:
        return self.source.recorder.select_notifications(
            start=after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False)

    def _decode(self, notification: Notification) -> Any:
        return self.source.mapper.to_domain_event(notification)

    # ----------------------------------------------------------------- following live

    def positions(self, conn: psycopg.Connection[Any]) -> dict[str, int]:
        rows = conn.execute(
            sql.SQL("SELECT projection, notification_id FROM {}.projection_tracking").format(
                _ident(self.schema))).fetchall()
        return {name: nid for name, nid in rows}

    def ensure_tracking(self) -> None:
        with self.connect() as conn:
            conn.cursor().executemany(
                sql.SQL("INSERT INTO {}.projection_tracking (projection, notification_id) "
                        "VALUES (%s, 0) ON CONFLICT DO NOTHING").format(_ident(self.schema)),
                [(m.name,) for m in self.models])

    def run_once(self, limit: int | None = None, isolate: bool = False,
                 conn: psycopg.Connection[Any] | None = None,
                 prepared: dict[Any, bytes] | None = None) -> int:
        """Apply the next batch to every read model behind; return the events read (0 when
        every model is at the head).

        The models' tracking rows move to the position the batch *covers*: its last event,
        or the store's head when the batch holds every event of interest up to it (events
        no model handles are passed over too), so that a reader waiting for a position
        (:class:`projections.consistency.ReadPosition`) is not kept waiting by events that
        concern no read model. The move is announced to this process's ``on_advance``
        callbacks after the commit, and to other processes by a NOTIFY on
        :func:`advance_channel` delivered at the commit.

        With ``isolate``, each handler's statements are checked as soon as it returns, so
        that a failure is raised as :class:`HandlerFailed` naming the read model and the
        event (slower: ``run_forever`` does it after a failure).

        ``conn`` (not in a transaction) and ``prepared`` (its statements prepared so far):
        a follower's own connection, kept from batch to batch, instead of a new one."""
        limit = limit or self.batch_size
        if conn is None:
            with self.connect() as own:
                return self.run_once(limit, isolate, own, {})
        names = [m.name for m in self.models]
        tracking = sql.Identifier(self.schema, "projection_tracking")
        with conn.transaction(), conn.cursor() as cur:
            # Caught up? Read without locking: an idle poll then writes nothing (a row lock
            # gives the transaction an id, WAL and a flushed commit). The head is read before
            # the rows are locked: appends commit in notification order (the recorder's table
            # lock), so every event up to it is visible to the select below.
            cur.execute(sql.SQL(
                "SELECT count(*), min(notification_id), (SELECT max(notification_id) FROM {})"
                " FROM {} WHERE projection = ANY(%s)").format(
                    sql.Identifier(self.schema, self.source.recorder.events_table_name),
                    tracking), (names,))
            row = cur.fetchone()
            assert row is not None
            found, start, head = row[0], row[1], row[2] or 0
            if found < len(self.models):
                raise RuntimeError("tracking rows missing: call ensure_tracking() first")
            if head <= start:
                return 0
            cur.execute(sql.SQL(
                "SELECT projection, notification_id FROM {} "
                "WHERE projection = ANY(%s) ORDER BY projection FOR UPDATE").format(tracking),
                (names,))
            positions = dict(cur.fetchall())
            start = min(positions.values())
            if head <= start:  # another runner applied them meanwhile
                return 0
            batch = self._notifications(start, limit, self.topics, stop=head)
            covered = batch[-1].id if len(batch) >= limit else head
            # The tracking rows move and the NOTIFY is sent in one statement, queued behind
            # the handlers' statements when there are some: one round trip for all of them.
            # The batch commits without waiting for its WAL flush (synchronous_commit off):
            # the read models are derived and move with their tracking rows in one
            # transaction, so a server crash can only lose whole batches, applied again
            # from the tracking rows on restart (issue 16: the flush was up to a tenth of
            # a batch's time at 200 commands/s).
            advance = (sql.SQL(
                "WITH moved AS (UPDATE {} SET notification_id = %s"
                " WHERE projection = ANY(%s) AND notification_id < %s RETURNING 1)"
                " SELECT pg_notify(%s, '')").format(tracking),
                (covered, names, covered, advance_channel(self.schema)))
            if batch:
                with Statements(conn, {} if prepared is None else prepared,
                                self.sealer) as statements:
                    statements.execute("SELECT set_config('search_path', %s, true),"
                                       " set_config('synchronous_commit', 'off', true)",
                                       (qualified_schemas(self.schema),))
                    self._apply(statements, batch, self.models, positions,
                                isolate=isolate)
                    statements.execute(*advance)
            else:
                cur.execute(*advance)
        for callback in list(self.on_advance):
            callback(covered)
        return len(batch)

    def _apply(self, cur: Statements, batch: Iterable[Notification],
               models: Sequence[ReadModel], positions: dict[str, int],
               until: datetime | None = None, isolate: bool = False) -> None:
        for notification in batch:
            interested = [m for m in models if notification.id > positions[m.name]
                          and notification.topic in m.handlers]
            if not interested:
                continue
            event = self._decode(notification)
            # A fact is known from when it was recorded (a passed deadline is dated at its
            # due instant but recorded by the scheduler later).
            if until is not None and getattr(event, "recorded_at", event.at) > until:
                continue
            for m in interested:
                if not isolate:
                    m.process(cur, event, notification.topic, notification.id)
                    continue
                try:
                    m.process(cur, event, notification.topic, notification.id)
                    cur.check()
                except UNREACHABLE:
                    raise
                except Exception as error:
                    raise HandlerFailed(m.name, notification.topic, notification.id,
                                        error) from error

    def catch_up(self) -> int:
        """Run batches until every read model is at the head; return the events read."""
        total = 0
        while n := self.run_once():
            total += n
        return total

    def lag(self) -> int:
        """Stored events of interest not yet applied by the slowest read model."""
        with self.connect() as conn:
            positions = self.positions(conn)
            start = min(positions.get(m.name, 0) for m in self.models)
            row = conn.execute(sql.SQL(
                "SELECT count(*) FROM {}.{} WHERE notification_id > %s AND topic = ANY(%s)"
            ).format(_ident(self.schema), _ident(self.source.recorder.events_table_name)),
                (start, self.topics)).fetchone()
        return row[0] if row else 0

    def run_forever(self, stop: threading.Event, poll_interval: float = 0.2) -> None:
        """Follow the event store until ``stop`` is set: wake on the recorder's NOTIFY after
        each commit, and poll every ``poll_interval`` anyway, so that a lost NOTIFY
        (eventsourcing issue #305) never leaves the read side behind.

        Never gives up (issue 12 item 7): any failure — the database gone or restarting, a
        handler raising — is logged, counted (``failures_total``), kept in ``failure``, and
        retried after a backoff doubling from ``retry_initial`` to ``retry_max`` seconds,
        from the tracking rows (a failed batch was rolled back whole). After a failure the
        events are applied one at a time with each handler checked, so a handler that keeps
        failing is named with its event; after ``STALLED_AFTER`` failures in a row it is
        reported ``stalled``. The first success clears ``failure``.

        The batches run on one connection kept with its prepared statements (a new one
        after any failure): a connection per batch cost more than the batch itself at a
        few events each (issue 16, lag at 200 commands/s)."""
        delay = self.retry_initial
        listener: psycopg.Connection[Any] | None = None
        worker: psycopg.Connection[Any] | None = None
        prepared: dict[Any, bytes] = {}
        try:
            while not stop.is_set():
                try:
                    if listener is None:
                        self.ensure_tracking()
                        listener = self.connect(autocommit=True)
                        listener.execute(sql.SQL("LISTEN {}").format(
                            _ident(self.source.recorder.channel_name)))
                    if worker is None:
                        worker, prepared = self.connect(), {}
                    isolate = self.failure is not None
                    read = self.run_once(limit=1 if isolate else None, isolate=isolate,
                                         conn=worker, prepared=prepared)
                    self._succeeded()
                    delay = self.retry_initial
                    if read == 0:
                        for _ in listener.notifies(timeout=poll_interval, stop_after=1):
                            pass
                except Exception as error:  # noqa: BLE001 — every failure is retried
                    self._failed(error, delay)
                    if listener is not None and (listener.closed or listener.broken):
                        listener = None
                    if worker is not None:
                        worker.close()
                        worker = None
                    stop.wait(delay)
                    delay = min(delay * 2, self.retry_max)
        finally:
            for conn in (listener, worker):
                if conn is not None:
                    conn.close()

    def _succeeded(self) -> None:
        if self.failure is not None:
            log.warning("projector: resumed after %d failed attempts (%s)",
                        self.failure.attempts, self.failure.error,
                        extra={"schema": self.schema})
            self.failure = None

    def _failed(self, error: Exception, delay: float) -> None:
        previous = self.failure
        if isinstance(error, HandlerFailed):
            failure = Failure("handler", str(error), 1, datetime.now(UTC), error.read_model,
                              error.topic, error.notification_id)
        else:
            kind: Literal["database", "handler"] = (
                "database" if isinstance(error, UNREACHABLE) else "handler")
            text = f"{type(error).__name__}: {error}".splitlines()[0]
            failure = Failure(kind, text, 1, datetime.now(UTC))
        if failure.same_as(previous):
            assert previous is not None
            failure = Failure(failure.kind, failure.error, previous.attempts + 1,
                              previous.since, failure.read_model, failure.event,
                              failure.notification_id)
        self.failure = failure
        key = (failure.kind, failure.read_model or "")
        self.failures_total[key] = self.failures_total.get(key, 0) + 1
        extra = {"schema": self.schema, "kind": failure.kind, "read_model": failure.read_model,
                 "event": failure.event, "notification_id": failure.notification_id,
                 "attempts": failure.attempts, "retry_in": delay}
        if self.stalled is not None:
            log.error("projector: read model %s stalled on event #%s (%s), %d failures in a "
                      "row; retrying in %.1fs: %s", failure.read_model,
                      failure.notification_id, failure.event, failure.attempts, delay,
                      failure.error, extra=extra)
        else:
            log.warning("projector: attempt failed; retrying in %.1fs: %s", delay,
                        failure.error, extra=extra, exc_info=failure.attempts == 1)

    # ----------------------------------------------------------------- rebuilding

    def _create_copies(self, cur: psycopg.Cursor[Any], target: str,
                       models: Sequence[ReadModel]) -> None:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(_ident(target)))
        for m in models:
            for table in m.tables:
                # Unlogged while replaying (no WAL per row); made logged before it is used.
                cur.execute(sql.SQL(
                    "CREATE UNLOGGED TABLE {}.{} (LIKE {}.{} INCLUDING ALL)").format(
                    _ident(target), _ident(table), _ident(self.schema), _ident(table)))
                self._copy_sequences(cur, target, table)
                self._copy_index_names(cur, target, table)
                for name, _, unique in standalone_indexes(cur, target, table):
                    if not unique and name not in m.replay_indexes:
                        cur.execute(sql.SQL("DROP INDEX {}").format(
                            sql.Identifier(target, name)))

    def _finish(self, target: str, models: Sequence[ReadModel], logged: bool = True,
                indexes: bool = True) -> None:
        """Make the replayed tables crash-safe (unless not ``logged``: as-of schemas are caches)
        and ready for queries: ``SET LOGGED`` writes each once to the WAL (rewritten without
        the dead rows of the replay's updates), then the indexes left out of the replay are
        built (named and defined as the live ones; not with ``indexes`` False: a checkpoint
        keeps none), then ``VACUUM ANALYZE`` gives the planner
        statistics and a visibility map (autovacuum may be off or late: stale statistics made
        index scans 100× slower)."""
        tables = [table for m in models for table in m.tables]
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            for table in tables if logged else ():
                conn.execute(sql.SQL("ALTER TABLE {} SET LOGGED").format(
                    sql.Identifier(target, table)))
            conn.execute("SET maintenance_work_mem TO '256MB'")
            for table in tables if indexes else ():
                with conn.cursor() as cur:
                    built = {name for name, _, _ in standalone_indexes(cur, target, table)}
                    for name, definition, unique in standalone_indexes(cur, self.schema, table):
                        if not unique and name not in built:
                            cur.execute(sql.SQL("CREATE INDEX {} ON {} USING {}").format(
                                _ident(name), sql.Identifier(target, table),
                                sql.SQL(definition.split(" USING ", 1)[1])))
            for table in tables:
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(
                    sql.Identifier(target, table)))

    @contextmanager
    def _staging(self, prefix: str, models: Sequence[ReadModel]) -> Iterator[str]:
        """A new schema ``<prefix>_<hex>`` of empty copies of the models' tables, dropped on
        leaving unless renamed meanwhile.

        Its builder holds a session advisory lock named after it while it lives, so a schema
        whose lock is free was left by a builder that died (SIGKILL, lost server): the next
        build drops it (:meth:`_drop_abandoned`).
        """
        self._drop_abandoned()
        name = f"{prefix}_{uuid4().hex[:12]}"
        with psycopg.connect(self.conninfo, autocommit=True) as guard:
            guard.execute("SELECT pg_advisory_lock(%s)", (_staging_key(name),))
            try:
                with self.connect() as conn, conn.transaction(), conn.cursor() as cur:
                    self._create_copies(cur, name, models)
                    cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                        _ident(name), sql.Literal(f"staging of {self.schema}")))
                yield name
            finally:
                guard.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(_ident(name)))

    def _drop_abandoned(self) -> None:
        """Drop the staging schemas of this live schema whose builder is gone."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            names = [name for (name,) in conn.execute(
                "SELECT nspname FROM pg_namespace"
                " WHERE obj_description(oid, 'pg_namespace') = %s",
                (f"staging of {self.schema}",)).fetchall()]
            for name in names:
                key = _staging_key(name)
                locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if locked and locked[0]:
                    try:
                        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                            _ident(name)))
                    finally:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _copy_sequences(self, cur: psycopg.Cursor[Any], target: str, table: str) -> None:
        """Give each ``serial`` column of the copy a sequence of its own: ``LIKE`` keeps the
        default on the live table's sequence, which would then block dropping that table."""
        owned = cur.execute(
            "SELECT a.attname, s.relname, format_type(q.seqtypid, NULL)"
            " FROM pg_depend d JOIN pg_class s ON s.oid = d.objid"
            " JOIN pg_sequence q ON q.seqrelid = s.oid"
            " JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
            " WHERE d.classid = 'pg_class'::regclass AND d.refobjid = %s::regclass"
            " AND d.deptype = 'a'", (qualified(self.schema, table),)).fetchall()
        for column, sequence, type_name in owned:
            cur.execute(sql.SQL(
                "CREATE SEQUENCE {seq} AS {type} OWNED BY {table}.{column};"
                " ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT nextval({name})").format(
                    seq=sql.Identifier(target, sequence), type=sql.SQL(type_name),
                    table=sql.Identifier(target, table), column=_ident(column),
                    name=sql.Literal(qualified(target, sequence))))

    def _copy_index_names(self, cur: psycopg.Cursor[Any], target: str, table: str) -> None:
        """Name the copy's indexes as the live ones (``LIKE`` generates names), so that later
        migrations find them by name after a rebuild."""
        def indexes(schema: str) -> list[tuple[str, str]]:
            rows = cur.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
                " ORDER BY c.relname", (qualified(schema, table),)).fetchall()
            # The definition without its name and table: "[UNIQUE ]USING btree (…)".
            return [(name, ("UNIQUE " if definition.startswith("CREATE UNIQUE") else "")
                     + definition.split(" USING ", 1)[1]) for name, definition in rows]

        live = indexes(self.schema)
        copies = indexes(target)
        renames: list[tuple[str, str]] = []
        for name, definition in live:
            match = next(c for c in copies if c[1] == definition)
            copies.remove(match)
            renames.append((match[0], name))
        # Through temporary names: a generated name may be another index's live name.
        for step, (old, _) in enumerate(renames):
            cur.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                sql.Identifier(target, old), _ident(f"rename_{step}")))
        for step, (_, new) in enumerate(renames):
            cur.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                sql.Identifier(target, f"rename_{step}"), _ident(new)))

    def _replay(self, target: str, models: Sequence[ReadModel], stop: int,
                progress: Progress | None, until: datetime | None = None,
                after: int = 0) -> int:
        """Replay notifications ``after < id <= stop`` into ``target``, batch by batch."""
        topics = sorted({t for m in models for t in m.topics})
        total = stop - after
        position = after
        positions = {m.name: 0 for m in models}
        prepared: dict[Any, bytes] = {}
        tables = [sql.Identifier(target, table) for m in models for table in m.tables]
        analyzed = 0  # events replayed at the last ANALYZE
        with self.connect() as conn:
            while position < stop:
                batch = self._notifications(position, self.batch_size * 4, topics, stop=stop)
                if not batch:
                    break
                with conn.transaction(), conn.cursor() as cur:
                    set_search_path(cur, target, self.schema)
                    with Statements(conn, prepared, self.sealer) as statements:
                        self._apply(statements, batch, models, positions, until)
                position = batch[-1].id
                if position - after >= 4 * analyzed:
                    # Statistics as the tables grow: the handlers' prepared statements are
                    # re-planned for their size (planned for empty tables, their lookups ran
                    # as bitmap scans ANDing two indexes).
                    analyzed = position - after
                    for table in tables:
                        conn.execute(sql.SQL("ANALYZE {}").format(table))
                    conn.commit()
                if progress:
                    progress(position - after, total)
        if progress:
            progress(total, total)
        return position

    def rebuild(self, names: Sequence[str] | None = None,
                progress: Progress | None = None) -> int:
        """Replay the whole history into fresh tables, then swap them in atomically.

        Readers keep the old tables until the swap's single transaction commits; the live
        runner waits on the tracking rows during the swap and carries on from the rebuilt
        position. Returns the notification id the rebuilt models stand at.
        """
        models = [self.model(n) for n in names] if names else self.models
        with self._staging("rebuild", models) as staging:
            position = self._replay(staging, models, self.head(), progress)
            self._finish(staging, models)
            with self.connect() as conn, conn.transaction(), conn.cursor() as cur:
                # Locked in run_once's order, so that the two never deadlock.
                cur.execute(sql.SQL(
                    "SELECT projection FROM {}.projection_tracking WHERE projection = ANY(%s) "
                    "ORDER BY projection FOR UPDATE").format(_ident(self.schema)),
                    ([m.name for m in models],))
                # Events committed since the replay started: apply them under the lock, up to
                # a head read now (events committed later are the live runner's).
                head = self.head()
                rest = self._notifications(position, 1_000_000_000,
                                           sorted({t for m in models for t in m.topics}),
                                           stop=head)
                set_search_path(cur, staging, self.schema)
                with Statements(conn, {}, self.sealer) as statements:
                    self._apply(statements, rest, models, {m.name: position for m in models})
                position = head
                for m in models:
                    for table in m.tables:
                        cur.execute(sql.SQL("DROP TABLE {}.{}").format(
                            _ident(self.schema), _ident(table)))
                        cur.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                            _ident(staging), _ident(table), _ident(self.schema)))
                cur.executemany(sql.SQL(
                    "INSERT INTO {}.projection_tracking (projection, notification_id) "
                    "VALUES (%s, %s) ON CONFLICT (projection) DO UPDATE "
                    "SET notification_id = EXCLUDED.notification_id").format(
                        _ident(self.schema)), [(m.name, position) for m in models])
            return position

    # ----------------------------------------------------------------- as of an instant

    def as_of(self, instant: datetime, names: Sequence[str] | None = None,
              progress: Progress | None = None) -> str:
        """Build read models from the events recorded up to ``instant`` (what the system showed
        at ``instant``: an event dated earlier but recorded later, e.g. ``StageDeadlinePassed``,
        is left out) into a schema of their own, and return its name; query it with
        ``search_path``.

        A schema already built for the same live schema, instant and read models is reused
        (unless built before the server last started: its tables are unlogged); beyond
        ``max_as_of`` such schemas the least recently built ones are dropped. The build starts
        from the nearest checkpoint (:mod:`projections.checkpoints`).

        An instant later than now (:attr:`now`, the application's clock) is refused with
        :class:`FutureInstant`: events still to be recorded up to it would be missing from a
        schema kept and reused afterwards.
        """
        if instant.tzinfo is None:
            raise ValueError("the instant must be timezone-aware")
        now = self.now()
        if instant > now:
            raise FutureInstant(instant, now)
        models = [self.model(n) for n in names] if names else self.models
        stamp = instant.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
        chosen = sorted(m.name for m in models)
        # The live schema and every name go into the key: the readable tail may be cut short.
        key = hashlib.sha256("|".join([self.schema, *chosen]).encode()).hexdigest()[:8]
        target = f"asof_{stamp}_{key}_{'_'.join(chosen)}"[:63]
        # From the nearest checkpoint (issue 16); imported here: that module builds on this one.
        from projections.checkpoints import build_as_of, kept_as_of
        if kept_as_of(self, target):
            return target
        build_as_of(self, target, models, instant, progress)
        self._evict_as_of()
        return target

    def _evict_as_of(self) -> None:
        """Keep at most ``max_as_of`` as-of schemas of this live schema (oldest built go)."""
        tag = f"as-of of {self.schema} built "
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'asof\\_%%'"
                " AND obj_description(oid, 'pg_namespace') LIKE %s"
                " ORDER BY obj_description(oid, 'pg_namespace') DESC OFFSET %s",
                (tag.replace("_", "\\_") + "%", self.max_as_of)).fetchall()
            for (schema,) in rows:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    _ident(schema)))
            conn.commit()


def wait_until_caught_up(projector: Projector, timeout: float = 10.0) -> None:
    """Block until every read model has applied every stored event (tests, demo)."""
    deadline = time.monotonic() + timeout
    while projector.lag():
        if time.monotonic() > deadline:
            raise TimeoutError("read models did not catch up in time")
        time.sleep(0.05)
