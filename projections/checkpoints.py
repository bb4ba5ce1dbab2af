"""As of an instant from checkpoints (issue 16): an as-of build starts from the read models
frozen at the nearest checkpoint and replays only the rest.

- **Instants** (``projection_instants``): the stored events, scanned once in notification order
  and decoded, give for each range of ``span`` notification ids the earliest and latest instant
  at which the system learnt of one of them (:func:`known_at`). An as-of at T then replays no
  further than the last range holding an event recorded at or before T.
- **Checkpoint**: a schema ``ckpt_<key>_<position>`` holding every read model's tables as they
  stood after *every* stored event up to notification ``position`` and none after, cut on a
  range boundary. It stands for any instant at or after ``covers``, the latest instant at
  which one of those events was recorded: the full as-of at such a T applies each of them, in
  the same order, and the events after ``position`` recorded at or before T. Checkpoints are
  cut by :func:`make_checkpoints` (``ihanoi projections checkpoint``, the scheduler) at each
  business-month end passed (Asia/Ho_Chi_Minh; the public reads as of month ends, Điều 18.4)
  and every ``every`` events, each one the previous plus the events in between, built in a
  staging schema and renamed with its description in one transaction: a builder killed midway
  leaves no half checkpoint and never touches the live models. The description records the
  live schema's migration heads: a checkpoint made under other heads is never used (and is
  dropped by the next :func:`make_checkpoints`). A checkpoint is only ever read whole (copied
  into the next one or into an as-of build, which build their own keys and indexes), so it
  keeps no index: its tables are the rows alone.
- **Retention** (:class:`Retention`, ``IHANOI_CHECKPOINT_KEEP_MONTHS`` and ``_KEEP_LATEST``):
  each checkpoint is a full copy of the read models, so :func:`make_checkpoints` then drops
  those no rule keeps (:func:`retained`). An as-of at an instant whose checkpoint was dropped
  starts from the nearest remaining one before it; the spacing rule bounds its tail. A
  checkpoint is dropped only under an exclusive advisory lock of its own, which every copy
  from it holds shared (:func:`_seed`): one being copied from is left to the next run.
- :func:`build_as_of` (``Projector.as_of``): copies the requested models' tables of the
  nearest usable checkpoint into a staging schema (unlogged, keys and indexes built after the
  rows), replays the tail, renames it ``asof_…``; its tables stay unlogged (a cache: a schema
  built before the server last started is dropped and built again, :func:`kept_as_of`).
  At most :data:`CONCURRENT_BUILDS` builds at once per process; requests for a schema being
  built wait for that build.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from application.database import advisory_lock_key
from domain.calendar import BUSINESS_TZ
from projections.engine import Progress, Projector, ReadModel, qualified, standalone_indexes

#: Stored events per range of ``projection_instants``.
SPAN = 1_000
#: Default number of events between two checkpoints (``IHANOI_CHECKPOINT_EVERY``).
EVERY = 100_000
#: As-of builds running at once in one process; more wait for a slot.
CONCURRENT_BUILDS = 2


@dataclass(frozen=True)
class Retention:
    """Which checkpoints :func:`make_checkpoints` keeps (``IHANOI_CHECKPOINT_KEEP_MONTHS``,
    ``IHANOI_CHECKPOINT_KEEP_LATEST``): those of the month ends of the last ``months`` months
    (the public reads as of month ends, Điều 18.4, mostly the recent ones: a year of them
    answers with no tail), the ``latest`` last ones cut every N events (recent instants, which
    staff ask most), the last one (the next is cut from it), and, of the others, as many as
    keep any two kept ones at most ``every`` events apart (an older instant replays no more
    than that)."""

    months: int = 12
    latest: int = 2


def known_at(event: Any) -> datetime | None:
    """When the system learnt of ``event``: a fact dated earlier but recorded later (a passed
    deadline, ``recorded_at``) counts from its recording; every other event from its ``at``.
    None for an event without an instant of its own (an aggregate's creation that no read
    model handles: no as-of applies it)."""
    instant = getattr(event, "recorded_at", None) or getattr(event, "at", None)
    return instant if isinstance(instant, datetime) else None


def _key(projector: Projector, what: str) -> int:
    return advisory_lock_key(f"{what} of {projector.schema}")


# ----------------------------------------------------------------------------- instants


def scan_instants(projector: Projector, span: int = SPAN) -> int:
    """Record in ``projection_instants`` the ranges of the events stored since the last scan;
    returns how many events were scanned. Concurrent scans take turns range by range."""
    head = projector.head()
    table = sql.Identifier(projector.schema, "projection_instants")
    scanned = 0
    with projector.connect() as conn:
        while True:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_key(projector, "instants"),))
                row = conn.execute(sql.SQL("SELECT coalesce(max(last), 0) FROM {}").format(
                    table)).fetchone()
                last = row[0] if row else 0
                batch = projector._notifications(last, span, (), stop=head) \
                    if last < head else []
                if not batch:
                    return scanned
                instants = [i for n in batch if (i := known_at(projector._decode(n)))]
                conn.execute(sql.SQL("INSERT INTO {} (last, first, earliest, latest)"
                                     " VALUES (%s, %s, %s, %s)").format(table),
                             (batch[-1].id, last, min(instants, default=None),
                              max(instants, default=None)))
                scanned += len(batch)


def _stop(conn: psycopg.Connection[Any], projector: Projector, after: int,
          instant: datetime) -> int:
    """The last notification id an as-of at ``instant`` replaying from ``after`` must read:
    the end of the last range holding an event recorded at or before ``instant``."""
    row = conn.execute(sql.SQL(
        "SELECT max(last) FROM {} WHERE last > %s AND earliest <= %s").format(
            sql.Identifier(projector.schema, "projection_instants")), (after, instant)).fetchone()
    return max(after, row[0] if row and row[0] else 0)


# ----------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """Every read model of ``models`` after every stored event up to ``position``; stands for
    any instant at or after ``covers``; ``month_end`` the month end it was cut for, if any."""

    schema: str
    position: int
    covers: datetime
    month_end: datetime | None
    heads: tuple[str, ...]
    models: tuple[str, ...]
    created: datetime

    def describe(self) -> str:
        return json.dumps({
            "position": self.position, "covers": self.covers.isoformat(),
            "month_end": self.month_end.isoformat() if self.month_end else None,
            "heads": list(self.heads), "models": list(self.models),
            "created": self.created.isoformat()})

    @classmethod
    def described(cls, schema: str, text: str) -> Checkpoint:
        data = json.loads(text)
        return cls(schema, data["position"], datetime.fromisoformat(data["covers"]),
                   datetime.fromisoformat(data["month_end"]) if data["month_end"] else None,
                   tuple(data["heads"]), tuple(data["models"]),
                   datetime.fromisoformat(data["created"]))


def _tag(projector: Projector) -> str:
    return f"checkpoint of {projector.schema}: "


def checkpoints(projector: Projector) -> list[Checkpoint]:
    """The checkpoints of ``projector``'s live schema, by position (outdated ones included)."""
    tag = _tag(projector)
    with projector.connect() as conn:
        rows = conn.execute(
            "SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace"
            " WHERE nspname LIKE 'ckpt\\_%%'"
            " AND starts_with(obj_description(oid, 'pg_namespace'), %s)", (tag,)).fetchall()
    return sorted((Checkpoint.described(name, text[len(tag):]) for name, text in rows),
                  key=lambda c: c.position)


