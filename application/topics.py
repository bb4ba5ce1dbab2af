"""Topics of classes that moved: events stored before a move name the class where it was
defined then, so they keep loading, and the read models keep receiving them."""

from __future__ import annotations

from eventsourcing.utils import get_topic, register_topic

from application.idempotency import CommandReceipt
from domain.policy_book import PolicyBook

#: The old topic of each moved class (aggregates and their events).
MOVED: dict[str, type] = {
    "application.services:CommandReceipt": CommandReceipt,
    "application.services:CommandReceipt.Applied": CommandReceipt.Applied,
    "application.services:PolicyBook": PolicyBook,
    "application.services:PolicyBook.Opened": PolicyBook.Opened,
    "application.services:PolicyBook.PolicyAdopted": PolicyBook.PolicyAdopted,
}

for _topic, _cls in MOVED.items():
    register_topic(_topic, _cls)


def topics_of(cls: type) -> list[str]:
    """Every topic under which events of ``cls`` are stored: its own and the ones it had."""
    return [get_topic(cls), *(topic for topic, moved in MOVED.items() if moved is cls)]
