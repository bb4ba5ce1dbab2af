"""The write side: load the aggregates a command needs, decide, save — nothing else.

Every command is a message (:mod:`application.commands`) run by :meth:`IHanoi.handle`, which
finds its handler and gives it optimistic concurrency (two officers on one report: one wins;
the other gets :class:`ConflictError`, or, when it was tried on this process's snapshot of
the report, is decided again on the winner's state, as if it had come a moment later), an
optional expected version, and idempotency by command id (:mod:`application.idempotency`: a
retried command is applied once; its receipt is saved in the same transaction as its events
and keeps the message's fingerprint, so a command id sent again with another message is
refused).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError
from psycopg.conninfo import make_conninfo

import application.topics  # noqa: F401 - registers the topics of moved classes
from application import commands as c
from application.aggregates import Aggregates, NotFound, copy, found
from application.attachments import (
    AttachmentStore,
    EncryptedStore,
    MemoryStore,
    check_content,
    store_checked,
)
from application.database import TARGET_SESSION_ATTRS
from application.idempotency import CommandReceipt, CommandResult, IdempotencyKeyReused, replay
from application.transcodings import TypedEventsApplication
from domain.actors import Actor, Role, UnitLevel
from domain.adoption import AdoptionFigures, AdoptionProgress
from domain.alert import Alert, AlertContent, content_key
from domain.attachment import Attachment
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError, InvalidInput, NotPermitted
from domain.ledger import DailySeal
from domain.partner import PartnerApplication
from domain.policy import DEFAULT_POLICY, SlaPolicy
from domain.policy_book import POLICY_BOOK_ID, PolicyBook
from domain.preferences import NotificationPreferences
from domain.report import Report
from domain.reporter import Reporter
from domain.statistics import MonthlyStatistics
from domain.units import Officer, Unit

__all__ = ["Clock", "CommandResult", "ConflictError", "IHanoi", "IdempotencyKeyReused",
           "NotFound", "business_now", "check_home_ward"]

Clock = Callable[[], datetime]
A = TypeVar("A", bound=Aggregate)
C = TypeVar("C", bound=c.Command)


def business_now() -> datetime:
    return datetime.now(BUSINESS_TZ)


class ConflictError(Exception):
    """Somebody else changed the aggregate first; reload and try again."""


@dataclass(frozen=True)
class Run:
    """One command as it is handled: the message, its command id and the version the sender
    expects the aggregate to have (commands on an existing aggregate only)."""

    command: c.Command
    command_id: str | None
    expected_version: int | None
    #: Điều 5.2, 12.2: references to files must be ids of uploads by the actor or his unit
    #: (the HTTP API asks for it; stored events and in-process callers may name files).
    uploads_required: bool = False

    @property
    def name(self) -> str:
        return c.command_name(self.command)


Handler = Callable[["IHanoi", Any, Any, Run], CommandResult]
HANDLERS: dict[type[c.Command], Handler] = {}


def handles(message: type[C]) -> Callable[[Callable[[IHanoi, C, Actor, Run], CommandResult]],
                                          Callable[[IHanoi, C, Actor, Run], CommandResult]]:
    """Register the decorated method as the handler of ``message``."""
    def register(method: Callable[[IHanoi, C, Actor, Run], CommandResult]
                 ) -> Callable[[IHanoi, C, Actor, Run], CommandResult]:
        HANDLERS[message] = method
        return method

    return register


class IHanoi(TypedEventsApplication):
    """The write side: every command of the regulation, on the event store."""

    name = "ihanoi"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock = business_now,
                 policy_cache_seconds: float = 30.0, cache_size: int = 2000,
                 attachment_store: AttachmentStore | None = None) -> None:
        super().__init__(env=env)
        self.clock = clock
        store = attachment_store if attachment_store is not None else MemoryStore()
        cipher = self.mapper.cipher
        #: Attachments' bytes, encrypted at rest with the events' cipher when there is one.
        self.attachment_store: AttachmentStore = (
            EncryptedStore(store, cipher) if cipher is not None else store)
        self._policy_cache: tuple[float, SlaPolicy] | None = None
        self._policy_cache_seconds = policy_cache_seconds
        self.aggregates = Aggregates(self.recorder, self.mapper, cache_size)

    def handle(self, command: c.Command, actor: Actor | None = None, *,
               command_id: str | None = None, expected_version: int | None = None,
               uploads_required: bool = False) -> CommandResult:
        """Run ``command`` sent by ``actor``. With a ``command_id`` it is applied once: a retry
        is answered with the first result, and the same id with another message is refused
        (:class:`IdempotencyKeyReused`). With an ``expected_version`` a command on an existing
        aggregate fails with :class:`ConflictError` when the aggregate has another version.
        With ``uploads_required`` the media and evidence a command references must be ids of
        attachments uploaded by ``actor`` or his unit (checked after the command is decided,
        so a refusal by the procedure's rules comes first)."""
        handler = HANDLERS.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        if command.needs_actor and actor is None:
            raise TypeError(f"{c.command_name(command)} needs the actor who sends it")
        return handler(self, command, actor, Run(command, command_id, expected_version,
                                                 uploads_required))

    # ----------------------------------------------------------------- plumbing

    def construct_recorder(self) -> ApplicationRecorder:
        """Create the event store's tables once even when several processes start together
        (eventsourcing's CREATE OR REPLACE statements race otherwise). The lock is a
        transaction's, so it also holds through pgbouncer in transaction mode. With a host
        list, the write side connects to the host that accepts writes
        (``target_session_attrs``), so it follows the primary across a failover."""
        get = self.env.get
        if get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
            return super().construct_recorder()
        attrs = get(TARGET_SESSION_ATTRS) or None
        if attrs:
            self.factory.datastore.pool.kwargs["target_session_attrs"] = attrs  # type: ignore[attr-defined]
        conninfo = make_conninfo(dbname=get("POSTGRES_DBNAME"), host=get("POSTGRES_HOST") or None,
                                 port=get("POSTGRES_PORT") or None,
                                 user=get("POSTGRES_USER") or None,
                                 password=get("POSTGRES_PASSWORD") or None,
                                 target_session_attrs=attrs)
        key = int.from_bytes(uuid5(NAMESPACE_URL, f"ihanoi:create-tables:"
                                   f"{get('POSTGRES_SCHEMA')}").bytes[:8], "big", signed=True)
        with psycopg.connect(conninfo, prepare_threshold=None) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            return super().construct_recorder()

    def now(self) -> datetime:
        at = self.clock()
        if at.tzinfo is None:
            raise ValueError("the clock must return timezone-aware instants")
        return at

    def load(self, aggregate_id: UUID, cls: type[A], *, to_change: bool = True) -> A:
        """The aggregate as it stands now: a copy ``to_change`` (a refused command then leaves
        no trace), else the shared snapshot, which must not be changed."""
        snapshot = found(self.aggregates.read(aggregate_id), aggregate_id, cls)
        return copy(snapshot) if to_change else snapshot

    def _execute(self, run: Run, aggregate_id: UUID | None,
                 action: Callable[[], Iterable[Aggregate]],
                 on_snapshot: Callable[[], Iterable[Aggregate]] | None = None) -> CommandResult:
        """Run ``action`` (which returns the aggregates it changed, the subject first), save
        them and the receipt in one transaction, and translate a lost race into a conflict.

        ``on_snapshot``, when given, is tried first: the same command on this process's
        snapshot of the subject, not read again from the store. Its events carry the next
        version numbers, so their append fails if anything was recorded since the snapshot;
        the attempt stands only if it is appended. Otherwise (refused, or not appended) the
        command runs on the subject read anew: the outcome it would have had a moment later."""
        fingerprint = c.fingerprint(run.command) if run.command_id is not None else None
        if run.command_id is not None and fingerprint is not None:
            first = replay(self.repository, run.command_id, run.name, aggregate_id, fingerprint)
            if first is not None:
                return self._at_head(first)
        if on_snapshot is not None:
            try:
                changed = list(on_snapshot())
                if changed[0].pending_events:
                    return self._save_command(run, changed, fingerprint)
            except (DomainError, ConflictError, IntegrityError):
                pass
        changed = list(action())
        try:
            return self._save_command(run, changed, fingerprint)
        except IntegrityError:
            if run.command_id is not None and fingerprint is not None:
                first = replay(self.repository, run.command_id, run.name, aggregate_id,
                               fingerprint)
                if first is not None:
                    return self._at_head(first)
            raise ConflictError(f"{run.name}: the {type(changed[0]).__name__.lower()} was "
                                "changed by someone else at the same time; reload and retry"
                                ) from None

    def _at_head(self, replayed: CommandResult) -> CommandResult:
        """A replay's result at the store's head: the first run's events are at or before it."""
        return dataclasses.replace(replayed, position=self.recorder.max_notification_id())

    def _save_command(self, run: Run, changed: list[Aggregate], fingerprint: str | None
                      ) -> CommandResult:
        """Save what a command changed, and its receipt, in one transaction."""
        for aggregate in changed:
            for pending in aggregate.pending_events:
                _refuse_nul(vars(pending))
        main = changed[0]
        to_save = list(changed)
        if run.command_id is not None:
            to_save.append(CommandReceipt(command_id=run.command_id, command=run.name,
                                          aggregate_id=main.id, version=main.version,
                                          fingerprint=fingerprint))
        recordings = self.save(*to_save)
        self.aggregates.remember(changed)
        return CommandResult(main.id, main.version, position=max(
            (r.notification.id for r in recordings), default=None))

    def _on(self, cls: type[A], run: Run, aggregate_id: UUID, change: Callable[[A], object],
            also: Callable[[A], Iterable[Aggregate]] = lambda _: ()) -> CommandResult:
        """Load ``aggregate_id``, apply ``change`` and save it with what ``also`` returns (tried
        first on this process's snapshot of it: see :meth:`_execute`)."""
        def on(aggregate: A) -> list[Aggregate]:
            if run.expected_version is not None and aggregate.version != run.expected_version:
                raise ConflictError(f"expected version {run.expected_version}, "
                                    f"found {aggregate.version}")
            change(aggregate)
            return [aggregate, *also(aggregate)]

        snapshot = self.aggregates.cached(aggregate_id)
        return self._execute(
            run, aggregate_id, lambda: on(self.load(aggregate_id, cls)),
            (lambda: on(copy(snapshot))) if isinstance(snapshot, cls) else None)

    def _report(self, run: Run, report_id: UUID, change: Callable[[Report], object],
                also: Callable[[Report], Iterable[Aggregate]] = lambda _: ()) -> CommandResult:
        return self._on(Report, run, report_id, change, also)

    # ----------------------------------------------------------------- who acts

    def unit(self, unit_id: UUID) -> Unit:
        """A unit as it stands now, to read, not to change."""
        return found(self.aggregates.read(unit_id), unit_id, Unit)

    def officer_actor(self, officer_id: UUID) -> Actor:
        """The officer with the unit and role he holds now (Điều 25)."""
        return self._officer_with(officer_id)[0]

    def cached_officer_actor(self, officer_id: UUID) -> Actor | None:
        """The officer and his unit as this process last read or saved them, without asking
        the store (so maybe stale: :meth:`officer_actor` is the check of Điều 25); None if
        either is not cached or no longer active."""
        officer = self.aggregates.cached(officer_id)
        unit = self.aggregates.cached(officer.unit_id) if isinstance(officer, Officer) else None
        if not isinstance(officer, Officer) or not isinstance(unit, Unit):
            return None
        try:
            return officer.as_actor(unit)
        except DomainError:
            return None

    def _officer_with(self, officer_id: UUID, *units: UUID) -> tuple[Actor, list[Unit]]:
        """:meth:`officer_actor`, and the ``units`` read in the same query."""
        read = self.aggregates.read(officer_id, *units)
        officer = found(read, officer_id, Officer)
        if officer.unit_id not in read:  # not cached yet, or transferred meanwhile
            read.update(self.aggregates.read(officer.unit_id))
        return (officer.as_actor(found(read, officer.unit_id, Unit)),
                [found(read, unit_id, Unit) for unit_id in units])

    def reporters(self, *report_ids: UUID) -> dict[UUID, dict[str, Any]]:
        """Điều 4.4, 5.5, 14.1: the identity each report was sent with, decrypted from the
        event store in one query (read models keep the reporter's id only, never his
        identity); the API shows it only where Điều 5.7 allows (``api.access``). The identity
        is recorded once, by the report's first event, so a snapshot this process holds, of
        any version, gives it without asking the store (issue 16: a staff view of a report
        then reads the store once, for the directory check)."""
        reports = {report_id: self.aggregates.cached(report_id) for report_id in report_ids}
        unknown = [report_id for report_id, report in reports.items()
                   if not isinstance(report, Report)]
        if unknown:
            reports.update(self.aggregates.read(*unknown))
        return {report_id: dict(report.reporter) for report_id, report in reports.items()
                if isinstance(report, Report)}

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

    @handles(c.AdoptPolicy)
    def _adopt_policy(self, command: c.AdoptPolicy, by: Actor, run: Run) -> CommandResult:
        """An administrator adopts a new version of the service-level policy."""
        _require_admin(by, "Điều 28.1")

        def action() -> list[Aggregate]:
            try:
                book: PolicyBook = self.repository.get(POLICY_BOOK_ID)
            except AggregateNotFoundError:
                book = PolicyBook()
            book.adopt(command.policy, by, self.now())
            return [book]

        result = self._execute(run, POLICY_BOOK_ID, action)
        self._policy_cache = None
        return result

    # ----------------------------------------------------------------- unit directory

    @handles(c.CreateUnit)
    def _create_unit(self, command: c.CreateUnit, by: Actor, run: Run) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        parent = self.unit(command.parent_id) if command.parent_id else None
        return self._execute(run, None, lambda: [
            Unit.create(command.name, command.level, parent, command.code, by, self.now())])

    @handles(c.RenameUnit)
    def _rename_unit(self, command: c.RenameUnit, by: Actor, run: Run) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        return self._on(Unit, run, command.unit_id,
                        lambda u: u.rename(command.name, by, self.now()))

    @handles(c.MoveUnit)
    def _move_unit(self, command: c.MoveUnit, by: Actor, run: Run) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        new_parent = self.unit(command.new_parent_id)
        ancestors = self.ancestors(command.new_parent_id)
        return self._on(Unit, run, command.unit_id,
                        lambda u: u.move(new_parent, ancestors, by, self.now()))

    @handles(c.MergeUnit)
    def _merge_unit(self, command: c.MergeUnit, by: Actor, run: Run) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        target = self.unit(command.into_id)
        return self._on(Unit, run, command.unit_id,
                        lambda u: u.merge_into(target, by, self.now()))

    @handles(c.DissolveUnit)
    def _dissolve_unit(self, command: c.DissolveUnit, by: Actor, run: Run) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        return self._on(Unit, run, command.unit_id, lambda u: u.dissolve(by, self.now()))

    def ancestors(self, unit_id: UUID) -> list[UUID]:
        """The chain of parents above a unit, nearest first."""
        chain: list[UUID] = []
        parent = self.unit(unit_id).parent_id
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self.unit(parent).parent_id
        return chain

    @handles(c.AppointOfficer)
    def _appoint_officer(self, command: c.AppointOfficer, by: Actor, run: Run
                         ) -> CommandResult:
        _require_admin(by, "Điều 25")
        unit = self.unit(command.unit_id)
        return self._execute(run, None, lambda: [
            Officer.appoint(command.name, unit, command.role, by, self.now())])

    @handles(c.TransferOfficer)
    def _transfer_officer(self, command: c.TransferOfficer, by: Actor, run: Run
                          ) -> CommandResult:
        _require_admin(by, "Điều 25")
        unit = self.unit(command.unit_id)
        return self._on(Officer, run, command.officer_id,
                        lambda o: o.transfer(unit, command.role, by, self.now()))

    @handles(c.DismissOfficer)
    def _dismiss_officer(self, command: c.DismissOfficer, by: Actor, run: Run
                         ) -> CommandResult:
        _require_admin(by, "Điều 25")
        return self._on(Officer, run, command.officer_id, lambda o: o.dismiss(by, self.now()))

    # ----------------------------------------------------------------- reporters

    @handles(c.RegisterReporter)
    def _register_reporter(self, command: c.RegisterReporter, by: Actor | None, run: Run
                           ) -> CommandResult:
        return self._execute(run, None, lambda: [Reporter.register(
            command.name, command.phone, command.email, command.national_id, self.now())])

    @handles(c.UpdateIdentity)
    def _update_identity(self, command: c.UpdateIdentity, by: Actor, run: Run
                         ) -> CommandResult:
        """Điều 5.5: only the citizen himself, on his own account."""
        if by.role != Role.CITIZEN:
            raise NotPermitted("Điều 5.5", "a citizen completes his own identity")
        return self._on(Reporter, run, UUID(by.id), lambda r: r.update_identity(
            command.name, command.phone, command.email, command.national_id, self.now()))

    def _check_citizen_not_locked(self, by: Actor) -> None:
        """Điều 27.3: a locked citizen's commands are refused, naming the lock's end."""
        if by.role == Role.CITIZEN:
            self.load(UUID(by.id), Reporter, to_change=False).check_not_locked(self.now())

    def lift_expired_lock(self, reporter_id: UUID) -> bool:
        """Điều 27.3: called by the scheduler; True when a lock was lifted."""
        reporter = self.load(reporter_id, Reporter)
        if not reporter.lift_expired_lock(self.now()):
            return False
        self.save(reporter)
        return True

    # ----------------------------------------------------------------- attachments

    def upload_attachment(self, source: IO[bytes], actor: Actor, file_name: str | None = None,
                          *, command_id: str | None = None) -> CommandResult:
        """Điều 5.2, 12.2: check the file's content, store its copies (original, public copy
        without EXIF, thumbnail) and record the attachment. The size limit is the policy's
        ``attachment_max_bytes`` (the API refuses larger bodies while they stream)."""
        checked = check_content(source)
        if len(checked.original) > self.policy().attachment_max_bytes:
            raise InvalidInput("Điều 12.2", "the attachment is larger than the policy allows")
        store_checked(self.attachment_store, checked)
        return self.handle(c.RecordAttachment(
            sha256=checked.sha256, content_type=checked.content_type,
            size=len(checked.original), public_sha256=checked.public_sha256,
            thumbnail_sha256=checked.thumbnail_sha256, file_name=file_name), actor,
            command_id=command_id)

    @handles(c.RecordAttachment)
    def _record_attachment(self, command: c.RecordAttachment, by: Actor, run: Run
                           ) -> CommandResult:
        return self._execute(run, None, lambda: [Attachment.upload(
            by, self.now(), command.sha256, command.content_type, command.size,
            self.policy().attachment_max_bytes, command.public_sha256,
            command.thumbnail_sha256, command.file_name)])

    def attachment(self, attachment_id: UUID) -> Attachment:
        """An attachment's metadata, to read (:class:`NotFound` if none)."""
        return self.load(attachment_id, Attachment, to_change=False)

    def _uploads(self, run: Run, actor: Actor, references: Iterable[str] | None,
                 article: str) -> None:
        if run.uploads_required and references:
            self.check_attachments(actor, references, article)

    def check_attachments(self, actor: Actor, references: Iterable[str], article: str) -> None:
        """Điều 5.2, 12.2: every reference is the id of a file uploaded by ``actor`` or his
        unit. (The write side itself accepts any non-empty reference: stored events that
        name files replay; the HTTP API calls this before sending a command.)"""
        for reference in references:
            try:
                attachment = self.attachment(UUID(str(reference)))
            except (ValueError, NotFound):
                raise InvalidInput(article, f"{reference!r} is not the id of an uploaded "
                                   "attachment (POST /attachments)") from None
            attachment.check_may_be_attached_by(actor, article)


    # ----------------------------------------------------------------- Open311 partners

    @handles(c.IssuePartnerKey)
    def _issue_partner_key(self, command: c.IssuePartnerKey, by: Actor, run: Run
                           ) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        return self._execute(run, None, lambda: [PartnerApplication.issue(
            command.name, command.key_hash, by.id, self.now())])

    @handles(c.RevokePartnerKey)
    def _revoke_partner_key(self, command: c.RevokePartnerKey, by: Actor, run: Run
                            ) -> CommandResult:
        _require_admin(by, "Điều 28.1")
        return self._on(PartnerApplication, run, command.partner_id,
                        lambda p: p.revoke(by.id, self.now()))

    def partner_reporter_id(self, national_id: str) -> UUID:
        """The account of the citizen with this citizen ID over Open311: a name-based UUID of
        a keyed hash of the number (the store's originator ids never reveal it)."""
        secret = str(self.env.get("CIPHER_KEY") or "ihanoi-open311")
        digest = hmac.new(secret.encode(), f"open311-reporter:{national_id.strip()}".encode(),
                          hashlib.sha256).hexdigest()
        return uuid5(NAMESPACE_URL, f"ihanoi:open311-reporter:{digest}")

    @handles(c.SubmitPartnerReport)
    def _submit_partner_report(self, command: c.SubmitPartnerReport, by: Actor | None,
                               run: Run) -> CommandResult:
        """The key must be valid; the citizen is matched by his citizen ID (Điều 5.5), or
        registered with the identity given; then as :meth:`_submit_report`."""
        def action() -> list[Aggregate]:
            self.load(command.partner_id, PartnerApplication, to_change=False).check_key(
                command.key_hash)
            at = self.now()
            national_id = (command.national_id or "").strip()
            changed: list[Aggregate] = []
            reporter: Reporter | None = None
            if national_id:
                reporter_id = self.partner_reporter_id(national_id)
                try:
                    reporter = self.load(reporter_id, Reporter, to_change=False)
                except NotFound:
                    reporter = None
            if reporter is None:
                reporter = Reporter.register(
                    command.name, command.phone, command.email, command.national_id, at,
                    reporter_id=self.partner_reporter_id(national_id))
                changed.append(reporter)
            reporter.check_may_submit(at)
            receiving = self.load(command.receiving_unit_id, Unit, to_change=False)
            return [self._new_report(command, reporter, receiving, at), *changed]

        return self._execute(run, None, action)

    # ----------------------------------------------------------------- reports

    @handles(c.SubmitReport)
    def _submit_report(self, command: c.SubmitReport, by: Actor | None, run: Run
                       ) -> CommandResult:
        """Điều 5, 6, 27.3: a citizen submits; a locked account is refused. A re-report
        names the earlier report whose published result did not settle the matter."""
        def action() -> list[Aggregate]:
            # one query for both
            read = self.aggregates.read(command.reporter_id, command.receiving_unit_id)
            reporter = found(read, command.reporter_id, Reporter)
            at = self.now()
            reporter.check_may_submit(at)
            report = self._new_report(command, reporter,
                                      found(read, command.receiving_unit_id, Unit), at,
                                      re_report_of=command.re_report_of)
            self._uploads(run, by or Actor(id=str(command.reporter_id), role=Role.CITIZEN),
                          command.media, "Điều 5.2")
            return [report]

        return self._execute(run, None, action)

    def _new_report(self, command: c.SubmitReport | c.SubmitPartnerReport, reporter: Reporter,
                    receiving: Unit, at: datetime, re_report_of: UUID | None = None) -> Report:
        """Điều 5, 6: the report a (native or Open311) submission records to an active
        receiving unit, by a reporter the caller has found free to submit (Điều 27.3)."""
        receiving.check_active()
        earlier = self.load(re_report_of, Report) if re_report_of else None
        return Report.submit(
            kind=command.kind, category=command.category, text=command.text,
            latitude=command.latitude, longitude=command.longitude,
            address=command.address, occurred_at=command.occurred_at,
            media=command.media or [], confidential=command.confidential,
            reporter_id=reporter.id, reporter=dict(reporter.identity),
            receiving_unit_id=command.receiving_unit_id, at=at, policy=self.policy(),
            re_report_of=earlier, receiving_unit_level=receiving.level)

    @handles(c.StartVerification)
    def _start_verification(self, command: c.StartVerification, by: Actor, run: Run
                            ) -> CommandResult:
        return self._report(run, command.report_id,
                            lambda r: r.start_verification(by, self.now(), self.policy()))

    @handles(c.CompleteVerification)
    def _complete_verification(self, command: c.CompleteVerification, by: Actor, run: Run
                               ) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.complete_verification(
            by, command.passed, command.note, self.now()))

    @handles(c.Reject)
    def _reject(self, command: c.Reject, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id,
                            lambda r: r.reject(by, command.reason, command.note, self.now()))

    @handles(c.Escalate)
    def _escalate(self, command: c.Escalate, by: Actor, run: Run) -> CommandResult:
        """Điều 7.2.c: the target must be above the receiving unit in the tree (Điều 5.9: or,
        from a district, a department)."""
        target = self.unit(command.to_unit_id)
        target.check_active()

        def change(r: Report) -> None:
            higher = command.to_unit_id in self.ancestors(r.receiving_unit_id)
            r.escalate(by, command.to_unit_id, higher, command.why, self.now(), self.policy(),
                       to_unit_level=target.level)

        return self._report(run, command.report_id, change)

    @handles(c.Accept)
    def _accept(self, command: c.Accept, by: Actor, run: Run) -> CommandResult:
        """Điều 7.2.b; an accepted report breaks its reporter's streak of violations."""
        at = self.now()
        read: dict[UUID, Aggregate] = {}

        coordinating = list(command.coordinating_unit_ids or [])

        def change(r: Report) -> None:
            unit_id = command.handling_unit_id or r.receiving_unit_id
            # one query for all
            read.update(self.aggregates.read(unit_id, r.reporter_id, *coordinating))
            lead = found(read, unit_id, Unit)
            lead.check_active()
            r.accept(by, unit_id, at, self.policy(), coordinating_unit_ids=coordinating,
                     units_of_other_level=self._of_other_level(lead, coordinating, read))

        def reporter(r: Report) -> list[Aggregate]:
            person = copy(found(read, r.reporter_id, Reporter))
            person.record_genuine_report(r.id, at)
            return [person] if person.pending_events else []

        return self._report(run, command.report_id, change, reporter)

    @handles(c.Classify)
    def _classify(self, command: c.Classify, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.classify(
            by, command.urgency, self.now(), self.policy()))

    @handles(c.Assign)
    def _assign(self, command: c.Assign, by: Actor, run: Run) -> CommandResult:
        """Điều 8.1.b–c: a division of the handling unit and an officer there."""
        officer, [department] = self._officer_with(command.officer_id, command.department_id)
        department.check_active()
        return self._report(run, command.report_id, lambda r: r.assign(
            by, department.id, department.parent_id, officer, self.now(), self.policy()))

    @handles(c.Reassign)
    def _reassign(self, command: c.Reassign, by: Actor, run: Run) -> CommandResult:
        """Điều 8.1.b–c: another division or officer takes over; deadlines unchanged."""
        officer, [department] = self._officer_with(command.officer_id, command.department_id)
        department.check_active()
        return self._report(run, command.report_id, lambda r: r.reassign(
            by, department.id, department.parent_id, officer, command.reason, self.now()))

    @handles(c.CoordinateToCommune)
    def _coordinate_to_commune(self, command: c.CoordinateToCommune, by: Actor, run: Run
                               ) -> CommandResult:
        """Điều 8.1.b: to a commune under the handling unit, whose leader assigns."""
        commune = self.unit(command.commune_id)
        commune.check_active()
        return self._report(run, command.report_id, lambda r: r.coordinate_to_commune(
            by, commune.id, commune.parent_id, commune.level, self.now(), self.policy()))

    @handles(c.AssignCommuneOfficer)
    def _assign_commune_officer(self, command: c.AssignCommuneOfficer, by: Actor, run: Run
                                ) -> CommandResult:
        """Điều 8.1.c: the commune's leader assigns an officer of the commune."""
        officer = self.officer_actor(command.officer_id)
        return self._report(run, command.report_id, lambda r: r.assign_commune_officer(
            by, officer, self.now()))

    def _of_other_level(self, lead: Unit, unit_ids: list[UUID],
                        read: dict[UUID, Aggregate]) -> list[UUID]:
        """Điều 8.2.a: the named units (each active) whose level is neither the lead unit's
        nor one the policy holds equivalent to it."""
        policy = self.policy()
        units = [found(read, unit_id, Unit) for unit_id in unit_ids]
        for unit in units:
            unit.check_active()
        return [u.id for u in units if not policy.same_or_equivalent_level(lead.level, u.level)]

    @handles(c.RequestCoordination)
    def _request_coordination(self, command: c.RequestCoordination, by: Actor, run: Run
                              ) -> CommandResult:
        read: dict[UUID, Aggregate] = {}

        def change(r: Report) -> None:
            lead_id = r.handling_unit_id or r.receiving_unit_id
            read.update(self.aggregates.read(lead_id, *command.unit_ids))
            r.request_coordination(by, command.unit_ids, self.now(), self._of_other_level(
                found(read, lead_id, Unit), list(command.unit_ids), read))

        return self._report(run, command.report_id, change)

    @handles(c.Contribute)
    def _contribute(self, command: c.Contribute, by: Actor, run: Run) -> CommandResult:
        def change(r: Report) -> None:
            r.contribute(by, command.text, command.evidence, self.now())
            self._uploads(run, by, command.evidence, "Điều 8.2.b")

        return self._report(run, command.report_id, change)

    @handles(c.GrantExtension)
    def _grant_extension(self, command: c.GrantExtension, by: Actor, run: Run
                         ) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.grant_extension(
            by, command.working_days, command.reason, self.now(), self.policy()))

    @handles(c.ProposeResult)
    def _propose_result(self, command: c.ProposeResult, by: Actor, run: Run) -> CommandResult:
        def change(r: Report) -> None:
            r.propose_result(by, command.text, command.evidence, self.now(), self.policy())
            self._uploads(run, by, command.evidence, "Điều 12.1")

        return self._report(run, command.report_id, change)

    @handles(c.ReturnResult)
    def _return_result(self, command: c.ReturnResult, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.return_result(
            by, command.reason, self.now(), self.policy()))

    @handles(c.ApproveResult)
    def _approve_result(self, command: c.ApproveResult, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.approve_result(
            by, self.now(), self.policy()))

    @handles(c.UpdateResult)
    def _update_result(self, command: c.UpdateResult, by: Actor, run: Run) -> CommandResult:
        def change(r: Report) -> None:
            r.update_result(by, command.text, command.evidence, self.now(), self.policy())
            self._uploads(run, by, command.evidence, "Điều 12.2")

        return self._report(run, command.report_id, change)

    @handles(c.Publish)
    def _publish(self, command: c.Publish, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.publish(by, self.now()))

    @handles(c.RespondToInitiative)
    def _respond_to_initiative(self, command: c.RespondToInitiative, by: Actor, run: Run
                               ) -> CommandResult:
        def change(r: Report) -> None:
            r.respond_to_initiative(by, command.text, command.evidence or [], self.now())
            self._uploads(run, by, command.evidence, "Điều 9")

        return self._report(run, command.report_id, change)

    @handles(c.RequestClarification)
    def _request_clarification(self, command: c.RequestClarification, by: Actor, run: Run
                               ) -> CommandResult:
        self._check_citizen_not_locked(by)
        return self._report(run, command.report_id, lambda r: r.request_clarification(
            by, command.question, self.now(), self.policy()))

    @handles(c.AnswerClarification)
    def _answer_clarification(self, command: c.AnswerClarification, by: Actor, run: Run
                              ) -> CommandResult:
        def change(r: Report) -> None:
            r.answer_clarification(by, command.answer, self.now(), command.evidence or [])
            self._uploads(run, by, command.evidence, "Điều 13")

        return self._report(run, command.report_id, change)

    @handles(c.Rate)
    def _rate(self, command: c.Rate, by: Actor, run: Run) -> CommandResult:
        self._check_citizen_not_locked(by)
        return self._report(run, command.report_id, lambda r: r.rate(
            by, command.rating, command.comment, self.now()))

    @handles(c.MarkViolation)
    def _mark_violation(self, command: c.MarkViolation, by: Actor, run: Run) -> CommandResult:
        """Điều 27.2–3: the violation also counts on the reporter's account, atomically."""
        at = self.now()

        def reporter(r: Report) -> list[Aggregate]:
            person = self.load(r.reporter_id, Reporter)
            person.record_violation(r.id, at, self.policy())
            return [person]

        return self._report(run, command.report_id,
                            lambda r: r.mark_violation(by, command.note, at), reporter)

    # ----------------------------------------------------------------- matters, duplicates

    @handles(c.LinkToMatter)
    def _link_to_matter(self, command: c.LinkToMatter, by: Actor, run: Run) -> CommandResult:
        earlier = self.load(command.earlier_report_id, Report)
        return self._report(run, command.report_id,
                            lambda r: r.link_to_matter(by, earlier, self.now()))

    @handles(c.MarkDuplicate)
    def _mark_duplicate(self, command: c.MarkDuplicate, by: Actor, run: Run) -> CommandResult:
        original = self.load(command.original_id, Report)
        return self._report(run, command.report_id,
                            lambda r: r.mark_duplicate(by, original, self.now()))

    @handles(c.UnmarkDuplicate)
    def _unmark_duplicate(self, command: c.UnmarkDuplicate, by: Actor, run: Run
                          ) -> CommandResult:
        return self._report(run, command.report_id,
                            lambda r: r.unmark_duplicate(by, command.reason, self.now()))

    def successor(self, unit_id: UUID) -> UUID:
        """Điều 28.1: the active unit that took over ``unit_id`` through one or more mergers."""
        unit, seen = self.unit(unit_id), {unit_id}
        if unit.merged_into is None:
            raise InvalidInput("Điều 28.1", f"unit {unit.name!r} was not merged into another")
        while unit.merged_into is not None and unit.merged_into not in seen:
            seen.add(unit.merged_into)
            unit = self.unit(unit.merged_into)
        return unit.id

    @handles(c.RerouteAfterMerger)
    def _reroute_after_merger(self, command: c.RerouteAfterMerger, by: Actor, run: Run
                              ) -> CommandResult:
        """Điều 28.1: the open work of a merged unit on a report passes to its successor."""
        to_unit_id = self.successor(command.unit_id)
        return self._report(run, command.report_id, lambda r: r.reroute(
            by, command.unit_id, to_unit_id, self.now()))

    # ----------------------------------------------------------------- moderation

    @handles(c.Hide)
    def _hide(self, command: c.Hide, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.hide(
            by, command.target, command.reason, self.now()))

    @handles(c.Redact)
    def _redact(self, command: c.Redact, by: Actor, run: Run) -> CommandResult:
        return self._report(run, command.report_id, lambda r: r.redact(
            by, command.field, command.redacted, command.reason, self.now()))

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

    def seal_day(self, day: str, head_notification_id: int, head_hash: str,
                 events: int) -> CommandResult:
        """Điều 22: record the hash chain's head at the end of ``day`` ("YYYY-MM-DD"), once
        (the id derives from the day, so a second seal conflicts and the first stands)."""
        seal = DailySeal(day=day, head_notification_id=head_notification_id,
                         head_hash=head_hash, events=events, at=self.now())
        try:
            self.save(seal)
        except IntegrityError:
            existing = self.load(DailySeal.create_id(day), DailySeal, to_change=False)
            return CommandResult(existing.id, existing.version, replayed=True)
        return CommandResult(seal.id, seal.version)

    # ----------------------------------------------------------------- alerts (Chương III)

    @handles(c.DraftAlert)
    def _draft_alert(self, command: c.DraftAlert, by: Actor, run: Run) -> CommandResult:
        """Điều 15–17; a district or commune may not send what a higher level created — named
        as ``resend_of`` or with the same content (Điều 16.2, 17.2)."""
        original = self.load(command.resend_of, Alert) if command.resend_of else None
        ancestors = self.ancestors(by.unit_id) if by.unit_id is not None else []
        at = self.now()

        def action() -> list[Aggregate]:
            index, same = self._alert_content(content_key(command.title, command.body))
            alert = Alert.draft(
                by, command.category, command.severity, command.title, command.body,
                command.valid_from, command.valid_until, at, resend_of=original,
                ancestors=ancestors, same_content=same)
            index.add(alert.id, at)
            return [alert, index]

        return self._execute(run, None, action)

    @handles(c.EditAlert)
    def _edit_alert(self, command: c.EditAlert, by: Actor, run: Run) -> CommandResult:
        at = self.now()
        key = content_key(command.title, command.body)

        indexes: list[AlertContent] = []

        def change(a: Alert) -> None:
            index, same = self._alert_content(key)
            a.edit(by, command.title, command.body, command.severity, command.valid_from,
                   command.valid_until, at, self.ancestors(a.unit_id), same)
            index.add(a.id, at)
            indexes[:] = [index]

        def index(a: Alert) -> list[Aggregate]:
            return [i for i in indexes if i.pending_events]

        return self._on(Alert, run, command.alert_id, change, index)

    @handles(c.ApproveAlert)
    def _approve_alert(self, command: c.ApproveAlert, by: Actor, run: Run) -> CommandResult:
        return self._on(Alert, run, command.alert_id, lambda a: a.approve(by, self.now()))

    @handles(c.SendAlert)
    def _send_alert(self, command: c.SendAlert, by: Actor, run: Run) -> CommandResult:
        """Điều 15–17: a city-level alert reaches the whole city (the root of the tree)."""
        def change(a: Alert) -> None:
            ancestors = self.ancestors(a.unit_id)
            city_id = ancestors[-1] if ancestors else a.unit_id
            a.send(by, self.now(), city_id, ancestors, self._alert_content(a.content_key)[1])

        return self._on(Alert, run, command.alert_id, change)

    def _alert_content(self, key: str) -> tuple[AlertContent, list[Alert]]:
        """Điều 16.2, 17.2: the index of a content (to change) and the alerts whose current
        content it is."""
        index_id = AlertContent.create_id(key)
        try:
            index = self.load(index_id, AlertContent)
        except NotFound:
            return AlertContent(key=key), []
        alerts = [self.load(alert_id, Alert, to_change=False) for alert_id in index.alert_ids]
        return index, [a for a in alerts if a.content_key == key]


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


