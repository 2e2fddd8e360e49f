"""Every public op of Ember against torch, forward + backward, at 1K, 64K and 1M elements.

The ops are the functions of ``ember``, of ``ember.nn.functional`` and the methods of
``ember.Tensor`` that torch also has (plus the Python operators). Inputs come from a table per
op family (elementwise, reductions along a dim, shape ops, indexing, matrix products with
square shapes, losses, activations, normalization, pooling and convolutions on image shapes);
the main input has about N elements (N = 1K, 64K, 1M), float32. An op whose torch output
requires grad is timed forward + backward from a fixed random cotangent, any other one (and
every in-place op) forward only. One thread for both libraries, timed by the thread's CPU time
(``--clock wall`` for the wall clock; see CLOCK below); each (op, size) runs a few
repeats of a batch of calls, Ember's and torch's calls alternating one by one, and the
medians of the single calls are compared.

Prints one table sorted by the worst ratio ember/torch at the sizes of 64K and above, flags
every op slower than 1.5x torch there, and lists the ops it did not sweep with the reason.
A method with the name of a swept function is the same op (it is listed as covered);
``--all-methods`` sweeps those too.

    python bench/op_sweep.py                        # everything (minutes: see bench/README.md)
    python bench/op_sweep.py --ops exp,pow,F.gelu --sizes 64K,1M
    python bench/op_sweep.py --ops 'Tensor.' --sizes 1K --repeats 3 --quick
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from common import cpu_model, load_average, markdown_header, markdown_row, parse_size  # noqa: E402

SLOW = 1.5  # the limit on ember/torch at 64K and 1M
# The timer of a call (--clock). "cpu": the calling thread's CPU time (user + system, page
# faults included), which is the whole cost of an op at 1 thread and is blind to the time the
# thread waits while the scheduler runs other processes: on a machine with a load of 10 on 2
# cores a call of a few ms is descheduled for about 20 ms more often than not, which wall-clock
# medians cannot drop. "wall": time.perf_counter.
CLOCK = [time.thread_time]
ANY = object()  # an output compared only for being produced (random ops)

# ------------------------------------------------------------------------------- input makers


class Const:
    """An input array converted to a tensor that never requires grad (targets, indices)."""

    def __init__(self, array):
        self.array = array


class Raw:
    """An argument passed as the NumPy array itself (``tensor``, ``from_numpy``)."""

    def __init__(self, array):
        self.array = array


class DType:
    """An argument that is the library's dtype of this name."""

    def __init__(self, name: str):
        self.name = name


