"""NumPy's floating-point warnings, off inside Ember's ops as PyTorch prints nothing for
``exp(1000)``, ``log(0)``, ``1 / 0`` or ``sqrt(-1)`` (inf and NaN are results there).

Switching NumPy's error state costs about 2 us, a fifth of a small op. So the switch is made
once per region: :class:`quiet_region` around a module's forward or a backward pass, and each
op decorated with :func:`quiet` switches only when it runs outside any region.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["quiet", "quiet_region"]

_depth = [0]  # how many quiet regions are open (ops inside them need no switch of their own)


class quiet_region:
    """A region in which NumPy's floating-point warnings are off (reentrant).

    Example:
        >>> with quiet_region():
        ...     np.exp(np.float32(1000))  # inf, no warning
    """

    __slots__ = ("_state",)

    def __enter__(self):
        if _depth[0] == 0:
            self._state = np.errstate(all="ignore")
            self._state.__enter__()
        _depth[0] += 1
        return self

    def __exit__(self, *exc) -> None:
        _depth[0] -= 1
        if _depth[0] == 0:
            self._state.__exit__(*exc)


def quiet(cls):
    """Class decorator: the op's ``forward`` and ``backward`` run with NumPy's floating-point
    warnings off (switching NumPy's state only when no :class:`quiet_region` is open)."""
    for name in ("forward", "backward"):
        fn = cls.__dict__[name].__func__

        @functools.wraps(fn)
        def silenced(*args, _fn=fn, **kwargs):
            if _depth[0]:
                return _fn(*args, **kwargs)
            with np.errstate(all="ignore"):
                return _fn(*args, **kwargs)

        setattr(cls, name, staticmethod(silenced))
    return cls