# ----------------------------------------------------------------- notifications (issue 11.5)

@handles(c.ChooseHomeWard)
def _choose_home_ward(self: IHanoi, command: c.ChooseHomeWard, by: Actor, run: Run
                      ) -> CommandResult:
    """Chương III (Điều 17): a citizen's home ward is a commune-level unit."""
    if by.role != Role.CITIZEN:
        raise NotPermitted("Điều 17", "only a citizen chooses a home ward")
    check_home_ward(self, command.ward_id)
    return self._on(Reporter, run, UUID(by.id),
                    lambda r: r.choose_home_ward(command.ward_id, self.now()))


def check_home_ward(app: IHanoi, ward_id: UUID) -> None:
    """Điều 17: a home ward is an active commune-level unit (xã, phường, thị trấn)."""
    try:
        ward = app.unit(ward_id)
    except NotFound:
        raise InvalidInput("Điều 17", f"no unit {ward_id}") from None
    ward.check_active()
    if ward.level != UnitLevel.COMMUNE:
        raise InvalidInput("Điều 17", "a home ward is a commune-level unit (xã, phường, thị trấn)")


@handles(c.SetNotificationPreferences)
def _set_notification_preferences(self: IHanoi, command: c.SetNotificationPreferences,
                                  by: Actor, run: Run) -> CommandResult:
    """The caller's own channels: a citizen's (as reporter) or an officer's."""
    if by.role == Role.CITIZEN:
        kind = "reporter"
        registered = self.load(UUID(by.id), Reporter, to_change=False).identity.get("email")
    elif by.role in (Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD):
        kind, registered = "officer", None
    else:
        raise NotPermitted("Điều 8.3", "only citizens and officers receive notifications")
    email = command.email or (registered if "email" in command.channels else None)
    preferences_id = NotificationPreferences.create_id(kind, by.id)

    def choose() -> list[Aggregate]:
        try:
            preferences = self.load(preferences_id, NotificationPreferences)
        except NotFound:
            preferences = NotificationPreferences.open(kind, by.id)
        if run.expected_version is not None and preferences.version != run.expected_version:
            raise ConflictError(f"expected version {run.expected_version}, "
                                f"found {preferences.version}")
        preferences.choose(list(command.channels), email, command.webhook_url, self.now())
        return [preferences]

    return self._execute(run, preferences_id, choose)