def rows(n: int, width: int = 256) -> tuple:
    return (max(1, n // width), width)


def side(n: int) -> int:
    return max(2, math.isqrt(n))


def image(n: int, channels: int = 16) -> tuple:
    rest = max(1, n // channels)
    hw = max(2, min(64, math.isqrt(rest)))
    return (max(1, rest // (hw * hw)), channels, hw, hw)


def signal(n: int, channels: int = 16) -> tuple:
    rest = max(2, n // channels)
    length = min(1024, rest)
    return (max(1, rest // length), channels, length)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def normal(r, shape):
    return f32(r.standard_normal(shape))


def uniform(r, shape, lo, hi):
    return f32(r.uniform(lo, hi, shape))


def positive(r, shape):
    return uniform(r, shape, 0.5, 2.0)


def inside(r, shape):
    return uniform(r, shape, -0.9, 0.9)


def prob(r, shape):
    return uniform(r, shape, 0.05, 0.95)


def distinct(r, shape):
    """Values distinct along the last dim (a shuffled ramp), so that sort orders agree."""
    return f32((np.argsort(r.random(shape), axis=-1) - shape[-1] / 2) / 16)


def near_one(r, shape):
    return uniform(r, shape, 0.99, 1.01)


def labels(r, count, classes):
    return Const(r.integers(0, classes, count))


def signs(r, shape):
    return Const(f32(r.choice([-1.0, 1.0], shape)))


def mask(r, shape):
    return Const(r.random(shape) < 0.5)


def ints(r, shape, hi=1000, dtype=np.int32):
    return Const(r.integers(0, hi, shape).astype(dtype))


def row_perm(r, shape):
    return Const(np.argsort(r.random(shape), axis=-1))


@dataclasses.dataclass
class Spec:
    """How to sweep one op: ``make(n, rng)`` gives the arguments, ``call(f, *args)`` runs it.

    ``f`` is the op of the library being timed (for a method, a function of the tensor);
    ``call`` defaults to ``f(*args, **kwargs)``. ``inplace``: the first argument is written,
    restored before each timed call and never requires grad. ``random``: outputs are not
    compared between the libraries.
    """

    make: Callable
    kwargs: dict = dataclasses.field(default_factory=dict)
    call: Callable | None = None
    inplace: bool = False
    random: bool = False
    target: str | None = None  # where the op lives, when the key is only a label


def ew(*makers, **kwargs) -> Spec:
    """An elementwise op on (N/256, 256) arrays from ``makers`` (default: one normal)."""
    makers = makers or (normal,)
    return Spec(lambda n, r: [m(r, rows(n)) for m in makers], kwargs)


def on(maker, **kwargs) -> Spec:
    """An op of one input from ``maker(n, rng)`` plus fixed keyword arguments."""
    return Spec(lambda n, r: [maker(n, r)], kwargs)


def scalar_args(maker, *extra, **kwargs) -> Spec:
    """An elementwise op on one (N/256, 256) input followed by fixed positional arguments."""
    return Spec(lambda n, r: [maker(r, rows(n)), *extra], kwargs)


def matrices(count: int = 2, vector: bool = False, **kwargs) -> Spec:
    def make(n, r):
        m = side(n)
        out = [normal(r, (m, m)) for _ in range(count)]
        return [*out, normal(r, (m,))] if vector else out

    return Spec(make, kwargs)


def batched(count: int, **kwargs) -> Spec:
    return Spec(lambda n, r: [normal(r, (4, side(n // 4), side(n // 4))) for _ in range(count)],
                kwargs)


def img(*extra, maker=normal, shape=image, **kwargs) -> Spec:
    return Spec(lambda n, r: [maker(r, shape(n)), *extra], kwargs)


def conv(transposed: bool, dims: int) -> Spec:
    def make(n, r):
        x = normal(r, image(n) if dims == 2 else signal(n))
        kernel = (3,) * dims
        w = normal(r, (16, 16, *kernel)) * np.float32(0.1)
        return [x, w, normal(r, (16,))]

    return Spec(make, {"padding": 1})


def like(maker=normal, *extra, random=False, **kwargs) -> Spec:
    return Spec(lambda n, r: [Const(maker(r, rows(n))), *extra], kwargs, random=random)


def loss(target, classes: int = 64, **kwargs) -> Spec:
    """A loss of (N/64, 64) scores and a target from ``target(r, shape)``."""
    return Spec(lambda n, r: [normal(r, rows(n, classes)), target(r, rows(n, classes))], kwargs)


def class_loss(fn_input=normal, **kwargs) -> Spec:
    return Spec(lambda n, r: [fn_input(r, rows(n, 64)), labels(r, rows(n, 64)[0], 64)], kwargs)


def method(name, *extra, maker=normal, **kwargs) -> Spec:
    """A call of the tensor method ``name`` on one (N/256, 256) input."""
    return Spec(lambda n, r: [maker(r, rows(n)), *extra], kwargs, target=f"Tensor.{name}")


def op(label_target: str, make, call=None, **kwargs) -> Spec:
    return Spec(make, kwargs, call=call, target=label_target)


def const_normal(r, shape):
    return Const(normal(r, shape))


def const_positive(r, shape):
    return Const(positive(r, shape))


def const_prob(r, shape):
    return Const(prob(r, shape))


def two(maker=normal):
    return lambda n, r: [maker(r, rows(n)), maker(r, rows(n))]


UNARY = ("abs absolute atan ceil cos cosh erf exp exp2 expm1 floor frac neg negative relu round "
         "sgn sigmoid sign sin sinh square tanh trunc nan_to_num selu celu").split()
UNARY_POSITIVE = "log log10 log2 log1p reciprocal rsqrt sqrt".split()
UNARY_INSIDE = "acos asin tan".split()
UNARY_BOOL = "isfinite isinf isnan isneginf isposinf signbit logical_not".split()
BINARY = ("add sub subtract mul multiply div divide true_divide atan2 arctan2 fmax fmin fmod "
          "maximum minimum remainder rsub logaddexp floor_divide").split()
COMPARE = ("eq ne lt le gt ge greater greater_equal less less_equal not_equal isclose equal "
           "allclose").split()
LOGICAL = "logical_and logical_or logical_xor".split()
BITWISE = "bitwise_and bitwise_or bitwise_xor".split()
REDUCE = "amax amin logsumexp mean std var sum std_mean var_mean median norm".split()
REDUCE_INDEX = "argmax argmin argsort count_nonzero".split()
SCANS = "cumsum softmax log_softmax diff".split()
ACTIVATIONS = ("elu gelu silu mish logsigmoid relu6 hardtanh hardshrink hardsigmoid hardswish "
               "leaky_relu softplus softshrink softsign tanhshrink softmin").split()
INPLACE_F = {"celu_": "celu", "elu_": "elu", "hardtanh_": "hardtanh", "leaky_relu_": "leaky_relu",
             "relu_": "relu", "selu_": "selu"}


def build_specs() -> dict:  # noqa: C901 - one table, one entry per op
    """The sweep table: label -> Spec (label ``name``, ``F.name``, ``Tensor.name`` or a note)."""
    s: dict = {}
    for name in UNARY:
        s[name] = ew()
    for name in UNARY_POSITIVE:
        s[name] = ew(positive)
    for name in UNARY_INSIDE:
        s[name] = ew(inside)
    for name in UNARY_BOOL:
        s[name] = ew()
    s["logit"] = ew(prob)
    s["bitwise_not"] = Spec(lambda n, r: [ints(r, rows(n))])
    for name in BINARY:
        s[name] = ew(normal, normal)
    s["pow"] = ew(positive, normal)
    s["lerp"] = Spec(lambda n, r: [normal(r, rows(n)), normal(r, rows(n)), 0.3])
    s["dist"] = ew(normal, normal)
    for name in COMPARE:
        s[name] = ew(normal, normal)
    for name in LOGICAL:
        s[name] = ew(mask, mask)
    for name in BITWISE:
        s[name] = Spec(lambda n, r: [ints(r, rows(n)), ints(r, rows(n))])
    s["addcmul"] = ew(normal, normal, normal)
    s["addcdiv"] = ew(normal, normal, positive)
    s["where"] = Spec(lambda n, r: [mask(r, rows(n)), normal(r, rows(n)), normal(r, rows(n))])
    s["clamp"] = ew(min=-0.5, max=0.5)
    s["clip"] = ew(min=-0.5, max=0.5)
    s["clamp_max"] = scalar_args(normal, 0.5)
    s["clamp_min"] = scalar_args(normal, -0.5)
    s["clamp_min_"] = Spec(lambda n, r: [normal(r, rows(n)), -0.5], inplace=True)
    # pow with scalar exponents (issue 13's 600x cliff) and the operators
    for label, expo in (("pow [x, 2]", 2), ("pow [x, 3.0]", 3.0), ("pow [x, 0.5]", 0.5),
                        ("pow [x, -1.5]", -1.5), ("pow [x, 2.7]", 2.7)):
        s[label] = op("pow", lambda n, r: [positive(r, rows(n))],
                      call=lambda f, x, e=expo: f(x, e))
    s["pow [2.0, x]"] = op("pow", lambda n, r: [normal(r, rows(n))], call=lambda f, x: f(2.0, x))
    binop = {"x + y": lambda x, y: x + y, "x - y": lambda x, y: x - y,
             "x * y": lambda x, y: x * y, "x / y": lambda x, y: x / y,
             "x > y": lambda x, y: x > y, "x == y": lambda x, y: x == y}
    for label, fn in binop.items():
        s[label] = op("operator", two(), call=lambda f, x, y, fn=fn: fn(x, y))
    for label, fn in {"x ** 2": lambda x: x ** 2, "x ** 3": lambda x: x ** 3,
                      "x ** 0.5": lambda x: x ** 0.5, "2 ** x": lambda x: 2 ** x,
                      "-x": lambda x: -x, "x * 2.5": lambda x: x * 2.5,
                      "x[:, ::2]": lambda x: x[:, ::2], "x[3]": lambda x: x[3]}.items():
        s[label] = op("operator", lambda n, r: [positive(r, rows(n))],
                      call=lambda f, x, fn=fn: fn(x))
    s["x @ y"] = op("operator", matrices(2).make, call=lambda f, x, y: x @ y)
    s["x[index]"] = op("operator",
                       lambda n, r: [normal(r, rows(n)), labels(r, rows(n)[0], rows(n)[0])],
                       call=lambda f, x, i: x[i])
    s["x[mask]"] = op("operator", lambda n, r: [normal(r, rows(n)), mask(r, rows(n))],
                      call=lambda f, x, m: x[m])

    def setitem(f, x, m):
        x[m] = 0.0
        return x

    s["x[mask] = 0"] = Spec(lambda n, r: [normal(r, rows(n)), mask(r, rows(n))], call=setitem,
                            inplace=True, target="operator")

    def iadd(f, x, y):
        x += y
        return x

    s["x += y"] = Spec(lambda n, r: [normal(r, rows(n)), const_normal(r, rows(n))], call=iadd,
                       inplace=True, target="operator")
    # reductions along dim 1 of (N/256, 256), and whole-tensor ones
    for name in REDUCE + REDUCE_INDEX:
        s[name] = ew(distinct if name in ("argmax", "argmin", "argsort", "median") else normal,
                     dim=1)
    s["sum (all)"] = op("sum", lambda n, r: [normal(r, rows(n))])
    s["mean (all)"] = op("mean", lambda n, r: [normal(r, rows(n))])
    s["max"] = ew(distinct, dim=1)
    s["min"] = ew(distinct, dim=1)
    s["max (all)"] = op("max", lambda n, r: [normal(r, rows(n))])
    s["prod"] = ew(near_one, dim=1)
    s["cumprod"] = ew(near_one, dim=1)
    s["all"] = Spec(lambda n, r: [mask(r, rows(n))], {"dim": 1})
    s["any"] = Spec(lambda n, r: [mask(r, rows(n))], {"dim": 1})
    for name in SCANS:
        s[name] = ew(dim=1)
    s["sort"] = ew(distinct, dim=1)
    s["topk"] = scalar_args(distinct, 5, dim=1)
    s["unique"] = Spec(lambda n, r: [ints(r, (n,), 1000, np.int64)])
    # shape ops
    s["atleast_1d"] = ew()
    s["broadcast_to"] = Spec(lambda n, r: [normal(r, (1, 256)), rows(n)])
    s["broadcast_tensors"] = Spec(lambda n, r: [normal(r, (rows(n)[0], 1)), normal(r, (1, 256))])
    for name in ("cat", "concat", "concatenate", "stack", "hstack", "vstack"):
        s[name] = Spec(lambda n, r: [[normal(r, rows(n)), normal(r, rows(n))]])
    s["chunk"] = scalar_args(normal, 4, dim=1)
    s["split"] = scalar_args(normal, 64, dim=1)
    s["unbind"] = Spec(lambda n, r: [normal(r, (4, max(1, n // 4)))])
    s["clone"] = ew()
    s["diag"] = Spec(lambda n, r: [normal(r, (side(n),))])
    s["diagonal"] = matrices(1)
    s["trace"] = matrices(1)
    s["tril"] = matrices(1)
    s["triu"] = matrices(1)
    s["t"] = ew()
    s["flatten"] = ew()
    s["ravel"] = ew()
    s["flip"] = scalar_args(normal, [1])
    s["movedim"] = scalar_args(normal, 0, 1)
    s["narrow"] = scalar_args(normal, 1, 0, 128)
    s["permute"] = scalar_args(normal, (1, 0))
    s["repeat_interleave"] = scalar_args(normal, 2, dim=1)
    s["reshape"] = scalar_args(normal, (-1,))
    s["roll"] = scalar_args(normal, 3, 1)
    s["select"] = scalar_args(normal, 1, 5)
    s["squeeze"] = Spec(lambda n, r: [normal(r, (rows(n)[0], 1, 256))])
    s["unsqueeze"] = scalar_args(normal, 0)
    s["swapaxes"] = scalar_args(normal, 0, 1)
    s["transpose"] = scalar_args(normal, 0, 1)
    s["tile"] = scalar_args(normal, (2, 1))
    s["unflatten"] = scalar_args(normal, 1, (16, 16))
    s["meshgrid"] = Spec(lambda n, r: [normal(r, (side(n),)), normal(r, (side(n),))],
                         {"indexing": "ij"})
    s["kron"] = Spec(lambda n, r: [normal(r, (8, 8)), normal(r, (side(n) // 8, side(n) // 8))])
    # indexing
    s["gather"] = Spec(lambda n, r: [normal(r, rows(n)), 1, Const(r.integers(0, 256, rows(n)))])
    s["take_along_dim"] = Spec(lambda n, r: [normal(r, rows(n)),
                                             Const(r.integers(0, 256, rows(n)))], {"dim": 1})
    s["scatter"] = Spec(lambda n, r: [normal(r, rows(n)), 1, row_perm(r, rows(n)),
                                      normal(r, rows(n))])
    s["scatter_add"] = s["scatter"]
    s["index_select"] = Spec(lambda n, r: [normal(r, rows(n)), 0,
                                           labels(r, rows(n)[0], rows(n)[0])])

    def index_op(value):
        def make(n, r):
            k = rows(n)[0]
            index = Const(r.permutation(k)[: max(1, k // 2)])
            src = (normal(r, (index.array.size, 256)) if value is None else value)
            return [normal(r, rows(n)), 0, index, src]

        return make

    s["index_add"] = Spec(index_op(None))
    s["index_copy"] = Spec(index_op(None))
    s["index_fill"] = Spec(index_op(0.5))
    s["masked_fill"] = Spec(lambda n, r: [normal(r, rows(n)), mask(r, rows(n)), 0.0])
    s["masked_select"] = Spec(lambda n, r: [normal(r, rows(n)), mask(r, rows(n))])
    s["take"] = Spec(lambda n, r: [normal(r, rows(n)), Const(r.integers(0, n, n // 2))])
    s["nonzero"] = Spec(lambda n, r: [Const(f32(r.random(rows(n)) < 0.5))])
    s["argwhere"] = s["nonzero"]
    s["searchsorted"] = Spec(lambda n, r: [Const(np.sort(normal(r, (1024,)))),
                                           const_normal(r, rows(n))])
    s["bucketize"] = Spec(lambda n, r: [const_normal(r, rows(n)),
                                        Const(np.sort(normal(r, (1024,))))])
    s["isin"] = Spec(lambda n, r: [ints(r, rows(n), 1000, np.int64),
                                   ints(r, (100,), 1000, np.int64)])
    # matrix products
    s["mm"] = matrices(2)
    s["matmul"] = matrices(2)
    s["inner"] = matrices(2)
    s["einsum"] = op("einsum", matrices(2).make, call=lambda f, a, b: f("ij,jk->ik", a, b))
    s["tensordot"] = matrices(2, dims=1)
    s["addmm"] = matrices(3)
    s["mv"] = Spec(lambda n, r: [normal(r, (side(n), side(n))), normal(r, (side(n),))])
    s["dot"] = Spec(lambda n, r: [normal(r, (n,)), normal(r, (n,))])
    s["outer"] = Spec(lambda n, r: [normal(r, (side(n),)), normal(r, (side(n),))])
    s["bmm"] = batched(2)
    s["baddbmm"] = batched(3)
    s["cdist"] = Spec(lambda n, r: [normal(r, (side(n), 32)), normal(r, (side(n), 32))])
    s["F.linear"] = Spec(lambda n, r: [normal(r, rows(n)), normal(r, (256, 256)),
                                       normal(r, (256,))])
    s["F.bilinear"] = Spec(lambda n, r: [normal(r, rows(n, 16)), normal(r, rows(n, 16)),
                                         normal(r, (16, 16, 16)), normal(r, (16,))])
    s["F.cosine_similarity"] = ew(normal, normal, dim=1)
    s["F.pairwise_distance"] = ew(normal, normal)
    s["F.normalize"] = ew(dim=1)
    s["F.scaled_dot_product_attention"] = Spec(
        lambda n, r: [normal(r, attention(n)) for _ in range(3)], {"is_causal": True})
    # activations
    for name in ACTIVATIONS:
        s[f"F.{name}"] = ew()
    s["F.softmin"] = ew(dim=1)
    s["F.threshold"] = scalar_args(normal, 0.1, 20.0)
    s["F.glu"] = ew(dim=1)
    s["prelu"] = Spec(lambda n, r: [normal(r, image(n)), f32([0.25])])
    s["F.prelu"] = s["prelu"]
    for name, base in INPLACE_F.items():
        s[f"F.{name}"] = dataclasses.replace(s.get(base) or s[f"F.{base}"], inplace=True)
    s["F.threshold_"] = dataclasses.replace(s["F.threshold"], inplace=True)
    # normalization
    s["F.batch_norm"] = Spec(lambda n, r: [normal(r, image(n)), Const(np.zeros(16, np.float32)),
                                           Const(np.ones(16, np.float32)), positive(r, (16,)),
                                           normal(r, (16,))], {"training": True})
    s["batch_norm"] = Spec(lambda n, r: [normal(r, image(n)), positive(r, (16,)),
                                         normal(r, (16,)), Const(np.zeros(16, np.float32)),
                                         Const(np.ones(16, np.float32)), True, 0.1, 1e-5, False])
    s["F.group_norm"] = Spec(lambda n, r: [normal(r, image(n)), 4, positive(r, (16,)),
                                           normal(r, (16,))])
    s["group_norm"] = s["F.group_norm"]
    s["F.instance_norm"] = img()
    s["F.layer_norm"] = Spec(lambda n, r: [normal(r, rows(n)), (256,), positive(r, (256,)),
                                           normal(r, (256,))])
    s["layer_norm"] = s["F.layer_norm"]
    s["F.rms_norm"] = Spec(lambda n, r: [normal(r, rows(n)), (256,), positive(r, (256,))])
    s["F.embedding"] = Spec(lambda n, r: [labels(r, max(1, n // 64), 1000),
                                          normal(r, (1000, 64))])
    s["embedding"] = Spec(lambda n, r: [normal(r, (1000, 64)),
                                        labels(r, max(1, n // 64), 1000)])
    s["F.one_hot"] = Spec(lambda n, r: [labels(r, max(1, n // 16), 16), 16])
    # dropout family (random: outputs not compared)
    for name in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"):
        maker = image if name.startswith("feature") else rows
        s[name] = Spec(lambda n, r, mk=maker: [normal(r, mk(n)), 0.5, True], random=True)
        s[name + "_"] = dataclasses.replace(s[name], inplace=True)
    s["F.dropout"] = Spec(lambda n, r: [normal(r, rows(n)), 0.5], random=True)
    s["F.alpha_dropout"] = Spec(lambda n, r: [normal(r, rows(n)), 0.5, True], random=True)
    s["F.feature_alpha_dropout"] = Spec(lambda n, r: [normal(r, image(n)), 0.5, True],
                                        random=True)
    s["F.dropout1d"] = Spec(lambda n, r: [normal(r, signal(n)), 0.5], random=True)
    s["F.dropout2d"] = Spec(lambda n, r: [normal(r, image(n)), 0.5], random=True)
    s["F.dropout3d"] = Spec(lambda n, r: [normal(r, (1, *image(n)))], {"p": 0.5}, random=True)
    # random sampling and factories (forward only)
    s["bernoulli"] = Spec(lambda n, r: [const_prob(r, rows(n))], random=True)
    s["multinomial"] = Spec(lambda n, r: [const_prob(r, rows(n)), 4], random=True)
    s["normal"] = Spec(lambda n, r: [const_normal(r, rows(n)), const_positive(r, rows(n))],
                       random=True)
    for name in ("rand", "randn", "empty"):
        s[name] = Spec(lambda n, r: [n], random=True)
    s["randint"] = Spec(lambda n, r: [0, 10, (n,)], random=True)
    s["randperm"] = Spec(lambda n, r: [n], random=True)
    s["zeros"] = Spec(lambda n, r: [n])
    s["ones"] = Spec(lambda n, r: [n])
    s["full"] = Spec(lambda n, r: [(n,), 1.5])
    s["arange"] = Spec(lambda n, r: [n])
    s["linspace"] = Spec(lambda n, r: [0.0, 1.0, n])
    s["logspace"] = Spec(lambda n, r: [0.0, 1.0, n])
    s["eye"] = Spec(lambda n, r: [side(n)])
    for name in ("tensor", "as_tensor", "asarray", "from_numpy"):
        s[name] = Spec(lambda n, r: [Raw(normal(r, rows(n)))])
    s["scalar_tensor"] = Spec(lambda n, r: [1.5])
    for name in ("zeros_like", "ones_like"):
        s[name] = like()
    s["full_like"] = like(normal, 2.0)
    s["empty_like"] = like(random=True)
    s["rand_like"] = like(random=True)
    s["randn_like"] = like(random=True)
    s["randint_like"] = like(normal, 10, random=True)
    # losses
    s["F.mse_loss"] = loss(const_normal)
    s["F.l1_loss"] = loss(const_normal)
    s["F.smooth_l1_loss"] = loss(const_normal)
    s["F.huber_loss"] = loss(const_normal)
    s["F.soft_margin_loss"] = loss(signs)
    s["F.hinge_embedding_loss"] = loss(signs)
    s["F.multilabel_soft_margin_loss"] = loss(lambda r, sh: Const(f32(r.random(sh) < 0.5)))
    s["F.binary_cross_entropy"] = Spec(lambda n, r: [prob(r, rows(n, 64)),
                                                     const_prob(r, rows(n, 64))])
    s["F.binary_cross_entropy_with_logits"] = loss(const_prob)
    s["F.poisson_nll_loss"] = loss(const_positive)
    s["F.kl_div"] = Spec(lambda n, r: [normal(r, rows(n, 64)), const_prob(r, rows(n, 64))],
                         {"reduction": "batchmean"})
    s["F.gaussian_nll_loss"] = Spec(lambda n, r: [normal(r, rows(n, 64)),
                                                  const_normal(r, rows(n, 64)),
                                                  positive(r, rows(n, 64))])
    s["F.cross_entropy"] = class_loss()
    s["F.nll_loss"] = class_loss()
    s["F.multi_margin_loss"] = class_loss()
    s["F.margin_ranking_loss"] = Spec(lambda n, r: [normal(r, (n,)), normal(r, (n,)),
                                                    signs(r, (n,))])
    s["F.cosine_embedding_loss"] = Spec(lambda n, r: [normal(r, rows(n, 64)),
                                                      normal(r, rows(n, 64)),
                                                      signs(r, (rows(n, 64)[0],))])
    s["F.triplet_margin_loss"] = Spec(lambda n, r: [normal(r, rows(n, 64)) for _ in range(3)])
    # convolutions, pooling, resampling (images (N, 16, H, W), signals (N, 16, L))
    for prefix in ("", "F."):
        s[prefix + "conv2d"] = conv(False, 2)
        s[prefix + "conv1d"] = conv(False, 1)
        s[prefix + "max_pool2d"] = img(2)
        s[prefix + "max_pool1d"] = img(2, shape=signal)
        s[prefix + "avg_pool1d"] = img(2, shape=signal)
        s[prefix + "adaptive_avg_pool1d"] = img(8, shape=signal)
        s[prefix + "pixel_shuffle"] = img(2)
        s[prefix + "pixel_unshuffle"] = img(2)
    s["F.conv_transpose2d"] = conv(True, 2)
    s["F.conv_transpose1d"] = conv(True, 1)
    s["F.avg_pool2d"] = img(2)
    s["F.adaptive_avg_pool2d"] = img(4)
    s["F.adaptive_max_pool2d"] = img(4)
    s["F.adaptive_max_pool1d"] = img(8, shape=signal)
    s["F.adaptive_max_pool2d_with_indices"] = img(4)
    s["F.adaptive_max_pool1d_with_indices"] = img(8, shape=signal)
    s["F.max_pool2d_with_indices"] = img(2)
    s["F.max_pool1d_with_indices"] = img(2, shape=signal)
    s["F.max_pool2d [3, s2, p1]"] = op("F.max_pool2d", img(3, 2, 1).make)
    s["F.interpolate"] = img(scale_factor=2)
    s["F.interpolate [bilinear]"] = op("F.interpolate", img().make,
                                       call=lambda f, x: f(x, scale_factor=2, mode="bilinear"))
    s["F.upsample"] = img(scale_factor=2)
    s["F.upsample_nearest"] = img(scale_factor=2)
    s["F.upsample_bilinear"] = img(scale_factor=2)
    s["F.pad"] = img((1, 1, 1, 1))
    s["F.pad [reflect]"] = op("F.pad", img((1, 1, 1, 1)).make,
                              call=lambda f, x, p: f(x, p, mode="reflect"))
    s.update(tensor_methods())
    return s


def attention(n: int) -> tuple:
    length = max(8, min(128, math.isqrt(n // 4)))
    return (max(1, n // (4 * length * length)), 4, length, length)


def tensor_methods() -> dict:
    """Methods of Tensor that have no function of the same name (casts, views, fills)."""
    m = {
        "Tensor.contiguous": op("Tensor.contiguous", lambda n, r: [normal(r, rows(n))],
                                call=lambda f, x: x.t().contiguous()),
        "Tensor.expand": Spec(lambda n, r: [normal(r, (1, 256)), rows(n)[0], 256]),
        "Tensor.expand_as": Spec(lambda n, r: [normal(r, (1, 256)), const_normal(r, rows(n))]),
        "Tensor.repeat": method("repeat", 2, 1),
        "Tensor.view": method("view", -1),
        "Tensor.view_as": Spec(lambda n, r: [normal(r, rows(n)),
                                             const_normal(r, (n // 256 * 256,))]),
        "Tensor.reshape_as": Spec(lambda n, r: [normal(r, rows(n)),
                                                const_normal(r, (n // 256 * 256,))]),
        "Tensor.type_as": Spec(lambda n, r: [normal(r, rows(n)),
                                             Const(np.zeros(1, np.float64))]),
        "Tensor.to": method("to", DType("float64")),
        "Tensor.sum_to_size": method("sum_to_size", 1, 256),
        "Tensor.detach": method("detach"),
        "Tensor.copy_": Spec(lambda n, r: [normal(r, rows(n)), const_normal(r, rows(n))],
                             inplace=True),
        "Tensor.fill_": Spec(lambda n, r: [normal(r, rows(n)), 1.5], inplace=True),
        "Tensor.zero_": Spec(lambda n, r: [normal(r, rows(n))], inplace=True),
        "Tensor.new_tensor": Spec(lambda n, r: [const_normal(r, (4,)), Raw(normal(r, rows(n)))]),
    }
    for cast in ("float", "double", "half", "bfloat16", "int", "long", "short", "byte", "bool"):
        m[f"Tensor.{cast}"] = method(cast)
    for name in ("new_zeros", "new_ones", "new_empty"):
        m[f"Tensor.{name}"] = Spec(lambda n, r: [const_normal(r, (4,)), rows(n)],
                                   random=name == "new_empty")
    m["Tensor.new_full"] = Spec(lambda n, r: [const_normal(r, (4,)), rows(n), 1.5])
    for name, extra in (("normal_", ()), ("uniform_", ()), ("exponential_", ()),
                        ("random_", (0, 10)), ("bernoulli_", (0.5,))):
        m[f"Tensor.{name}"] = Spec(lambda n, r, e=extra: [normal(r, rows(n)), *e], inplace=True,
                                   random=True)
    for name in ("t_", "squeeze_", "unsqueeze_", "transpose_", "swapaxes_", "swapdims_"):
        args = {"unsqueeze_": (0,), "transpose_": (0, 1), "swapaxes_": (0, 1),
                "swapdims_": (0, 1)}.get(name, ())
        m[f"Tensor.{name}"] = Spec(lambda n, r, a=args: [normal(r, rows(n)), *a], inplace=True)
    return m


NOT_OPS = {
    "not an op (settings, seeds, dtypes, threads)": (
        "are_deterministic_algorithms_enabled broadcast_shapes can_cast compile "
        "get_autocast_dtype get_default_dtype get_float32_matmul_precision get_num_threads "
        "get_rng_state initial_seed is_autocast_enabled "
        "is_deterministic_algorithms_warn_only_enabled is_floating_point is_grad_enabled "
        "is_tensor manual_seed numel promote_types result_type seed set_default_dtype "
        "set_float32_matmul_precision set_num_threads set_rng_state "
        "use_deterministic_algorithms").split(),
    "serialization, not an op": ["load", "save"],
    "sparse inputs (not generated)": ["sparse_coo_tensor", "spmm", "Tensor.to_sparse",
                                      "Tensor.to_dense"],
    "one-element input by definition (size-independent)": ["is_nonzero", "Tensor.item"],
    "not an op: metadata, storage, hooks or device moves": [
        f"Tensor.{n}" for n in (
            "backward cpu cuda data_ptr dim element_size is_contiguous is_pinned ndimension "
            "nelement numpy pin_memory register_hook requires_grad_ retain_grad size stride "
            "tolist type untyped_storage detach_ resize_ apply_").split()],
    "complex signature, covered by its parts (F.linear, F.scaled_dot_product_attention)":
        ["F.multi_head_attention_forward"],
}


def public_ops(all_methods: bool) -> tuple[list, dict]:
    """Labels of the public ops of Ember that torch also has, and the ones left out with why."""
    import torch

    import ember

    def names(obj, other) -> list:
        return sorted(n for n in dir(obj) if not n.startswith("_") and hasattr(other, n)
                      and callable(getattr(obj, n)) and not inspect.isclass(getattr(obj, n))
                      and not inspect.ismodule(getattr(obj, n)))

    top = names(ember, torch)
    functional = names(ember.nn.functional, torch.nn.functional)
    methods = names(ember.Tensor, torch.Tensor)
    skipped: dict = {}
    for reason, labels_ in NOT_OPS.items():
        for label in labels_:
            skipped[label] = reason
    wanted = [n for n in top if n not in skipped]
    for n in functional:
        if f"F.{n}" in skipped:
            continue
        if getattr(ember.nn.functional, n) is getattr(ember, n, None):
            skipped[f"F.{n}"] = f"the same function as ember.{n}"
        else:
            wanted.append(f"F.{n}")
    for n in methods:
        label = f"Tensor.{n}"
        if label in skipped:
            continue
        if not all_methods and n in top:
            skipped[label] = f"the same op as ember.{n} (swept there; --all-methods to time it)"
        else:
            wanted.append(label)
    return wanted, skipped


def spec_for(label: str, specs: dict) -> Spec | None:
    """The Spec of ``label``; an in-place method reuses its out-of-place op's inputs."""
    if label in specs:
        return specs[label]
    if label.startswith("F.") and label[2:] in specs:
        return dataclasses.replace(specs[label[2:]], target=label)
    if label.startswith("Tensor."):
        name = label[len("Tensor."):]
        base = name[:-1] if name.endswith("_") else name
        found = specs.get(base) or specs.get(f"F.{base}")
        if found is not None:
            return dataclasses.replace(found, inplace=name.endswith("_") or found.inplace,
                                       target=label)
    return None


# -------------------------------------------------------------------------------- running


def resolve(lib, target: str):
    """The callable of ``target`` (``name``, ``F.name``, ``Tensor.name``) in ``lib``."""
    if target == "operator":
        return None
    if target.startswith("F."):
        return getattr(lib.nn.functional, target[2:])
    if target.startswith("Tensor."):
        name = target[len("Tensor."):]
        return lambda self, *a, **k: getattr(self, name)(*a, **k)
    return getattr(lib, target)


def convert(lib, arg, grad: bool, leaves: list):
    if isinstance(arg, Const):
        return lib.tensor(arg.array)
    if isinstance(arg, Raw):
        return arg.array
    if isinstance(arg, DType):
        return getattr(lib, arg.name)
    if isinstance(arg, np.ndarray):
        t = lib.tensor(arg)
        if grad and arg.dtype.kind == "f":
            t.requires_grad_(True)
            leaves.append(t)
        return t
    if isinstance(arg, list):
        return [convert(lib, a, grad, leaves) for a in arg]
    return arg


def tensors_of(out, lib) -> list:
    if isinstance(out, lib.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in tensors_of(o, lib)]
    return []


class Runner:
    """One op of one library at one size: ``setup()`` then a timed ``run()`` per call."""

    def __init__(self, lib, spec: Spec, target: str, arrays: list, backward: bool):
        self.lib, self.spec, self.backward = lib, spec, backward
        f = resolve(lib, target)
        self.leaves: list = []
        self.args = [convert(lib, a, backward and not spec.inplace, self.leaves) for a in arrays]
        self.original = self.args[0].detach().clone() if spec.inplace else None
        call = spec.call or (lambda f_, *a: f_(*a, **spec.kwargs))
        self.forward = lambda: call(f, *self.args)
        self.cotangents: list | None = None

    def first(self, cotangent_arrays=None):
        """Runs the op once (compilation, checks); returns the outputs."""
        self.setup()
        out = self.forward()
        if self.backward:
            outs = [t for t in tensors_of(out, self.lib) if t.requires_grad]
            self.cotangents = [self.lib.tensor(c) for c in cotangent_arrays(outs)]
            self.lib.autograd.backward(outs, self.cotangents)
        return out

    def setup(self):
        for t in self.leaves:
            t.grad = None
        if self.original is not None:  # a fresh copy: in-place shape ops change the shape too
            self.args[0] = self.original.clone()

    def run(self):
        out = self.forward()
        if self.backward:
            outs = [t for t in tensors_of(out, self.lib) if t.requires_grad]
            self.lib.autograd.backward(outs, self.cotangents)

    def timed_call(self) -> float:
        self.setup()
        t0 = CLOCK[0]()
        self.run()
        return CLOCK[0]() - t0


def alternate(runners: dict, calls: int) -> dict:
    """Seconds of each of ``calls`` calls of each runner, their calls alternating one by one.

    On a loaded machine the load changes within milliseconds and a call that the scheduler
    interrupts takes a time slice longer: alternating single calls gives every library the
    same share of the load, and the median of single calls drops the interrupted ones.
    """
    times: dict = {k: [] for k in runners}
    for _ in range(calls):
        for k, runner in runners.items():
            times[k].append(runner.timed_call())
    return times


def to_numpy(out, lib):
    if isinstance(out, lib.Tensor):
        out = out.detach()
        if str(out.dtype) in ("torch.bfloat16", "ember.bfloat16", "torch.float16",
                              "ember.float16"):
            out = out.float()
        return out.numpy()
    if isinstance(out, (tuple, list)):
        return [to_numpy(o, lib) for o in out]
    return out


def same_values(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "biu" or b.dtype.kind in "biu":
            return bool((a == b).all())
        return bool(np.allclose(a, b, rtol=1e-3, atol=1e-3, equal_nan=True))
    return a == b


def sweep_one(label: str, spec: Spec, n: int, repeats: int, budget: float, min_calls: int = 2):
    """Times ``label`` at size ``n``: returns a result dict, or raises with the reason."""
    import torch

    import ember

    target = spec.target or label
    arrays = spec.make(n, np.random.default_rng(0))
    # does torch's op record a gradient? then time forward + backward
    backward = False
    if not spec.inplace:
        probe = Runner(torch, spec, target, arrays, True)
        outs = [t for t in tensors_of(probe.forward(), torch)
                if t.requires_grad and t.is_floating_point()]
        try:
            torch.autograd.backward(outs, [torch.ones_like(t) for t in outs])
            backward = bool(outs)
        except RuntimeError:  # torch has no derivative for it (floor_divide)
            backward = False
    rng = np.random.default_rng(1)
    cotangents: dict = {}

    def cotangent_arrays(outs):
        key = tuple(tuple(t.shape) for t in outs)
        if key not in cotangents:
            cotangents[key] = [f32(rng.standard_normal(tuple(t.shape))) for t in outs]
        return cotangents[key]

    runners = {}
    outputs = {}
    for name, lib in (("torch", torch), ("ember", ember)):
        try:
            runner = Runner(lib, spec, target, arrays, backward)
            outputs[name] = to_numpy(runner.first(cotangent_arrays), lib)
        except Exception as exc:
            raise RuntimeError(f"{name} raised {type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:90] if str(exc) else ''}") from exc
        runners[name] = runner
    check = "random" if spec.random else (
        "ok" if same_values(outputs["torch"], outputs["ember"]) else "values differ")
    one = max(t[0] for t in alternate(runners, 1).values())
    calls = max(min_calls, min(200, int(budget / max(one, 1e-7))))
    times: dict = {k: [] for k in runners}
    for _ in range(repeats if one < 0.05 else max(2, repeats // 2)):
        for k, ts in alternate(runners, calls).items():
            times[k] += ts
    t = {k: statistics.median(v) for k, v in times.items()}
    return {"op": label, "n": n, "mode": "fwd+bwd" if backward else "fwd",
            "torch_us": t["torch"] * 1e6, "ember_us": t["ember"] * 1e6,
            "ratio": t["ember"] / t["torch"], "check": check}


def format_size(n: int) -> str:
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def report(results: list, not_swept: dict, sizes: list) -> None:
    """Prints the sweep table (worst ratio at 64K+ first) and the ops not swept."""
    by_op: dict = {}
    for r in results:
        by_op.setdefault(r["op"], {})[r["n"]] = r
    big = [n for n in sizes if n >= 64 * 1024] or sizes

    def worst(op_results):
        return max((op_results[n]["ratio"] for n in big if n in op_results), default=0.0)

    cols = ["op", "mode", *[f"{format_size(n)}: ember/torch (ember us, torch us)" for n in sizes],
            "check", f"> {SLOW}x at {'/'.join(format_size(n) for n in big)}"]
    print(markdown_header(cols))
    flagged = []
    for label in sorted(by_op, key=lambda k: -worst(by_op[k])):
        rs = by_op[label]
        cells = []
        for n in sizes:
            r = rs.get(n)
            cells.append("" if r is None else
                         f"{r['ratio']:.2f} ({r['ember_us']:.1f}, {r['torch_us']:.1f})")
        slow = [format_size(n) for n in big if n in rs and rs[n]["ratio"] > SLOW]
        if slow:
            flagged.append(label)
        checks = {r["check"] for r in rs.values()}
        any_r = next(iter(rs.values()))
        print(markdown_row([f"`{label}`", any_r["mode"], *cells,
                            ", ".join(sorted(checks)), "SLOW " + ",".join(slow) if slow else ""]))
    print(f"\n{len(by_op)} ops swept; {len(flagged)} slower than {SLOW}x torch at "
          f"{'/'.join(format_size(n) for n in big)}: {', '.join(flagged) or 'none'}")
    print(f"\nNot swept ({len(not_swept)}):\n")
    print(markdown_header(["op", "reason"]))
    for label in sorted(not_swept):
        print(markdown_row([f"`{label}`", not_swept[label]]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default="",
                        help="comma-separated substrings; an op is swept if its label contains "
                             "one ('exp', 'F.', 'Tensor.add_'); '=t' matches the label t only")
    parser.add_argument("--sizes", default="1K,64K,1M")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per size")
    parser.add_argument("--budget", type=float, default=2e-3,
                        help="seconds of calls per timed batch (the batch size follows)")
    parser.add_argument("--all-methods", action="store_true",
                        help="also time the methods that are the same op as a function")
    parser.add_argument("--quick", action="store_true",
                        help="1 repeat of a 0.2 ms batch: a smoke run, not a measurement")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="time calls by the thread's CPU time (default) or by the wall clock")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.budget = 1, 2e-4
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    CLOCK[0] = time.thread_time if args.clock == "cpu" else time.perf_counter
    import torch

    import ember

    torch.set_num_threads(1)
    ember.set_num_threads(1)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s]
    filters = [f for f in args.ops.split(",") if f]
    specs = build_specs()
    wanted, skipped = public_ops(args.all_methods)
    extra = [label for label, spec in specs.items() if spec.target and label not in wanted
             and not label.startswith("Tensor.")]

    def chosen(label: str) -> bool:
        return not filters or any(label == f[1:] if f.startswith("=") else f in label
                                  for f in filters)

    labels_ = [lb for lb in [*wanted, *extra] if chosen(lb)]
    not_swept = {k: v for k, v in skipped.items() if chosen(k)}
    print(f"CPU: {cpu_model()}; load average: {load_average()}; 1 thread; float32; "
          f"sizes {args.sizes}; {args.repeats} interleaved repeats; "
          f"{'thread CPU' if args.clock == 'cpu' else 'wall-clock'} time per call", flush=True)
    started = time.perf_counter()
    results = []
    for label in labels_:
        spec = spec_for(label, specs)
        if spec is None:
            not_swept[label] = "no input generator in the sweep's table"
            continue
        for n in sizes:
            t0 = time.perf_counter()
            try:
                results.append(sweep_one(label, spec, n, args.repeats, args.budget))
                results[-1]["sweep_s"] = time.perf_counter() - t0
            except Exception as exc:
                not_swept[label] = f"at {format_size(n)}: {exc}"
                results = [r for r in results if r["op"] != label]
                break
        print(f"  {label}", end="", file=sys.stderr, flush=True)
        if args.json:  # after every op, so that a stopped sweep leaves its results
            with open(args.json, "w") as f:
                json.dump({"results": results, "not_swept": not_swept}, f, indent=1)
    print(file=sys.stderr)
    report(results, not_swept, sizes)
    print(f"\nswept in {time.perf_counter() - started:.0f} s; load average after: "
          f"{load_average()}")


if __name__ == "__main__":
    main()
