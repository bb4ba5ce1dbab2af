"""Tamper evidence for Home Affairs inspections (Điều 22): a hash chain over the event store.

Each stored event gets, in notification order, a row of ``event_chain``:

- ``event_digest`` = SHA-256 of ``"<notification id>\\n<originator id>\\n<originator
  version>\\n<topic>\\n"`` (UTF-8) followed by the event's stored ``state`` bytes (compressed
  and encrypted, exactly as in the events table);
- ``hash`` = SHA-256 of the ASCII text ``previous_hash + event_digest`` (hex digests), the
  first event's ``previous_hash`` being 64 zeros (:data:`GENESIS`).

The chain is extended by a follower (:meth:`EventChain.extend`, run by the scheduler) after the
events are written, so the write path is unchanged; it is never rebuilt from the events, which
would launder a change. Once a day the scheduler seals the chain's head as an event
(:class:`domain.ledger.DailySeal`, encrypted and authenticated like every event), which
inspectors print and keep. :meth:`EventChain.verify` recomputes every digest from the events
table and compares it with the chain, the chain with itself, and the recomputed chain with
every seal and every head an inspector kept, naming the first event changed, removed or
inserted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from psycopg import sql

from application.database import advisory_lock_key
from domain.ledger import DailySeal
from projections.engine import EventSource

#: The ``previous_hash`` of the first event.
GENESIS = "0" * 64
SEAL_TOPIC = get_topic(DailySeal.Sealed)
#: The columns of :func:`export_csv` (what the offline script reads): no aggregate id, so no
#: citizen's account id (the digest covers it).
EXPORT_COLUMNS = ("notification_id", "event_digest", "previous_hash", "hash")


def event_digest(notification_id: int, originator_id: UUID | str, originator_version: int,
                 topic: str, state: bytes) -> str:
    """The digest of one stored event: its place, its aggregate, its version, its topic and
    its stored (encrypted) bytes."""
    head = f"{notification_id}\n{originator_id}\n{originator_version}\n{topic}\n".encode()
    return hashlib.sha256(head + bytes(state)).hexdigest()


def chain_hash(previous_hash: str, digest: str) -> str:
    """The chain's hash after an event: SHA-256 of the previous hash then the event's digest
    (both as hex text)."""
    return hashlib.sha256((previous_hash + digest).encode()).hexdigest()


@dataclass(frozen=True)
class Seal:
    """A day's sealed head (:class:`domain.ledger.DailySeal`), as an inspector prints it."""

    day: str
    head_notification_id: int
    head_hash: str
    events: int
    notification_id: int  # the seal's own event

    def printed(self) -> str:
        """The line an inspector keeps: the day and the head, as ``--head`` takes it."""
        return f"{self.day} {self.head_notification_id}:{self.head_hash}"


@dataclass(frozen=True)
class Finding:
    """One discrepancy, naming the event (its notification id, aggregate, version, type)."""

    kind: str  # changed | removed | inserted | chain-altered | seal-mismatch | head-mismatch
    notification_id: int
    message: str


@dataclass
class Verification:
    """What :meth:`EventChain.verify` found."""

    events: int = 0  # stored events checked (up to the chain's head)
    chained_up_to: int = 0
    pending: int = 0  # stored events after the chain's head, not chained yet
    seals: list[Seal] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The first discrepancy in notification order."""
        return min(self.findings, key=lambda f: f.notification_id, default=None)


def _missing_seals(seals: list[Seal], today: date | None, head: int) -> list[Finding]:
    """The days without a seal from the first seal on, up to the day before yesterday (the
    seal of yesterday may still be on its way); each named at the next seal's head."""
    if not seals:
        return []
    sealed = {seal.day: seal for seal in seals}
    first = min(date.fromisoformat(day) for day in sealed)
    last = max(date.fromisoformat(day) for day in sealed)
    if today is not None:
        last = max(last, today - timedelta(days=2))
    missing = []
    day = first
    while day <= last:
        if day.isoformat() not in sealed:
            later = [s for s in seals if s.day > day.isoformat()]
            at = min((s.head_notification_id for s in later), default=head)
            missing.append(Finding("seal-missing", at, (
                f"no seal for {day.isoformat()}: the scheduler did not run that day, or the "
                f"seal was removed (with the chain rewritten after it)")))
        day += timedelta(days=1)
    return missing


def _named(nid: int, originator_id: Any, version: Any, topic: str | None) -> str:
    kind = (topic or "?").rpartition(":")[2]
    return f"event #{nid} ({kind} of {originator_id}, version {version})"


