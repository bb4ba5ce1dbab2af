"""A projection runner to be killed: the child process of the crash-safety test.

Follows the event store of ``IHANOI_CHILD_URL`` / ``IHANOI_CHILD_SCHEMA`` (key
``IHANOI_CHILD_CIPHER_KEY``) with every registered read model, ``argv[1]`` events a batch,
sleeping ``argv[2]`` seconds in each handler so that most of its time is spent inside a batch's
transaction. Its connections carry ``application_name`` ``argv[3]``. Runs until killed.

Usage: python _runner_child.py BATCH_SIZE HANDLER_DELAY APPLICATION_NAME
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from application.database import eventsourcing_env
from application.services import IHanoi
from projections.engine import Handler, Projector, ReadModel
from projections.registry import READ_MODELS


def slowed(model: ReadModel, delay: float) -> ReadModel:
    """The same read model, each handler taking ``delay`` seconds longer."""
    def wrap(handler: Handler) -> Handler:
        def slow(cur: psycopg.Cursor[Any], event: Any, nid: int) -> None:
            time.sleep(delay)
            handler(cur, event, nid)
        return slow

    return ReadModel(model.name, model.tables,
                     {topic: wrap(handler) for topic, handler in model.handlers.items()})


def main() -> None:
    batch_size, delay, application_name = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    url, schema = os.environ["IHANOI_CHILD_URL"], os.environ["IHANOI_CHILD_SCHEMA"]
    app = IHanoi(env=eventsourcing_env(url, cipher_key=os.environ["IHANOI_CHILD_CIPHER_KEY"],
                                       schema=schema))
    projector = Projector(app, make_conninfo(url, application_name=application_name),
                          [slowed(m, delay) for m in READ_MODELS], schema=schema,
                          batch_size=batch_size)
    projector.run_forever(threading.Event(), poll_interval=0.05)


if __name__ == "__main__":
    main()