def disk_bytes(projector: Projector, chosen: Sequence[Checkpoint]) -> dict[str, int]:
    """The bytes each of the ``chosen`` checkpoints takes on disk, by schema."""
    with projector.connect() as conn:
        return dict(conn.execute(
            "SELECT n.nspname, sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s)"
            " AND c.relkind = 'r' GROUP BY 1", ([c.schema for c in chosen],)).fetchall())


def migration_heads(projector: Projector) -> tuple[str, ...]:
    """The alembic revisions the live schema's read-model tables stand at."""
    with projector.connect() as conn:
        return tuple(row[0] for row in conn.execute(sql.SQL(
            "SELECT version_num FROM {}.alembic_version ORDER BY 1").format(
                sql.Identifier(projector.schema))).fetchall())


def drop_checkpoints(projector: Projector) -> int:
    """Drop every checkpoint, once no copy from it runs (nor a maker); returns how many.
    After a change to a handler's code, drop them all: they hold its old output."""
    with projector.connect(autocommit=True) as guard:
        guard.execute("SELECT pg_advisory_lock(%s)", (_key(projector, "checkpoints"),))
        try:
            return _drop(projector, checkpoints(projector), wait=True)
        finally:
            guard.execute("SELECT pg_advisory_unlock(%s)", (_key(projector, "checkpoints"),))


