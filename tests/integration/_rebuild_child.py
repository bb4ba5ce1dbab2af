"""A rebuild to be killed: the child process of the abandoned-staging test.

Rebuilds every registered read model of ``IHANOI_CHILD_URL`` / ``IHANOI_CHILD_SCHEMA`` (key
``IHANOI_CHILD_CIPHER_KEY``), one small batch at a time; at its first progress report, its
staging schema half filled, prints ``replaying`` and waits to be killed.

Usage: python _rebuild_child.py
"""

from __future__ import annotations

import os
import threading

from application.database import eventsourcing_env
from application.services import IHanoi
from projections.engine import Projector
from projections.registry import READ_MODELS


def main() -> None:
    url, schema = os.environ["IHANOI_CHILD_URL"], os.environ["IHANOI_CHILD_SCHEMA"]
    app = IHanoi(env=eventsourcing_env(url, cipher_key=os.environ["IHANOI_CHILD_CIPHER_KEY"],
                                       schema=schema))
    projector = Projector(app, url, READ_MODELS, schema=schema, batch_size=1)

    def stall(done: int, total: int) -> None:
        print("replaying", flush=True)
        threading.Event().wait()

    projector.rebuild(progress=stall)


if __name__ == "__main__":
    main()
