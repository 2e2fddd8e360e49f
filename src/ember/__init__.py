"""Ember: a PyTorch-compatible deep-learning library written from scratch on NumPy.

``import ember as torch`` runs code written for PyTorch's CPU API: tensors with
reverse-mode autograd, ``autograd.Function``, ``nn`` modules, optimizers and data utilities,
plus the most complete and fastest dropout family on a CPU.
"""

from ember import _threads  # first: sets the thread environment before NumPy loads
from ember import _dtype
from ember._dtype import get_default_dtype, set_default_dtype
from ember._dtype import dtype
from ember import backend
from ember.backend import device
from ember.tensor import Size, Tensor
from ember import autograd
from ember.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ember.ops import *
from ember.tensor import methods as _tensor_methods
from ember.random import (
    Generator,
    default_generator,
    fork_rng,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ember import cuda
from ember import memory
from ember import backends
from ember import accelerator
from ember import jit
from ember import nn
from ember import optim
from ember.nn.functional.dropout import (
    alpha_dropout_,
    alpha_dropout_top as alpha_dropout,
    dropout_,
    dropout_top as dropout,
    feature_alpha_dropout_,
    feature_alpha_dropout_top as feature_alpha_dropout,
    feature_dropout,
    feature_dropout_,
)
from ember import utils
from ember.utils import data as _utils_data
from ember import amp
from ember.amp import autocast, get_autocast_dtype, is_autocast_enabled
from ember import compiler
from ember.compiler import compile
from ember._typeinfo import finfo, iinfo
from ember._legacy import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ember.settings import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from ember import datasets
from ember import distributions
from ember import sparse
from ember.sparse import layout, sparse_coo, sparse_coo_tensor, spmm, strided
from ember import onnx
from ember.serialization import load, save
from ember.nn.functional import (
    adaptive_avg_pool1d,
    avg_pool1d,
    batch_norm,
    celu,
    conv1d,
    conv2d,
    embedding,
    group_norm,
    layer_norm,
    max_pool1d,
    max_pool2d,
    prelu,
    selu,
)

_tensor_methods.attach()  # the Tensor's op methods, now that the ops exist

__version__ = "0.1.0"

float16 = half = _dtype.float16
bfloat16 = _dtype.bfloat16
float32 = float = _dtype.float32
float64 = double = _dtype.float64
uint8 = _dtype.uint8
int8 = _dtype.int8
int16 = short = _dtype.int16
int32 = int = _dtype.int32
int64 = long = _dtype.int64
bool = _dtype.bool_


def is_tensor(obj) -> "builtins.bool":
    """True if ``obj`` is an Ember tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> "builtins.bool":
    """True if ``input`` has a floating-point dtype."""
    return input.is_floating_point()


def numel(input: Tensor) -> "builtins.int":
    """The number of elements of ``input``."""
    return input.numel()


def is_nonzero(input: Tensor) -> "builtins.bool":
    """The truth value of a one-element tensor."""
    return input.__bool__()


def get_num_threads() -> "builtins.int":
    """The number of threads Ember's compute uses, as ``torch.get_num_threads``.

    Returns:
        The count last given to ``set_num_threads``, else Numba's default (the number of
        CPUs, or ``NUMBA_NUM_THREADS``).

    Example:
        >>> ember.set_num_threads(1)
        >>> ember.get_num_threads()
        1
    """
    return _threads.get_num_threads()


def set_num_threads(n: "builtins.int") -> None:
    """Sets the number of threads Ember's compute uses, as ``torch.set_num_threads``.

    Numba's parallel kernels use ``min(n, NUMBA_NUM_THREADS)`` threads; matrix products large
    enough to gain are split across up to ``n`` threads while cores are idle (BLAS itself runs
    on one thread unless ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` was set). The default is
    one thread per CPU.

    Args:
        n: a positive int.

    Raises:
        RuntimeError: ``n`` is not an int or not positive (torch's messages).

    Example:
        >>> ember.set_num_threads(2)
        >>> ember.get_num_threads()
        2
    """
    backend.get_backend().kernels("threads").set_num_threads(n)