def _copy_key(checkpoint: Checkpoint) -> int:
    return advisory_lock_key(f"copy from {checkpoint.schema}")


def _drop(projector: Projector, chosen: Sequence[Checkpoint], wait: bool) -> int:
    """Drop the ``chosen`` checkpoints, each under its exclusive lock: waiting for the copies
    from it to end, or (not ``wait``) leaving it while one runs; returns how many."""
    lock = ("SELECT true FROM pg_advisory_xact_lock(%s)" if wait
            else "SELECT pg_try_advisory_xact_lock(%s)")
    dropped = 0
    for c in chosen:
        with projector.connect() as conn, conn.transaction():
            row = conn.execute(lock, (_copy_key(c),)).fetchone()
            if row and row[0]:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(c.schema)))
                dropped += 1
    return dropped


def retained(chain: Sequence[Checkpoint], keep: Retention, every: int, now: datetime
             ) -> list[Checkpoint]:
    """The checkpoints of ``chain`` (by position) that ``keep`` keeps at ``now`` and
    ``every`` events between two cuts (see :class:`Retention`)."""
    local = now.astimezone(BUSINESS_TZ)
    index = local.year * 12 + local.month - 1 - keep.months  # ``months`` months before this one
    since = datetime(index // 12, index % 12 + 1, 1, tzinfo=BUSINESS_TZ)  # kept: those after
    counted = [c for c in chain if c.month_end is None]
    kept = {c.schema for c in chain if c.month_end is not None and c.month_end > since}
    kept |= {c.schema for c in counted[::-1][:keep.latest]}
    kept |= {c.schema for c in chain[-1:]}
    previous = 0  # a replay from the first event
    for c, after in itertools.pairwise(chain):
        if c.schema in kept or after.position - previous > every:
            kept.add(c.schema)
            previous = c.position
    return [c for c in chain if c.schema in kept]


def month_end_at_or_after(instant: datetime) -> datetime:
    """The first business-month end (the 1st at 00:00 Asia/Ho_Chi_Minh) at or after
    ``instant``."""
    local = instant.astimezone(BUSINESS_TZ)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start == local:
        return start
    return (start + timedelta(days=32)).replace(day=1)


def _cuts(position: int, covers: datetime | None,
          ranges: Sequence[tuple[int, datetime | None]], every: int, now: datetime
          ) -> list[tuple[int, datetime, datetime | None]]:
    """Where to cut checkpoints after one at ``position`` covering ``covers``, given the
    following ranges ``(last, latest)``: before the first range going past the month end
    that the state so far stands for, after every ``every`` events, and at the end when a
    month end has passed since."""
    cuts: list[tuple[int, datetime, datetime | None]] = []
    since = position
    for last, latest in ranges:
        if covers is not None and latest is not None and position > since:
            end = month_end_at_or_after(covers)
            if latest > end:
                cuts.append((position, covers, end))
                since = position
        position = last
        if latest is not None:
            covers = latest if covers is None else max(covers, latest)
        if position - since >= every and covers is not None:
            cuts.append((position, covers, None))
            since = position
    if covers is not None and position > since:
        end = month_end_at_or_after(covers)
        if end < now:
            cuts.append((position, covers, end))
    return cuts


def make_checkpoints(projector: Projector, every: int = EVERY, now: datetime | None = None,
                     progress: Progress | None = None, span: int = SPAN,
                     keep: Retention = Retention()) -> list[Checkpoint]:
    """Cut the checkpoints due at ``now`` (default: the projector's clock) after the last one:
    one before the events of each month end passed, one every ``every`` events. Drops the
    outdated ones first and, after, those ``keep`` does not keep. Returns those made and kept;
    none if another process is making them."""
    now = now or projector.now()  # read before the scan: later events are recorded after it
    with projector.connect(autocommit=True) as guard:
        row = guard.execute("SELECT pg_try_advisory_lock(%s)",
                            (_key(projector, "checkpoints"),)).fetchone()
        if not (row and row[0]):
            return []
        try:
            scan_instants(projector, span)
            heads = migration_heads(projector)
            _drop(projector, [c for c in checkpoints(projector) if c.heads != heads],
                  wait=False)
            names = {m.name for m in projector.models}
            chain = [c for c in checkpoints(projector)
                     if c.heads == heads and names <= set(c.models)]
            base = chain[-1] if chain else None
            with projector.connect() as conn:
                ranges = conn.execute(sql.SQL(
                    "SELECT last, latest FROM {} WHERE last > %s ORDER BY last").format(
                        sql.Identifier(projector.schema, "projection_instants")),
                    (base.position if base else 0,)).fetchall()
            made = []
            for position, covers, month_end in _cuts(base.position if base else 0,
                                                     base.covers if base else None,
                                                     ranges, every, now):
                base = _checkpoint(projector, base, position, covers, month_end, heads,
                                   progress)
                made.append(base)
            current = [c for c in checkpoints(projector) if c.heads == heads]
            kept = retained(current, keep, every, now)
            _drop(projector, [c for c in current if c not in kept], wait=False)
            return [c for c in made if c in kept]
        finally:
            guard.execute("SELECT pg_advisory_unlock(%s)", (_key(projector, "checkpoints"),))


def _checkpoint(projector: Projector, base: Checkpoint | None, position: int,
                covers: datetime, month_end: datetime | None, heads: tuple[str, ...],
                progress: Progress | None) -> Checkpoint:
    """The checkpoint at ``position``: ``base`` plus the events after it, built in a staging
    schema renamed at the end."""
    key = hashlib.sha256(projector.schema.encode()).hexdigest()[:8]
    made = Checkpoint(f"ckpt_{key}_{position}", position, covers, month_end, heads,
                      tuple(m.name for m in projector.models), datetime.now(UTC))
    with projector._staging("checkpoint", projector.models) as staging:
        if base is not None and not _seed(projector, base, staging, projector.models):
            raise RuntimeError(f"{base.schema} was dropped while a checkpoint was cut from it")
        projector._replay(staging, projector.models, position, progress,
                          after=base.position if base else 0)
        _drop_indexes(projector, staging, projector.models)
        projector._finish(staging, projector.models, indexes=False)
        _rename(projector, staging, made.schema, _tag(projector) + made.describe())
    return made


def _rename(projector: Projector, staging: str, name: str, description: str) -> None:
    """Publish ``staging`` as ``name`` with its description, in one transaction."""
    with projector.connect() as conn, conn.transaction():
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
            sql.Identifier(staging), sql.Identifier(name)))
        conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
            sql.Identifier(name), sql.Literal(description)))