class EventChain:
    """The hash chain of the event store of ``source``, kept in ``schema.event_chain``."""

    def __init__(self, source: EventSource, conninfo: str, schema: str = "public",
                 batch_size: int = 2000) -> None:
        self.source, self.conninfo, self.schema = source, conninfo, schema
        self.batch_size = batch_size
        self._events = sql.Identifier(schema, source.recorder.events_table_name)
        self._chain = sql.Identifier(schema, "event_chain")

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.conninfo)

    # ----------------------------------------------------------------- following

    def extend(self) -> int:
        """Chain the events stored since the chain's head, in notification order; returns how
        many. Appends commit in notification order (the recorder's table lock), so every
        event up to the store's head read here is visible. Two followers never interleave
        (a transaction-level advisory lock)."""
        done = 0
        with self.connect() as conn:
            while True:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)",
                                (advisory_lock_key(f"event chain {self.schema}"),))
                    last = cur.execute(sql.SQL(
                        "SELECT notification_id, hash FROM {} ORDER BY notification_id DESC"
                        " LIMIT 1").format(self._chain)).fetchone()
                    after, previous = last if last else (0, GENESIS)
                    rows = cur.execute(sql.SQL(
                        "SELECT notification_id, originator_id, originator_version, topic, state"
                        " FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                    ).format(self._events), (after, self.batch_size)).fetchall()
                    chained = []
                    for nid, originator_id, version, topic, state in rows:
                        digest = event_digest(nid, originator_id, version, topic, state)
                        current = chain_hash(previous, digest)
                        chained.append((nid, originator_id, version, topic, digest, previous,
                                        current))
                        previous = current
                    cur.executemany(sql.SQL(
                        "INSERT INTO {} (notification_id, originator_id, originator_version,"
                        " topic, event_digest, previous_hash, hash)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s)").format(self._chain), chained)
                done += len(rows)
                if len(rows) < self.batch_size:
                    return done

    def head(self) -> tuple[int, str, int]:
        """The chain's head: (notification id, hash, events chained); (0, GENESIS, 0) when
        empty."""
        with self.connect() as conn:
            row = conn.execute(sql.SQL(
                "SELECT notification_id, hash, (SELECT count(*) FROM {0}) FROM {0}"
                " ORDER BY notification_id DESC LIMIT 1").format(self._chain)).fetchone()
        return (row[0], row[1], row[2]) if row else (0, GENESIS, 0)

    # ----------------------------------------------------------------- seals

    def _decode_seal(self, nid: int, originator_id: UUID, version: int, state: bytes) -> Seal:
        event: Any = self.source.mapper.to_domain_event(StoredEvent(
            originator_id=originator_id, originator_version=version, topic=SEAL_TOPIC,
            state=bytes(state)))
        return Seal(event.day, event.head_notification_id, event.head_hash, event.events, nid)

    def seals(self) -> list[Seal]:
        """Every day's sealed head, oldest first (read from the event store, decrypted)."""
        with self.connect() as conn:
            rows = conn.execute(sql.SQL(
                "SELECT notification_id, originator_id, originator_version, state FROM {}"
                " WHERE topic = %s ORDER BY notification_id").format(self._events),
                (SEAL_TOPIC,)).fetchall()
        return [self._decode_seal(*row) for row in rows]

    # ----------------------------------------------------------------- verifying

    def verify(self, kept: Mapping[int, str] | None = None,
               progress: Callable[[int, int], None] | None = None,
               today: date | None = None) -> Verification:
        """Recompute the chain from the events table and compare it with the stored chain,
        the stored chain with itself, and the recomputed chain with each day's seal and with
        ``kept`` (head notification id → hash, as an inspector printed them).

        A change of an event's bytes, a removed row and a row inserted among chained events
        are each named by their notification id; a rewrite of the events *and* the chain
        shows against the seals (and, if the seals were rewritten too — which needs the
        cipher key — against the heads the inspector kept). A day without a seal between
        the first seal and the day before yesterday (``today``'s, if given) is a finding too:
        the scheduler did not run that whole day, or its seal was removed."""
        result = Verification()
        findings = result.findings
        with self.connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                row = conn.execute(sql.SQL("SELECT max(notification_id) FROM {}").format(
                    self._chain)).fetchone()
                limit = result.chained_up_to = (row[0] if row else None) or 0
                row = conn.execute(sql.SQL(
                    "SELECT count(*) FROM {} WHERE notification_id > %s").format(self._events),
                    (limit,)).fetchone()
                result.pending = row[0] if row else 0
                for nid, originator_id, version, state in conn.execute(sql.SQL(
                        "SELECT notification_id, originator_id, originator_version, state"
                        " FROM {} WHERE topic = %s ORDER BY notification_id").format(
                            self._events), (SEAL_TOPIC,)).fetchall():
                    try:
                        result.seals.append(self._decode_seal(nid, originator_id, version,
                                                              state))
                    except Exception as error:  # noqa: BLE001 - a tampered seal fails to decrypt
                        findings.append(Finding("changed", nid, (
                            f"{_named(nid, originator_id, version, SEAL_TOPIC)}: the seal "
                            f"cannot be read ({type(error).__name__})")))
                heads: dict[int, list[tuple[str, str]]] = {}
                for seal in result.seals:
                    heads.setdefault(seal.head_notification_id, []).append(
                        (seal.head_hash, f"the seal of {seal.day}"))
                for nid, hash_ in (kept or {}).items():
                    heads.setdefault(nid, []).append((hash_, "the head kept by the inspector"))
                at_heads = self._compare(conn, limit, heads, result, progress)
        matching = 0  # the last head that still matches: the change is after it
        for head, expected in sorted(heads.items()):
            recomputed = at_heads.get(head)
            wrong = [(hash_, whose) for hash_, whose in expected if recomputed != hash_]
            for hash_, whose in wrong:
                kind = "seal-mismatch" if whose.startswith("the seal") else "head-mismatch"
                findings.append(Finding(kind, head, (
                    f"the events up to #{head} no longer hash to {whose} ({hash_[:16]}…): "
                    f"an event after #{matching} and at or before #{head} was changed, "
                    f"removed or inserted")))
            if not wrong:
                matching = head
        findings.extend(_missing_seals(result.seals, today, result.chained_up_to))
        findings.sort(key=lambda f: f.notification_id)
        return result

    def _compare(self, conn: psycopg.Connection[Any], limit: int,
                 heads: Mapping[int, Any], result: Verification,
                 progress: Callable[[int, int], None] | None = None) -> dict[int, str]:
        """The merge of the events and the chain up to ``limit``, in notification order;
        returns the recomputed chain's hash at each of ``heads``."""
        findings = result.findings
        total = 0
        if progress:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._chain)).fetchone()
            total = row[0] if row else 0
        waiting = sorted(heads)
        at_heads: dict[int, str] = {}
        recomputed = GENESIS  # the chain as the events table gives it
        stored = GENESIS  # the previous row of the stored chain
        query = sql.SQL(
            "SELECT coalesce(e.notification_id, c.notification_id),"
            " e.originator_id, e.originator_version, e.topic, e.state,"
            " c.originator_id, c.originator_version, c.topic, c.event_digest,"
            " c.previous_hash, c.hash"
            " FROM (SELECT * FROM {events} WHERE notification_id <= %(limit)s) e"
            " FULL JOIN {chain} c ON c.notification_id = e.notification_id"
            " ORDER BY 1").format(events=self._events, chain=self._chain)
        with conn.cursor(name="verify_event_chain") as cur:
            cur.itersize = 2000
            cur.execute(query, {"limit": limit})
            for (nid, e_id, e_version, e_topic, state,
                 c_id, c_version, c_topic, c_digest, c_previous, c_hash) in cur:
                while waiting and waiting[0] < nid:
                    at_heads[waiting.pop(0)] = recomputed
                if state is not None:
                    result.events += 1
                    digest = event_digest(nid, e_id, e_version, e_topic, state)
                    recomputed = chain_hash(recomputed, digest)
                    if c_digest is None:
                        findings.append(Finding("inserted", nid, (
                            f"{_named(nid, e_id, e_version, e_topic)} was inserted: it is not "
                            f"in the chain")))
                    elif digest != c_digest:
                        findings.append(Finding("changed", nid, (
                            f"{_named(nid, c_id, c_version, c_topic)} was changed: its stored "
                            f"bytes differ from when it was chained")))
                elif c_digest is not None:
                    findings.append(Finding("removed", nid, (
                        f"{_named(nid, c_id, c_version, c_topic)} was removed from the event "
                        f"store")))
                if c_digest is not None:
                    if c_previous != stored or c_hash != chain_hash(c_previous, c_digest):
                        findings.append(Finding("chain-altered", nid, (
                            f"the chain is broken at #{nid}: its row was altered, or chained "
                            f"events before it were removed with their rows")))
                    stored = c_hash
                while waiting and waiting[0] == nid:
                    at_heads[waiting.pop(0)] = recomputed
                if progress and result.events % 5000 == 0:
                    progress(result.events, total)
        if progress:
            progress(total, total)
        for head in waiting:
            at_heads[head] = recomputed
        return at_heads

    # ----------------------------------------------------------------- export

    def export_csv(self) -> Iterator[bytes]:
        """:func:`export_csv` of this chain."""
        with self.connect() as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            yield from export_csv(conn)


def export_csv(conn: psycopg.Connection[Any]) -> Iterator[bytes]:
    """The whole hash chain (``event_chain`` on the connection's search path) as CSV with a
    header, in notification order, streamed: what ``scripts/verify_audit_export.py --chain``
    checks offline."""
    query = sql.SQL("COPY (SELECT {} FROM event_chain ORDER BY notification_id)"
                    " TO STDOUT WITH (FORMAT csv, HEADER)").format(
        sql.SQL(", ").join(map(sql.Identifier, EXPORT_COLUMNS)))
    with conn.transaction(), conn.cursor() as cur, cur.copy(query) as copy:
        for block in copy:
            yield bytes(block)
