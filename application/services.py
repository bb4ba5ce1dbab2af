"""Application services: load an aggregate, run one command, save — nothing else.

Every command goes through :meth:`IHanoi._execute`, which gives it optimistic concurrency
(two officers on one report: one wins; the other gets :class:`ConflictError`, or, when it
was tried on this process's snapshot of the report, is decided again on the winner's state,
as if it had come a moment later), an optional expected version, and idempotency by
command id (a retried command is applied once: its receipt is saved in the same transaction
as its events). The receipt keeps a fingerprint of the command and its arguments, so a
command id sent again with other arguments is refused instead of answered with the first
result (IETF httpapi "The Idempotency-Key HTTP Header Field", Error Scenarios).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, ParamSpec, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.application import AggregateNotFoundError, LRUCache
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import ApplicationRecorder, IntegrityError
from psycopg.conninfo import make_conninfo

from application.database import OneTripRecorder
from application.transcodings import TypedEventsApplication
from domain.actors import Actor, Role
from domain.alert import Alert
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError, InvalidInput, NotPermitted
from domain.policy import DEFAULT_POLICY, SlaPolicy
from domain.report import Report
from domain.reporter import Reporter
from domain.statistics import MonthlyStatistics
from domain.units import Officer, Unit

Clock = Callable[[], datetime]
A = TypeVar("A", bound=Aggregate)
P = ParamSpec("P")

POLICY_BOOK_ID = uuid5(NAMESPACE_URL, "ihanoi:policy-book")
RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "ihanoi:command-receipt")


def business_now() -> datetime:
    return datetime.now(BUSINESS_TZ)


class NotFound(Exception):
    """No such aggregate (or not visible to the caller)."""


class ConflictError(Exception):
    """Somebody else changed the aggregate first; reload and try again."""


class IdempotencyKeyReused(Exception):
    """A command id was sent again with a different command or different arguments."""


@dataclass(frozen=True)
class CommandResult:
    """What a command produced: the aggregate, its new version, and whether it was a replay."""

    aggregate_id: UUID
    version: int
    replayed: bool = False


class CommandReceipt(Aggregate):
    """Proof that a command id was applied, saved atomically with the command's events."""

    @event("Applied")
    def __init__(self, command_id: str, command: str, aggregate_id: UUID, version: int,
                 fingerprint: str | None = None) -> None:
        self.command = command
        self.aggregate_id = aggregate_id
        self.resulting_version = version
        self.fingerprint = fingerprint  # None in receipts stored before fingerprints

    @staticmethod
    def create_id(command_id: str) -> UUID:
        """Deterministic: a second receipt for the same command id conflicts on save."""
        return uuid5(RECEIPT_NAMESPACE, command_id)


#: The fingerprint of the command running in this context (set by :func:`idempotent`).
_fingerprint: ContextVar[str | None] = ContextVar("command_fingerprint", default=None)
#: Arguments that are not the request's payload: who sends it (a retry may come after his
#: transfer) and the version he read (a header, If-Match, not the payload).
_NOT_PAYLOAD = frozenset({"self", "by", "command_id", "expected_version"})


