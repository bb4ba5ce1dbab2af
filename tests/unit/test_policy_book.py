"""The book of adopted service-level policies (Điều 28.1: the city adjusts the rules)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from domain.actors import Actor, Role
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY
from domain.policy_book import POLICY_BOOK_ID, PolicyBook

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR)
AT = datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ)


def test_the_city_has_one_policy_book_dieu_28_1() -> None:
    assert PolicyBook.create_id() == POLICY_BOOK_ID
    assert PolicyBook().current is None


def test_an_adopted_policy_is_in_force_and_records_who_and_when_dieu_28_1() -> None:
    book = PolicyBook()
    policy = DEFAULT_POLICY.with_changes(version="2027-01", late_share_threshold=Decimal("0.25"))
    book.adopt(policy, ADMIN, AT)
    adopted = book.collect_events()[-1]
    assert isinstance(adopted, PolicyBook.PolicyAdopted)
    assert adopted.policy == policy.to_dict()
    assert adopted.by == ADMIN.ref()
    assert adopted.at == AT
    assert book.current == policy.to_dict()


def test_adopting_the_version_in_force_again_is_refused_dieu_28_1() -> None:
    book = PolicyBook()
    book.adopt(DEFAULT_POLICY, ADMIN, AT)
    with pytest.raises(DomainError) as refused:
        book.adopt(DEFAULT_POLICY.with_changes(late_share_threshold=Decimal("0.20")), ADMIN, AT)
    assert refused.value.rule == "Điều 28.1"
    assert book.current == DEFAULT_POLICY.to_dict()


def test_a_new_version_replaces_the_one_in_force_dieu_28_1() -> None:
    book = PolicyBook()
    book.adopt(DEFAULT_POLICY, ADMIN, AT)
    newer = DEFAULT_POLICY.with_changes(version="2027-01")
    book.adopt(newer, ADMIN, AT)
    assert book.current == newer.to_dict()
    book.adopt(DEFAULT_POLICY, ADMIN, AT)  # going back is a new adoption, not a repeat
    assert book.current == DEFAULT_POLICY.to_dict()