def _keys_and_indexes(cur: psycopg.Cursor[Any], target: str, table: str
                      ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Drop the keys (primary, unique, exclusion) and the other indexes of ``target``'s
    ``table``; returns them, ``(name, definition)``, to be built again."""
    relation = qualified(target, table)
    constraints = cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x')"
        " ORDER BY contype, conname", (relation,)).fetchall()
    indexes = [(name, definition)
               for name, definition, _ in standalone_indexes(cur, target, table)]
    for name, _ in constraints:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.Identifier(target, table), sql.Identifier(name)))
    for name, _ in indexes:
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(target, name)))
    return constraints, indexes


def _drop_indexes(projector: Projector, target: str, models: Sequence[ReadModel]) -> None:
    """A checkpoint is only read whole, by :func:`_seed`: its keys and indexes (a third of
    the read models' size) go once its replay is done."""
    with projector.connect() as conn, conn.transaction(), conn.cursor() as cur:
        for table in (t for m in models for t in m.tables):
            _keys_and_indexes(cur, target, table)


def _seed(projector: Projector, base: Checkpoint, target: str,
          models: Sequence[ReadModel]) -> bool:
    """Copy the rows of ``models``' tables, and their sequences' states, from ``base`` into
    the empty unlogged copies in ``target``: each copy's keys and indexes (the live names and
    definitions) are dropped, the rows inserted without WAL, then the keys and indexes built
    once over them (maintaining them row by row took half an as-of build). Holds ``base``'s
    copy lock shared meanwhile; False (nothing copied) if ``base`` was dropped before."""
    with projector.connect() as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (_copy_key(base),))
        if cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                       (base.schema,)).fetchone() is None:
            return False
        for table in (t for m in models for t in m.tables):
            relation = qualified(target, table)
            constraints, indexes = _keys_and_indexes(cur, target, table)
            columns = [sql.Identifier(c) for (c,) in cur.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                (relation,)).fetchall()]
            cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                sql.Identifier(target, table), sql.SQL(", ").join(columns),
                sql.SQL(", ").join(columns), sql.Identifier(base.schema, table)))
            for name, definition in constraints:
                cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.Identifier(target, table), sql.Identifier(name), sql.SQL(definition)))
            for _, definition in indexes:
                cur.execute(sql.SQL(definition))
            for (sequence,) in cur.execute(
                    "SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid"
                    " WHERE d.classid = 'pg_class'::regclass AND s.relkind = 'S'"
                    " AND d.refobjid = %s::regclass AND d.deptype = 'a'",
                    (relation,)).fetchall():
                cur.execute(sql.SQL(
                    "SELECT setval({}, last_value, is_called) FROM {}").format(
                        sql.Literal(qualified(target, sequence)),
                        sql.Identifier(base.schema, sequence)))
    return True


