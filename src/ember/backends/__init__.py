"""``ember.backends``: the backend switches PyTorch programs set, as a CPU-only build has them.

Ember runs on its NumPy/Numba CPU backend only. The flags below exist with PyTorch's defaults
and can be set, as scripts do (``torch.backends.cudnn.benchmark = True``,
``torch.backends.cuda.matmul.allow_tf32 = True``), but they select nothing: there is no cuDNN,
CUDA or MPS here, and Ember's CPU results are deterministic whatever they say.
"""

from ember.backends import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
