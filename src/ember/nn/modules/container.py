"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

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
    idx = int(idx)
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
    see them. Tensors that are not yet parameters are wrapped in :class:`Parameter`.

    Args:
        values: an iterable of tensors to start with. Default: ``None`` (empty).

    Example:
        >>> params = nn.ParameterList([ember.zeros(2), ember.ones(3)])
        >>> len(params.append(ember.ones(1)))
        3
        >>> [p.shape for p in params.parameters()]
        [ember.Size([2]), ember.Size([3]), ember.Size([1])]
    """

    def __init__(self, values=None) -> None:
        super().__init__()
        if values is not None:
            for v in values:
                self.append(v)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx: int) -> Parameter:
        return list(self._parameters.values())[_index(idx, len(self))]

    def __setitem__(self, idx: int, p) -> None:
        self.register_parameter(str(_index(idx, len(self))), _as_param(p))

    def append(self, value) -> ParameterList:
        """Adds a parameter at the end (a tensor is wrapped in :class:`Parameter`)."""
        self.register_parameter(str(len(self)), _as_param(value))
        return self

    def extend(self, values) -> ParameterList:
        """Adds parameters at the end, in order."""
        for v in values:
            self.append(v)
        return self


class ParameterDict(Module):
    """A dict of parameters, registered on the module so that ``parameters()`` and the state dict
    see them. Tensors that are not yet parameters are wrapped in :class:`Parameter`.

    Args:
        parameters: a mapping or an iterable of ``(name, tensor)`` pairs to start with.
            Default: ``None`` (empty).

    Example:
        >>> params = nn.ParameterDict({"scale": ember.ones(3), "shift": ember.zeros(3)})
        >>> sorted(name for name, _ in params.named_parameters())
        ['scale', 'shift']
        >>> params["scale"].requires_grad
        True
    """

    def __init__(self, parameters=None) -> None:
        super().__init__()
        if parameters is not None:
            items = parameters.items() if hasattr(parameters, "items") else parameters
            for k, v in items:
                self[k] = v

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_param(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def keys(self):
        """The names, in insertion order."""
        return self._parameters.keys()

    def items(self):
        """The ``(name, parameter)`` pairs, in insertion order."""
        return self._parameters.items()

    def values(self):
        """The parameters, in insertion order."""
        return self._parameters.values()


def _as_param(value):
    if value is None or isinstance(value, Parameter):
        return value
    return Parameter(value)
