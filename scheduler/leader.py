"""One leader among scheduler instances: a PostgreSQL session-level advisory lock.

The lock is held by a dedicated connection kept open: when the leader dies its connection
closes (or TCP keepalives give up on it) and the server releases the lock, so a standby that
retries every few seconds takes over within a bounded time. Jobs are idempotent besides, so
the short overlap a broken connection can leave is harmless.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from application.database import advisory_lock_key

log = logging.getLogger("ihanoi.scheduler")

# The server drops a silent peer after about 10 + 5 × 3 seconds.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
              "keepalives_count": 3, "connect_timeout": 5}


class LeaderLock:
    """The scheduler lock of one deployment (schema): ``hold()`` keeps it or takes it."""

    def __init__(self, url: str, schema: str, application_name: str = "ihanoi-scheduler"
                 ) -> None:
        self.key = advisory_lock_key("ihanoi-scheduler:" + schema)
        self.conninfo = make_conninfo(url, application_name=application_name, **KEEPALIVES)
        self._conn: psycopg.Connection[Any] | None = None
        self.held = False

    def hold(self) -> bool:
        """True while this instance leads: the lock is still ours on a live connection, or it
        was free and we took it."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.conninfo, autocommit=True)
            if self.held:
                self._conn.execute("SELECT 1")
            else:
                row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
                self.held = bool(row and row[0])
                if self.held:
                    log.info("scheduler: leading (advisory lock %s)", self.key)
        except psycopg.Error as error:
            if self.held:
                log.warning("scheduler: lost the lead: %s", error)
            self._close()
        return self.held

    def release(self) -> None:
        """Give the lead up now: unlock explicitly (closing the session would release it too,
        but only once the server notices, which a standby could beat)."""
        if self.held and self._conn is not None and not self._conn.closed:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                pass  # the session is gone: so is the lock
        self._close()

    def _close(self) -> None:
        self.held = False
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