def idempotent(method: Callable[P, CommandResult]) -> Callable[P, CommandResult]:
    """Mark a command whose ``command_id`` stands for this command with these arguments:
    their fingerprint goes into the receipt, and a retry must match it."""
    signature = inspect.signature(method)
    position = list(signature.parameters).index("command_id")

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> CommandResult:
        if kwargs.get("command_id", args[position] if len(args) > position else None) is None:
            return method(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        token = _fingerprint.set(command_fingerprint(method.__name__, {
            name: value for name, value in bound.arguments.items() if name not in _NOT_PAYLOAD}))
        try:
            return method(*args, **kwargs)
        finally:
            _fingerprint.reset(token)

    return run


def command_fingerprint(command: str, arguments: dict[str, Any]) -> str:
    """SHA-256 of the command name and the canonical JSON of its arguments."""
    canonical = json.dumps([command, arguments], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, SlaPolicy):
        return value.to_dict()
    raise TypeError(f"no canonical JSON for {type(value).__name__}")


class PolicyBook(Aggregate):
    """The versions of the service-level policy adopted by the city (administrator)."""

    @event("Opened")
    def __init__(self) -> None:
        self.current: dict[str, Any] | None = None

    @staticmethod
    def create_id() -> UUID:
        return POLICY_BOOK_ID

    def adopt(self, policy: SlaPolicy, by: Actor, at: datetime) -> None:
        if self.current is not None and self.current["version"] == policy.version:
            raise DomainError("Điều 28.1", f"policy version {policy.version!r} already adopted")
        self._adopted(policy=policy.to_dict(), by=by.ref(), at=at)

    class PolicyAdopted(Aggregate.Event):
        policy: dict[str, Any]
        by: dict[str, Any]
        at: datetime

    @event(PolicyAdopted)
    def _adopted(self, policy: dict[str, Any], by: dict[str, Any], at: datetime) -> None:
        self.current = policy


class Aggregates:
    """The aggregates the commands read, kept per process (the most recently used ones) as
    snapshots that nobody changes. A read asks the event store, in one query for every
    aggregate it needs, for the events recorded after the cached versions (usually none), so a
    change made by any process is seen at once; a changed snapshot is copied before its new
    events are applied, so what was handed out is never modified and threads share the cache.
    What a command saved becomes the snapshot."""

    def __init__(self, app: IHanoi, maxsize: int) -> None:
        self._app = app
        self._cache: LRUCache[UUID, Aggregate] = LRUCache(maxsize)

    def cached(self, aggregate_id: UUID) -> Aggregate | None:
        """The snapshot as last read or saved here, without asking the store (maybe stale)."""
        try:
            return self._cache.get(aggregate_id)
        except KeyError:
            return None

    def read(self, *ids: UUID) -> dict[UUID, Aggregate]:
        """The current state of the aggregates ``ids`` (those that do not exist are left out)
        and of the units of the officers among them that are cached (an officer is read with
        his unit, in the same query)."""
        if not ids:
            return {}
        wanted = dict.fromkeys(ids)
        for aggregate_id in ids:
            officer = self.cached(aggregate_id)
            if isinstance(officer, Officer):
                wanted[officer.unit_id] = None
        found: dict[UUID, Aggregate] = {}
        for aggregate_id in wanted:
            snapshot = self.cached(aggregate_id)
            if snapshot is not None:
                found[aggregate_id] = snapshot
        recorder = self._app.recorder
        assert isinstance(recorder, OneTripRecorder)
        changed: set[UUID] = set()
        for stored in recorder.select_events_after(
                {i: found[i].version if i in found else 0 for i in wanted}):
            aggregate_id = stored.originator_id
            aggregate = found.get(aggregate_id)
            if aggregate is not None and aggregate_id not in changed:
                aggregate = _copy(aggregate)
            changed.add(aggregate_id)
            event = self._app.mapper.to_domain_event(stored)
            assert isinstance(event, Aggregate.Event)
            mutated = event.mutate(aggregate)
            assert mutated is not None
            found[aggregate_id] = mutated
        self.remember(found[i] for i in changed)
        return found

    def remember(self, aggregates: Iterable[Aggregate]) -> None:
        """Aggregates as just read or saved (with no pending events), which nobody changes
        any more."""
        for aggregate in aggregates:
            self._cache.put(aggregate.id, aggregate)


class IHanoi(TypedEventsApplication):
    """The write side: every command of the regulation, on the event store."""

    name = "ihanoi"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock = business_now,
                 policy_cache_seconds: float = 30.0, cache_size: int = 2000) -> None:
        super().__init__(env=env)
        self.clock = clock
        self._policy_cache: tuple[float, SlaPolicy] | None = None
        self._policy_cache_seconds = policy_cache_seconds
        self.aggregates = Aggregates(self, cache_size)

    # ----------------------------------------------------------------- plumbing

    def construct_recorder(self) -> ApplicationRecorder:
        """Create the event store's tables once even when several processes start together
        (eventsourcing's CREATE OR REPLACE statements race otherwise)."""
        get = self.env.get
        if get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
            return super().construct_recorder()
        conninfo = make_conninfo(dbname=get("POSTGRES_DBNAME"), host=get("POSTGRES_HOST") or None,
                                 port=get("POSTGRES_PORT") or None,
                                 user=get("POSTGRES_USER") or None,
                                 password=get("POSTGRES_PASSWORD") or None)
        key = int.from_bytes(uuid5(NAMESPACE_URL, f"ihanoi:create-tables:"
                                   f"{get('POSTGRES_SCHEMA')}").bytes[:8], "big", signed=True)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            return super().construct_recorder()

    def now(self) -> datetime:
        at = self.clock()
        if at.tzinfo is None:
            raise ValueError("the clock must return timezone-aware instants")
        return at

    def load(self, aggregate_id: UUID, cls: type[A], *, to_change: bool = True) -> A:
        """The aggregate as it stands now: a copy ``to_change`` (a refused command then leaves
        no trace), else the shared snapshot, which must not be changed."""
        snapshot = _found(self.aggregates.read(aggregate_id), aggregate_id, cls)
        return _copy(snapshot) if to_change else snapshot

    def _execute(self, name: str, aggregate_id: UUID | None,
                 action: Callable[[], Iterable[Aggregate]], command_id: str | None = None,
                 on_snapshot: Callable[[], Iterable[Aggregate]] | None = None
                 ) -> CommandResult:
        """Run ``action`` (which returns the aggregates it changed, the subject first), save
        them and the receipt in one transaction, and translate a lost race into a conflict.

        ``on_snapshot``, when given, is tried first: the same command on this process's
        snapshot of the subject, not read again from the store. Its events carry the next
        version numbers, so their append fails if anything was recorded since the snapshot;
        the attempt stands only if it is appended. Otherwise (refused, or not appended) the
        command runs on the subject read anew: the outcome it would have had a moment later."""
        receipt_id = CommandReceipt.create_id(command_id) if command_id else None
        fingerprint = _fingerprint.get()
        if receipt_id is not None:
            if fingerprint is None:
                raise TypeError(f"{name} takes a command id but is not marked @idempotent")
            replay = self._replay(receipt_id, name, aggregate_id, fingerprint)
            if replay is not None:
                return replay
        if on_snapshot is not None:
            try:
                changed = list(on_snapshot())
                if changed[0].pending_events:
                    return self._save_command(name, changed, command_id, fingerprint)
            except (DomainError, ConflictError, IntegrityError):
                pass
        changed = list(action())
        try:
            return self._save_command(name, changed, command_id, fingerprint)
        except IntegrityError:
            if receipt_id is not None:
                replay = self._replay(receipt_id, name, aggregate_id, fingerprint)
                if replay is not None:
                    return replay
            raise ConflictError(f"{name}: the {type(changed[0]).__name__.lower()} was changed "
                                "by someone else at the same time; reload and retry") from None

    def _save_command(self, name: str, changed: list[Aggregate], command_id: str | None,
                      fingerprint: str | None) -> CommandResult:
        """Save what a command changed, and its receipt, in one transaction."""
        for aggregate in changed:
            for pending in aggregate.pending_events:
                _refuse_nul(vars(pending))
        main = changed[0]
        to_save = list(changed)
        if command_id is not None:
            to_save.append(CommandReceipt(command_id=command_id, command=name,
                                          aggregate_id=main.id, version=main.version,
                                          fingerprint=fingerprint))
        self.save(*to_save)
        self.aggregates.remember(changed)
        return CommandResult(main.id, main.version)

    def _replay(self, receipt_id: UUID, name: str, aggregate_id: UUID | None,
                fingerprint: str | None) -> CommandResult | None:
        """The first result of this command id, if it was applied; refused when it was applied
        to another command, aggregate or arguments (a receipt stored before fingerprints is
        compared on command and aggregate only)."""
        try:
            receipt: CommandReceipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, CommandReceipt)
        if receipt.command != name or (aggregate_id is not None
                                       and receipt.aggregate_id != aggregate_id):
            raise IdempotencyKeyReused(f"command id already used for {receipt.command} on "
                                       f"{receipt.aggregate_id}")
        if receipt.fingerprint is not None and receipt.fingerprint != fingerprint:
            raise IdempotencyKeyReused(f"command id already used for {receipt.command} on "
                                       f"{receipt.aggregate_id} with other arguments")
        return CommandResult(receipt.aggregate_id, receipt.resulting_version, replayed=True)

    # ----------------------------------------------------------------- who acts

    def unit(self, unit_id: UUID) -> Unit:
        """A unit as it stands now, to read, not to change."""
        return _found(self.aggregates.read(unit_id), unit_id, Unit)

    def officer_actor(self, officer_id: UUID) -> Actor:
        """The officer with the unit and role he holds now (Điều 25)."""
        return self._officer_with(officer_id)[0]

    def _officer_with(self, officer_id: UUID, *units: UUID) -> tuple[Actor, list[Unit]]:
        """:meth:`officer_actor`, and the ``units`` read in the same query."""
        found = self.aggregates.read(officer_id, *units)
        officer = _found(found, officer_id, Officer)
        if officer.unit_id not in found:  # not cached yet, or transferred meanwhile
            found.update(self.aggregates.read(officer.unit_id))
        return (officer.as_actor(_found(found, officer.unit_id, Unit)),
                [_found(found, unit_id, Unit) for unit_id in units])

    def citizen_actor(self, reporter_id: UUID) -> Actor:
        self.load(reporter_id, Reporter, to_change=False)
        return Actor(id=str(reporter_id), role=Role.CITIZEN)

    # ----------------------------------------------------------------- policy

    def policy(self) -> SlaPolicy:
        """The policy in force (cached briefly; changes are rare and recorded as events)."""
        cached = self._policy_cache
        if cached is not None and time.monotonic() - cached[0] < self._policy_cache_seconds:
            return cached[1]
        try:
            book: PolicyBook = self.repository.get(POLICY_BOOK_ID)
            policy = SlaPolicy.from_dict(book.current) if book.current else DEFAULT_POLICY
        except AggregateNotFoundError:
            policy = DEFAULT_POLICY
        self._policy_cache = (time.monotonic(), policy)
        return policy

    @idempotent
    def adopt_policy(self, by: Actor, policy: SlaPolicy, command_id: str | None = None
                     ) -> CommandResult:
        """An administrator adopts a new version of the service-level policy."""
        _require_admin(by, "Điều 28.1")

        def action() -> list[Aggregate]:
            try:
                book: PolicyBook = self.repository.get(POLICY_BOOK_ID)
            except AggregateNotFoundError:
                book = PolicyBook()
            book.adopt(policy, by, self.now())
            return [book]

        result = self._execute("adopt_policy", POLICY_BOOK_ID, action, command_id)
        self._policy_cache = None
        return result

    # ----------------------------------------------------------------- unit directory

    @idempotent
    def create_unit(self, by: Actor, name: str, level: str, parent_id: UUID | None,
                    code: str = "", command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        parent = self.unit(parent_id) if parent_id else None
        return self._execute("create_unit", None, lambda: [
            Unit.create(name, level, parent, code, by, self.now())], command_id)

    @idempotent
    def rename_unit(self, by: Actor, unit_id: UUID, name: str,
                    command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        return self._on(Unit, "rename_unit", unit_id, command_id, None,
                        lambda u: u.rename(name, by, self.now()))

    @idempotent
    def move_unit(self, by: Actor, unit_id: UUID, new_parent_id: UUID,
                  command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        new_parent = self.unit(new_parent_id)
        ancestors = self.ancestors(new_parent_id)
        return self._on(Unit, "move_unit", unit_id, command_id, None,
                        lambda u: u.move(new_parent, ancestors, by, self.now()))

    @idempotent
    def merge_unit(self, by: Actor, unit_id: UUID, into_id: UUID,
                   command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        target = self.unit(into_id)
        return self._on(Unit, "merge_unit", unit_id, command_id, None,
                        lambda u: u.merge_into(target, by, self.now()))

    @idempotent
    def dissolve_unit(self, by: Actor, unit_id: UUID,
                      command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        return self._on(Unit, "dissolve_unit", unit_id, command_id, None,
                        lambda u: u.dissolve(by, self.now()))

    def ancestors(self, unit_id: UUID) -> list[UUID]:
        """The chain of parents above a unit, nearest first."""
        chain: list[UUID] = []
        parent = self.unit(unit_id).parent_id
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self.unit(parent).parent_id
        return chain

    @idempotent
    def appoint_officer(self, by: Actor, name: str, unit_id: UUID, role: str,
                        command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 25")
        unit = self.unit(unit_id)
        return self._execute("appoint_officer", None, lambda: [
            Officer.appoint(name, unit, role, by, self.now())], command_id)

    @idempotent
    def transfer_officer(self, by: Actor, officer_id: UUID, unit_id: UUID, role: str,
                         command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 25")
        unit = self.unit(unit_id)
        return self._on(Officer, "transfer_officer", officer_id, command_id, None,
                        lambda o: o.transfer(unit, role, by, self.now()))

    @idempotent
    def dismiss_officer(self, by: Actor, officer_id: UUID,
                        command_id: str | None = None) -> CommandResult:
        _require_admin(by, "Điều 25")
        return self._on(Officer, "dismiss_officer", officer_id, command_id, None,
                        lambda o: o.dismiss(by, self.now()))

    # ----------------------------------------------------------------- reporters

    @idempotent
    def register_reporter(self, name: str, phone: str | None = None, email: str | None = None,
                          national_id: str | None = None, command_id: str | None = None
                          ) -> CommandResult:
        return self._execute("register_reporter", None, lambda: [
            Reporter.register(name, phone, email, national_id, self.now())], command_id)

    def lift_expired_lock(self, reporter_id: UUID) -> bool:
        """Điều 27.3: called by the scheduler; True when a lock was lifted."""
        reporter = self.load(reporter_id, Reporter)
        if not reporter.lift_expired_lock(self.now()):
            return False
        self.save(reporter)
        return True

    # ----------------------------------------------------------------- reports

    @idempotent
    def submit_report(self, reporter_id: UUID, *, kind: str, category: str, text: str,
                      latitude: float, longitude: float, address: str, receiving_unit_id: UUID,
                      occurred_at: datetime | None = None, media: list[str] | None = None,
                      confidential: bool = False, re_report_of: UUID | None = None,
                      command_id: str | None = None) -> CommandResult:
        """Điều 5, 6, 27.3: a citizen submits; a locked account is refused. A re-report
        names the earlier report whose published result did not settle the matter."""
        def action() -> list[Aggregate]:
            read = self.aggregates.read(reporter_id, receiving_unit_id)  # one query for both
            reporter = _found(read, reporter_id, Reporter)
            at = self.now()
            reporter.check_may_submit(at)
            _found(read, receiving_unit_id, Unit).check_active()
            return [Report.submit(
                kind=kind, category=category, text=text, latitude=latitude,
                longitude=longitude, address=address, occurred_at=occurred_at,
                media=media or [], confidential=confidential, reporter_id=reporter_id,
                reporter=dict(reporter.identity), receiving_unit_id=receiving_unit_id,
                at=at, policy=self.policy(),
                re_report_of=self.load(re_report_of, Report) if re_report_of else None)]

        return self._execute("submit_report", None, action, command_id)

    def _on(self, cls: type[A], name: str, aggregate_id: UUID, command_id: str | None,
            expected_version: int | None, change: Callable[[A], object],
            also: Callable[[A], Iterable[Aggregate]] = lambda _: ()) -> CommandResult:
        """Load ``aggregate_id``, apply ``change`` and save it with what ``also`` returns (tried
        first on this process's snapshot of it: see :meth:`_execute`)."""
        def on(aggregate: A) -> list[Aggregate]:
            if expected_version is not None and aggregate.version != expected_version:
                raise ConflictError(f"expected version {expected_version}, "
                                    f"found {aggregate.version}")
            change(aggregate)
            return [aggregate, *also(aggregate)]

        snapshot = self.aggregates.cached(aggregate_id)
        return self._execute(
            name, aggregate_id, lambda: on(self.load(aggregate_id, cls)), command_id,
            (lambda: on(_copy(snapshot))) if isinstance(snapshot, cls) else None)

    def _report(self, name: str, report_id: UUID, command_id: str | None,
                expected_version: int | None, change: Callable[[Report], object],
                also: Callable[[Report], Iterable[Aggregate]] = lambda _: ()) -> CommandResult:
        return self._on(Report, name, report_id, command_id, expected_version, change, also)

    @idempotent
    def start_verification(self, by: Actor, report_id: UUID, *, command_id: str | None = None,
                           expected_version: int | None = None) -> CommandResult:
        return self._report("start_verification", report_id, command_id, expected_version,
                            lambda r: r.start_verification(by, self.now(), self.policy()))

    @idempotent
    def complete_verification(self, by: Actor, report_id: UUID, passed: bool, note: str = "", *,
                              command_id: str | None = None,
                              expected_version: int | None = None) -> CommandResult:
        return self._report("complete_verification", report_id, command_id, expected_version,
                            lambda r: r.complete_verification(by, passed, note, self.now()))

    @idempotent
    def reject(self, by: Actor, report_id: UUID, reason: str, note: str, *,
               command_id: str | None = None, expected_version: int | None = None
               ) -> CommandResult:
        return self._report("reject", report_id, command_id, expected_version,
                            lambda r: r.reject(by, reason, note, self.now()))

    @idempotent
    def escalate(self, by: Actor, report_id: UUID, to_unit_id: UUID, why: str, *,
                 command_id: str | None = None, expected_version: int | None = None
                 ) -> CommandResult:
        """Điều 7.2.c: the target must be above the receiving unit in the tree."""
        self.unit(to_unit_id).check_active()

        def change(r: Report) -> None:
            higher = to_unit_id in self.ancestors(r.receiving_unit_id)
            r.escalate(by, to_unit_id, higher, why, self.now(), self.policy())

        return self._report("escalate", report_id, command_id, expected_version, change)

    @idempotent
    def accept(self, by: Actor, report_id: UUID, handling_unit_id: UUID | None = None, *,
               command_id: str | None = None, expected_version: int | None = None
               ) -> CommandResult:
        """Điều 7.2.b; an accepted report breaks its reporter's streak of violations."""
        at = self.now()
        read: dict[UUID, Aggregate] = {}

        def change(r: Report) -> None:
            unit_id = handling_unit_id or r.receiving_unit_id
            read.update(self.aggregates.read(unit_id, r.reporter_id))  # one query for both
            _found(read, unit_id, Unit).check_active()
            r.accept(by, unit_id, at, self.policy())

        def reporter(r: Report) -> list[Aggregate]:
            person = _copy(_found(read, r.reporter_id, Reporter))
            person.record_genuine_report(r.id, at)
            return [person] if person.pending_events else []

        return self._report("accept", report_id, command_id, expected_version, change, reporter)

    @idempotent
    def classify(self, by: Actor, report_id: UUID, urgency: str, *,
                 command_id: str | None = None, expected_version: int | None = None
                 ) -> CommandResult:
        return self._report("classify", report_id, command_id, expected_version,
                            lambda r: r.classify(by, urgency, self.now(), self.policy()))

    @idempotent
    def assign(self, by: Actor, report_id: UUID, department_id: UUID, officer_id: UUID, *,
               command_id: str | None = None, expected_version: int | None = None
               ) -> CommandResult:
        """Điều 8.1.b–c: a division (or commune) of the handling unit and an officer there."""
        officer, [department] = self._officer_with(officer_id, department_id)
        department.check_active()
        return self._report("assign", report_id, command_id, expected_version,
                            lambda r: r.assign(by, department.id, department.parent_id, officer,
                                               self.now(), self.policy()))

    @idempotent
    def reassign(self, by: Actor, report_id: UUID, department_id: UUID, officer_id: UUID,
                 reason: str, *, command_id: str | None = None,
                 expected_version: int | None = None) -> CommandResult:
        """Điều 8.1.b–c: another division or officer takes over; deadlines unchanged."""
        officer, [department] = self._officer_with(officer_id, department_id)
        department.check_active()
        return self._report("reassign", report_id, command_id, expected_version,
                            lambda r: r.reassign(by, department.id, department.parent_id,
                                                 officer, reason, self.now()))

    @idempotent
    def request_coordination(self, by: Actor, report_id: UUID, unit_ids: list[UUID], *,
                             command_id: str | None = None,
                             expected_version: int | None = None) -> CommandResult:
        found = self.aggregates.read(*unit_ids)
        for unit_id in unit_ids:
            _found(found, unit_id, Unit).check_active()
        return self._report("request_coordination", report_id, command_id, expected_version,
                            lambda r: r.request_coordination(by, unit_ids, self.now()))

    @idempotent
    def contribute(self, by: Actor, report_id: UUID, text: str, evidence: list[str], *,
                   command_id: str | None = None, expected_version: int | None = None
                   ) -> CommandResult:
        return self._report("contribute", report_id, command_id, expected_version,
                            lambda r: r.contribute(by, text, evidence, self.now()))

    @idempotent
    def grant_extension(self, by: Actor, report_id: UUID, working_days: int, reason: str, *,
                        command_id: str | None = None, expected_version: int | None = None
                        ) -> CommandResult:
        return self._report("grant_extension", report_id, command_id, expected_version,
                            lambda r: r.grant_extension(by, working_days, reason, self.now(),
                                                        self.policy()))

    @idempotent
    def propose_result(self, by: Actor, report_id: UUID, text: str, evidence: list[str], *,
                       command_id: str | None = None, expected_version: int | None = None
                       ) -> CommandResult:
        return self._report("propose_result", report_id, command_id, expected_version,
                            lambda r: r.propose_result(by, text, evidence, self.now(),
                                                       self.policy()))

    @idempotent
    def return_result(self, by: Actor, report_id: UUID, reason: str, *,
                      command_id: str | None = None, expected_version: int | None = None
                      ) -> CommandResult:
        return self._report("return_result", report_id, command_id, expected_version,
                            lambda r: r.return_result(by, reason, self.now(), self.policy()))

    @idempotent
    def approve_result(self, by: Actor, report_id: UUID, *, command_id: str | None = None,
                       expected_version: int | None = None) -> CommandResult:
        return self._report("approve_result", report_id, command_id, expected_version,
                            lambda r: r.approve_result(by, self.now()))

    @idempotent
    def publish(self, by: Actor, report_id: UUID, *, command_id: str | None = None,
                expected_version: int | None = None) -> CommandResult:
        return self._report("publish", report_id, command_id, expected_version,
                            lambda r: r.publish(by, self.now()))

    @idempotent
    def respond_to_initiative(self, by: Actor, report_id: UUID, text: str,
                              evidence: list[str] | None = None, *,
                              command_id: str | None = None,
                              expected_version: int | None = None) -> CommandResult:
        return self._report("respond_to_initiative", report_id, command_id, expected_version,
                            lambda r: r.respond_to_initiative(by, text, evidence or [],
                                                              self.now()))

    @idempotent
    def request_clarification(self, by: Actor, report_id: UUID, question: str, *,
                              command_id: str | None = None,
                              expected_version: int | None = None) -> CommandResult:
        return self._report("request_clarification", report_id, command_id, expected_version,
                            lambda r: r.request_clarification(by, question, self.now(),
                                                              self.policy()))

    @idempotent
    def answer_clarification(self, by: Actor, report_id: UUID, answer: str, *,
                             command_id: str | None = None,
                             expected_version: int | None = None) -> CommandResult:
        return self._report("answer_clarification", report_id, command_id, expected_version,
                            lambda r: r.answer_clarification(by, answer, self.now()))

    @idempotent
    def rate(self, by: Actor, report_id: UUID, rating: str, comment: str = "", *,
             command_id: str | None = None, expected_version: int | None = None
             ) -> CommandResult:
        return self._report("rate", report_id, command_id, expected_version,
                            lambda r: r.rate(by, rating, comment, self.now()))

    @idempotent
    def mark_violation(self, by: Actor, report_id: UUID, note: str, *,
                       command_id: str | None = None, expected_version: int | None = None
                       ) -> CommandResult:
        """Điều 27.2–3: the violation also counts on the reporter's account, atomically."""
        at = self.now()

        def reporter(r: Report) -> list[Aggregate]:
            person = self.load(r.reporter_id, Reporter)
            person.record_violation(r.id, at, self.policy())
            return [person]

        return self._report("mark_violation", report_id, command_id, expected_version,
                            lambda r: r.mark_violation(by, note, at), reporter)

    # ----------------------------------------------------------------- matters, duplicates

    @idempotent
    def link_to_matter(self, by: Actor, report_id: UUID, earlier_report_id: UUID, *,
                       command_id: str | None = None, expected_version: int | None = None
                       ) -> CommandResult:
        earlier = self.load(earlier_report_id, Report)
        return self._report("link_to_matter", report_id, command_id, expected_version,
                            lambda r: r.link_to_matter(by, earlier, self.now()))

    @idempotent
    def mark_duplicate(self, by: Actor, report_id: UUID, original_id: UUID, *,
                       command_id: str | None = None, expected_version: int | None = None
                       ) -> CommandResult:
        original = self.load(original_id, Report)
        return self._report("mark_duplicate", report_id, command_id, expected_version,
                            lambda r: r.mark_duplicate(by, original, self.now()))

    @idempotent
    def unmark_duplicate(self, by: Actor, report_id: UUID, reason: str, *,
                         command_id: str | None = None, expected_version: int | None = None
                         ) -> CommandResult:
        return self._report("unmark_duplicate", report_id, command_id, expected_version,
                            lambda r: r.unmark_duplicate(by, reason, self.now()))

    def successor(self, unit_id: UUID) -> UUID:
        """Điều 28.1: the active unit that took over ``unit_id`` through one or more mergers."""
        unit, seen = self.unit(unit_id), {unit_id}
        if unit.merged_into is None:
            raise InvalidInput("Điều 28.1", f"unit {unit.name!r} was not merged into another")
        while unit.merged_into is not None and unit.merged_into not in seen:
            seen.add(unit.merged_into)
            unit = self.unit(unit.merged_into)
        return unit.id

    @idempotent
    def reroute_after_merger(self, by: Actor, report_id: UUID, unit_id: UUID, *,
                             command_id: str | None = None,
                             expected_version: int | None = None) -> CommandResult:
        """Điều 28.1: the open work of a merged unit on a report passes to its successor."""
        to_unit_id = self.successor(unit_id)
        return self._report("reroute_after_merger", report_id, command_id, expected_version,
                            lambda r: r.reroute(by, unit_id, to_unit_id, self.now()))

    # ----------------------------------------------------------------- moderation

    @idempotent
    def hide(self, by: Actor, report_id: UUID, target: str, reason: str, *,
             command_id: str | None = None, expected_version: int | None = None
             ) -> CommandResult:
        return self._report("hide", report_id, command_id, expected_version,
                            lambda r: r.hide(by, target, reason, self.now()))

    @idempotent
    def redact(self, by: Actor, report_id: UUID, field: str, redacted: str, reason: str, *,
               command_id: str | None = None, expected_version: int | None = None
               ) -> CommandResult:
        return self._report("redact", report_id, command_id, expected_version,
                            lambda r: r.redact(by, field, redacted, reason, self.now()))

    # ----------------------------------------------------------------- time (scheduler)

    def record_deadlines_passed(self, report_id: UUID, until: datetime | None = None) -> int:
        """Record the report's passed deadlines (due at or before ``until``, if given) once
        each; 0 when there is nothing new. A lost race is retried by the next run."""
        report = self.load(report_id, Report)
        now = self.now()
        count = report.record_deadlines_passed(min(now, until) if until else now, now)
        if count:
            self.save(report)
        return count

    def publish_monthly_statistics(self, month: str, figures: list[dict[str, Any]]
                                   ) -> CommandResult:
        """Seed 000 Điều 2.2.c: freeze a month's figures, once (the id derives from the
        month, so a second publication conflicts and the first stands)."""
        statistics = MonthlyStatistics(month=month, figures=figures,
                                       policy_version=self.policy().version,
                                       published_at=self.now(), at=self.now())
        try:
            self.save(statistics)
        except IntegrityError:
            existing = self.load(MonthlyStatistics.create_id(month), MonthlyStatistics)
            return CommandResult(existing.id, existing.version, replayed=True)
        return CommandResult(statistics.id, statistics.version)

    # ----------------------------------------------------------------- alerts (Chương III)

    @idempotent
    def draft_alert(self, by: Actor, *, category: str, severity: str, title: str, body: str,
                    valid_from: datetime, valid_until: datetime,
                    resend_of: UUID | None = None, command_id: str | None = None
                    ) -> CommandResult:
        """Điều 15–17; a re-send of an alert whose unit is above this one (so it already
        reached this unit's area) is refused (Điều 16.2, 17.2)."""
        original = self.load(resend_of, Alert) if resend_of else None
        covers = bool(original and by.unit_id is not None and original.status == "sent"
                      and original.unit_id in self.ancestors(by.unit_id))
        return self._execute("draft_alert", None, lambda: [Alert.draft(
            by, category, severity, title, body, valid_from, valid_until, self.now(),
            resend_of=original, higher_already_covers=covers)], command_id)

    @idempotent
    def edit_alert(self, by: Actor, alert_id: UUID, *, title: str, body: str, severity: str,
                   valid_from: datetime, valid_until: datetime,
                   command_id: str | None = None) -> CommandResult:
        return self._on(Alert, "edit_alert", alert_id, command_id, None, lambda a: a.edit(
            by, title, body, severity, valid_from, valid_until, self.now()))

    @idempotent
    def approve_alert(self, by: Actor, alert_id: UUID, command_id: str | None = None
                      ) -> CommandResult:
        return self._on(Alert, "approve_alert", alert_id, command_id, None,
                        lambda a: a.approve(by, self.now()))

    @idempotent
    def send_alert(self, by: Actor, alert_id: UUID, command_id: str | None = None
                   ) -> CommandResult:
        return self._on(Alert, "send_alert", alert_id, command_id, None,
                        lambda a: a.send(by, self.now()))


def _refuse_nul(value: object) -> None:
    """Điều 5.1: text is stored as text; a NUL character (which PostgreSQL text cannot hold,
    and which would stop every projection) is refused before anything is saved."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("Điều 5.1", "text must not contain NUL characters")
    elif isinstance(value, dict):
        for item in value.values():
            _refuse_nul(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _refuse_nul(item)


def _copy(aggregate: A) -> A:
    """A private copy of a snapshot: its containers are copied, the immutable values in them
    shared (several times faster than ``deepcopy``, which copies every UUID and instant)."""
    copied: A = object.__new__(type(aggregate))
    vars(copied).update({name: _thaw(value) for name, value in vars(aggregate).items()})
    return copied


_IMMUTABLE = (str, int, float, bool, type(None), UUID, datetime, date, Enum)


def _thaw(value: Any) -> Any:
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, dict):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_thaw(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_thaw(item) for item in value)
    if isinstance(value, (set, frozenset)) and all(isinstance(i, _IMMUTABLE) for i in value):
        return type(value)(value)
    return deepcopy(value)


def _found(aggregates: dict[UUID, Aggregate], aggregate_id: UUID, cls: type[A]) -> A:
    aggregate = aggregates.get(aggregate_id)
    if not isinstance(aggregate, cls):
        raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
    return aggregate


def _require_admin(by: Actor, rule: str) -> None:
    if by.role != Role.ADMINISTRATOR:
        raise NotPermitted(rule, "only an administrator manages units, officers and policy")
