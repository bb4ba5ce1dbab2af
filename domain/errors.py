"""Domain errors: each names the rule of the regulation that a refused command broke.

A command that raises one of these records nothing.
"""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """A command broke a rule; ``rule`` cites the article (e.g. "Điều 12.2")."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{detail} ({rule})")
        self.rule = rule
        self.detail = detail


class NotPermitted(DomainError):
    """The actor's role or unit gives no right to this command."""


class InvalidState(DomainError):
    """The command does not fit the report's current step of the procedure."""


class InvalidInput(DomainError):
    """The command's content does not meet the regulation's requirements."""


class OutOfScope(DomainError):
    """Complaints, denunciations, disputes and state secrets are not handled here (Điều 1.3, 3.2)."""


class ReporterLocked(DomainError):
    """Điều 27.3: the reporter's account is locked until ``locked_until``."""

    def __init__(self, locked_until: datetime) -> None:
        super().__init__(
            "Điều 27.3",
            f"the account is locked after more than 3 consecutive violations "
            f"until {locked_until.isoformat()}",
        )
        self.locked_until = locked_until
