"""``ember.nn.parallel``: data parallelism. ``DataParallel`` behaves as on PyTorch's CPU-only
build (no devices to spread over, so the module runs as it is)."""

from ember.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
