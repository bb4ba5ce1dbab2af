"""What time alone triggers, as idempotent jobs that derive what is due from stored facts.

:class:`Scheduler` turns the passing of time into commands of the write side and rows of the
notification outbox. No job relies on remembering its last run: each asks the read models
what is due at ``now`` (open stages past their due instant, locks run out, months whose
freeze instant has passed, units silent for 3 days, open reports left at merged units), so
running a job twice does nothing more, and a scheduler that was down catches up on its first
run.

``now`` is the scheduler's clock; the write side dates the facts it records with its own
clock (``app.clock``), which should be the same one (tests move a single clock).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError

from application.commands import RerouteAfterMerger
from application.database import connect
from application.sealing import Sealer
from application.services import Clock, ConflictError, NotFound
from application.settings import get_settings
from domain.actors import SYSTEM
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError
from domain.ledger import DailySeal
from domain.statistics import MonthlyStatistics
from projections import alerts, notifications, report_status, reporter_locks
from projections.checkpoints import Retention, make_checkpoints
from projections.deployment import Deployment
from projections.engine import Projector
from projections.event_chain import EventChain
from projections.unit_monthly_lateness import month_of
from scheduler import statistics
from scheduler.channels import Dispatcher
from scheduler.outbox import Backoff, Sender, deliver

log = logging.getLogger("ihanoi.scheduler")


@dataclass
class TickResult:
    """What one run of every job did."""

    deadlines: int = 0  # deadline facts recorded
    warnings: int = 0  # warnings queued
    statistics: tuple[str, ...] = ()  # months published
    locks: int = 0  # locks lifted
    rerouted: int = 0  # reports handed from merged units to their successors
    reminders: int = 0  # cadence reminders queued
    sent: int = 0
    failed: int = 0
    sealed: str | None = None  # the day whose chain head this run sealed


class Scheduler:
    """The jobs of one deployment; :meth:`tick` runs each once."""

    def __init__(self, runtime: Deployment, clock: Clock | None = None,
                 sender: Sender | None = None, backoff: Backoff | None = None) -> None:
        self.runtime, self.app = runtime, runtime.app
        # The jobs' connections, the outbox's projector and the chain bypass pgbouncer: they
        # keep session state (search_path, the projector's prepared statements).
        self.url, self.schema = runtime.session_url, runtime.schema
        self.read_models = runtime.projector
        self.feeder = Projector(runtime.app, self.url, [notifications.model],
                                schema=runtime.schema,
                                connect_timeout=runtime.projector.connect_timeout)
        self.chain = EventChain(runtime.app, self.url, schema=runtime.schema)
        self.read_models.ensure_tracking()
        self.feeder.ensure_tracking()
        self.clock = clock or runtime.app.clock
        sealer = Sealer.of(runtime.app.mapper)
        self.sender = sender or Dispatcher.from_settings(self.connect, get_settings(), sealer)
        if isinstance(self.sender, Dispatcher) and self.sender.sealer is None:
            self.sender.sealer = sealer  # the sealed addresses are this application's
        with self.connect() as conn:
            notifications.seal_stored_addresses(conn, sealer)
        self.backoff = backoff or Backoff()
        self._published: set[str] = set()  # months known published (a fact never undone)

    def connect(self) -> psycopg.Connection[Any]:
        return connect(self.url, schema=self.schema)

    def tick(self, now: datetime | None = None) -> TickResult:
        """Run every job once at ``now`` (the clock's reading by default)."""
        now = now or self.clock()
        self.follow()
        result = TickResult()
        result.deadlines, result.warnings = self.deadlines(now)
        result.statistics = tuple(self.publish_statistics(now))
        result.locks = self.lift_locks(now)
        result.rerouted = self.reroute_after_mergers()
        result.reminders = self.remind_alert_cadence(now)
        result.sent, result.failed = self.deliver(now)
        result.sealed = self.seal_previous_day(now)
        return result

    def follow(self) -> None:
        """Bring the read models the jobs ask, and the outbox, up to the event store's head;
        each job expects it done."""
        self.read_models.catch_up()
        self.feeder.catch_up()
        self.chain.extend()

    # ----------------------------------------------------------------- deadlines

    def deadlines(self, now: datetime) -> tuple[int, int]:
        """Điều 7.2.d, 8.5, 12, 13: record each passed deadline once, queue its notifications,
        and warn of the deadlines falling due within the policy's warning time."""
        with self.connect() as conn:
            pending = notifications.pending_deadlines(conn, now)
        recorded = 0
        for report_id, due in pending:  # earliest due first, across reports
            try:
                recorded += self.app.record_deadlines_passed(report_id, until=due)
            except IntegrityError:  # the report changed meanwhile: the next run sees it
                log.info("deadline of report %s: concurrent change, retried later", report_id)
        self.feeder.catch_up()
        return recorded, self.warn(now)

    def warn(self, now: datetime) -> int:
        """A warning to the officer and the unit head of every open stage with at most
        ``policy.deadline_warning`` of working time left; once per stage occurrence."""
        policy = self.app.policy()
        until = policy.calendar.add(now, policy.deadline_warning)
        queued = 0
        with self.connect() as conn, conn.cursor() as cur:
            for stage in notifications.approaching_deadlines(conn, now, until):
                key = notifications.stage_key(stage["report_id"], stage)
                subject, body = notifications.render("Deadline", "warning", "stage", {
                    "report": str(stage["report_id"]), "due": notifications.local(stage["due"]),
                    "stage_name": notifications.STAGE_NAMES.get(stage["stage"], stage["stage"])})
                for recipient in notifications.stage_recipients(stage["unit_id"],
                                                                stage["officer_id"]):
                    notifications.enqueue(cur, f"warning:{key}:{':'.join(recipient)}",
                                          recipient, subject, body, now)
                    queued += cur.rowcount
        return queued

    # ----------------------------------------------------------------- statistics

    def publish_statistics(self, now: datetime) -> list[str]:
        """Seed 000 Điều 2.2.c: publish, once, every month since the first with activity whose
        freeze instant has passed (see :mod:`scheduler.statistics`); returns the months
        published by this run."""
        policy = self.app.policy()
        with self.connect() as conn:
            first = statistics.first_month(conn)
        if first is None:
            return []
        done = []
        for month in statistics.months(first, month_of(now)):
            at = statistics.freeze_instant(month, policy)
            if at > now:
                break
            name = statistics.label(month)
            if self._is_published(name):
                continue
            before = self._publication(statistics.label(statistics.previous(month)))
            figures = statistics.freeze(self.read_models, month, at, policy, before)
            self.app.publish_monthly_statistics(name, figures)
            self._published.add(name)
            done.append(name)
            log.info("monthly statistics %s published (%s units)", name, len(figures))
        return done

    def _publication(self, month: str) -> list[dict[str, Any]] | None:
        try:
            return self.app.load(MonthlyStatistics.create_id(month), MonthlyStatistics,
                                 to_change=False).figures
        except NotFound:
            return None

    def _is_published(self, month: str) -> bool:
        if month not in self._published and self._publication(month) is not None:
            self._published.add(month)
        return month in self._published

    # ----------------------------------------------------------------- locks, alerts

    def lift_locks(self, now: datetime) -> int:
        """Điều 27.3: a lock lifts by itself once its 30 days are over."""
        with self.connect() as conn:
            expired = reporter_locks.expired(conn, now)
        return sum(self._lift(reporter_id) for reporter_id in expired)

    def _lift(self, reporter_id: UUID) -> bool:
        try:
            return self.app.lift_expired_lock(reporter_id)
        except IntegrityError:  # a violation recorded meanwhile: the next run sees it
            return False

    def reroute_after_mergers(self) -> int:
        """Điều 28.1: the open work that reports still have at merged units passes to the
        units that took them over; returns how many re-routings were recorded."""
        with self.connect() as conn:
            left = report_status.at_merged_units(conn)
        done = 0
        for report_id, unit_id in left:
            try:
                self.app.handle(RerouteAfterMerger(report_id, unit_id), SYSTEM)
                done += 1
            except (DomainError, ConflictError) as error:  # moved meanwhile: nothing to do
                log.info("report %s at merged unit %s: %s", report_id, unit_id, error)
        if done:
            self.read_models.catch_up()
        return done

    def remind_alert_cadence(self, now: datetime) -> int:
        """Seed 001 1.d, seed 003 1: remind, once a day, the head of each department, district
        and commune unit that has sent no alert in the last ``policy.alert_cadence_days`` days."""
        days = self.app.policy().alert_cadence_days
        today = now.astimezone(BUSINESS_TZ).date().isoformat()
        queued = 0
        with self.connect() as conn, conn.cursor() as cur:
            subject, body = notifications.render("Alert", "cadence", "unit_head",
                                                 {"days": days})
            for unit in alerts.cadence(conn, now, days):
                notifications.enqueue(
                    cur, f"cadence:{unit['unit_id']}:{today}", ("unit_head", str(unit["unit_id"])),
                    subject, body, now)
                queued += cur.rowcount
        return queued

    # ----------------------------------------------------------------- tamper evidence

    def seal_previous_day(self, now: datetime) -> str | None:
        """Điều 22: once the day before ``now`` (Asia/Ho_Chi_Minh) is over, record the event
        chain's head as that day's seal, once; returns the day sealed by this run."""
        day = (now.astimezone(BUSINESS_TZ).date() - timedelta(days=1)).isoformat()
        try:
            self.app.load(DailySeal.create_id(day), DailySeal, to_change=False)
            return None
        except NotFound:
            pass
        self.chain.extend()
        head, hash_, events = self.chain.head()
        if not head:
            return None
        if self.app.seal_day(day, head, hash_, events).replayed:
            return None
        log.info("day %s sealed: event chain head #%s %s", day, head, hash_)
        return day

    # ----------------------------------------------------------------- as-of checkpoints

    def checkpoint(self, now: datetime) -> int:
        """Issue 16: cut the read models' checkpoints due at ``now`` (each month end passed,
        every ``IHANOI_CHECKPOINT_EVERY`` events), from which as-of builds start, and drop
        those ``IHANOI_CHECKPOINT_KEEP_*`` no longer keeps; returns how many were made."""
        settings = get_settings()
        return len(make_checkpoints(
            self.read_models, settings.checkpoint_every, now,
            keep=Retention(settings.checkpoint_keep_months, settings.checkpoint_keep_latest)))

    # ----------------------------------------------------------------- delivery

    def deliver(self, now: datetime) -> tuple[int, int]:
        """Send the outbox rows due at ``now``; returns (sent, failed)."""
        try:
            return deliver(self.connect, self.sender, now, self.backoff)
        finally:
            if isinstance(self.sender, Dispatcher):
                self.sender.close()  # its connection is not kept between runs
