"""Masks from the counter-based stream: reference equality, thread invariance, generators."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.kernels.dropout import blocks_for_decisions, reference_keep
from ember.kernels.philox import PARALLEL_THRESHOLD


def _threshold(p: float) -> int:
    return min(round((1 - p) * 2**32), 2**32 - 1)


@pytest.mark.parametrize("n", [1, 7, 64, 1000, PARALLEL_THRESHOLD + 123])
@pytest.mark.parametrize("dtype,itype", [(np.float32, np.int32), (np.float64, np.int64)])
def test_mask_and_values_equal_the_numpy_reference_stream(n, dtype, itype):
    p = 0.35
    g = ember.Generator().manual_seed(2**40 + 17)
    g.set_offset(5)
    seed, offset = g.initial_seed(), g.get_offset()
    rng = np.random.default_rng(n)
    x = (rng.random(n) + 0.5).astype(dtype)
    y = F.dropout(ember.tensor(x), p, True, generator=g).numpy()
    keep = reference_keep(seed, offset, _threshold(p), n)
    scale = dtype(1) / dtype(1 - p)  # torch's rounding (see test_vs_torch)
    expected = x * np.where(keep, scale, dtype(0))
    assert np.array_equal(y.view(itype), expected.view(itype))
    assert g.get_offset() == offset + blocks_for_decisions(n)


def test_channel_decisions_equal_the_reference_stream():
    g = ember.Generator().manual_seed(99)
    y = F.dropout2d(ember.ones(3, 5, 4, 4), 0.5, True, generator=g).numpy()
    keep = reference_keep(99, 0, _threshold(0.5), 15)
    assert np.array_equal(y[:, :, 0, 0].reshape(-1) != 0, keep)
    assert g.get_offset() == blocks_for_decisions(15)


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "dropout2d"])
@pytest.mark.parametrize("storage", ["bits", "regenerate"])
def test_thread_count_invariance(name, storage):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads")
    shape = (64, 32, 8, 16)  # 262144 elements: the parallel kernels
    x = ember.randn(*shape, requires_grad=True)
    g = ember.randn(*shape)
    old = numba.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            x.grad = None
            with F.dropout_mask_storage(storage):
                y = getattr(F, name)(x, 0.4, True, generator=ember.Generator().manual_seed(3))
            y.backward(g)
            results.append((y.detach().numpy(), x.grad.numpy()))
    finally:
        numba.set_num_threads(old)
    (y1, g1), (y2, g2) = results
    assert np.array_equal(y1.view(np.int32), y2.view(np.int32))
    assert np.array_equal(g1.view(np.int32), g2.view(np.int32))


def test_same_seed_same_mask_and_different_seed_different_mask():
    x = ember.ones(4096)
    a = F.dropout(x, 0.5, generator=ember.Generator().manual_seed(1)).numpy()
    b = F.dropout(x, 0.5, generator=ember.Generator().manual_seed(1)).numpy()
    c = F.dropout(x, 0.5, generator=ember.Generator().manual_seed(2)).numpy()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_successive_calls_draw_fresh_masks():
    g = ember.Generator().manual_seed(0)
    a = F.dropout(ember.ones(4096), 0.5, generator=g).numpy()
    b = F.dropout(ember.ones(4096), 0.5, generator=g).numpy()
    assert not np.array_equal(a, b)


def test_get_state_set_state_replays_the_default_generator():
    ember.manual_seed(123)
    x = ember.ones(1000)
    state = ember.get_rng_state()
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    ember.set_rng_state(state)
    assert np.array_equal(F.dropout(x, 0.5).numpy(), a)
    assert np.array_equal(F.dropout(x, 0.5).numpy(), b)
    g = ember.Generator().manual_seed(5)
    s = g.get_state()
    c = F.alpha_dropout(x, 0.5, True, generator=g).numpy()
    g.set_state(s)
    assert np.array_equal(F.alpha_dropout(x, 0.5, True, generator=g).numpy(), c)


def test_manual_seed_reproduces_module_masks():
    m = ember.nn.Dropout(0.5)
    x = ember.ones(64, 64)
    ember.manual_seed(7)
    a = m(x).numpy()
    ember.manual_seed(7)
    assert np.array_equal(m(x).numpy(), a)


def test_per_call_generator_does_not_advance_the_default():
    ember.manual_seed(0)
    before = ember.default_generator.get_offset()
    F.dropout(ember.ones(1000), 0.5, generator=ember.Generator().manual_seed(1))
    F.dropout2d(ember.ones(4, 4, 3, 3), 0.5, generator=ember.Generator())
    assert ember.default_generator.get_offset() == before
    F.dropout(ember.ones(1000), 0.5)
    assert ember.default_generator.get_offset() == before + blocks_for_decisions(1000)


def test_eval_and_p_one_consume_no_random_numbers():
    g = ember.Generator().manual_seed(0)
    F.dropout(ember.ones(10), 0.5, False, generator=g)
    F.dropout(ember.ones(10), 1.0, True, generator=g)
    F.dropout(ember.ones(10), 0.0, True, generator=g)
    assert g.get_offset() == 0


def test_generator_type_is_checked():
    with pytest.raises(TypeError, match="Generator"):
        F.dropout(ember.ones(3), 0.5, generator=np.random.default_rng(0))


def test_consecutive_calls_take_disjoint_block_ranges():
    # 17 decisions take ceil(17 / 16) = 2 blocks; the next call starts on block 2.
    g = ember.Generator().manual_seed(5)
    p = 0.3
    y1 = F.dropout(ember.ones(17), p, True, generator=g).numpy()
    y2 = F.dropout(ember.ones(40), p, True, generator=g).numpy()
    assert np.array_equal(y1 != 0, reference_keep(5, 0, _threshold(p), 17))
    assert np.array_equal(y2 != 0, reference_keep(5, 2, _threshold(p), 40))
    assert g.get_offset() == 2 + 3
    seed, offset = g.take_blocks(4)
    assert (seed, offset, g.get_offset()) == (5, 5, 9)
