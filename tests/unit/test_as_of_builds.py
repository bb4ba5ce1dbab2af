"""Issue 16: as-of builds run at most ``limit`` at once in a process (no longer one at a time
behind a single lock), and a failed build reports its error to its caller."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from projections.checkpoints import Builds


def test_as_of_builds_run_at_most_limit_at_once_the_others_wait_for_a_slot() -> None:
    builds = Builds(2)
    started: list[str] = []
    release = threading.Event()

    def build(key: str) -> str:
        started.append(key)
        release.wait(30)
        return f"asof_{key}"

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(builds.run, key, lambda key=key: build(key))
                   for key in ("a", "b", "c", "d")]
        deadline = time.monotonic() + 30
        while len(started) < 2:
            assert time.monotonic() < deadline, "two builds should have started"
            time.sleep(0.01)
        time.sleep(0.2)  # room for a third to start, were the bound not kept
        assert len(started) == 2
        release.set()
        assert [f.result() for f in futures] == ["asof_a", "asof_b", "asof_c", "asof_d"]
    assert sorted(started) == ["a", "b", "c", "d"]


def test_a_failed_as_of_build_raises_to_its_caller_and_frees_its_slot() -> None:
    builds = Builds(1)

    def failing() -> str:
        raise RuntimeError("server gone")

    with pytest.raises(RuntimeError, match="server gone"):
        builds.run("a", failing)
    assert builds.run("a", lambda: "asof_a") == "asof_a"