# ----------------------------------------------------------------- adoption progress (seeds 001, 003)

@handles(c.EnterAdoptionFigures)
def _enter_adoption_figures(self: IHanoi, command: c.EnterAdoptionFigures, by: Actor,
                            run: Run) -> CommandResult:
    """Seed 003 annex: a unit's figures for a round, due as the policy in force says; the
    unit must exist (else :class:`NotFound`)."""
    unit = self.unit(command.unit_id)
    policy = self.policy()
    due = policy.adoption.due(command.round, policy.calendar.timezone)
    figures = AdoptionFigures(command.staff_total, command.staff_installed,
                              command.residents_total, command.residents_with_smartphone,
                              command.residents_installed)
    progress_id = AdoptionProgress.create_id(unit.id)

    def enter() -> list[Aggregate]:
        try:
            progress = self.load(progress_id, AdoptionProgress)
        except NotFound:
            progress = AdoptionProgress.open(unit)
        if run.expected_version is not None and progress.version != run.expected_version:
            raise ConflictError(f"expected version {run.expected_version}, "
                                f"found {progress.version}")
        progress.enter(unit, command.round, figures, by, self.now(), due)
        return [progress]

    return self._execute(run, progress_id, enter)


def _require_admin(by: Actor, rule: str) -> None:
    if by.role != Role.ADMINISTRATOR:
        raise NotPermitted(rule, "only an administrator manages units, officers and policy")
