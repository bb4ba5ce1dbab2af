"""Issue 16, checkpoint retention (``projections.checkpoints.retained``): the month ends of the
last N months, the last K checkpoints cut every N events and the last one are kept; of the
others only as many as leave no more than ``every`` events between two kept ones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import BUSINESS_TZ
from projections.checkpoints import Checkpoint, Retention, retained

NOW = datetime(2027, 6, 15, 10, 0, tzinfo=BUSINESS_TZ)


def month_end(months_before_now: int) -> datetime:
    """The 1st of the month ``months_before_now`` months before NOW's, at 00:00 +07:00."""
    index = NOW.year * 12 + NOW.month - 1 - months_before_now
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=BUSINESS_TZ)


def chain_of(cuts: list[tuple[int, int | None]]) -> list[Checkpoint]:
    """Checkpoints at increasing positions: ``(gap in events, months before now or None)``."""
    chain, position = [], 0
    for gap, months in cuts:
        position += gap
        end = month_end(months) if months is not None else None
        chain.append(Checkpoint(f"ckpt_x_{position}", position,
                                (end or NOW) - timedelta(hours=1), end, ("h",), ("m",),
                                datetime.now(UTC)))
    return chain


cuts = st.lists(st.tuples(st.integers(1, 300), st.none() | st.integers(0, 40)),
                max_size=30).map(lambda c: sorted(c, key=lambda x: -(x[1] or 0)))


@given(cuts, st.integers(0, 30), st.integers(0, 4), st.integers(1, 400))
def test_retention_keeps_recent_month_ends_the_latest_cuts_and_no_gap_wider_than_every(
        cut: list[tuple[int, int | None]], months: int, latest: int, every: int) -> None:
    chain = chain_of(cut)
    kept = retained(chain, Retention(months, latest), every, NOW)
    assert kept == [c for c in chain if c in kept], "kept in order, from the chain"
    recent = [c for c in chain if c.month_end and c.month_end > month_end(months)]
    counted = [c for c in chain if c.month_end is None]
    assert set(recent) <= set(kept), "the month ends of the last N months"
    assert set(counted[len(counted) - min(latest, len(counted)):]) <= set(kept)
    assert chain[-1:] == kept[-1:], "the last one: the next is cut from it"
    starts = [0] + [c.position for c in chain]
    for before, after in itertools.pairwise([0] + [c.position for c in kept]):
        between = [p for p in starts if before < p < after]
        assert after - before <= every or not between, \
            "a wider gap only where no checkpoint was in between"


def test_retention_of_a_year_keeps_the_last_twelve_month_ends() -> None:
    chain = chain_of([(10, m) for m in range(24, -1, -1)])  # 1 a month, no cut by count
    kept = retained(chain, Retention(months=12, latest=2), every=10, now=NOW)
    assert [c.month_end for c in kept] == [month_end(m) for m in range(24, -1, -1)]
    kept = retained(chain, Retention(months=12, latest=2), every=25, now=NOW)
    assert [c.month_end for c in kept if c.month_end and c.month_end <= month_end(12)] == \
        [month_end(m) for m in (23, 21, 19, 17, 15, 13)]  # every other: 20 events apart
    assert [c.month_end for c in kept][-12:] == [month_end(m) for m in range(11, -1, -1)]
