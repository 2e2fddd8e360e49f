"""NumPy's floating-point warnings, off inside Ember's ops as PyTorch prints nothing for
``exp(1000)``, ``log(0)``, ``1 / 0`` or ``sqrt(-1)`` (inf and NaN are results there).

Switching NumPy's error state with ``np.errstate`` costs about 2 us, a fifth of a small op.
So the switch is made directly (below) and once per region: :class:`quiet_region` around a
module's forward or a backward pass, and each op decorated with :func:`quiet` switches only
when it runs outside any region.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["FAST_SWITCH", "quiet", "quiet_region"]

_depth = [0]  # how many quiet regions are open (ops inside them need no switch of their own)

# ``np.errstate`` builds its state object and a context manager on every use (about 2 us).
# NumPy 2 keeps the state in a context variable; setting it directly costs a tenth of that.
# Where that private variable is missing, the public ``np.errstate`` is used instead
# (tests/test_fpstate.py fails if the fast switch stops being available on NumPy 2).
try:
    from numpy._core._multiarray_umath import _make_extobj
    from numpy._core._ufunc_config import _extobj_contextvar

    _make_extobj(all="ignore")
    FAST_SWITCH = True
except (ImportError, AttributeError, TypeError):  # NumPy 1.x, or NumPy changed
    FAST_SWITCH = False


def _silence():
    """Turns NumPy's floating-point warnings off; returns what :func:`_restore` needs."""
    if FAST_SWITCH:
        return _extobj_contextvar.set(_make_extobj(all="ignore"))
    state = np.errstate(all="ignore")
    state.__enter__()
    return state


def _restore(token) -> None:
    if FAST_SWITCH:
        _extobj_contextvar.reset(token)
    else:
        token.__exit__(None, None, None)


class quiet_region:
    """A region in which NumPy's floating-point warnings are off (reentrant).

    Example:
        >>> with quiet_region():
        ...     np.exp(np.float32(1000))  # inf, no warning
    """

    __slots__ = ("_state",)

    def __enter__(self):
        if _depth[0] == 0:
            self._state = _silence()
        _depth[0] += 1
        return self

    def __exit__(self, *exc) -> None:
        _depth[0] -= 1
        if _depth[0] == 0:
            _restore(self._state)


def quiet(cls):
    """Class decorator: the op's ``forward`` and ``backward`` run with NumPy's floating-point
    warnings off (switching NumPy's state only when no :class:`quiet_region` is open)."""
    for name in ("forward", "backward"):
        fn = cls.__dict__[name].__func__

        @functools.wraps(fn)
        def silenced(*args, _fn=fn, **kwargs):
            if _depth[0]:
                return _fn(*args, **kwargs)
            token = _silence()
            try:
                return _fn(*args, **kwargs)
            finally:
                _restore(token)

        setattr(cls, name, staticmethod(silenced))
    return cls
