"""Random programs run on torch and on Ember side by side (a differential fuzzer).

A program is a list of Python source lines over a pool of variables: leaves (``x0``,
``x1``, ...) made from literal data, and values (``v2``, ``v3``, ...) made by one op call
each. The same source is executed with ``torch`` bound to the torch module and, in a second
namespace, to the ``ember`` module. After every line the new (or modified) value is compared
between the two libraries: which side raised, dtype, shape, values (NaN positions included).
At the end a random cotangent is backpropagated through the program and the gradients of
every float leaf are compared, as are all values again (an in-place write through a view must
reach every alias).

Programs are generated from an ``numpy.random.Generator`` seed, interleaved with execution:
the op table reads the torch values of the pool (shapes, dtypes) to choose arguments. So a
seed always gives the same program, and every mismatch comes with a source listing that
runs on both libraries (``program(torch)`` and ``program(ember)``).

Example:
    >>> result = run_seed(0)
    >>> result.mismatch is None or print(result.report())
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import types
import warnings
from collections.abc import Callable

import numpy as np
import torch

import ember

# ----------------------------------------------------------------------------- torch's side

# At a NaN input the gradients of a few torch activations depend on the CPU loop an element
# goes through: the scalar loop (tensors shorter than one vector chunk of 8 or 16 elements, and
# the tail after the last whole chunk) takes the "x > threshold" branch (gradient 1, or the
# ELU family's scale), the vectorized loop selects with a comparison that NaN fails (gradient
# 0 for hardtanh, relu6, hardshrink, softshrink; NaN for hardswish and the ELU family). Shown
# in tests/fuzz/FINDINGS.md ("torch's kernel paths"). Real tensors are mostly vectorized, and
# that is the behaviour Ember implements; the fuzzer's small tensors would mostly take the
# scalar loop. So the fuzzer's torch side computes these gradients on the vectorized path:
# torch's own backward kernel runs on the saved tensor and the gradient padded to a whole
# number of chunks. Nothing else changes: the forward is torch's, and what is saved for
# backward (the input, or the result of an in-place form) is what torch saves, so in-place
# checks behave as in torch.
_CHUNK = 64  # elements: a multiple of every vector chunk of torch's CPU loops (AVX-512 incl.)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _VectorizedBackward(torch.autograd.Function):
    """``forward(x)`` recorded with ``backward(grad, saved)`` run on padded flat tensors."""

    @staticmethod
    def forward(ctx, x, forward, backward, inplace, saves_result):
        # torch's in-place ELU family saves its result; its other in-place activations
        # (hardtanh_, relu6, hardswish_) save a copy of the input, which no edit can touch
        ctx.input_copy = x.detach().clone() if inplace and not saves_result else None
        out = forward(x)
        if inplace:
            ctx.mark_dirty(x)
        if ctx.input_copy is None:
            ctx.save_for_backward(out if inplace else x)
        ctx.backward_fn = backward
        return out

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors[0] if ctx.input_copy is None else ctx.input_copy
        n = saved.numel()
        pad = -n % _CHUNK

        def flat(t):
            return torch.cat([t.reshape(-1), t.new_zeros(pad)])

        g = ctx.backward_fn(flat(grad), flat(saved))[:n].reshape(saved.shape)
        return g, None, None, None, None


def _vector_path(input, forward: Callable, backward: Callable, inplace: bool = False,
                 saves_result: bool = False):
    """``forward(input)``, its gradient ``backward(grad, saved)`` taken on padded tensors."""
    if not (isinstance(input, torch.Tensor) and input.is_floating_point()
            and input.requires_grad and torch.is_grad_enabled()):
        return forward(input)
    if not inplace:
        return _VectorizedBackward.apply(input, forward, backward, inplace, saves_result)
    data, version = input.detach().clone(), input._version
    try:
        return _VectorizedBackward.apply(input, forward, backward, inplace, saves_result)
    except RuntimeError:
        # torch's in-place ops refuse (a leaf, a view of one ...) before they write; a custom
        # Function is refused after its forward wrote: undo the write and its version bump
        with torch.no_grad():
            input.detach().copy_(data)
        torch._C._autograd._unsafe_set_version_counter((input,), (version,))
        raise


def _torch_functional() -> types.SimpleNamespace:
    """``torch.nn.functional`` with the kernel-path-dependent activations replaced."""
    F, aten = torch.nn.functional, torch.ops.aten

    def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
        return _vector_path(input, lambda x: F.hardtanh(x, min_val, max_val, inplace),
                            lambda g, s: aten.hardtanh_backward(g, s, min_val, max_val), inplace)

    def relu6(input, inplace=False):
        return _vector_path(input, lambda x: F.relu6(x, inplace),
                            lambda g, s: aten.hardtanh_backward(g, s, 0.0, 6.0), inplace)

    def hardswish(input, inplace=False):
        return _vector_path(input, lambda x: F.hardswish(x, inplace), aten.hardswish_backward,
                            inplace)

    def hardshrink(input, lambd=0.5):
        return _vector_path(input, lambda x: F.hardshrink(x, lambd),
                            lambda g, s: aten.hardshrink_backward(g, s, lambd))

    def softshrink(input, lambd=0.5):
        return _vector_path(input, lambda x: F.softshrink(x, lambd),
                            lambda g, s: aten.softshrink_backward(g, s, lambd))

    def elu_family(forward, alpha, scale, input_scale, input, inplace):
        # an in-place call saves its result, and the backward is told so (is_result)
        return _vector_path(input, forward, lambda g, s: aten.elu_backward(
            g, alpha, scale, input_scale, inplace, s), inplace, saves_result=True)

    def elu(input, alpha=1.0, inplace=False):
        return elu_family(lambda x: F.elu(x, alpha, inplace), alpha, 1.0, 1.0, input, inplace)

    def elu_(input, alpha=1.0):
        return elu_family(lambda x: F.elu_(x, alpha), alpha, 1.0, 1.0, input, True)

    def selu(input, inplace=False):
        return elu_family(lambda x: F.selu(x, inplace), _SELU_ALPHA, _SELU_SCALE, 1.0, input,
                          inplace)

    def celu(input, alpha=1.0, inplace=False):
        # torch's celu backward scales the input by 1 / alpha rounded to float32
        return elu_family(lambda x: F.celu(x, alpha, inplace), alpha, 1.0,
                          1.0 / float(np.float32(alpha)), input, inplace)

    wrapped = {f.__name__: f for f in (hardtanh, relu6, hardswish, hardshrink, softshrink, elu,
                                       elu_, selu, celu)}
    names = {n: getattr(F, n) for n in dir(F) if not n.startswith("__")}
    return types.SimpleNamespace(**{**names, **wrapped})


# Two more torch inconsistencies, compared against torch's own principled reference:
# - torch.var_mean / std_mean compute their mean output with Welford's running update, so an
#   inf followed by finite elements gives NaN (inf + (x - inf) / n) and an inf in the last
#   place gives inf, while torch.mean gives inf for both (FINDINGS 87). The wrapper keeps
#   torch's call (its node, what it saves, its gradients and the first output) and gives the
#   mean output torch.mean's values.
# - torch.logit's gradient at -0.0 is +inf on the scalar loop and -inf (1 / (x (1 - x))) on
#   the vectorized one (FINDINGS 88): the function form takes the vectorized path as above.
class _TorchNamespace:
    """``torch``, with var_mean, std_mean, logit, median and nanmedian replaced as described
    above and below."""

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def _with_plain_mean(fn, input, *args, **kwargs):
        spread, mean = fn(input, *args, **kwargs)
        dim = args[0] if args else kwargs.get("dim")
        reference = torch.mean(input.detach()) if dim is None else \
            torch.mean(input.detach(), dim, keepdim=kwargs.get("keepdim", False))
        with torch.no_grad():
            mean.detach().copy_(reference)  # var_mean/std_mean's backward does not save it
        return spread, mean

    def var_mean(self, input, *args, **kwargs):
        return self._with_plain_mean(torch.var_mean, input, *args, **kwargs)

    def std_mean(self, input, *args, **kwargs):
        return self._with_plain_mean(torch.std_mean, input, *args, **kwargs)

    @staticmethod
    def logit(input, eps=None):
        return _vector_path(input, lambda x: torch.logit(x, eps),
                            lambda g, s: torch.ops.aten.logit_backward(g, s, eps))

    @staticmethod
    def median(input, *args, **kwargs):
        return torch.median(_dense_if_reduced(input, args, kwargs), *args, **kwargs)

    @staticmethod
    def nanmedian(input, *args, **kwargs):
        return torch.nanmedian(_dense_if_reduced(input, args, kwargs), *args, **kwargs)


def _dense_if_reduced(input, args: tuple, kwargs: dict):
    """torch's median and nanmedian along a dim read garbage from an expanded tensor (0-d
    ``x.expand(2)`` gives 4.6e-41, FINDINGS round 9): they get a dense copy, through a
    recorded ``contiguous()`` (the gradient and what median saves are unchanged)."""
    reducing = bool(args) or "dim" in kwargs
    if reducing and isinstance(input, torch.Tensor) and 0 in input.stride() and \
            input.numel() > 1:
        return input.contiguous()
    return input


@contextlib.contextmanager
def _torch_methods():
    """``Tensor.logit``, ``median`` and ``nanmedian`` as ``_TorchNamespace``'s while a line
    runs on the torch side (the method forms of the same references), restored afterwards."""
    plain = torch.Tensor.logit, torch.Tensor.median, torch.Tensor.nanmedian
    torch.Tensor.logit = _TorchNamespace.logit
    torch.Tensor.median = _TorchNamespace.median
    torch.Tensor.nanmedian = _TorchNamespace.nanmedian
    try:
        yield
    finally:
        torch.Tensor.logit, torch.Tensor.median, torch.Tensor.nanmedian = plain


TORCH_NS = {"torch": _TorchNamespace(), "F": _torch_functional()}
EMBER_NS = {"torch": ember, "F": ember.nn.functional}
CONSTANTS = {"nan": float("nan"), "inf": float("inf")}
VAR = re.compile(r"\b[xv]\d+\b")

# Tolerances per result dtype. "strict" applies when an op's inputs are bitwise equal on the
# two sides (float32: a few roundings of 2**-24, float64: a few of 2**-53); "loose" when
# earlier results already differed in the last bits and the op may amplify that.
TOLS = {
    ("strict", "float32"): (1e-5, 1e-6),
    ("strict", "float64"): (1e-10, 1e-12),
    ("loose", "float32"): (1e-3, 1e-4),
    ("loose", "float64"): (1e-7, 1e-9),
    ("grad", "float32"): (1e-4, 1e-5),
    ("grad", "float64"): (1e-9, 1e-11),
}
FLOAT_DTYPES = ("float32", "float64")
# How far a variable may be from torch's: bitwise equal; within float64 / float32 rounding of
# an earlier step; or past a discontinuity reached with inexact inputs (no longer compared).
STATES = ("exact", "inexact", "inexact32", "diverged")
DTYPE_WEIGHTS = {"float32": 0.38, "float64": 0.27, "int64": 0.17, "int32": 0.06, "bool": 0.12}


def dtype_name(dtype) -> str:
    """``torch.float32`` / ``ember.float32`` -> ``"float32"``."""
    return str(dtype).rsplit(".", 1)[-1]


def exc_kind(exc: BaseException) -> str:
    """The family of an exception, as compared between the libraries."""
    for cls in (IndexError, TypeError, ValueError, RuntimeError):
        if isinstance(exc, cls):
            return cls.__name__
    return type(exc).__name__


# ----------------------------------------------------------------------------- comparison

def _tensor_diff(t, e, mode: str) -> tuple[str, str] | None:
    """``(kind, message)`` when an Ember tensor differs from a torch tensor, else None."""
    if not isinstance(e, ember.Tensor):
        return "type", f"torch gives a Tensor, Ember gives {type(e).__name__}"
    td, ed = dtype_name(t.dtype), dtype_name(e.dtype)
    if td != ed:
        return "dtype", f"dtype: ember {ed}, torch {td}"
    if tuple(t.shape) != tuple(e.shape):
        return "shape", f"shape: ember {tuple(e.shape)}, torch {tuple(t.shape)}"
    tn = t.detach().numpy(force=True)
    en = np.asarray(e.detach().numpy())
    if td not in FLOAT_DTYPES:
        if not np.array_equal(tn, en):
            return "value", f"values: ember {en.tolist()}, torch {tn.tolist()}"
        return None
    tnan, enan = np.isnan(tn), np.isnan(en)
    if not np.array_equal(tnan, enan):
        return "nan", f"NaN positions: ember {en.tolist()}, torch {tn.tolist()}"
    tinf, einf = np.isinf(tn), np.isinf(en)
    if not np.array_equal(tinf, einf) or not np.array_equal(tn[tinf], en[einf]):
        return "value", f"inf: ember {en.tolist()}, torch {tn.tolist()}"
    fin = np.isfinite(tn)
    if not fin.any():
        return None
    base_mode, _, f32 = mode.partition("/")
    rtol, atol = TOLS[base_mode, "float32" if f32 else td]
    scale = max(1.0, float(np.abs(tn[fin]).max()))
    if not np.allclose(en[fin], tn[fin], rtol=rtol, atol=atol * scale):
        err = float(np.abs(en[fin].astype(np.float64) - tn[fin]).max())
        return "value", (f"values (max abs err {err:.3g}): ember {en.tolist()}, "
                         f"torch {tn.tolist()}")
    return None


def diff(t, e, mode: str = "strict") -> tuple[str, str] | None:
    """Compares any torch result with the Ember one: tensors, tuples, Python scalars."""
    if isinstance(t, torch.Tensor):
        out = _tensor_diff(t, e, mode)
        if out is None and t.requires_grad != bool(getattr(e, "requires_grad", False)):
            return "requires_grad", (f"requires_grad: ember {e.requires_grad}, "
                                     f"torch {t.requires_grad}")
        return out
    if isinstance(t, (tuple, list)):
        if not isinstance(e, (tuple, list)) or len(e) != len(t):
            return "type", f"torch gives {type(t).__name__} of {len(t)}, Ember {e!r:.80}"
        for i, (ti, ei) in enumerate(zip(t, e, strict=True)):
            out = diff(ti, ei, mode)
            if out is not None:
                return out[0], f"[{i}] {out[1]}"
        return None
    if t is None:
        return None if e is None else ("type", f"torch gives None, Ember {e!r:.80}")
    if isinstance(t, (bool, int, float)):
        if isinstance(e, ember.Tensor) or type(e) is not type(t):
            return "type", f"torch gives {type(t).__name__} {t!r}, Ember {type(e).__name__}"
        if isinstance(t, float) and (np.isnan(t) or np.isnan(e)):
            return None if np.isnan(t) and np.isnan(e) else ("value", f"ember {e}, torch {t}")
        if isinstance(t, float):
            ok = np.isclose(e, t, rtol=1e-5, atol=1e-6) or e == t
        else:
            ok = e == t
        return None if ok else ("value", f"ember {e!r}, torch {t!r}")
    return None


def usable(t) -> bool:
    """A torch tensor whose autograd metadata can be read (torch raises for a view that a
    multi-output function returned once its base was modified in place)."""
    if not isinstance(t, torch.Tensor):
        return False
    try:
        t.grad_fn  # noqa: B018 - the access itself is the check
    except RuntimeError:
        return False
    return True


def exact(t, e) -> bool:
    """Whether two results are bitwise equal (so downstream ops get identical inputs)."""
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor) or tuple(t.shape) != tuple(e.shape):
            return False
        return np.array_equal(t.detach().numpy(force=True), np.asarray(e.detach().numpy()),
                              equal_nan=t.dtype.is_floating_point)
    if isinstance(t, (tuple, list)):
        return all(exact(a, b) for a, b in zip(t, e, strict=False))
    return True


# ----------------------------------------------------------------------------- programs

@dataclasses.dataclass
class Line:
    """One statement of a program.

    Attributes:
        src: Python source (``torch`` stands for the library under test).
        op: the op spec's name (``"leaf"`` for data, ``"backward"`` for the final step).
        defines: variables assigned (compared after the line).
        mutates: variables modified in place (compared after the line).
        smooth: the result is a continuous function of float inputs (so last-bit input
            differences stay small); rounding, comparisons and arg-reductions are not.
        f32_grads: compare float64 gradients with float32 tolerances (torch's float64
            backward of a few ops uses float32 constants, e.g. hardsigmoid's 1/6).
        amplifies: the op divides by a spread of its input that may be tiny (layer_norm of
            two close values: x * rstd - mean * rstd cancels terms 1/std times larger than
            the result), so each side's own roundings grow by that factor: its results and
            the final gradients are compared with the loose tolerances.
    """

    src: str
    op: str
    defines: tuple[str, ...] = ()
    mutates: tuple[str, ...] = ()
    smooth: bool = True
    f32_grads: bool = False
    amplifies: bool = False

    @property
    def uses(self) -> set[str]:
        names = set(VAR.findall(self.src))
        return names - set(self.defines)


@dataclasses.dataclass
class Mismatch:
    kind: str
    op: str
    message: str
    line: int

    @property
    def signature(self) -> tuple[str, str]:
        return self.kind, self.op


def source(lines: list[Line]) -> str:
    """The program as a function that runs on both libraries."""
    body = "\n".join("    " + ln.src for ln in lines)
    return ("import torch, ember  # noqa\n\n\ndef program(torch):\n"
            "    F = torch.nn.functional\n    nan, inf = float('nan'), float('inf')\n"
            f"{body}\n    return locals()\n\n\nt, e = program(torch), program(ember)\n")


class Runner:
    """Executes a program line by line on both libraries and compares after each line."""

    def __init__(self) -> None:
        self.t = {**TORCH_NS, **CONSTANTS}
        self.e = {**EMBER_NS, **CONSTANTS}
        self.lines: list[Line] = []
        self.state: dict[str, str] = {}  # var -> one of STATES
        self.mismatch: Mismatch | None = None
        self.raised: list[bool] = []

    def _exec(self, ns: dict, src: str):
        try:
            exec(compile(src, "<fuzz>", "exec"), ns)
        except Exception as exc:
            return exc
        return None

    def run(self, line: Line) -> bool:
        """Runs one line on both sides; returns False when the program must stop."""
        self.lines.append(line)
        overlapping = self._reads_what_it_writes(line)
        with _torch_methods():
            te = self._exec(self.t, line.src)
        ee = self._exec(self.e, line.src)
        n = len(self.lines) - 1
        self.raised.append(te is not None)
        if te is not None and "INTERNAL ASSERT FAILED" in str(te):
            # torch's own bug (e.g. "unknown ivalue tag 4" in some backward): nothing to
            # compare from here on
            self.state = dict.fromkeys(self.state, "diverged")
            return False
        if te is not None or ee is not None:
            if ee is None:
                self.mismatch = Mismatch("ember_no_raise", line.op,
                                         f"torch raises {type(te).__name__}: {te}", n)
            elif te is None:
                self.mismatch = Mismatch("ember_raises", line.op,
                                         f"Ember raises {type(ee).__name__}: {ee}", n)
            elif exc_kind(te) != exc_kind(ee):
                self.mismatch = Mismatch(
                    "exc_kind", line.op, f"ember {type(ee).__name__}: {ee} / torch "
                    f"{type(te).__name__}: {te}", n)
            for name in line.defines:
                self.t.pop(name, None)
                self.e.pop(name, None)
            for name in line.mutates:  # an in-place op that raised may have written part of
                self.state[name] = "diverged"  # its target first (torch's integer remainder_)
            return self.mismatch is None
        inputs = [self.state.get(u, "exact") for u in line.uses]
        worst = max(inputs, default="exact", key=STATES.index)
        f32 = worst == "inexact32" or any(
            isinstance(self.t.get(u), torch.Tensor) and self.t[u].dtype == torch.float32
            for u in line.uses)
        for name in line.defines + line.mutates:
            if name in overlapping:  # torch's kernel reads elements it already wrote: the
                self.state[name] = "diverged"  # values depend on its loop order
                continue
            if worst == "diverged" or (worst != "exact" and not line.smooth):
                self.state[name] = "diverged"
                continue
            tv, ev = self.t.get(name), self.e.get(name)
            strict = worst == "exact" and not line.amplifies
            mode = ("strict" if strict else "loose") + ("/f32" if f32 else "")
            out = diff(tv, ev, mode)
            if out is not None:
                self.mismatch = Mismatch(out[0], line.op, f"{name}: {out[1]}", n)
                return False
            if strict and exact(tv, ev):
                self.state[name] = "exact"
            else:
                self.state[name] = "inexact32" if f32 else "inexact"
        return True

    def _reads_what_it_writes(self, line: Line) -> set[str]:
        """The in-place targets of ``line`` (torch side) that an operand overlaps without
        being the same elements: torch lets that pass when either is not a dense block
        (``x.add_(x[:, 0])``), and its result then depends on the order of its loop."""
        found = set()
        for name in line.mutates:
            target = self.t.get(name)
            if not isinstance(target, torch.Tensor) or target.numel() == 0:
                continue
            for used in line.uses:
                other = self.t.get(used)
                if used == name or not isinstance(other, torch.Tensor) or other.numel() == 0:
                    continue
                if other.untyped_storage().data_ptr() != target.untyped_storage().data_ptr():
                    continue
                if (other.data_ptr(), other.shape, other.stride()) != \
                        (target.data_ptr(), target.shape, target.stride()):
                    found.add(name)
        return found

    def final_check(self) -> None:
        """Compares every variable again (aliases of in-place writes) and the leaf grads."""
        if self.mismatch is not None or "diverged" in self.state.values():
            return
        mode = "strict" if set(self.state.values()) <= {"exact"} else "loose"
        # torch computes some mixed float32/float64 steps in float32 (e.g. a float64 grad
        # through a float32 operand), so such programs are held to float32 tolerances.
        f32 = "/f32" if any(isinstance(v, torch.Tensor) and v.dtype == torch.float32
                            for v in self.t.values()) else ""
        f32_grads = f32 or ("/f32" if any(ln.f32_grads for ln in self.lines) else "")
        amplified = any(ln.amplifies for ln in self.lines)
        gmode = ("grad" if mode == "strict" and not amplified else "loose") + f32_grads
        mode += f32
        for name, tv in self.t.items():
            if not VAR.fullmatch(name) or (isinstance(tv, torch.Tensor) and not usable(tv)):
                continue
            out = diff(tv, self.e.get(name), mode)
            if out is not None:
                self.mismatch = Mismatch("final_" + out[0], "final", f"{name}: {out[1]}",
                                         len(self.lines) - 1)
                return
        if not self.lines or self.lines[-1].op != "backward" or self.raised[-1]:
            return
        for name, tv in self.t.items():
            if not (VAR.fullmatch(name) and name.startswith("x")):
                continue
            if not (usable(tv) and tv.requires_grad):
                continue
            tg, eg = tv.grad, getattr(self.e.get(name), "grad", None)
            if tg is None or eg is None:
                if (tg is None) != (eg is None):
                    self.mismatch = Mismatch(
                        "grad_none", "backward", f"{name}.grad: ember {eg}, torch {tg}",
                        len(self.lines) - 1)
                    return
                continue
            out = diff(tg, eg, gmode)
            if out is not None:
                self.mismatch = Mismatch("grad_" + out[0], "backward",
                                         f"{name}.grad: {out[1]}", len(self.lines) - 1)
                return


def replay(lines: list[Line]) -> Runner:
    """Runs a fixed list of lines (no generation), stopping at the first mismatch."""
    runner = Runner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for line in lines:
            if not runner.run(line):
                break
        else:
            runner.final_check()
    return runner


def _drop(lines: list[Line], index: int) -> list[Line]:
    """The program without line ``index`` and without every line that depends on it."""
    gone = set(lines[index].defines)
    kept = []
    for i, line in enumerate(lines):
        if i == index:
            continue
        if line.op == "backward":
            line = _prune_backward(line, gone)
            if line is None:
                continue
        elif line.uses & gone:
            gone |= set(line.defines)
            continue
        kept.append(line)
    return kept


_BACKWARD = re.compile(r"\((v\d+), (torch\.tensor\(.*?, dtype=torch\.\w+\))\)")


def _prune_backward(line: Line, gone: set[str]) -> Line | None:
    pairs = [(v, c) for v, c in _BACKWARD.findall(line.src) if v not in gone]
    if not pairs:
        return None
    return backward_line(pairs)


def backward_line(pairs: list[tuple[str, str]]) -> Line:
    """``backward`` of several outputs with their cotangents (source of each)."""
    items = ", ".join(f"({v}, {c})" for v, c in pairs)
    src = (f"torch.autograd.backward(*zip(*[{items}]))")
    return Line(src, "backward")


def minimize(lines: list[Line], mismatch: Mismatch, budget: int = 60) -> list[Line]:
    """Removes lines (with their dependents) while the same kind of mismatch remains."""
    lines = lines[: mismatch.line + 1]
    i = len(lines) - 2
    while i >= 0 and budget > 0:
        candidate = _drop(lines, i)
        if candidate and candidate[-1].op == lines[-1].op:
            budget -= 1
            m = replay(candidate).mismatch
            if m is not None and m.kind == mismatch.kind and (
                    m.op == mismatch.op or mismatch.op in ("final", "backward")):
                lines = candidate
        i = min(i - 1, len(lines) - 2)
    if lines and lines[-1].op == "backward":
        pairs = _BACKWARD.findall(lines[-1].src)
        for k in range(len(pairs)):
            if len(pairs) < 2 or budget <= 0:
                break
            trial = pairs[:k] + pairs[k + 1:]
            budget -= 1
            m = replay([*lines[:-1], backward_line(trial)]).mismatch
            if m is not None and m.kind == mismatch.kind:
                pairs = trial
                lines = [*lines[:-1], backward_line(pairs)]
    return lines


# ----------------------------------------------------------------------------- generation

def literal(arr: np.ndarray) -> str:
    """Nested-list source of an array (``nan``/``inf`` are names in the namespace)."""
    text = repr(arr.tolist())
    return text.replace("True", "True").replace("-inf", "-inf")


def tensor_src(arr: np.ndarray, dtype: str, requires_grad: bool = False) -> str:
    if arr.size == 0:
        return f"torch.zeros({tuple(arr.shape)!r}, dtype=torch.{dtype}" + (
            ", requires_grad=True)" if requires_grad else ")")
    rg = ", requires_grad=True" if requires_grad else ""
    return f"torch.tensor({literal(arr)}, dtype=torch.{dtype}{rg})"


class Gen:
    """Chooses arguments for op specs from the pool of a running program.

    Attributes:
        rng: the program's random generator.
        runner: the runner executing the program (its torch namespace is the pool).
        specials: whether leaf data may contain NaN, inf and signed zeros.
    """

    def __init__(self, rng: np.random.Generator, runner: Runner, specials: bool) -> None:
        self.rng = rng
        self.runner = runner
        self.specials = specials
        self.counter = 0

    # --- pool ---------------------------------------------------------------------------
    def val(self, name: str):
        return self.runner.t[name]

    def names(self, pred: Callable | None = None) -> list[str]:
        out = []
        for name, value in self.runner.t.items():
            if VAR.fullmatch(name) and usable(value):
                if pred is None or pred(value):
                    out.append(name)
        return out

    def pick(self, pred: Callable | None = None, *, float_bias: float = 0.75,
             nonleaf: bool = False) -> str | None:
        """A pool variable satisfying ``pred`` (floats preferred), or None."""
        cands = self.names(pred)
        if nonleaf:
            better = [n for n in cands if not (self.val(n).is_leaf and self.val(n).requires_grad)]
            if better and self.rng.random() < 0.93:
                cands = better
        if not cands:
            return None
        floats = [n for n in cands if self.val(n).is_floating_point()]
        if floats and self.rng.random() < float_bias:
            cands = floats
        return cands[int(self.rng.integers(len(cands)))]

    def fresh(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    # --- data ---------------------------------------------------------------------------
    def shape(self, max_ndim: int = 3) -> tuple[int, ...]:
        ndim = int(self.rng.choice(4, p=[0.14, 0.3, 0.36, 0.2]))
        ndim = min(ndim, max_ndim)
        sizes = [int(self.rng.choice([1, 2, 3, 4], p=[0.25, 0.3, 0.3, 0.15]))
                 for _ in range(ndim)]
        if ndim and self.rng.random() < 0.04:
            sizes[int(self.rng.integers(ndim))] = 0
        return tuple(sizes)

    def dtype(self) -> str:
        names = list(DTYPE_WEIGHTS)
        return str(self.rng.choice(names, p=list(DTYPE_WEIGHTS.values())))

    def data(self, shape, dtype: str, low: float = -3.0, high: float = 3.0) -> np.ndarray:
        rng = self.rng
        if dtype == "bool":
            return rng.random(shape) < 0.5
        if dtype.startswith("int"):
            return rng.integers(int(low) - 2, int(high) + 3, size=shape).astype(dtype)
        arr = np.round(rng.uniform(low, high, size=shape), 2)
        if self.specials and arr.size:
            special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, 0.5, -0.5, 2.5])
            mask = rng.random(shape) < 0.15
            arr = np.where(mask, rng.choice(special, size=shape), arr)
        return np.asarray(arr, dtype=np.float64)

    def leaf(self, shape=None, dtype: str | None = None, *, low: float = -3.0,
             high: float = 3.0, requires_grad: bool | None = None, clone: bool | None = None
             ) -> str:
        """Adds a leaf from literal data (a float leaf requires grad and usually enters the
        pool as a non-leaf copy, so that in-place ops on it are allowed); returns its name."""
        shape = self.shape() if shape is None else tuple(shape)
        dtype = self.dtype() if dtype is None else dtype
        arr = self.data(shape, dtype, low, high)
        is_float = dtype in FLOAT_DTYPES
        rg = is_float and (self.rng.random() < 0.85 if requires_grad is None else requires_grad)
        self.counter += 1
        name = f"x{self.counter}"
        self.runner.run(Line(f"{name} = {tensor_src(arr, dtype, rg)}", "leaf", (name,)))
        if rg and (clone if clone is not None else self.rng.random() < 0.8):
            copy = self.fresh()
            form = ["{}.clone()", "{} * 1", "{} + 0"][int(self.rng.integers(3))]
            self.runner.run(Line(f"{copy} = " + form.format(name), "leaf", (copy,)))
            return copy
        return name

    def const(self, shape, dtype: str, low: float = -3.0, high: float = 3.0) -> str:
        """Inline source of a constant tensor (not in the pool)."""
        return tensor_src(self.data(tuple(shape), dtype, low, high), dtype)

    def scalar(self, kind: str | None = None) -> str:
        """Source of a Python scalar: int, float or bool."""
        kind = kind or str(self.rng.choice(["int", "float", "bool"], p=[0.4, 0.5, 0.1]))
        if kind == "int":
            return str(int(self.rng.integers(-3, 4)))
        if kind == "bool":
            return str(bool(self.rng.random() < 0.5))
        if self.specials and self.rng.random() < 0.1:
            return str(self.rng.choice(["nan", "inf", "-inf", "-0.0"]))
        return repr(float(np.round(self.rng.uniform(-3, 3), 2)))

    def dim(self, ndim: int, bad: float = 0.03) -> int:
        """A valid dim for ``ndim`` (negative half the time), rarely an invalid one."""
        if self.rng.random() < bad or ndim == 0:
            if ndim == 0 and self.rng.random() < 0.6:
                return int(self.rng.choice([0, -1]))
            return int(self.rng.choice([ndim, -ndim - 1]))
        d = int(self.rng.integers(ndim))
        return d - ndim if self.rng.random() < 0.5 else d

    def coin(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def choice(self, options):
        return options[int(self.rng.integers(len(options)))]

    def partner(self, x: str, *, scalar: float = 0.3, bad: float = 0.02) -> str:
        """A second operand for ``x``: a broadcast-compatible pool value, a new leaf or
        0-d tensor, or a Python scalar."""
        r = self.rng.random()
        shape = tuple(self.val(x).shape)
        if r < scalar:
            return self.scalar()
        if r < scalar + 0.1:
            return self.leaf((), self.dtype())
        if self.rng.random() < 0.5:
            def fits(v):
                try:
                    torch.broadcast_shapes(tuple(v.shape), shape)
                except RuntimeError:
                    return self.rng.random() < bad
                return True
            other = self.pick(fits)
            if other is not None:
                return other
        return self.leaf(self.broadcastable(shape, bad), self.partner_dtype(x))

    def partner_dtype(self, x: str) -> str:
        d = dtype_name(self.val(x).dtype)
        return d if self.rng.random() < 0.6 else self.dtype()

    def broadcastable(self, shape, bad: float = 0.02) -> tuple[int, ...]:
        out = list(shape)
        if out and self.rng.random() < 0.4:
            out = out[int(self.rng.integers(len(out) + 1)):]
        out = [1 if self.rng.random() < 0.3 else s for s in out]
        if self.rng.random() < 0.15 and len(out) < 4:
            out = [int(self.rng.integers(1, 3)), *out]
        if out and self.rng.random() < bad:
            out[-1] += 2
        return tuple(out)

    def index(self, shape) -> str:
        """Source of a subscript for a tensor of ``shape`` (ints, slices, None, ...,
        bool masks and integer tensors), rarely out of range."""
        parts, d, ndim = [], 0, len(shape)
        count = int(self.rng.integers(1, max(ndim, 1) + 1))
        for _ in range(count):
            r = self.rng.random()
            size = shape[d] if d < ndim else 1
            if r < 0.25:
                hi = size + (1 if self.rng.random() < 0.03 else 0)
                parts.append(str(int(self.rng.integers(-hi, hi)) if hi else 0))
                d += 1
            elif r < 0.55:
                start = self.choice(["", "1", "-2", "0"])
                stop = self.choice(["", "", "3", "-1"])
                step = self.choice(["", "", ":2", ":3"])
                parts.append(f"{start}:{stop}{step}")
                d += 1
            elif r < 0.62:
                parts.append("None")
            elif r < 0.66 and "..." not in parts:
                parts.append("...")
                d = ndim
            elif r < 0.8 and d < ndim:
                mask = self.rng.random(shape[d:d + 1]) < 0.5
                parts.append(tensor_src(mask, "bool"))
                d += 1
            elif r < 0.92:
                k = int(self.rng.integers(1, 4))
                idx = self.rng.integers(-size, max(size, 1), size=k) if size else np.zeros(0)
                if size == 0:
                    idx = np.zeros(0, dtype=np.int64)
                if self.rng.random() < 0.5:
                    parts.append(tensor_src(idx.astype(np.int64), "int64"))
                else:
                    parts.append(repr(idx.astype(int).tolist()))
                d += 1
            else:
                mask = self.rng.random(tuple(shape[d:])) < 0.5
                parts.append(tensor_src(mask, "bool"))
                d = ndim
        return ", ".join(parts) if parts else "..."


def run_program(seed: int, ops: list, weights: np.ndarray, n_ops: int | None = None
                ) -> tuple[Runner, list[str]]:
    """Generates and runs the program of ``seed``; returns the runner and the op names."""
    rng = np.random.default_rng(seed)
    runner = Runner()
    gen = Gen(rng, runner, specials=bool(rng.random() < 0.2))
    used: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(int(rng.integers(1, 4))):
            gen.leaf()
        n_ops = int(rng.integers(1, 7)) if n_ops is None else n_ops
        for _ in range(n_ops):
            if runner.mismatch is not None:
                break
            for _attempt in range(8):
                op = ops[int(rng.choice(len(ops), p=weights))]
                made = op.make(gen)
                if made is not None:
                    break
            else:
                continue
            if runner.mismatch is not None:
                break
            used.append(op.name)
            if op.stmt:
                src, target = made
                line = Line(src, op.name, (), (target,), op.smooth, op.f32_grads,
                            op.amplifies)
            else:
                name = gen.fresh()
                nout = getattr(op, "nout", 1)
                if nout > 1:
                    names = [name] + [gen.fresh() for _ in range(nout - 1)]
                    line = Line(f"{', '.join(names)} = {made}", op.name, tuple(names),
                                (), op.smooth, op.f32_grads, op.amplifies)
                else:
                    line = Line(f"{name} = {made}", op.name, (name,), (), op.smooth,
                                op.f32_grads, op.amplifies)
            if not runner.run(line):
                break
        if runner.mismatch is None:
            outs = [n for n in gen.names(lambda v: v.requires_grad and v.is_floating_point())
                    if n.startswith("v")]
            chosen = [n for n in outs if rng.random() < 0.7] or outs[-1:]
            if chosen:
                pairs = []
                for n in chosen:
                    tv = runner.t[n]
                    cot = np.round(rng.standard_normal(tuple(tv.shape)), 2)
                    pairs.append((n, tensor_src(cot, dtype_name(tv.dtype)).replace(
                        "torch.zeros", "torch.zeros")))
                runner.run(backward_line(pairs))
            runner.final_check()
    return runner, used


@dataclasses.dataclass
class Result:
    seed: int
    ops: list[str]
    mismatch: Mismatch | None
    lines: list[Line]

    def report(self) -> str:
        m = self.mismatch
        if m is None:
            return f"seed {self.seed}: no mismatch\n{source(self.lines)}"
        return (f"seed {self.seed}: {m.kind} in {m.op}: {m.message}\n"
                f"{source(self.lines)}")


def run_seed(seed: int, ops: list | None = None, *, shrink: bool = True) -> Result:
    """Runs the program of ``seed``; on a mismatch, returns a minimized program."""
    from tests.fuzz.specs import OPS, weights_of

    ops = OPS if ops is None else ops
    runner, used = run_program(seed, ops, weights_of(ops))
    lines = runner.lines
    if runner.mismatch is not None and shrink:
        lines = minimize(runner.lines, runner.mismatch)
        final = replay(lines).mismatch
        if final is not None:
            return Result(seed, used, final, lines[: final.line + 1])
    return Result(seed, used, runner.mismatch, lines)
