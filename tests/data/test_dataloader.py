"""ember.utils.data against torch.utils.data (the oracle) on the same data, plus the properties
of shuffling that torch cannot check for us (determinism, exactly-once, uniformity)."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

Point = collections.namedtuple("Point", ["x", "y"])


def canon(obj):
    """A library-independent picture of a batch: tensors become (dtype, shape, values)."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        arr = np.asarray(obj.detach().numpy() if isinstance(obj, torch.Tensor) else obj.numpy())
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), arr.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj.shape, obj.tolist())
    if isinstance(obj, Point):
        return ("Point", canon(obj.x), canon(obj.y))
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: canon(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [canon(v) for v in obj])
    return (type(obj).__name__, obj)


def assert_same(ours, theirs):
    assert canon(ours) == canon(theirs)


def make_samples(lib, n=7):
    """Samples of every kind default_collate handles, built the same way for both libraries."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        f = rng.standard_normal((2, 3)).astype(np.float32)
        out.append({
            "tensor": lib.tensor(f),
            "long": lib.tensor([i, i + 1]),
            "half": lib.tensor(f[0], dtype=lib.float16),
            "int": i,
            "float": float(i) / 3,
            "bool": bool(i % 2),
            "str": f"s{i}",
            "np": rng.integers(0, 9, (2,)).astype(np.int32),
            "np_f64": rng.standard_normal(3),
            "np_scalar": np.float32(i) / 7,
            "np_int_scalar": np.int16(i),
            "tuple": (i, float(i)),
            "list": [i, [i, i]],
            "point": Point(i, lib.tensor(float(i))),
            "nested": {"a": {"b": i}},
        })
    return out


def test_default_collate_matches_torch():
    ours = eud.default_collate(make_samples(ember))
    theirs = tud.default_collate(make_samples(torch))
    assert_same(ours, theirs)
    # spot checks of the rules (ints -> int64, floats -> float64, tuples -> lists)
    assert ours["int"].dtype == ember.int64 and ours["float"].dtype == ember.float64
    assert ours["bool"].dtype == ember.bool and isinstance(ours["tuple"], list)
    assert ours["np_scalar"].dtype == ember.float32 and ours["np"].dtype == ember.int32


@pytest.mark.parametrize("sample", [
    [1, 2], (1.5, "a"), {"k": np.arange(3)}, np.float64(2.0), np.arange(4), "text", 3,
    Point(np.int64(1), [np.zeros(2)]),
])
def test_default_convert_matches_torch(sample):
    assert_same(eud.default_convert(sample), tud.default_convert(sample))


@pytest.mark.parametrize("batch, message", [
    ([object(), object()], "found"),
    ([np.array(["a"]), np.array(["b"])], "found"),
])
def test_default_collate_type_errors_match_torch(batch, message):
    with pytest.raises(TypeError) as ours:
        eud.default_collate(batch)
    with pytest.raises(TypeError) as theirs:
        tud.default_collate(batch)
    assert str(ours.value) == str(theirs.value)


def test_collate_unequal_lists_raises():
    with pytest.raises(RuntimeError, match="equal size"):
        eud.default_collate([[1, 2], [3]])


def tensor_datasets(n=23):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 3, 2)).astype(np.float32)
    y = rng.integers(0, 5, (n,))
    w = rng.standard_normal(n)
    return (eud.TensorDataset(ember.tensor(x), ember.tensor(y), ember.tensor(w)),
            tud.TensorDataset(torch.tensor(x), torch.tensor(y), torch.tensor(w)))


@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 40])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    ours_ds, theirs_ds = tensor_datasets()
    ours = eud.DataLoader(ours_ds, batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(theirs_ds, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    ours_batches, theirs_batches = list(ours), list(theirs)
    assert len(ours_batches) == len(theirs_batches) == len(theirs)
    for a, b in zip(ours_batches, theirs_batches, strict=True):
        assert_same(a, b)


def test_fast_path_equals_per_sample_collate():
    """The one-gather fetch of TensorDataset (and Subsets of it) is default_collate exactly."""
    ds, _ = tensor_datasets()
    sub = eud.Subset(eud.Subset(ds, list(range(20, 0, -1))), [0, 5, 2, 19, 7, 3, 3])
    for data in (ds, sub):
        fast = list(eud.DataLoader(data, batch_size=3))
        slow = list(eud.DataLoader(data, batch_size=3,
                                   collate_fn=lambda b: eud.default_collate(b)))
        for a, b in zip(fast, slow, strict=True):
            assert isinstance(a, list)
            assert_same(a, b)


class MixedDataset:
    """A plain map-style dataset (no ember/torch base class) returning dict samples."""

    def __init__(self, lib, n=11):
        self.samples = make_samples(lib, n)

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i]


@pytest.mark.parametrize("batch_size, drop_last",
                         [(3, False), (3, True), (11, False), (None, False)])
def test_map_dataset_dict_samples_match_torch(batch_size, drop_last):
    ours = eud.DataLoader(MixedDataset(ember), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(MixedDataset(torch), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert_same(a, b)


def test_sampler_batch_sampler_and_collate_fn_match_torch():
    ours_ds, theirs_ds = tensor_datasets()
    order = [5, 3, 22, 0, 0, 7, 11]
    batches = [[1, 2], [20], [3, 4, 5, 6]]

    def collate(batch):
        return len(batch), [int(s[1]) for s in batch]

    pairs = [
        (dict(sampler=order, batch_size=3), dict(sampler=order, batch_size=3)),
        (dict(batch_sampler=batches), dict(batch_sampler=batches)),
        (dict(sampler=order, batch_size=2, collate_fn=collate),
         dict(sampler=order, batch_size=2, collate_fn=collate)),
        (dict(batch_size=None, sampler=order), dict(batch_size=None, sampler=order)),
    ]
    for ours_kw, theirs_kw in pairs:
        ours = eud.DataLoader(ours_ds, **ours_kw)
        theirs = tud.DataLoader(theirs_ds, **theirs_kw)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)


def make_stream(base):
    class Stream(base):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter({"i": i, "sq": np.float64(i * i)} for i in range(self.n))

        def __len__(self):
            return self.n

    return Stream


@pytest.mark.parametrize("batch_size, drop_last", [(4, False), (4, True), (5, True), (None, False)])
def test_iterable_dataset_matches_torch(batch_size, drop_last):
    ours = eud.DataLoader(make_stream(eud.IterableDataset)(10), batch_size=batch_size,
                          drop_last=drop_last)
    theirs = tud.DataLoader(make_stream(tud.IterableDataset)(10), batch_size=batch_size,
                            drop_last=drop_last)
    assert len(ours) == len(theirs)
    ours_b, theirs_b = list(ours), list(theirs)
    assert len(ours_b) == len(theirs_b)
    for a, b in zip(ours_b, theirs_b, strict=True):
        assert_same(a, b)


@pytest.mark.parametrize("n", [1, 7, 32, 33])
@pytest.mark.parametrize("batch_size", [1, 5, 32, 64])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_matches_torch(n, batch_size, drop_last):
    ours = eud.DataLoader(range(n), batch_size=batch_size, drop_last=drop_last, shuffle=True)
    theirs = tud.DataLoader(range(n), batch_size=batch_size, drop_last=drop_last, shuffle=True)
    assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize("kwargs", [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(persistent_workers=True),
    dict(prefetch_factor=2),
    dict(timeout=-1),
])
def test_invalid_options_raise_like_torch(kwargs):
    with pytest.raises(ValueError) as ours:
        eud.DataLoader(range(4), **kwargs)
    with pytest.raises(ValueError) as theirs:
        tud.DataLoader(range(4), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_iterable_dataset_rejects_shuffle_and_frozen_attributes():
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        eud.DataLoader(make_stream(eud.IterableDataset)(3), shuffle=True)
    loader = eud.DataLoader(range(4), batch_size=2)
    with pytest.raises(ValueError, match="should not be set after"):
        loader.batch_size = 3


# -- shuffling ---------------------------------------------------------------------------------

def epoch_order(loader):
    return [int(i) for batch in loader for i in batch]


def test_shuffle_same_seed_same_order_different_seed_different():
    def order(seed, epochs=2):
        loader = eud.DataLoader(range(50), batch_size=8, shuffle=True,
                                generator=ember.Generator().manual_seed(seed))
        return [epoch_order(loader) for _ in range(epochs)]

    first = order(0)
    assert first == order(0)
    assert first[0] != first[1]  # the generator advances: a new order every epoch
    assert first[0] != order(1)[0]
    assert first[0] != list(range(50))


def test_shuffle_default_generator_follows_manual_seed():
    loader = eud.DataLoader(range(40), batch_size=6, shuffle=True)
    ember.manual_seed(123)
    a = [epoch_order(loader) for _ in range(2)]
    ember.manual_seed(123)
    b = [epoch_order(loader) for _ in range(2)]
    ember.manual_seed(124)
    c = epoch_order(loader)
    assert a == b and a[0] != a[1] and c != a[0]


@pytest.mark.parametrize("n, batch_size, drop_last", [(50, 8, False), (50, 8, True),
                                                      (7, 7, False), (1, 3, False)])
def test_every_element_once_per_epoch(n, batch_size, drop_last):
    ds = eud.TensorDataset(ember.arange(n), ember.arange(n) * 10)
    loader = eud.DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=drop_last,
                            generator=ember.Generator().manual_seed(3))
    for _ in range(3):
        seen, sizes = [], []
        for x, y in loader:
            assert (y == x * 10).all().item()  # rows stay together
            seen += x.tolist()
            sizes.append(len(x))
        if drop_last:
            assert sizes == [batch_size] * (n // batch_size)
            assert len(set(seen)) == len(seen) == n // batch_size * batch_size
        else:
            assert sorted(seen) == list(range(n))
            assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size
                                                                 else [])


def test_shuffle_first_position_is_uniform():
    """Each of 5 elements comes first in 1/5 of 2,000 epochs (binomial 5-sigma tolerance)."""
    epochs, n = 2000, 5
    sampler = eud.RandomSampler(range(n), generator=ember.Generator().manual_seed(11))
    counts = np.bincount([next(iter(sampler)) for _ in range(epochs)], minlength=n)
    p = 1 / n
    sd = math.sqrt(epochs * p * (1 - p))
    assert np.all(np.abs(counts - epochs * p) < 5 * sd), counts


def test_random_sampler_with_replacement_and_num_samples():
    g = ember.Generator().manual_seed(0)
    sampler = eud.RandomSampler(range(4), replacement=True, num_samples=4000, generator=g)
    draws = list(sampler)
    assert len(draws) == len(sampler) == 4000
    counts = np.bincount(draws, minlength=4)
    sd = math.sqrt(4000 * 0.25 * 0.75)
    assert np.all(np.abs(counts - 1000) < 5 * sd), counts
    # without replacement, num_samples > n chains whole permutations
    long = list(eud.RandomSampler(range(5), num_samples=12, generator=g))
    assert sorted(long[:5]) == sorted(long[5:10]) == list(range(5)) and len(long) == 12
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        eud.RandomSampler(range(3), num_samples=0)


def test_batch_sampler_matches_torch():
    for n, bs, dl in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = eud.BatchSampler(eud.SequentialSampler(range(n)), bs, dl)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, dl)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            eud.BatchSampler(range(3), bad, False)


def test_subset_and_weighted_samplers():
    g = ember.Generator().manual_seed(5)
    idx = [10, 20, 30, 40]
    assert sorted(eud.SubsetRandomSampler(idx, generator=g)) == idx
    w = eud.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 4000, generator=g)
    counts = np.bincount(list(w), minlength=4)
    assert counts[0] == counts[2] == 0
    sd = math.sqrt(4000 * 0.25 * 0.75)
    assert abs(counts[1] - 1000) < 5 * sd


# -- datasets and random_split -----------------------------------------------------------------

def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        eud.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_concat_and_subset_match_torch():
    a, b = list(range(5)), list(range(100, 103))
    ours = eud.ConcatDataset([a, b])
    theirs = tud.ConcatDataset([a, b])
    assert len(ours) == len(theirs)
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    sub = eud.Subset(ours, [7, 0, 5])
    assert [sub[i] for i in range(3)] == [102, 0, 100] and len(sub) == 3
    with pytest.raises(AssertionError):
        eud.ConcatDataset([])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [1 / 3] * 3,
                                     [0.33, 0.33, 0.34], [10]])
def test_random_split_sizes_match_torch_and_partition(lengths):
    n = 10
    g = ember.Generator().manual_seed(0)
    ours = eud.random_split(range(n), lengths, generator=g)
    theirs = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    everything = [x for s in ours for x in (s[i] for i in range(len(s)))]
    assert sorted(everything) == list(range(n))  # disjoint and complete


def test_random_split_determinism_and_errors():
    def split(seed):
        return [list(s.indices) for s in eud.random_split(
            range(30), [10, 20], generator=ember.Generator().manual_seed(seed))]

    assert split(1) == split(1) and split(1) != split(2)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        eud.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        tud.random_split(range(10), [3, 3])


def test_generic_subscription_like_torch():
    class Squares(eud.Dataset[int]):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i * i

    class Evens(eud.Sampler[int]):
        def __iter__(self):
            return iter([0, 2, 4])

        def __len__(self):
            return 3

    loader = eud.DataLoader(Squares(), batch_size=2, sampler=Evens())
    assert [b.tolist() for b in loader] == [[0, 4], [16]] and len(loader) == 2
