"""The ``Optimizer`` base: parameter groups, per-parameter state, state dicts and the step loop.

An optimizer is written as two per-parameter methods over this shared base (the MLX model):
``init_single`` fills a parameter's empty state and ``apply_single`` updates one parameter's
array in place from its gradient. Both work on raw NumPy arrays under no_grad, so a step
records nothing. The element-wise update rules themselves live with the compiled kernels,
reached through the backend (``self._kernels``, ``ember.kernels.optim`` on the CPU), which
runs each rule compiled or on whole arrays.
"""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain
from types import ModuleType
from typing import Any

import numpy as np

from ember import _dtype
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.backend import get_backend
from ember.tensor import Tensor
from ember.utils.hooks import RemovableHandle

__all__ = ["Optimizer", "required"]

# The attribute holding a tensor's version counter (bumped by every in-place update).
_COUNTER = "_version_counter" if "_version_counter" in Tensor.__slots__ else "_version"


def _bump_version(t: Tensor) -> None:
    getattr(t, _COUNTER).value += 1


class _RequiredParameter:
    """Marks a hyperparameter that every parameter group must set (``optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def _scalar(value) -> float:
    """A hyperparameter as a Python float (a one-element tensor is read out)."""
    return float(value.item()) if isinstance(value, Tensor) else value


_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def _check_hyperparameters(nan_ok: bool = False, **values) -> None:
    """Raises torch's ``ValueError`` for the first of ``values`` (checked in the order given)
    that is negative, or NaN unless ``nan_ok`` (torch's SGD compares ``value < 0``, the other
    optimizers ``not 0 <= value``); a tensor ``lr`` must have one element.

    Example:
        >>> _check_hyperparameters(lr=0.1, eps=-1.0)
        Traceback (most recent call last):
        ValueError: Invalid epsilon value: -1.0
    """
    for name, value in values.items():
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if value < 0.0 if nan_ok else not 0.0 <= value:
            raise ValueError(f"Invalid {_LABELS.get(name, name + ' value')}: {value}")


def _to_array(value) -> np.ndarray:
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups (each with
            ``"params"`` and optional per-group hyperparameters).
        defaults: default hyperparameters, used by groups that don't set them.

    Subclasses implement :meth:`init_single` and :meth:`apply_single`; the base runs the loop.
    State values are tensors so that ``optimizer.state[p]["exp_avg"]`` reads as in PyTorch.

    Example:
        >>> model = ember.nn.Linear(3, 1)
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> x, y = ember.ones(4, 3), ember.zeros(4, 1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     loss = ember.nn.functional.mse_loss(model(x), y)
        ...     loss.backward()
        ...     opt.step()
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch: dict[tuple, np.ndarray] = {}
        self._step_pre_hooks: OrderedDict[int, Any] = OrderedDict()
        self._step_post_hooks: OrderedDict[int, Any] = OrderedDict()
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- the per-parameter interface -------------------------------------------------------
    def init_single(self, param: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Fills the empty ``state`` of a parameter (whose array is ``param``) before its first
        update."""

    def apply_single(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                     group: dict[str, Any]) -> None:
        """Updates ``param`` (the parameter's array) in place from ``grad``."""
        raise NotImplementedError

    @property
    def _kernels(self) -> ModuleType:
        """The update kernels of the parameters' backend (``ember.kernels.optim`` on the CPU),
        loaded on first use so that building an optimizer does not load Numba."""
        kernels = self.__dict__.get("_kernel_module")
        if kernels is None:
            first = next((p for g in self.param_groups for p in g["params"]), None)
            backend = get_backend(None if first is None else first.device)
            kernels = self.__dict__["_kernel_module"] = backend.kernels("optim")
        return kernels

    def _prepare_grad(self, param: np.ndarray, grad: np.ndarray, maximize: bool,
                      weight_decay: float) -> np.ndarray:
        """``-grad`` when maximizing, plus ``weight_decay * param`` (L2), into scratch arrays."""
        if maximize:
            grad = np.negative(grad, out=self._buffer(grad, 1))
        if weight_decay != 0:
            out = self._buffer(grad, 2)
            np.multiply(param, weight_decay, out=out)
            grad = np.add(grad, out, out=out)
        return grad

    def _buffer(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """A scratch array shaped like ``like``, reused across parameters and steps."""
        key = (like.shape, like.dtype.char, slot)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = np.empty(like.shape, like.dtype)
        return buf

    # -- the step --------------------------------------------------------------------------
    def step(self, closure=None):
        """Performs one optimization step (the update of every parameter that has a gradient).

        Args:
            closure: a callable that re-evaluates the model and returns the loss (optional).

        Returns:
            The loss returned by ``closure``, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for hook in list(self._step_pre_hooks.values()):
            hook(self, (), {})
        state_of = self.state
        init, apply = self.init_single, self.apply_single
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if g._data.shape != p._data.shape:
                        raise RuntimeError(
                            f"the gradient of a parameter has shape {tuple(g.shape)} but the "
                            f"parameter has shape {tuple(p.shape)}"
                        )
                    state = state_of.get(p)
                    if state:
                        apply(p._data, g._data, state, group)
                    else:  # first update; stateless optimizers (plain SGD) keep no entry
                        state = {} if state is None else state
                        init(p._data, state, group)
                        apply(p._data, g._data, state, group)
                        if state:
                            state_of[p] = state
                    _bump_version(p)
        for hook in list(self._step_post_hooks.values()):
            hook(self, (), {})
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors.

        Args:
            set_to_none: set ``.grad`` to None (the default, cheapest) instead of zeroing it.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data[...] = 0
                    _bump_version(g)

    # -- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run before every step.

        Returns:
            A handle whose ``remove()`` (or the end of a ``with`` block) unregisters the hook.
        """
        return _register(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run after every step.

        Returns:
            A handle whose ``remove()`` (or the end of a ``with`` block) unregisters the hook.
        """
        return _register(self._step_post_hooks, hook)

    # -- parameter groups ------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a parameter group (a dict with ``"params"`` and optional hyperparameters).

        Useful for fine-tuning: frozen layers can be made trainable and added as training
        progresses.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(p)
                )
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or
                                                                      p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._init_group_state(param_group)

    def _init_group_state(self, group: dict[str, Any]) -> None:
        """Hook for optimizers whose state exists before the first step (Adagrad)."""

    # -- state dicts -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their index in the order of the groups, as in PyTorch. The
        state tensors are references, not copies: deep-copy the result (or save it) to keep a
        snapshot while training continues.
        """
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state made by :meth:`state_dict` (of this optimizer class).

        State tensors are copied (and floating ones cast to their parameter's dtype, except
        ``step``), so the loaded optimizer shares no memory with ``state_dict``.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(groups, saved_groups, strict=True)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups), strict=True))

        def cast(param: Tensor, value, key=None):
            if isinstance(value, Tensor) or (hasattr(value, "detach") and
                                             hasattr(value, "numpy")):
                arr = _to_array(value)
                if key != "step" and _dtype.is_floating(arr.dtype) and \
                        _dtype.is_floating(param._data.dtype):
                    arr = arr.astype(param._data.dtype)
                return Tensor._make(np.array(arr, copy=True))
            if isinstance(value, np.ndarray):
                return Tensor._make(np.array(value, copy=True))
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups
        self._upgrade_state()

    def _upgrade_state(self) -> None:
        """Hook to normalise loaded state (e.g. a ``step`` saved as a number)."""
        for st in self.state.values():
            if isinstance(st, dict) and "step" in st and not isinstance(st["step"], Tensor):
                st["step"] = _step_tensor(float(st["step"]))

    # -- Python protocol -------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_scratch", {})
        self.__dict__.setdefault("_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_step_post_hooks", OrderedDict())

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"


def _register(hooks: OrderedDict, hook) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _step_tensor(value: float = 0.0) -> Tensor:
    """A ``step`` counter as PyTorch keeps it: a 0-d float tensor of the default dtype."""
    dt = np.float64 if _dtype.get_default_dtype().numpy == np.float64 else np.float32
    return Tensor._make(np.array(value, dtype=dt))


def _bump(step: Tensor) -> float:
    """Adds one to a ``step`` tensor in place and returns the new count."""
    arr = step._data
    arr += 1
    return float(arr)


def _zeros(param: np.ndarray, fill: float = 0.0) -> Tensor:
    return Tensor._make(np.full(param.shape, fill, dtype=param.dtype))
