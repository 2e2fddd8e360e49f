"""The 8x8 handwritten digits (UCI optdigits), shipped with Ember, with a fixed split."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import ClassVar

import numpy as np

from ember.tensor import Tensor
from ember.utils.data.dataloader import default_collate
from ember.utils.data.dataset import Dataset

__all__ = ["Digits", "digits_split"]

_DATA_FILE = Path(__file__).parent / "data" / "digits.csv.gz"
_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
_SPLIT_KEY = 0x456D626572  # b"Ember" as an integer: the split's fixed, documented seed
_MASK64 = (1 << 64) - 1
_cache: dict[str, np.ndarray] = {}


def _load_raw() -> np.ndarray:
    """The (1797, 65) int64 table: 64 pixels (0..16) then the label, in file order."""
    if "raw" not in _cache:
        blob = _DATA_FILE.read_bytes()
        if hashlib.sha256(blob).hexdigest() != _SHA256:
            raise RuntimeError(f"{_DATA_FILE} is corrupted (its SHA-256 does not match the "
                               "file Ember ships); reinstall Ember")
        rows = gzip.decompress(blob).decode("ascii").split()
        table = np.array([r.split(",") for r in rows], dtype=np.int64)
        if table.shape != (1797, 65):
            raise RuntimeError(f"{_DATA_FILE}: expected 1797 rows of 65 values, got "
                               f"{table.shape}")
        _cache["raw"] = table
    return _cache["raw"]


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on uint64 (wrapping arithmetic): a fixed integer hash."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def digits_split(train: bool = True) -> np.ndarray:
    """The file rows of the train or test split, ascending (see :class:`Digits` for the rule).

    Args:
        train: the training rows (about four fifths of each class) or the test rows.

    Returns:
        An int64 array of row numbers of the bundled file.

    Example:
        >>> train, test = digits_split(True), digits_split(False)
        >>> len(set(train) & set(test)), len(train) + len(test)
        (0, 1797)
    """
    labels = _load_raw()[:, -1]
    with np.errstate(over="ignore"):
        keys = _splitmix64(np.arange(len(labels), dtype=np.uint64) + np.uint64(_SPLIT_KEY))
    test = []
    for c in range(10):
        rows = np.flatnonzero(labels == c)
        n_test = (len(rows) + 2) // 5  # round(len / 5), halves up
        test.append(rows[np.argsort(keys[rows], kind="stable")[:n_test]])
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[np.concatenate(test)] = True
    return np.flatnonzero(~is_test if train else is_test)


class Digits(Dataset):
    """The 8x8 handwritten digits: 1,797 grey images of the digits 0-9.

    The data are the test part of the UCI "Optical Recognition of Handwritten Digits" set
    (optdigits, E. Alpaydin and C. Kaynak, 1998,
    https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits), licensed
    under CC BY 4.0. Each 32x32 bitmap was reduced to 8x8 by counting the on pixels in 4x4
    blocks, so pixels are integers 0..16. Ember ships the copy that scikit-learn distributes
    (``digits.csv.gz``), byte for byte.

    The split is fixed and never changes: stratified 80/20 by class. Each row ``i`` of the file
    gets the key ``splitmix64(i + 0x456D626572)`` (SplitMix64's output function on 64-bit
    unsigned integers); within each digit class the ``round(n_class / 5)`` rows (halves
    rounded up) with the smallest keys form the test set, and the rest the training set.
    That gives 1,438 training and 359 test images; both keep the file's order. The rule uses
    no random number generator, so no change to Ember's RNG can move it.

    Args:
        train: the training split (1,438 images) if true, else the test split (359).
        transform: applied to each image tensor by ``__getitem__``.
        target_transform: applied to each label by ``__getitem__``.

    Attributes:
        data: all images of the split, a float32 tensor of shape ``(N, 1, 8, 8)`` in [0, 1]
            (pixel / 16), for full-batch use.
        targets: the labels, an int64 tensor of shape ``(N,)``.
        indices: the rows of ``digits.csv.gz`` that make up the split (a NumPy array).
        classes: ``['0', ..., '9']``.

    Shape:
        An item is ``(image, label)``: a float32 tensor ``(1, 8, 8)`` and a Python ``int``.

    Example:
        >>> train = ember.datasets.Digits(train=True)
        >>> image, label = train[0]
        >>> loader = ember.utils.data.DataLoader(train, batch_size=64, shuffle=True)
    """

    classes: ClassVar[list] = [str(d) for d in range(10)]

    def __init__(self, train: bool = True, transform=None, target_transform=None) -> None:
        raw = _load_raw()
        self.train = bool(train)
        self.indices = digits_split(self.train)
        rows = raw[self.indices]
        images = (rows[:, :64].astype(np.float32) / np.float32(16.0)).reshape(-1, 1, 8, 8)
        self.data = Tensor._make(np.ascontiguousarray(images))
        self.targets = Tensor._make(np.ascontiguousarray(rows[:, 64]))
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int):
        image, label = self.data[index], int(self.targets._data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _collated_batch(self, indices: list[int]):
        """``default_collate([self[i] for i in indices])`` in one gather (no transforms)."""
        if self.transform is not None or self.target_transform is not None:
            return default_collate([self[i] for i in indices])
        idx = np.asarray(indices, dtype=np.int64)
        return [Tensor._make(self.data._data[idx]), Tensor._make(self.targets._data[idx])]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"Dataset Digits\n    Number of datapoints: {len(self)}\n    Split: {split}"
