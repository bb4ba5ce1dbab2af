"""Where reads of the read models go: the primary, or streaming replicas of it (issue 15.1).

Commands, the projector and the scheduler write to the primary; the read models' tables reach
each replica by PostgreSQL's streaming replication, their tracking rows
(``projection_tracking``) with them, in the same transactions. So a replica's read models
have reached store position *n* exactly when its tracking rows say so, and:

- a query asking for no position goes to the next replica in turn (none: the primary);
- a query asking for position *n* (read your own writes, :mod:`api.consistency`) goes to a
  replica whose tracking rows are known to be at *n* or beyond; else the replicas' rows are
  read again every ``poll`` seconds for at most ``wait`` seconds (replication lag is usually
  a few milliseconds); else it goes to the primary, whose read models the caller has already
  waited for;
- an answer the API keeps for reuse while the read models stand still (``api.read_cache``)
  is read where they are at least where the API knows them to be (:meth:`ReadPools.at`), so
  a replica behind them never makes a kept answer older than its position says;
- a replica that fails to give a connection is left aside for ``rest`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

log = logging.getLogger("ihanoi.projections")


@dataclass
class Replica:
    """One replica's pool and what is known of its read models' position."""

    pool: ConnectionPool
    known: int = 0  # the slowest read model's position, as last read there
    read_at: float = 0.0  # when (monotonic)
    down_until: float = 0.0  # left aside until then (monotonic)


@dataclass
class Routed:
    """How many reads went where (for the benchmark and /metrics): a replica at once, a
    replica after waiting for it, or the primary after waiting in vain."""

    replica: int = 0
    replica_after_wait: int = 0
    primary_after_wait: int = 0
    waited: list[float] = field(default_factory=list)  # seconds, the last 1,000 waits


class ReadPools:
    """The read connections of one process: the primary's pool and one pool per replica."""

    def __init__(self, primary: ConnectionPool, replicas: Sequence[ConnectionPool] = (),
                 *, schema: str, read_models: Sequence[str], wait: float = 0.5,
                 poll: float = 0.005, rest: float = 5.0) -> None:
        self.primary = primary
        self.replicas = [Replica(pool) for pool in replicas]
        self.wait, self.poll, self.rest = wait, poll, rest
        self.routed = Routed()
        self._turn = count()
        self._names = list(read_models)
        self._position = sql.SQL("SELECT min(notification_id) FROM {}.projection_tracking "
                                 "WHERE projection = ANY(%s)").format(sql.Identifier(schema))

    def in_service(self) -> list[Replica]:
        """The replicas not left aside now."""
        now = time.monotonic()
        return [r for r in self.replicas if r.down_until <= now]

    def any(self) -> ConnectionPool:
        """The next replica in turn that is not left aside, else the primary."""
        up = self.in_service()
        return up[next(self._turn) % len(up)].pool if up else self.primary

    def _ready(self, position: int) -> ConnectionPool | None:
        up = [r for r in self.in_service() if r.known >= position]
        return up[next(self._turn) % len(up)].pool if up else None

    def _read(self, replica: Replica) -> None:
        """Read the replica's tracking rows (at most once per ``poll``)."""
        if time.monotonic() - replica.read_at < self.poll:
            return
        try:
            with replica.pool.connection() as conn:
                row = conn.execute(self._position, (self._names,)).fetchone()
        except (psycopg.Error, OSError) as error:
            self._left_aside(replica, error)
            return
        replica.known = max(replica.known, (row[0] if row else None) or 0)
        replica.read_at = time.monotonic()

    def _read_all(self) -> None:
        for replica in self.in_service():
            self._read(replica)

    def _left_aside(self, replica: Replica, error: BaseException) -> None:
        replica.down_until = time.monotonic() + self.rest
        log.warning("read replica %s left aside for %gs: %s",
                    replica.pool.name, self.rest, error)

    def at(self, position: int) -> ConnectionPool:
        """Without waiting: a replica whose read models have ``position`` (their tracking
        rows read again when none is known to), else the primary."""
        if not self.replicas or position == 0:
            return self.any()
        pool = self._ready(position)
        if pool is None:
            self._read_all()
            pool = self._ready(position)
        return pool or self.primary

    async def route(self, position: int) -> ConnectionPool:
        """The pool to read position ``position`` from (the primary's read models have it):
        a replica whose read models have it, if need be after waiting for one at most
        ``wait`` seconds, else the primary."""
        if not self.replicas:
            return self.primary
        pool = self._ready(position)
        if pool is not None:
            self.routed.replica += 1
            return pool
        began = time.monotonic()
        while True:
            await asyncio.to_thread(self._read_all)
            pool = self._ready(position)
            waited = time.monotonic() - began
            if pool is not None or waited >= self.wait:
                break
            await asyncio.sleep(self.poll)
        self.routed.waited = [*self.routed.waited[-999:], waited]
        if pool is None:
            self.routed.primary_after_wait += 1
            return self.primary
        self.routed.replica_after_wait += 1
        return pool

    @contextmanager
    def connection(self, pool: ConnectionPool | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A connection of ``pool`` (one :meth:`route` chose), else of the next replica in
        turn. When it fails (the server is gone: a crash, a failover) the error is raised
        (503), the pool's other idle connections are checked at once so that one request
        only fails, not one per pooled connection, and a replica is left aside."""
        pool = pool or self.any()
        try:
            with pool.connection() as conn:
                yield conn
        except psycopg.OperationalError as error:
            for replica in self.replicas:
                if replica.pool is pool:
                    self._left_aside(replica, error)
            pool.check()
            raise

    def close(self) -> None:
        for pool in [self.primary, *(r.pool for r in self.replicas)]:
            pool.close()
