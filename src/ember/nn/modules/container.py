"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]


class Sequential(Module):
    """A chain of modules: ``forward`` passes its input through each module in order and returns
    the last module's output.

    Built from modules given in order (named ``'0'``, ``'1'``, ...) or from one
    ``OrderedDict`` of named modules. It indexes, slices, iterates and grows like a list
    (``append``, ``extend``, ``insert``), and registers every module so its parameters are found.

    Args:
        *args: the modules, in order; or a single ``OrderedDict`` mapping names to modules.

    Shape:
        - Input: whatever the first module takes.
        - Output: whatever the last module returns.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(ember.randn(3, 4)).shape
        ember.Size([3, 2])
        >>> len(model), type(model[1]).__name__
        (3, 'ReLU')
        >>> from collections import OrderedDict
        >>> named = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 2)), ("act", nn.Tanh())]))
        >>> [name for name, _ in named.named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items))][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules.keys())[_index(idx, len(self._modules))]
        self.add_module(key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules.keys())
        targets = keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys))]]
        for k in targets:
            del self._modules[k]

    def append(self, module: Module) -> Sequential:
        """Adds a module at the end."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Adds modules at the end, in order."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Inserts a module before position ``index`` (the modules are renumbered)."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self


def _index(idx: int, n: int) -> int:
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


class ModuleList(Module):
    """A list of modules, registered so that ``parameters()``, ``to()``, ``train()`` and the
    state dict see them (a plain Python list would hide them). It indexes, slices, iterates and
    grows like a list; it has no ``forward`` of its own.

    Args:
        modules: an iterable of modules to start with. Default: ``None`` (empty).

    Example:
        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> layers.append(nn.Linear(4, 2))
        ModuleList(
          (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)
          (3): Linear(in_features=4, out_features=2, bias=True)
        )
        >>> x = ember.randn(5, 4)
        >>> for layer in layers:
        ...     x = layer(x)
        >>> x.shape, len(list(layers.parameters()))
        (ember.Size([5, 2]), 8)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(items[idx])
        return items[_index(idx, len(items))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self))), module)

    def __delitem__(self, idx) -> None:
        items = list(self._modules.values())
        del items[idx]
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def append(self, module: Module) -> ModuleList:
        """Adds a module at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Adds modules at the end."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Inserts a module before position ``index`` (the modules are renumbered)."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __repr__(self) -> str:
        """PyTorch's form: a run of identical modules is one line, ``(i-j): n x module``."""
        runs: list[list] = []  # [first index, last index, repr]
        for i, m in enumerate(self._modules.values()):
            text = repr(m)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return self._get_name() + "()"
        lines = []
        for first, last, text in runs:
            head = f"({first})" if first == last else f"({first}-{last}): {last - first + 1} x"
            sep = ":" if first == last else ""
            lines.append(f"{head}{sep} {text}".replace("\n", "\n  "))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules, registered so that ``parameters()``, ``to()``, ``train()`` and the state
    dict see them. Insertion order is kept; it has no ``forward`` of its own.

    Args:
        modules: a mapping or an iterable of ``(name, module)`` pairs to start with.
            Default: ``None`` (empty).

    Example:
        >>> acts = nn.ModuleDict({"relu": nn.ReLU(), "tanh": nn.Tanh()})
        >>> acts["relu"](ember.tensor([-1.0, 1.0]))
        tensor([0., 1.])
        >>> list(acts.keys())
        ['relu', 'tanh']
    """

    def __init__(self, modules=None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        """The names, in insertion order."""
        return self._modules.keys()

    def items(self):
        """The ``(name, module)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def pop(self, key: str) -> Module:
        """Removes the module named ``key`` and returns it."""
        return self._modules.pop(key)

    def clear(self) -> None:
        """Removes every module."""
        self._modules.clear()

    def update(self, modules) -> None:
        """Adds or replaces modules from a mapping or an iterable of ``(name, module)`` pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self[k] = m


class ParameterList(Module):
    """A list of parameters, registered on the module so that ``parameters()`` and the state dict
    see them. Tensors that are not yet parameters are wrapped in :class:`Parameter`; other values
    are kept as they are (plain attributes, not parameters). It indexes, slices, iterates and
    grows like a list; it cannot be called.

    Args:
        values: an iterable of tensors (or other values) to start with. Default: ``None``
            (empty).

    Example:
        >>> params = nn.ParameterList([ember.zeros(2), ember.ones(3)])
        >>> len(params.append(ember.ones(1)))
        3
        >>> [p.shape for p in params.parameters()]
        [ember.Size([2]), ember.Size([3]), ember.Size([1])]
        >>> params[1:]
        ParameterList(
            (0): Parameter containing: [ember.float32 of size 3]
            (1): Parameter containing: [ember.float32 of size 1]
        )
    """

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__().extend(self[i] for i in range(*idx.indices(len(self))))
        return getattr(self, str(_index(idx, len(self))))

    def __setitem__(self, idx: int, value) -> None:
        setattr(self, str(_index(idx, len(self))), _as_param(value))

    def __iadd__(self, values: Iterable) -> ParameterList:
        return self.extend(values)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")

    def append(self, value) -> ParameterList:
        """Adds a value at the end (a tensor is wrapped in :class:`Parameter`)."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        """Adds the values of an iterable at the end, in order."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return _entries_repr(enumerate(self), lambda p: str(p.dtype))


