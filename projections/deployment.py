"""One deployment as the API and the scheduler run on it: the write side, the projector of its
read models, and the database they share. Built by the composition root (``ihanoi.runtime``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.services import IHanoi
from projections.engine import Projector


@dataclass
class Deployment:
    """The write side and the projector of one deployment, on schema ``schema``.

    ``url`` takes commands and queries: the primary, or pgbouncer in transaction mode in front
    of it. ``direct_url`` is the primary itself, for what needs a session of its own (LISTEN,
    session advisory locks, the projector's prepared pipeline); None when ``url`` is direct.
    The API's reads of the read models may go to streaming replicas of the primary at
    ``read_urls`` (:mod:`projections.replicas`).
    """

    url: str
    schema: str
    app: IHanoi
    projector: Projector
    direct_url: str | None = None
    read_urls: list[str] = field(default_factory=list)

    @property
    def session_url(self) -> str:
        """Where LISTEN/NOTIFY, advisory-lock leadership and the projector connect."""
        return self.direct_url or self.url

    @property
    def pooled(self) -> bool:
        """``url`` is a transaction pooler: no session state, no prepared statements there."""
        return self.direct_url is not None and self.direct_url != self.url

    def close(self) -> None:
        self.app.close()
