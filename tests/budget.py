"""How many examples a hypothesis property runs: as written, unless a slow run (mutation
testing, README "Mutation testing") caps them with IHANOI_HYPOTHESIS_MAX_EXAMPLES."""

from __future__ import annotations

import os


def examples(n: int) -> int:
    cap = os.environ.get("IHANOI_HYPOTHESIS_MAX_EXAMPLES")
    return min(n, int(cap)) if cap else n
