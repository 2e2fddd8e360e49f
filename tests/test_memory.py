"""The cache of large CPU blocks (ember.memory): alignment, reuse only when free, limits."""

import gc
import threading

import numpy as np
import pytest

import ember
from ember import memory

BIG = memory.MIN_CACHED_BYTES // 4  # float32 elements of one cached block


@pytest.fixture(autouse=True)
def clean_cache():
    gc.collect()  # blocks held by reference cycles of earlier tests go back first
    memory.empty_cache()
    yield
    memory.empty_cache()


def test_small_requests_go_to_numpy():
    a = memory.empty((3, 4), np.float64)
    assert a.shape == (3, 4) and a.dtype == np.float64 and a.flags.owndata
    assert memory.memory_reserved() == 0


def test_large_blocks_are_aligned_and_shaped():
    a = memory.empty((2, BIG // 2), np.float32)
    assert a.shape == (2, BIG // 2) and a.dtype == np.float32 and a.flags.c_contiguous
    assert a.ctypes.data % 64 == 0
    assert memory.memory_allocated() == a.nbytes == memory.memory_reserved()


def test_large_arrays_start_half_a_page_from_numpy_arrays():
    # NumPy's large arrays start 16 bytes into a page; an output 1-64 bytes after its input
    # in the page stalls loads on stores (4K aliasing), so cached arrays start at PAGE_OFFSET.
    x = np.empty(4 * BIG, np.float32)  # above glibc's largest mmap threshold: always mapped
    a = memory.empty(BIG, np.float32)
    b = memory.empty(BIG // 2, np.float64)  # another block, another size
    assert a.ctypes.data % 4096 == b.ctypes.data % 4096 == memory.PAGE_OFFSET
    assert memory.PAGE_OFFSET % 64 == 0
    assert (a.ctypes.data - x.ctypes.data) % 4096 >= 1024


def test_a_block_is_reused_only_when_nothing_refers_to_it():
    a = memory.empty(BIG, np.float32)
    a[:] = 1.0
    b = memory.empty(BIG, np.float32)  # a is alive: a different block
    assert not np.shares_memory(a, b)
    view = a[5:10].reshape(5, 1)
    del a
    c = memory.empty(BIG, np.float32)  # the view keeps a's block alive
    assert not np.shares_memory(view, c) and not np.shares_memory(b, c)
    np.testing.assert_array_equal(view, 1.0)
    held = view.base
    del view, held
    d = memory.empty(BIG, np.float32)  # now a's block is free and reused
    assert memory.memory_reserved() == 3 * d.nbytes
    assert memory.memory_allocated() == 3 * d.nbytes


def test_other_holders_keep_a_block_in_use():
    a = memory.empty(BIG, np.float32)
    mv = memoryview(a)
    t = ember.from_numpy(memory.empty(BIG, np.float32))
    del a
    b = memory.empty(BIG, np.float32)
    assert memory.memory_reserved() == 3 * b.nbytes
    assert not np.shares_memory(np.asarray(mv), b)
    assert not np.shares_memory(t.numpy(), b)


def test_dtype_and_shape_of_a_reused_block_are_new():
    a = memory.empty(BIG, np.float32)
    address = a.ctypes.data
    del a
    b = memory.empty((BIG // 2,), np.float64)
    assert b.ctypes.data == address and b.dtype == np.float64 and b.shape == (BIG // 2,)


def test_a_much_larger_free_block_is_not_taken_for_a_small_request():
    a = memory.empty(4 * BIG, np.float32)
    del a
    b = memory.empty(BIG, np.float32)
    assert memory.memory_reserved() == 4 * b.nbytes + b.nbytes


def test_limit_and_empty_cache_release_free_blocks():
    blocks = [memory.empty(BIG, np.float32) for _ in range(3)]
    nbytes = blocks[0].nbytes
    del blocks
    assert memory.memory_allocated() == 0 and memory.memory_reserved() == 3 * nbytes
    memory.set_cache_limit(nbytes)
    try:
        assert memory.memory_reserved() == nbytes
        keep = memory.empty(BIG, np.float32)
        memory.empty_cache()
        assert memory.memory_reserved() == nbytes == memory.memory_allocated()
        del keep
        memory.empty_cache()
        assert memory.memory_reserved() == 0
    finally:
        memory.set_cache_limit(1 << 30)
    with pytest.raises(ValueError, match="non-negative"):
        memory.set_cache_limit(-1)


def test_threads_never_share_a_block():
    got = []

    def work():
        for _ in range(5):
            a = memory.empty(BIG, np.float32)
            a[0] = threading.get_ident()
            got.append(a)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    addresses = {a.ctypes.data for a in got}
    assert len(addresses) == len(got) == 10


def test_dropout_outputs_come_from_the_cache():
    x = ember.randn(BIG, requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.5)
    assert y.detach().numpy().ctypes.data % 64 == 0
    assert memory.memory_allocated() >= y.detach().numpy().nbytes
    y.backward(ember.ones_like(y))
    keep = y.detach().numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy() != 0, keep)


def test_exclusive_view():
    base = np.empty(100)
    view = base[10:]
    assert not memory.is_exclusive_view(view)  # `base` is still referenced here
    del base
    assert memory.is_exclusive_view(view)
    assert not memory.is_exclusive_view(np.empty(3))  # no base at all
    cached = memory.empty(BIG, np.float32)
    assert memory.is_exclusive_view(cached)
    other = cached.reshape(2, -1)
    assert not memory.is_exclusive_view(cached) and not memory.is_exclusive_view(other)


def test_leaf_gradient_takes_the_cached_buffer_over():
    x = ember.randn(BIG, requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.5)
    y.backward(ember.ones_like(y))
    del y
    # the gradient block is x.grad's own (no copy): the only cached block still in use
    assert memory.memory_allocated() == x.grad.numpy().nbytes
    x.grad = None
    assert memory.memory_allocated() == 0
