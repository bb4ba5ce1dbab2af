"""Events stored before a class moved keep loading: their topic names the old module."""

from __future__ import annotations

from dataclasses import replace

from eventsourcing.domain import Aggregate

from application.idempotency import CommandReceipt
from application.services import IHanoi
from domain.actors import Actor, Role
from domain.policy import DEFAULT_POLICY
from domain.policy_book import POLICY_BOOK_ID, PolicyBook
from projections.audit_trail import model
from tests.integration.conftest import Clock

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR)


def _store_under(app: IHanoi, aggregate: Aggregate, old_module: str) -> None:
    """Store ``aggregate``'s pending events as an earlier version of the code did, with
    ``old_module`` in place of the class's module in every topic."""
    new = f"{type(aggregate).__module__}:"
    old = f"{old_module}:"
    stored = [app.mapper.to_stored_event(event) for event in aggregate.collect_events()]
    app.recorder.insert_events([
        replace(s, topic=s.topic.replace(new, old),
                state=s.state.replace(new.encode(), old.encode())) for s in stored])


def test_a_policy_adopted_before_the_policy_book_moved_to_domain_is_still_in_force(
        app: IHanoi, clock: Clock) -> None:
    book = PolicyBook()
    adopted = replace(DEFAULT_POLICY, version="2025-hanoi")
    book.adopt(adopted, ADMIN, clock.now)
    _store_under(app, book, "application.services")
    assert app.recorder.select_events(POLICY_BOOK_ID)[0].topic.startswith(
        "application.services:PolicyBook.")
    assert app.policy().version == "2025-hanoi"


def test_a_receipt_stored_before_it_moved_to_idempotency_still_replays(app: IHanoi) -> None:
    receipt = CommandReceipt(command_id="old-1", command="register_reporter",
                             aggregate_id=POLICY_BOOK_ID, version=1, fingerprint="f")
    _store_under(app, receipt, "application.services")
    loaded = app.repository.get(receipt.id)
    assert isinstance(loaded, CommandReceipt) and loaded.fingerprint == "f"


def test_the_audit_trail_still_receives_policies_adopted_under_the_old_topic() -> None:
    assert {"application.services:PolicyBook.PolicyAdopted",
            "domain.policy_book:PolicyBook.PolicyAdopted"} <= set(model.topics)