class ParameterDict(Module):
    """A dict of parameters, registered on the module so that ``parameters()`` and the state dict
    see them. Keys are strings. Tensors that are not yet parameters are wrapped in
    :class:`Parameter`; other values are kept as they are (plain attributes, not parameters).
    Insertion order is kept, except that a plain ``dict`` given to the constructor or to
    :meth:`update` is added in sorted key order (an ``OrderedDict``, a ``ParameterDict`` or a
    sequence of pairs keeps its order), as PyTorch does. It cannot be called.

    Args:
        parameters: a mapping or an iterable of ``(name, value)`` pairs to start with.
            Default: ``None`` (empty).

    Example:
        >>> params = nn.ParameterDict({"shift": ember.zeros(3), "scale": ember.ones(3)})
        >>> [name for name, _ in params.named_parameters()]
        ['scale', 'shift']
        >>> params["scale"].requires_grad
        True
        >>> params
        ParameterDict(
            (scale): Parameter containing: [ember.FloatTensor of size 3]
            (shift): Parameter containing: [ember.FloatTensor of size 3]
        )
    """

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        return getattr(self, _dict_key(key))

    def __setitem__(self, key: str, value) -> None:
        self._keys[key] = None
        setattr(self, _dict_key(key), _as_param(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, _dict_key(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

    def keys(self):
        """The names, in order."""
        return self._keys.keys()

    def items(self) -> Iterator[tuple]:
        """The ``(name, value)`` pairs, in order."""
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterator:
        """The values, in order."""
        return (self[k] for k in self._keys)

    def get(self, key: str, default=None):
        """The value of ``key``, or ``default`` when there is none."""
        return self[key] if key in self else default

    def setdefault(self, key: str, default=None):
        """The value of ``key``, after inserting ``default`` under it when there was none."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str):
        """Removes ``key`` and returns its value."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple:
        """Removes the last entry and returns it as a ``(name, value)`` pair."""
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self) -> None:
        """Removes every entry."""
        for key in list(self._keys):
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ``ParameterDict`` holding the same parameters (not copies of them)."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default=None) -> ParameterDict:
        """A new ``ParameterDict`` with every key of ``keys`` mapped to ``default``."""
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters) -> None:
        """Adds or replaces entries from a mapping or an iterable of ``(name, value)`` pairs;
        a plain ``dict`` is added in sorted key order."""
        if not isinstance(parameters, Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of "
                            "key/value pairs, but got " + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = list(parameters)
            for j, pair in enumerate(pairs):
                if not isinstance(pair, Iterable):
                    raise TypeError(f"ParameterDict update sequence element #{j} should be "
                                    f"Iterable; is{type(pair).__name__}")
                if len(pair) != 2:
                    raise ValueError(f"ParameterDict update sequence element #{j} has length "
                                     f"{len(pair)}; 2 is required")
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return _entries_repr(self.items(), lambda p: p.type())


def _as_param(value):
    """A tensor that is not yet a :class:`Parameter` becomes one; other values are unchanged."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _dict_key(key) -> str:
    if not isinstance(key, str):
        raise TypeError(
            "Index given to ParameterDict cannot be used as a key as it is not a string "
            f"(type is '{type(key).__name__}'). Open an issue on github if you need non-string "
            "keys.")
    return key


def _entries_repr(entries: Iterable[tuple], type_name) -> str:
    """PyTorch's listing of a parameter container: a parameter by ``type_name(p)`` and its size
    (``3x4``), any other value by its type."""
    lines = []
    for key, value in entries:
        if isinstance(value, Tensor):
            size = "x".join(str(n) for n in value.shape)
            kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
            lines.append(f"  ({key}): {kind} containing: [{type_name(value)} of size {size}]")
        else:
            lines.append(f"  ({key}): Object of type: {type(value).__name__}")
    return "\n".join(lines)
