"""Idempotency by command id: a retried command is applied once.

The receipt of a command id is saved in the same transaction as the command's events; it keeps
the command's fingerprint (:func:`application.commands.fingerprint`), so a command id sent again
with another command or other fields is refused instead of answered with the first result
(IETF httpapi "The Idempotency-Key HTTP Header Field", Error Scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate, event

RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "ihanoi:command-receipt")


@dataclass(frozen=True)
class CommandResult:
    """What a command produced: the aggregate, its new version, whether it was a replay, and
    the store position after it: the notification id of the last event it recorded (for a
    replay, the store's head when it was answered; None when unknown). A reader whose read
    models have reached ``position`` sees what the command wrote."""

    aggregate_id: UUID
    version: int
    replayed: bool = False
    position: int | None = field(default=None, compare=False)


class IdempotencyKeyReused(Exception):
    """A command id was sent again with a different command or different arguments."""


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


def replay(repository: Repository[UUID], command_id: str, command: str,
           aggregate_id: UUID | None, fingerprint: str) -> CommandResult | None:
    """The first result of ``command_id``, if it was applied; refused when it was applied to
    another command, aggregate or fingerprint (a receipt stored before fingerprints is
    compared on command and aggregate only)."""
    try:
        receipt: Aggregate = repository.get(CommandReceipt.create_id(command_id))
    except AggregateNotFoundError:
        return None
    assert isinstance(receipt, CommandReceipt)
    if receipt.command != command or (aggregate_id is not None
                                      and receipt.aggregate_id != aggregate_id):
        raise IdempotencyKeyReused(f"command id already used for {receipt.command} on "
                                   f"{receipt.aggregate_id}")
    if receipt.fingerprint is not None and receipt.fingerprint != fingerprint:
        raise IdempotencyKeyReused(f"command id already used for {receipt.command} on "
                                   f"{receipt.aggregate_id} with other arguments")
    return CommandResult(receipt.aggregate_id, receipt.resulting_version, replayed=True)
