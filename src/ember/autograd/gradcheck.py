"""Finite-difference gradient checks (``gradcheck``) through a random cotangent."""

from __future__ import annotations

import warnings

import numpy as np

from ember.autograd.api import grad as autograd_grad
from ember.autograd.grad_mode import no_grad
from ember.tensor.core import Tensor

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, seed: int = 0,
              check_undefined_grad: bool = True, fast_mode: bool = False) -> bool:
    """Compares autograd's gradients with central finite differences.

    For a random cotangent ``v`` on the outputs, the analytical vector-Jacobian product
    ``v^T J`` (one backward) must match ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) . v``
    for every input element. Inputs should be float64 for the defaults (PyTorch's: eps=1e-6,
    atol=1e-5, rtol=1e-3) to be meaningful.

    Args:
        func: function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of tensors; those with ``requires_grad`` are checked.
        eps: finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise :class:`GradcheckError` on mismatch instead of returning False.
        seed: seed of the random cotangent.

    Returns:
        True if every gradient matches.
    """

    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.", stacklevel=2
            )
    all_outputs = _as_tuple(func(*inputs))
    kept = [k for k, o in enumerate(all_outputs) if isinstance(o, Tensor) and o.requires_grad]
    outputs = [all_outputs[k] for k in kept]
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(o.shape).astype(o._data.dtype) for o in outputs]
    if not outputs:
        return True
    analytical = autograd_grad(
        outputs, [inputs[i] for i in diff],
        grad_outputs=[Tensor._make(c) for c in cotangents], allow_unused=True,
    )

    def projected(values) -> float:
        outs = _as_tuple(func(*values))  # under no_grad: pick the same outputs by position
        return sum(float(np.sum(outs[k]._data.astype(np.float64) * c))
                   for k, c in zip(kept, cotangents, strict=True))

    ok = True
    message = ""
    with no_grad():
        for k, i in enumerate(diff):
            x = inputs[i]
            flat = x._data.reshape(-1)  # a view when x is contiguous
            if not x._data.flags.c_contiguous:
                raise ValueError("gradcheck inputs must be contiguous")
            numerical = np.zeros(flat.size)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = projected(inputs)
                flat[j] = orig - eps
                minus = projected(inputs)
                flat[j] = orig
                numerical[j] = (plus - minus) / (2 * eps)
            got = analytical[k]
            got = np.zeros(flat.size) if got is None else got._data.reshape(-1).astype(np.float64)
            if not np.allclose(got, numerical, atol=atol, rtol=rtol):
                ok = False
                worst = int(np.argmax(np.abs(got - numerical)))
                message = (
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{numerical.reshape(x.shape)}\nanalytical:{got.reshape(x.shape)}\n"
                    f"(largest difference at flat index {worst}: numerical {numerical[worst]!r}, "
                    f"analytical {got[worst]!r})"
                )
                break
    if not ok and raise_exception:
        raise GradcheckError(message)
    return ok
