"""The aggregates the commands read, kept per process as snapshots nobody changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import LRUCache
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent

from application.database import OneTripRecorder
from domain.units import Officer

A = TypeVar("A", bound=Aggregate)


class NotFound(Exception):
    """No such aggregate (or not visible to the caller)."""


class Aggregates:
    """The aggregates the commands read, kept per process (the most recently used ones) as
    snapshots that nobody changes. A read asks the event store, in one query for every
    aggregate it needs, for the events recorded after the cached versions (usually none), so a
    change made by any process is seen at once; a changed snapshot is copied before its new
    events are applied, so what was handed out is never modified and threads share the cache.
    What a command saved becomes the snapshot.

    On PostgreSQL (:class:`~application.database.OneTripRecorder`) a read is one query for all
    the aggregates it needs; on any other recorder of the library (in memory, SQLite) it asks
    for each aggregate's new events in turn."""

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[UUID], maxsize: int) -> None:
        self._recorder = recorder
        self._mapper = mapper
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
        changed: set[UUID] = set()
        for stored in self._events_after(
                {i: found[i].version if i in found else 0 for i in wanted}):
            originator_id = stored.originator_id
            assert isinstance(originator_id, UUID)
            aggregate = found.get(originator_id)
            if aggregate is not None and originator_id not in changed:
                aggregate = copy(aggregate)
            changed.add(originator_id)
            event = self._mapper.to_domain_event(stored)
            assert isinstance(event, CanMutateAggregate)
            mutated = event.mutate(aggregate)
            assert mutated is not None
            found[originator_id] = mutated
        self.remember(found[i] for i in changed)
        return found

    def _events_after(self, versions: Mapping[UUID, int]) -> list[StoredEvent]:
        if isinstance(self._recorder, OneTripRecorder):
            return list(self._recorder.select_events_after(versions))
        return [stored for aggregate_id, version in versions.items()
                for stored in self._recorder.select_events(aggregate_id, gt=version or None)]

    def remember(self, aggregates: Iterable[Aggregate]) -> None:
        """Aggregates as just read or saved (with no pending events), which nobody changes
        any more."""
        for aggregate in aggregates:
            self._cache.put(aggregate.id, aggregate)


def found(aggregates: Mapping[UUID, Aggregate], aggregate_id: UUID, cls: type[A]) -> A:
    """``aggregate_id`` among ``aggregates``, a ``cls``; else :class:`NotFound`."""
    aggregate = aggregates.get(aggregate_id)
    if not isinstance(aggregate, cls):
        raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}")
    return aggregate


def copy(aggregate: A) -> A:
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
