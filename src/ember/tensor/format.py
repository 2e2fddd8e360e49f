"""How a tensor prints: PyTorch's layout and number formats, with ``ember.`` for ``torch.``."""

from __future__ import annotations

import numpy as np

from ember import _dtype

__all__ = ["format_tensor"]

_PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH = 4, 1000, 3, 80  # PyTorch's print options


def _summarize(arr: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: ``_EDGEITEMS`` at each end of every dim."""
    if arr.ndim == 0:
        return arr
    if arr.shape[0] > 2 * _EDGEITEMS:
        arr = np.concatenate([arr[:_EDGEITEMS], arr[-_EDGEITEMS:]])
    if arr.ndim == 1:
        return arr
    return np.stack([_summarize(a) for a in arr])


class _Formatter:
    """Chooses one element format for a whole tensor, as PyTorch's printing does: integral
    floats print as ``1.``, others with 4 decimals, and scientific notation when the finite
    nonzero magnitudes span more than 1000x or leave [1e-4, 1e8]."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        mags = np.abs(finite)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        vals = finite.tolist()
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                strs = [f"{v:.{_PRECISION}e}" for v in vals]
            else:
                strs = [f"{v:.0f}." for v in vals]
        else:
            if hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
                self.sci_mode = True
                strs = [f"{v:.{_PRECISION}e}" for v in vals]
            else:
                strs = [f"{v:.{_PRECISION}f}" for v in vals]
        self.max_width = max(len(x) for x in strs)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if np.isfinite(value):
                text += "."
        else:
            text = f"{value:.{_PRECISION}f}"
        return " " * (self.max_width - len(text)) + text


def _array_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        per_line = max(1, (_LINEWIDTH - indent) // (fmt.max_width + 2))
        if summarize and arr.shape[0] > 2 * _EDGEITEMS:
            data = ([fmt.format(v) for v in arr[:_EDGEITEMS].tolist()] + [" ..."]
                    + [fmt.format(v) for v in arr[-_EDGEITEMS:].tolist()])
        else:
            data = [fmt.format(v) for v in arr.tolist()]
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and arr.shape[0] > 2 * _EDGEITEMS:
        rows = ([_array_str(a, indent + 1, summarize, fmt) for a in arr[:_EDGEITEMS]] + ["..."]
                + [_array_str(a, indent + 1, summarize, fmt) for a in arr[-_EDGEITEMS:]])
    else:
        rows = [_array_str(a, indent + 1, summarize, fmt) for a in arr]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_tensor(t) -> str:
    """``repr(t)`` as PyTorch prints it, with ``ember.`` for ``torch.``."""
    arr = t._data
    if arr.dtype == np.float16 or arr.dtype == _dtype.BF16:
        arr = arr.astype(np.float32)
    prefix = "tensor("
    extras = []
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            extras.append(f"size={tuple(arr.shape)}")
    else:
        summarize = arr.size > _THRESHOLD
        fmt = _Formatter(_summarize(arr) if summarize else arr)
        body = _array_str(arr, len(prefix), summarize, fmt)
    default_float = _dtype.get_default_dtype().numpy
    implied = (default_float,) if arr.size == 0 else (  # nothing shows an empty one's type
        default_float, np.dtype(np.int64), np.dtype(np.bool_))
    if t._data.dtype not in implied:
        extras.append(f"dtype={_dtype.from_numpy_dtype(t._data.dtype)!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


