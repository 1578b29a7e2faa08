"""The reconnect backoff of PROTOCOL.md: random 0.5-1.5 s, doubling, capped at 30 s, reset after 30 s up."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from agent_desk.client.backoff import Backoff, backoff_delays


@given(st.integers(min_value=0, max_value=2**32))
def test_each_delay_doubles_within_its_jitter_range_and_never_exceeds_the_cap(seed):
    delays = list(itertools.islice(backoff_delays(random.Random(seed)), 12))
    for n, delay in enumerate(delays):
        grown = min(n, 5)  # 1.5 * 2**5 is past the cap: the range stops growing there
        assert 0.5 * 2**grown <= delay <= min(1.5 * 2**grown, 30.0)
    assert delays[0] <= 1.5 and max(delays) <= 30.0


def test_capped_delays_keep_their_jitter_below_30_s():
    delays = list(itertools.islice(backoff_delays(random.Random(7)), 60))[10:]
    assert all(16.0 <= d <= 30.0 for d in delays)
    assert len(set(delays)) > 1 and delays.count(30.0) >= 1


def test_jitter_spreads_clients_that_failed_together():
    firsts = {next(backoff_delays(random.Random(seed))) for seed in range(50)}
    assert len(firsts) == 50 and min(firsts) >= 0.5 and max(firsts) <= 1.5


def test_a_connection_that_stayed_up_30_s_starts_the_delays_again():
    backoff = Backoff(random.Random(3))
    for _ in range(6):
        grown = backoff.next_delay(None)
    assert grown > 1.5
    assert backoff.next_delay(29.0) > 1.5  # not stable long enough: keeps growing
    assert backoff.next_delay(30.0) <= 1.5  # stable: back to the first range
    assert 1.0 <= backoff.next_delay(None) <= 3.0
