"""Topics of classes that moved: events stored before a move name the class where it was
defined then, so they keep loading, and the read models keep receiving them."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic, register_topic

from application.idempotency import CommandReceipt
from domain.policy_book import PolicyBook


def _moved(old_module: str, cls: type[Aggregate]) -> dict[str, type]:
    """The old topics of an aggregate class and of its event classes, once in ``old_module``."""
    moved: dict[str, type] = {f"{old_module}:{cls.__qualname__}": cls}
    for value in vars(cls).values():
        if isinstance(value, type) and issubclass(value, CanMutateAggregate):
            moved[f"{old_module}:{value.__qualname__}"] = value
    return moved


#: The old topic of each moved class (aggregates and their events).
MOVED: dict[str, type] = {**_moved("application.services", CommandReceipt),
                          **_moved("application.services", PolicyBook)}

for _topic, _cls in MOVED.items():
    register_topic(_topic, _cls)


def topics_of(cls: type) -> list[str]:
    """Every topic under which events of ``cls`` are stored: its own and the ones it had."""
    return [get_topic(cls), *(topic for topic, moved in MOVED.items() if moved is cls)]
