"""The domain, the application services and the read models type-check under ``mypy
--strict`` (configured in pyproject.toml: ``[tool.mypy]``)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "application", "projections")


def test_domain_application_and_projections_type_check_strictly() -> None:
    report, errors, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      *(str(ROOT / package) for package in PACKAGES)])
    assert status == 0, report + errors
