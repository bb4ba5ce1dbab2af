"""A checkpoint builder to be killed: the child process of the killed-checkpoint test.

Cuts the checkpoints of every registered read model of ``IHANOI_CHILD_URL`` /
``IHANOI_CHILD_SCHEMA`` (key ``IHANOI_CHILD_CIPHER_KEY``) due at ``IHANOI_CHILD_NOW``, every
10 events, one small batch at a time; once the first checkpoint is made and the next one's
staging schema half filled, prints ``replaying`` and waits to be killed.

Usage: python _checkpoint_child.py
"""

from __future__ import annotations

import os
import threading
from datetime import datetime

from application.database import eventsourcing_env
from application.services import IHanoi
from projections.checkpoints import checkpoints, make_checkpoints
from projections.engine import Projector
from projections.registry import READ_MODELS


def main() -> None:
    url, schema = os.environ["IHANOI_CHILD_URL"], os.environ["IHANOI_CHILD_SCHEMA"]
    now = datetime.fromisoformat(os.environ["IHANOI_CHILD_NOW"])
    app = IHanoi(env=eventsourcing_env(url, cipher_key=os.environ["IHANOI_CHILD_CIPHER_KEY"],
                                       schema=schema), clock=lambda: now)
    projector = Projector(app, url, READ_MODELS, schema=schema, batch_size=1)

    def stall(done: int, total: int) -> None:
        if checkpoints(projector) and done < total:
            print("replaying", flush=True)
            threading.Event().wait()

    make_checkpoints(projector, every=10, now=now, progress=stall, span=5)


if __name__ == "__main__":
    main()
