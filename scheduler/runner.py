"""The scheduler process: APScheduler interval jobs, run only by the leading instance.

Every instance runs an election job every ``Intervals.election`` seconds: a standby tries to
take the advisory lock (:class:`LeaderLock`), and an instance that just took the lead runs
every job at once (catching up whatever fell due while nobody led). The other jobs run on
their own intervals, each only while the lock is still held on a live connection. Jobs run
one at a time (a single worker thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from application.services import Clock
from projections.deployment import Deployment
from scheduler.jobs import Scheduler
from scheduler.leader import LeaderLock
from scheduler.outbox import Sender

log = logging.getLogger("ihanoi.scheduler")


@dataclass(frozen=True)
class Intervals:
    """Seconds between runs: the election (a standby's retry), the deadlines, the outbox
    delivery, the rest (statistics, locks, the alert cadence), and the read models'
    checkpoints."""

    election: float = 5.0
    deadlines: float = 30.0
    delivery: float = 10.0
    housekeeping: float = 300.0
    checkpoints: float = 3600.0

    @classmethod
    def every(cls, seconds: float) -> Intervals:
        """Every job but the checkpoints (a replay) every ``seconds``."""
        return cls(seconds, seconds, seconds, seconds)


#: Failures in a row of one job after which it is reported as failing (an error log).
FAILING_AFTER = 3


@dataclass
class JobFailure:
    """A job's failures in a row, the last error and since when it fails."""

    error: str
    attempts: int = 1
    since: datetime = field(default_factory=lambda: datetime.now(UTC))


class Jobs:
    """Issue 12 item 7: every job runs guarded. A failure (the database down, a bug) never
    stops the scheduler: it is logged with the job's name, kept in ``failures`` and retried
    at the job's next run (its interval is the backoff); from ``FAILING_AFTER`` failures in a
    row it is logged as an error naming the job. The first success logs the recovery."""

    def __init__(self) -> None:
        self.failures: dict[str, JobFailure] = {}

    def guarded(self, name: str, job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except Exception as error:  # noqa: BLE001 — retried at the next run
                self._failed(name, error)
            else:
                failure = self.failures.pop(name, None)
                if failure is not None:
                    log.warning("scheduler: job %s recovered after %d failures", name,
                                failure.attempts, extra={"job": name})
        return run

    def _failed(self, name: str, error: Exception) -> None:
        text = f"{type(error).__name__}: {error}".splitlines()[0]
        previous = self.failures.get(name)
        failure = (JobFailure(text, previous.attempts + 1, previous.since) if previous
                   else JobFailure(text))
        self.failures[name] = failure
        extra = {"job": name, "attempts": failure.attempts}
        if failure.attempts >= FAILING_AFTER:
            log.error("scheduler: job %s keeps failing (%d in a row since %s): %s", name,
                      failure.attempts, failure.since.isoformat(), text, extra=extra)
        else:
            log.warning("scheduler: job %s failed; retried at its next run: %s", name, text,
                        extra=extra, exc_info=failure.attempts == 1)


class SchedulerHandle:
    """A running scheduler instance (leader or standby)."""

    def __init__(self, scheduler: Scheduler, lock: LeaderLock,
                 background: BackgroundScheduler, jobs: Jobs | None = None) -> None:
        self.scheduler = scheduler
        self.lock = lock
        self._background = background
        self.jobs = jobs or Jobs()

    @property
    def failures(self) -> dict[str, JobFailure]:
        """The jobs failing now, by name (empty while every job works)."""
        return dict(self.jobs.failures)

    @property
    def leading(self) -> bool:
        return self.lock.held

    def stop(self) -> None:
        """Stop the jobs (waiting for the one running) and give the lead up."""
        self._background.shutdown(wait=True)
        self.lock.release()


def start_scheduler(runtime: Deployment, clock: Clock | None = None, *,
                    sender: Sender | None = None, intervals: Intervals = Intervals(),
                    application_name: str = "ihanoi-scheduler") -> SchedulerHandle:
    """Start a scheduler instance in background threads; it leads when no other does."""
    scheduler = Scheduler(runtime, clock, sender)
    # A session advisory lock: on the primary itself, never through pgbouncer.
    lock = LeaderLock(runtime.session_url, runtime.schema, application_name)
    background = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)},
                                     job_defaults={"coalesce": True, "max_instances": 1,
                                                   "misfire_grace_time": None})

    def elect() -> None:
        standby = not lock.held
        if lock.hold() and standby:
            scheduler.tick()

    def while_leading(job: Callable[[datetime], Any]) -> Callable[[], None]:
        def run() -> None:
            if lock.held and lock.hold():
                job(scheduler.clock())
        return run

    def deadlines(now: datetime) -> None:
        scheduler.follow()
        scheduler.deadlines(now)

    def delivery(now: datetime) -> None:
        scheduler.feeder.catch_up()
        scheduler.deliver(now)

    def housekeeping(now: datetime) -> None:
        scheduler.follow()
        scheduler.publish_statistics(now)
        scheduler.lift_locks(now)
        scheduler.remind_alert_cadence(now)
        scheduler.seal_previous_day(now)

    def checkpoints(now: datetime) -> None:
        scheduler.checkpoint(now)

    jobs = Jobs()
    background.add_job(jobs.guarded("election", elect), "interval",
                       seconds=intervals.election, id="election",
                       next_run_time=datetime.now().astimezone())
    background.add_job(jobs.guarded("deadlines", while_leading(deadlines)), "interval",
                       seconds=intervals.deadlines, id="deadlines")
    background.add_job(jobs.guarded("delivery", while_leading(delivery)), "interval",
                       seconds=intervals.delivery, id="delivery")
    background.add_job(jobs.guarded("housekeeping", while_leading(housekeeping)), "interval",
                       seconds=intervals.housekeeping, id="housekeeping")
    background.add_job(jobs.guarded("checkpoints", while_leading(checkpoints)), "interval",
                       seconds=intervals.checkpoints, id="checkpoints")
    background.start()
    return SchedulerHandle(scheduler, lock, background, jobs)
