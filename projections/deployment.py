"""One deployment as the API and the scheduler run on it: the write side, the projector of its
read models, and the database they share. Built by the composition root (``ihanoi.runtime``)."""

from __future__ import annotations

from dataclasses import dataclass

from application.services import IHanoi
from projections.engine import Projector


@dataclass
class Deployment:
    """The write side and the projector of one deployment, on schema ``schema`` at ``url``."""

    url: str
    schema: str
    app: IHanoi
    projector: Projector

    def close(self) -> None:
        self.app.close()
