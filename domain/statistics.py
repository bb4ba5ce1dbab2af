"""The monthly statistics frozen on the 25th (seed 000 Điều 2.2.c; Điều 18.3.b, 18.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class MonthlyStatistics(Aggregate):
    """One month's reception and handling figures per unit, with the 30%-late and
    repeat-dissatisfaction flags and the event ids behind each figure: immutable once
    published. Its id derives from the month, so a second publication conflicts."""

    class MonthlyStatisticsPublished(Aggregate.Created):
        month: str
        figures: list[dict[str, Any]]
        policy_version: str
        published_at: datetime
        at: datetime

    @event(MonthlyStatisticsPublished)
    def __init__(self, month: str, figures: list[dict[str, Any]], policy_version: str,
                 published_at: datetime, at: datetime) -> None:
        self.month = month
        self.figures = figures
        self.policy_version = policy_version
        self.published_at = published_at

    @staticmethod
    def create_id(month: str) -> UUID:
        """``month`` is "YYYY-MM"."""
        return uuid5(NAMESPACE_URL, f"ihanoi:monthly-statistics:{month}")
