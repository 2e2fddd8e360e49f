"""Data loading, as ``torch.utils.data``: datasets, samplers, ``DataLoader`` and collation.

Example:
    >>> from ember.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(ember.randn(100, 3), ember.randint(0, 2, (100,)))
    >>> for x, y in DataLoader(ds, batch_size=32, shuffle=True):
    ...     pass
"""

from ember.utils.data.dataloader import (
    DataLoader,
    collate,
    default_collate,
    default_collate_fn_map,
    default_convert,
    get_worker_info,
)
from ember.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from ember.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "collate",
    "default_collate", "default_collate_fn_map", "default_convert", "get_worker_info",
    "random_split",
]
