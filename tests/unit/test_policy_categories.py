"""The catalogue of categories per kind, as policy data (Điều 1.2, 3.2, 3.7, 9, 10, 11): the
regulation's purposes are the defaults, a submission outside its kind's catalogue is refused
citing the article that defines the kind's scope, and an adopted policy may change it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput
from domain.policy import ARTICLE_OF_SCOPE, DEFAULT_CATEGORIES, DEFAULT_POLICY, Kind, SlaPolicy
from domain.report import Report

MONDAY = datetime(2026, 3, 2, 9, tzinfo=BUSINESS_TZ)


def submit(policy: SlaPolicy = DEFAULT_POLICY, **overrides: Any) -> Report:
    fields: dict[str, Any] = {
        "kind": "field", "category": "urban_order",
        "text": "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm", "latitude": 21.0245,
        "longitude": 105.8532, "address": "12 Hàng Bài, Hoàn Kiếm", "occurred_at": None,
        "media": ["photo-1.jpg"], "confidential": False, "reporter_id": uuid4(),
        "reporter": {"name": "Phạm Thị Dung"}, "receiving_unit_id": uuid4(), "at": MONDAY,
        "policy": policy}
    fields.update(overrides)
    return Report.submit(**fields)


def test_field_report_categories_are_the_purposes_of_dieu_3_2() -> None:
    assert set(DEFAULT_CATEGORIES[Kind.FIELD]) == {
        "public_order", "urban_order", "traffic", "environment", "fire_safety",
        "public_culture", "workplace_culture", "infrastructure"}
    assert DEFAULT_CATEGORIES[Kind.FIELD]["fire_safety"] == "An toàn phòng cháy chữa cháy"


def test_administrative_regulation_categories_are_those_of_dieu_3_7() -> None:
    assert DEFAULT_CATEGORIES[Kind.ADMINISTRATIVE] == {
        "policies": "Cơ chế, chính sách", "procedures": "Thủ tục hành chính"}


def test_waste_behaviour_covers_the_budget_and_public_assets_dieu_1_2() -> None:
    assert set(DEFAULT_CATEGORIES[Kind.WASTE]) == {"public_spending", "public_assets"}


def test_every_kind_has_a_catalogue_and_an_article_dieu_1_2() -> None:
    assert set(DEFAULT_CATEGORIES) == set(Kind) == set(ARTICLE_OF_SCOPE)
    assert all(DEFAULT_CATEGORIES[kind] for kind in Kind)
    assert ARTICLE_OF_SCOPE == {Kind.FIELD: "Điều 3.2", Kind.ADMINISTRATIVE: "Điều 3.7",
                                Kind.WASTE: "Điều 1.2", Kind.INVESTOR: "Điều 11",
                                Kind.INITIATIVE: "Điều 9"}


@pytest.mark.parametrize("kind", list(Kind))
def test_a_category_of_the_kinds_catalogue_is_accepted(kind: Kind) -> None:
    for category in DEFAULT_CATEGORIES[kind]:
        report = submit(kind=str(kind), category=category)
        assert report.category == category


@pytest.mark.parametrize(("kind", "category", "article"), [
    ("field", "lighting", "Điều 3.2"),
    ("field", "procedures", "Điều 3.2"),  # another kind's category
    ("administrative_regulation", "traffic", "Điều 3.7"),
    ("waste_behaviour", "urban_order", "Điều 1.2"),
    ("investor_enterprise", "smart_city", "Điều 11"),
    ("capital_initiative", "permits", "Điều 9"),
])
def test_a_category_outside_the_kinds_catalogue_is_refused_citing_its_scope(
        kind: str, category: str, article: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(kind=kind, category=category)
    assert refused.value.rule == article
    assert repr(category) in str(refused.value)


def test_a_kind_outside_the_regulation_has_no_catalogue_dieu_1_2() -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_POLICY.check_category("complaint", "urban_order")
    assert refused.value.rule == "Điều 1.2"
    assert "(none)" in str(refused.value)


def test_the_refusal_lists_the_kinds_categories() -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_POLICY.check_category("administrative_regulation", "traffic")
    assert "(policies, procedures)" in str(refused.value)


def test_the_category_is_checked_after_blanks_are_trimmed_dieu_6_1() -> None:
    assert submit(category="  traffic ").category == "traffic"


def test_an_adopted_catalogue_replaces_the_default_dieu_28_1() -> None:
    policy = DEFAULT_POLICY.with_changes(
        version="2026-lighting", categories={**DEFAULT_POLICY.categories,
                                             "field": {"lighting": "Chiếu sáng công cộng"}})
    assert submit(policy, category="lighting").category == "lighting"
    with pytest.raises(InvalidInput):
        submit(policy, category="traffic")


def test_the_catalogue_survives_the_stored_form_and_old_policies_get_the_default() -> None:
    policy = DEFAULT_POLICY.with_changes(categories={"field": {"lighting": "Chiếu sáng"}})
    assert SlaPolicy.from_dict(policy.to_dict()).categories == {"field": {"lighting": "Chiếu sáng"}}
    stored_before_catalogues = {k: v for k, v in DEFAULT_POLICY.to_dict().items()
                                if k != "categories"}
    assert SlaPolicy.from_dict(stored_before_catalogues).categories == DEFAULT_CATEGORIES


def test_is_category_names_a_kind_or_any_kind() -> None:
    assert DEFAULT_POLICY.is_category("procedures")
    assert DEFAULT_POLICY.is_category("procedures", "administrative_regulation")
    assert not DEFAULT_POLICY.is_category("procedures", "field")
    assert not DEFAULT_POLICY.is_category("lighting")
