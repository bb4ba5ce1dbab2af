"""Read your own writes: how far the read models have come, and waiting, bounded, for a
position of the event store.

A command answers with the store position after it (the notification id of the last event it
recorded); a reader passing that position waits until every read model has applied the store
up to it (Marten's "wait for non-stale data", EventStoreDB's reads at a position). The
position the read models have reached is known without asking the database on each request:

- in a process that runs the projector itself (the demo, ``ihanoi serve``), the projector
  calls :meth:`ReadPosition.advance` after each batch it commits (``Projector.on_advance``);
- in a process whose read models are kept by a projector elsewhere (``ihanoi projections
  run``), a listener thread LISTENs on the channel the projector NOTIFYs at each commit
  (:func:`projections.engine.advance_channel`) and reads the tracking rows then.

A waiting request holds no thread: it awaits a future that either resolves; while it waits it
also reads the tracking rows every ``recheck`` seconds, so that a lost NOTIFY delays it at
most that long.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from projections.engine import Projector, advance_channel

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

log = logging.getLogger("ihanoi.projections")

#: A waiting request: the position it waits for, its event loop and the future to resolve.
_Waiter = tuple[int, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ReadPosition:
    """The store position every read model of ``projector`` has reached, as this process
    knows it, and a bounded wait for a given one."""

    def __init__(self, projector: Projector, pool: ConnectionPool | None = None,
                 recheck: float = 0.5) -> None:
        self.projector = projector
        self.pool = pool  # where to read the tracking rows (else a connection of its own)
        self.recheck = recheck
        self._known = 0
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._names = [m.name for m in projector.models]
        projector.on_advance.append(self.advance)

    @property
    def known(self) -> int:
        return self._known

    def advance(self, position: int) -> None:
        """The read models have reached ``position`` (never moves back): wake the waiters
        it satisfies (from any thread)."""
        with self._lock:
            if position <= self._known:
                return
            self._known = position
            ready = [w for w in self._waiters if w[0] <= position]
            self._waiters = [w for w in self._waiters if w[0] > position]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)

    def read(self, conn: psycopg.Connection[Any] | None = None) -> int:
        """Read the slowest read model's position from its tracking row (and remember it)."""
        query = sql.SQL("SELECT min(notification_id) FROM {}.projection_tracking "
                        "WHERE projection = ANY(%s)").format(
            sql.Identifier(self.projector.schema))
        if conn is None and self.pool is not None:
            with self.pool.connection() as pooled:
                row = pooled.execute(query, (self._names,)).fetchone()
        elif conn is None:
            with self.projector.connect() as own:
                row = own.execute(query, (self._names,)).fetchone()
        else:
            row = conn.execute(query, (self._names,)).fetchone()
        self.advance((row[0] if row else None) or 0)
        return self._known

    async def wait_for(self, position: int, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds until the read models have reached ``position``;
        True if they have. No thread is held while waiting: the waiter is a future resolved
        by :meth:`advance`; the tracking rows are read again every ``recheck`` seconds."""
        if self._known >= position:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if await asyncio.to_thread(self.read) >= position:
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            waiter: _Waiter = (position, loop, loop.create_future())
            with self._lock:
                if self._known >= position:
                    return True
                self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter[2], min(left, self.recheck))
                return True
            except TimeoutError:
                pass
            finally:
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)

    # ----------------------------------------------------------------- another process

    def listen(self) -> None:
        """Follow a projector running in another process: a thread LISTENs on its channel."""
        if self._listener is None:
            self._listener = threading.Thread(target=self._listen, name="read-position",
                                              daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        channel = advance_channel(self.projector.schema)
        while not self._stop.is_set():
            try:
                with self.projector.connect(autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.read(conn)
                    while not self._stop.is_set():
                        if list(conn.notifies(timeout=0.5, stop_after=1)):
                            self.read(conn)
            except psycopg.Error:
                log.warning("read position listener lost its connection; reconnecting")
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        try:
            self.projector.on_advance.remove(self.advance)
        except ValueError:
            pass
