"""ember.datasets: the shipped digits and the synthetic generators."""

from __future__ import annotations

import gzip
import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.datasets import Digits, blobs, spirals, toy_classification
from ember.utils.data import DataLoader, default_collate

DATA = Path(ember.__file__).parent / "datasets" / "data" / "digits.csv.gz"
# Class counts of optdigits.tes as the UCI documentation lists them.
UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# digits.images[0] in scikit-learn: the first "0" of the file.
FIRST_ROW = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4,
             12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10,
             12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]


@pytest.fixture(scope="module")
def file_rows():
    """The CSV parsed here with the standard library, independently of Ember."""
    text = gzip.decompress(DATA.read_bytes()).decode()
    return [[int(v) for v in line.split(",")] for line in text.splitlines()]


@pytest.fixture(scope="module")
def splits():
    return Digits(train=True), Digits(train=False)


def reference_split(labels):
    """The documented rule, re-implemented with Python integers."""
    mask = (1 << 64) - 1

    def key(i):
        z = (i + 0x456D626572 + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    test = set()
    for c in range(10):
        rows = [i for i, y in enumerate(labels) if y == c]
        test.update(sorted(rows, key=key)[:round_half_up(len(rows) / 5)])
    return sorted(set(range(len(labels))) - test), sorted(test)


def round_half_up(x):
    return math.floor(x + 0.5)


def test_file_is_the_uci_test_set(file_rows):
    assert len(file_rows) == 1797 and all(len(r) == 65 for r in file_rows)
    assert np.bincount([r[64] for r in file_rows]).tolist() == UCI_TEST_COUNTS
    assert file_rows[0][:64] == FIRST_ROW and file_rows[0][64] == 0


def test_sizes_and_partition(splits):
    train, test = splits
    assert (len(train), len(test)) == (1438, 359)
    assert sorted(np.concatenate([train.indices, test.indices]).tolist()) == list(range(1797))
    assert train.data.shape == (1438, 1, 8, 8) and test.data.shape == (359, 1, 8, 8)
    assert train.targets.shape == (1438,) and train.targets.dtype == ember.int64
    assert train.data.dtype == ember.float32


def test_split_follows_documented_rule_and_never_changes(splits, file_rows):
    train, test = splits
    ref_train, ref_test = reference_split([r[64] for r in file_rows])
    assert train.indices.tolist() == ref_train and test.indices.tolist() == ref_test
    # Frozen: the test rows as shipped in Ember 0.1; a change here breaks published results.
    digest = hashlib.sha256(np.asarray(test.indices, dtype="<i8").tobytes()).hexdigest()
    assert digest == "1dd5ef13540cffc12853b7d4224d0805a3e2ec379ad21d22c8b6eebff53adf64"
    assert test.indices[:10].tolist() == [3, 5, 19, 23, 32, 37, 38, 42, 50, 59]
    again = Digits(train=False)
    assert np.array_equal(again.data.numpy(), test.data.numpy())


def test_labels_stratified(splits):
    train, test = splits
    tr = np.bincount(train.targets.numpy(), minlength=10)
    te = np.bincount(test.targets.numpy(), minlength=10)
    assert (tr + te).tolist() == UCI_TEST_COUNTS
    assert te.tolist() == [round_half_up(c / 5) for c in UCI_TEST_COUNTS]
    assert train.targets.numpy().min() == 0 and train.targets.numpy().max() == 9


def test_pixels_match_file_and_range(splits, file_rows):
    for ds in splits:
        pixels = np.array([file_rows[i][:64] for i in ds.indices], dtype=np.float64)
        labels = [file_rows[i][64] for i in ds.indices]
        data = ds.data.numpy().astype(np.float64)
        assert np.array_equal(data.reshape(-1, 64) * 16, pixels)
        assert ds.targets.tolist() == labels
        assert data.min() == 0.0 and data.max() == 1.0


def test_items(splits):
    train, _ = splits
    for i in (0, 1, 500, -1):
        image, label = train[i]
        assert image.shape == (1, 8, 8) and image.dtype == ember.float32
        assert type(label) is int and label == int(train.targets[i])
        assert np.array_equal(image.numpy(), train.data.numpy()[i])
    assert np.array_equal(train[0][0].numpy().reshape(64) * 16, FIRST_ROW)


def test_transforms_and_loader(splits):
    t = Digits(train=False, transform=lambda x: x * 2, target_transform=lambda y: y + 10)
    image, label = t[3]
    assert label == int(t.targets[3]) + 10
    assert np.array_equal(image.numpy(), t.data.numpy()[3] * 2)
    _, test = splits
    fast = next(iter(DataLoader(test, batch_size=7, sampler=[5, 1, 300, 2])))
    slow = default_collate([test[i] for i in [5, 1, 300, 2]])
    assert fast[0].shape == (4, 1, 8, 8) and fast[1].dtype == ember.int64
    assert np.array_equal(fast[0].numpy(), slow[0].numpy())
    assert fast[1].tolist() == slow[1].tolist()
    batches = list(DataLoader(test, batch_size=100, shuffle=True,
                              generator=ember.Generator().manual_seed(0)))
    assert [len(b[1]) for b in batches] == [100, 100, 100, 59]
    assert sorted(np.concatenate([b[1].numpy() for b in batches]).tolist()) == \
        sorted(test.targets.tolist())


# -- synthetic ---------------------------------------------------------------------------------

def gen(seed):
    return ember.Generator().manual_seed(seed)


def test_spirals_shapes_geometry_and_reproducibility():
    X, y = spirals(50, 4, noise=0.3, generator=gen(0))
    assert X.shape == (200, 2) and X.dtype == ember.float32 and y.dtype == ember.int64
    assert np.bincount(y.numpy()).tolist() == [50] * 4
    assert y.numpy().tolist() == sorted(y.numpy().tolist())
    radius = np.hypot(*X.numpy().astype(np.float64).T)
    assert np.allclose(radius, np.tile(np.linspace(0, 1, 50), 4), atol=1e-6)
    X2, y2 = spirals(50, 4, noise=0.3, generator=gen(0))
    assert np.array_equal(X.numpy(), X2.numpy()) and np.array_equal(y.numpy(), y2.numpy())
    assert not np.array_equal(X.numpy(), spirals(50, 4, noise=0.3, generator=gen(1))[0].numpy())


def test_spirals_without_noise_is_the_formula():
    X, _y = spirals(10, 2, noise=0.0, generator=gen(0), dtype=ember.float64)
    r = np.linspace(0, 1, 10)
    for j in range(2):
        t = np.linspace(4 * j, 4 * (j + 1), 10)
        assert np.allclose(X.numpy()[10 * j:10 * (j + 1)], np.c_[r * np.sin(t), r * np.cos(t)])


def test_spirals_angle_noise_has_requested_std():
    X, _ = spirals(2000, 1, noise=0.5, generator=gen(4), dtype=ember.float64)
    r = np.linspace(0, 1, 2000)
    angle = np.arctan2(X.numpy()[:, 0], X.numpy()[:, 1])
    resid = np.angle(np.exp(1j * (angle - 4 * r)))[1:]  # wrapped to (-pi, pi]; r=0 has no angle
    sd = 0.5 * math.sqrt(2 / (len(resid) - 1))  # standard error of a sample std
    assert abs(resid.std() - 0.5) < 5 * sd


def test_blobs():
    centers = [[0.0, 0.0], [10.0, -5.0], [-7.0, 3.0]]
    X, y = blobs(3000, centers, std=0.5, generator=gen(0))
    assert X.shape == (3000, 2) and X.dtype == ember.float32 and y.dtype == ember.int64
    assert np.bincount(y.numpy()).tolist() == [1000] * 3
    for k, c in enumerate(centers):
        pts = X.numpy()[y.numpy() == k].astype(np.float64)
        assert np.all(np.abs(pts.mean(0) - c) < 5 * 0.5 / math.sqrt(1000))
        assert np.all(np.abs(pts.std(0) - 0.5) < 5 * 0.5 / math.sqrt(2 * 999))
    X1, y1 = blobs(101, 4, generator=gen(3), n_features=5)
    X2, y2 = blobs(101, 4, generator=gen(3), n_features=5)
    assert X1.shape == (101, 5) and sorted(np.bincount(y1.numpy()).tolist()) == [25, 25, 25, 26]
    assert np.array_equal(X1.numpy(), X2.numpy()) and np.array_equal(y1.numpy(), y2.numpy())
    assert not np.array_equal(y1.numpy(), blobs(101, 4, generator=gen(4))[1].numpy())


def test_toy_classification():
    X, y = toy_classification(generator=gen(0))
    assert X.shape == (128, 20) and X.dtype == ember.float32
    assert y.shape == (128,) and y.dtype == ember.int64
    assert y.numpy().min() >= 0 and y.numpy().max() < 5
    X2, y2 = toy_classification(generator=gen(0))
    assert np.array_equal(X.numpy(), X2.numpy()) and np.array_equal(y.numpy(), y2.numpy())
    assert not np.array_equal(X.numpy(), toy_classification(generator=gen(1))[0].numpy())
    # The notebook's own lines after manual_seed(0) give the same tensors.
    ember.manual_seed(0)
    Xn, yn = ember.randn(128, 20), ember.randint(0, 5, (128,))
    ember.manual_seed(0)
    Xd, yd = toy_classification()
    assert np.array_equal(Xn.numpy(), Xd.numpy()) and np.array_equal(yn.numpy(), yd.numpy())
    # Statistics over a large draw: N(0, 1) features and uniform labels.
    Xb, yb = toy_classification(N=20000, d=5, K=4, generator=gen(2))
    n = Xb.numel()
    assert abs(Xb.numpy().mean()) < 5 / math.sqrt(n)
    assert abs(Xb.numpy().astype(np.float64).var() - 1) < 5 * math.sqrt(2 / n)
    sd = math.sqrt(20000 * 0.25 * 0.75)
    assert np.all(np.abs(np.bincount(yb.numpy(), minlength=4) - 5000) < 5 * sd)
