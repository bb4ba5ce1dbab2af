"""The scheduler: what time alone triggers (deadlines passing, the 25th-of-month statistics,
locks expiring, the 3-day alert cadence) and the delivery of notifications.

- :func:`start_scheduler` (``ihanoi scheduler``, or inside the demo): APScheduler jobs, run by
  the one instance holding the PostgreSQL advisory lock.
- :meth:`Scheduler.tick`: every job once at a given instant (tests move the clock instead of
  waiting).
"""

from scheduler.jobs import Scheduler, TickResult
from scheduler.outbox import Backoff, LogSender, Notification, Sender
from scheduler.runner import Intervals, SchedulerHandle, start_scheduler

__all__ = ["Backoff", "Intervals", "LogSender", "Notification", "Scheduler", "SchedulerHandle",
           "Sender", "TickResult", "start_scheduler"]
