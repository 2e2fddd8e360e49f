"""``ember.kernels.threads.run_split``: shares cover the range once; errors reach the caller."""

import threading

import pytest

from ember.kernels.threads import run_split


@pytest.mark.parametrize("n, parts", [(0, 2), (1, 3), (10, 1), (10, 3), (1000, 2), (7, 7)])
def test_shares_cover_the_range_once(n, parts):
    seen = []
    lock = threading.Lock()

    def work(start, stop):
        with lock:
            seen.append((start, stop, threading.get_ident()))

    run_split(work, n, parts)
    covered = sorted(i for start, stop, _ in seen for i in range(start, stop))
    assert covered == list(range(n))
    assert len(seen) == max(1, min(parts, n))  # one share per part, none empty (but n == 0)
    assert all(start < stop for start, stop, _ in seen) or n == 0
    assert threading.get_ident() in {ident for *_, ident in seen}  # the caller runs a share


def test_an_error_in_a_share_is_raised_after_all_shares_end():
    finished = []

    def work(start, stop):
        if start == 0:
            raise ValueError("share 0 failed")
        finished.append(start)

    with pytest.raises(ValueError, match="share 0 failed"):
        run_split(work, 100, 4)
    assert sorted(finished) == [25, 50, 75]
