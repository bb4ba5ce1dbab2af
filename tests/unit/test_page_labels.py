"""The public pages name every value of the closed sets they show in Vietnamese (issue 13.1):
a value added to an enum without its label would show in English."""

from __future__ import annotations

from enum import StrEnum

import pytest

from api.pages.labels import VIETNAMESE, vietnamese
from domain.alert import AlertCategory, Severity
from domain.policy import Kind, Stage, Urgency
from domain.report import Rating


@pytest.mark.parametrize(("vocabulary", "values"), [
    ("kind", Kind), ("urgency", Urgency), ("stage", Stage), ("rating", Rating),
    ("severity", Severity), ("alert_category", AlertCategory)])
def test_every_value_the_pages_show_has_a_vietnamese_label(vocabulary: str,
                                                           values: type[StrEnum]) -> None:
    assert set(VIETNAMESE[vocabulary]) == {str(v) for v in values}
    assert vietnamese(next(iter(values)), vocabulary) != str(next(iter(values)))


def test_a_value_without_a_label_shows_as_itself() -> None:
    assert vietnamese("something_new", "kind") == "something_new"
