"""The daily seal of the event store's hash chain (Điều 22: Home Affairs inspections)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class DailySeal(Aggregate):
    """Điều 22: the head of the event store's hash chain when a day (Asia/Ho_Chi_Minh) was
    over — the notification id of the last event stored by then and the chain's hash up to
    it — recorded once, so that a later rewrite of the events before it no longer matches.
    Its id derives from the day, so a second seal of the same day conflicts and the first
    stands."""

    class Sealed(Aggregate.Created):
        day: str  # YYYY-MM-DD
        head_notification_id: int
        head_hash: str
        events: int
        at: datetime

    @event(Sealed)
    def __init__(self, day: str, head_notification_id: int, head_hash: str, events: int,
                 at: datetime) -> None:
        self.day = day
        self.head_notification_id = head_notification_id
        self.head_hash = head_hash
        self.events = events
        self.at = at

    @staticmethod
    def create_id(day: str) -> UUID:
        """``day`` is "YYYY-MM-DD"."""
        return uuid5(NAMESPACE_URL, f"ihanoi:daily-seal:{day}")
