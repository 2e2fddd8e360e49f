"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode``."""

from __future__ import annotations

import functools
import threading

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    """Returns True when operations are being recorded for autograd."""
    return _state.enabled


class _GradMode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    _mode = True

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc) -> None:
        _state.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)

        return wrapper

    def _args(self) -> tuple:
        return ()


class no_grad(_GradMode):
    """Disables gradient recording inside a ``with`` block or a decorated function."""

    _mode = False


class enable_grad(_GradMode):
    """Enables gradient recording inside a ``with`` block or a decorated function."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Sets gradient recording on or off; works as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self) -> None:  # the mode was already set by __init__
        pass

    def __call__(self, fn):
        # Used as a decorator, the call made for ``@set_grad_enabled(False)`` must not leave
        # the mode switched: restore it, and switch only while the function runs.
        _state.enabled = self._prev
        return super().__call__(fn)

    def _args(self) -> tuple:
        return (self._mode,)


class inference_mode(_GradMode):
    """Like :class:`no_grad` (Ember keeps no extra bookkeeping to skip)."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode

    def _args(self) -> tuple:
        return (not self._mode,)