# ----------------------------------------------------------------------------- as of


def start_point(projector: Projector, models: Sequence[ReadModel],
                instant: datetime) -> tuple[Checkpoint | None, int]:
    """The checkpoint an as-of at ``instant`` of ``models`` starts from (the usable one with
    the highest position among those covering no later than ``instant``), and the last
    notification id it must replay."""
    scan_instants(projector)
    heads = migration_heads(projector)
    names = {m.name for m in models}
    usable = [c for c in checkpoints(projector)
              if c.heads == heads and names <= set(c.models) and c.covers <= instant]
    base = usable[-1] if usable else None
    with projector.connect() as conn:
        return base, _stop(conn, projector, base.position if base else 0, instant)


def build_as_of(projector: Projector, target: str, models: Sequence[ReadModel],
                instant: datetime, progress: Progress | None = None) -> str:
    """Build the schema ``target`` of ``models`` as of ``instant`` (see the module), or wait
    for the build of it already running in this process."""
    return _BUILDS.run(target, lambda: _build(projector, target, models, instant, progress))


def _build(projector: Projector, target: str, models: Sequence[ReadModel],
           instant: datetime, progress: Progress | None) -> str:
    if kept_as_of(projector, target):
        return target  # built meanwhile (another process)
    with projector._staging("building", models) as building:
        base, stop = start_point(projector, models, instant)
        while base is not None and not _seed(projector, base, building, models):
            base, stop = start_point(projector, models, instant)  # it was just dropped
        projector._replay(building, models, stop, progress, until=instant,
                          after=base.position if base else 0)
        projector._finish(building, models, logged=False)
        with projector.connect() as conn:
            row = conn.execute("SELECT now()").fetchone()
        built = row[0] if row else datetime.now(UTC)
        try:
            _rename(projector, building, target, f"as-of of {projector.schema} built "
                                                 f"{built.astimezone(UTC).isoformat()}")
        except psycopg.errors.DuplicateSchema:
            pass  # another process built it meanwhile
    return target


def kept_as_of(projector: Projector, target: str) -> bool:
    """Whether the as-of schema ``target`` exists, built since the server last started. Its
    tables are unlogged (a cache: no WAL), and crash recovery empties unlogged tables: one
    built before the start is dropped, to be built again."""
    with projector.connect(autocommit=True) as conn:
        row = conn.execute(
            "SELECT obj_description(oid, 'pg_namespace'), pg_postmaster_start_time()"
            " FROM pg_namespace WHERE nspname = %s", (target,)).fetchone()
        if row is None:
            return False
        description, started = row
        built = (description or "").rpartition(" built ")[2]
        if built and datetime.fromisoformat(built) > started:
            return True
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
            sql.Identifier(target)))
        return False


class Builds:
    """At most ``limit`` builds at once; a build asked for while the same one runs waits for
    it and shares its result (or its error)."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._running: dict[str, Future[str]] = {}

    def run(self, key: str, build: Callable[[], str]) -> str:
        with self._lock:
            running = self._running.get(key)
            if running is None:
                future = self._running[key] = Future()
        if running is not None:
            return running.result()
        try:
            with self._slots:
                result = build()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]


_BUILDS = Builds(CONCURRENT_BUILDS)
