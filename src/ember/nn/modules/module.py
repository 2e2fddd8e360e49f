"""``Module``: the base of every layer, with strict registration of its state."""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ember import _dtype
from ember._fpstate import _depth as _fpstate_depth
from ember._fpstate import quiet_region
from ember.autograd.grad_mode import no_grad
from ember.backend import get_backend
from ember.nn.parameter import Buffer, Parameter
from ember.tensor import Tensor
from ember.utils.hooks import RemovableHandle

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of all neural-network layers.

    Subclasses assign parameters, buffers and submodules as attributes in ``__init__`` (after
    ``super().__init__()``) and define ``forward``. Assignment registers each by its kind:
    a :class:`Parameter` as a parameter, a Module as a submodule; buffers are registered with
    :meth:`register_buffer`. Calling the module runs its forward hooks around ``forward``.

    Example:
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> net = Net()
        >>> net(ember.ones(3, 4)).shape
        ember.Size([3, 2])
        >>> [name for name, _ in net.named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    training: bool

    _version: int = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() takes no arguments other than self "
                f"(got {args}, {kwargs})"
            )
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        _init_hook_dicts(self)

    forward: Callable[..., Any]

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # -- hooks and calling ---------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        hooked = self._forward_hooks or self._forward_pre_hooks
        if _fpstate_depth[0]:  # inside an outer module's forward: its switch holds
            return self._call_with_hooks(*args, **kwargs) if hooked else \
                self.forward(*args, **kwargs)
        with quiet_region():  # one switch of NumPy's warning state for the whole forward
            return self._call_with_hooks(*args, **kwargs) if hooked else \
                self.forward(*args, **kwargs)

    def _call_with_hooks(self, *args, **kwargs):
        result = None
        called = set()
        try:
            for hook_id, hook in self._forward_pre_hooks.items():
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of "
                                               f"(new_args, new_kwargs), but got {new}.")
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in self._forward_hooks.items():
                if hook_id in self._forward_hooks_always_called:
                    called.add(hook_id)
                new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                if new is not None:
                    result = new
            return result
        except Exception:
            # hooks registered with always_call=True run even when forward (or a hook) raised
            for hook_id, hook in self._forward_hooks.items():
                if hook_id not in self._forward_hooks_always_called or hook_id in called:
                    continue
                try:
                    new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                    if new is not None:
                        result = new
                except Exception as exc:
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {exc}", stacklevel=2)
            raise

    def _run_forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Registers a hook that runs after ``forward``.

        Args:
            hook: ``hook(module, args, output)``, or ``hook(module, args, kwargs, output)`` with
                ``with_kwargs``; a non-None return value replaces the output.
            prepend: run it before the hooks already registered.
            with_kwargs: pass the keyword arguments of the call too.
            always_call: run it even when ``forward`` raises.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> lin, seen = nn.Linear(3, 2), []
            >>> h = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
            >>> _ = lin(ember.ones(5, 3))
            >>> h.remove()
            >>> _ = lin(ember.ones(1, 3))
            >>> seen
            [ember.Size([5, 2])]
        """
        handle = RemovableHandle(self._forward_hooks, extra_dict=[
            self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Registers a hook that runs before ``forward``.

        Args:
            hook: ``hook(module, args)`` returning None or new args (a non-tuple is wrapped in
                one); with ``with_kwargs``, ``hook(module, args, kwargs)`` returning None or
                ``(new_args, new_kwargs)``.
            prepend: run it before the hooks already registered.
            with_kwargs: pass (and allow replacing) the keyword arguments.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        Example:
            >>> ident = nn.Identity()
            >>> h = ident.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
            >>> ident(ember.ones(2))
            tensor([2., 2.])
            >>> h.remove()
        """
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    # -- registration ------------------------------------------------------------------
    # Re-assigning an existing name of the same kind writes the dict entry in place, so the
    # name keeps its position in named_parameters(), children() and state_dict(); a name that
    # changes kind is removed from its old dict and appended to the new one (torch's order).
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, self._buffers, self._modules,
                              self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(ember.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                self._remove_from(name, d, self._parameters, self._buffers,
                                  self._non_persistent_buffers_set)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{_typename(value)}' as child module '{name}' "
                        "(ember.nn.Module or None expected)"
                    )
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{_typename(value)}' as buffer '{name}' "
                            "(ember.nn.Buffer, ember.Tensor or None expected)"
                        )
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                    else:
                        persistent = name not in self._non_persistent_buffers_set
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts_or_sets) -> None:
        for store in dicts_or_sets:
            if name in store:
                if isinstance(store, dict):
                    del store[name]
                else:
                    store.discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            items = d.get(store)
            if items is not None and name in items:
                return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(key for key in keys if not key[0].isdigit())

    def _check_entry_name(self, kind: str, name, store: str) -> None:
        """torch's checks of the name of a parameter or buffer (``kind``) about to be
        registered in the dict ``self.<store>``."""
        if store not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in self.__dict__[store]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or a None placeholder) under ``name``.

        An existing parameter of that name is replaced in place (it keeps its position).

        Args:
            name: the attribute name (no dots, not empty).
            param: a :class:`Parameter`, or None for an optional parameter that is absent.

        Raises:
            KeyError, TypeError, ValueError: for a bad name, an attribute of that name that is not
                a parameter, a value that is not a Parameter, or a non-leaf one (torch's errors).

        Example:
            >>> m = nn.Module()
            >>> m.register_parameter("scale", nn.Parameter(ember.ones(1)))
            >>> list(m.state_dict())
            ['scale']
        """
        self._check_entry_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(ember.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer: state saved in ``state_dict`` (if persistent) but not trained.

        An existing buffer of that name is replaced in place (it keeps its position).

        Args:
            name: the attribute name (no dots, not empty).
            tensor: the buffer, or None.
            persistent: whether ``state_dict`` includes it.

        Example:
            >>> m = nn.Module()
            >>> m.register_buffer("running_mean", ember.zeros(4))
            >>> m.register_buffer("cache", ember.zeros(2), persistent=False)
            >>> list(m.state_dict()), len(list(m.buffers()))
            (['running_mean'], 2)
        """
        self._check_entry_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(ember Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a submodule under ``name`` (replacing one of that name in place).

        Args:
            name: the attribute name (no dots, not empty).
            module: the child module, or None.

        Example:
            >>> seq = nn.Sequential(nn.Linear(2, 2))
            >>> seq.add_module("act", nn.ReLU())
            >>> [name for name, _ in seq.named_children()]
            ['0', 'act']
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of :meth:`add_module`.

        Args:
            name: the attribute name (no dots, not empty).
            module: the child module, or None.
        """
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as ``'features.0'`` (``''`` is self).

        Args:
            target: the dotted path of attribute names from this module.

        Returns:
            The Module found there.

        Raises:
            AttributeError: when a step of the path is missing or not a Module.

        Example:
            >>> net = nn.Sequential(nn.Sequential(nn.Linear(3, 4)), nn.ReLU())
            >>> net.get_submodule("0.0")
            Linear(in_features=3, out_features=4, bias=True)
        """
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Replaces (or, unless ``strict``, adds) the submodule at a dotted path.

        Args:
            target: the dotted path, e.g. ``'features.0'``.
            module: the new submodule.
            strict: only replace an existing submodule.

        Raises:
            ValueError: for an empty target or a ``module`` that is not a Module.
            AttributeError: when the parent path is missing, or the target exists and is not
                a Module (or, with ``strict``, does not exist).

        Example:
            >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
            >>> net.set_submodule("1", nn.Tanh())
            >>> net[1]
            Tanh()
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(f"{parent._get_name()} has no attribute `{atoms[-1]}`")
        if hasattr(parent, atoms[-1]) and not isinstance(getattr(parent, atoms[-1]), Module):
            raise AttributeError(f"`{atoms[-1]}` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``'fc.weight'``.

        Args:
            target: the dotted path: submodules, then the parameter's name.

        Returns:
            The :class:`Parameter`.

        Raises:
            AttributeError: when the path is missing or does not name a Parameter.

        Example:
            >>> net = nn.Sequential(nn.Linear(3, 4))
            >>> net.get_parameter("0.bias").shape
            ember.Size([4])
        """
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``'bn.running_mean'``.

        Args:
            target: the dotted path: submodules, then the buffer's name.

        Returns:
            The buffer (a Tensor).

        Raises:
            AttributeError: when the path is missing or does not name a buffer.

        Example:
            >>> net = nn.Sequential(nn.BatchNorm1d(3))
            >>> net.get_buffer("0.running_var")
            tensor([1., 1., 1.])
        """
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        buffer = getattr(mod, name)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return buffer

    # -- traversal ----------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yields ``(dotted_name, module)`` for this module and all below it, depth first.

        Args:
            memo: modules to skip (filled as modules are yielded when ``remove_duplicate``).
            prefix: prepended to every name.
            remove_duplicate: yield a module reached by several paths only once.

        Returns:
            An iterator of ``(name, module)`` pairs, this module first (named ``prefix``).

        Example:
            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
            >>> [name for name, _ in net.named_modules()]
            ['', '0', '1', '1.0']
        """
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if mod in memo:
                continue
            if remove_duplicate:
                memo.add(mod)
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()
                        if m is not None]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        """Yields this module and all below it (see :meth:`named_modules`).

        Args:
            remove_duplicate: yield a module reached by several paths only once.

        Returns:
            An iterator of modules, this one first.

        Example:
            >>> relu = nn.ReLU()
            >>> len(list(nn.Sequential(relu, relu).modules()))
            2
        """
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yields ``(name, module)`` for the direct submodules, each module once.

        Returns:
            An iterator of ``(name, module)`` pairs in registration order.

        Example:
            >>> [name for name, _ in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).named_children()]
            ['0', '1']
        """
        seen = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self) -> Iterator[Module]:
        """Yields the direct submodules.

        Returns:
            An iterator of modules in registration order, each once.

        Example:
            >>> list(nn.Sequential(nn.ReLU(), nn.Tanh()).children())
            [ReLU(), Tanh()]
        """
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate=True):
        seen = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                if recurse else [(prefix, self)])
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yields ``(dotted_name, parameter)``, a shared parameter once unless told otherwise.

        Args:
            prefix: prepended to every name.
            recurse: include the submodules' parameters.
            remove_duplicate: yield a shared parameter (or module) only once.

        Returns:
            An iterator of ``(name, Parameter)`` pairs.

        Example:
            >>> [(name, tuple(p.shape)) for name, p in nn.Linear(2, 3).named_parameters()]
            [('weight', (3, 2)), ('bias', (3,))]
        """
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yields the parameters (what an optimizer trains).

        Args:
            recurse: include the submodules' parameters.

        Returns:
            An iterator of :class:`Parameter`, a shared one once.

        Example:
            >>> sum(p.numel() for p in nn.Linear(2, 3).parameters())
            9
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Yields ``(dotted_name, buffer)`` pairs.

        Args:
            prefix: prepended to every name.
            recurse: include the submodules' buffers.
            remove_duplicate: yield a shared buffer (or module) only once.

        Returns:
            An iterator of ``(name, Tensor)`` pairs, non-persistent buffers included.

        Example:
            >>> [name for name, _ in nn.BatchNorm1d(3).named_buffers()]
            ['running_mean', 'running_var', 'num_batches_tracked']
        """
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yields the buffers.

        Args:
            recurse: include the submodules' buffers.

        Returns:
            An iterator of Tensors, non-persistent buffers included.

        Example:
            >>> len(list(nn.BatchNorm1d(3).buffers()))
            3
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes and bulk changes ------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Sets training mode on this module, then calls ``train(mode)`` on each child.

        Args:
            mode: True for training (dropout active, batch-norm batch statistics), False for
                evaluation.

        Returns:
            self.

        Example:
            >>> net = nn.Sequential(nn.Dropout(0.5)).train(False)
            >>> net.training, net[0].training
            (False, False)
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Sets evaluation mode: ``train(False)``.

        Returns:
            self.

        Example:
            >>> nn.Dropout(0.5).eval().training
            False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets ``requires_grad`` on every parameter (to freeze or unfreeze a model).

        Args:
            requires_grad: whether autograd records operations on the parameters.

        Returns:
            self.

        Example:
            >>> [p.requires_grad for p in nn.Linear(2, 2).requires_grad_(False).parameters()]
            [False, False]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of all parameters (to None by default, else to zeros).

        Args:
            set_to_none: set each ``.grad`` to None instead of filling it with zeros.

        Example:
            >>> lin = nn.Linear(2, 1)
            >>> lin(ember.ones(1, 2)).sum().backward()
            >>> lin.zero_grad()
            >>> lin.weight.grad is None
            True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Calls ``fn`` on every submodule (children first) and then on self.

        Args:
            fn: a function of one Module (to initialise weights, say).

        Returns:
            self.

        Example:
            >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
            >>> _ = net.apply(lambda m: print(type(m).__name__))
            Linear
            ReLU
            Sequential
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Module:
        """Converts every parameter, gradient and buffer with ``fn``, children first.

        Parameters keep their identity (their data is swapped in), so optimizers built
        before the conversion still hold them; buffers are replaced by ``fn``'s result.
        """
        if recurse:
            for child in self.children():
                child._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            with no_grad():
                new = fn(p)
            if new is not p:
                p._data = new._data
            if p.grad is not None:
                with no_grad():
                    g = fn(p.grad)
                if g is not p.grad:
                    p.grad._data = g._data
        for name, b in self._buffers.items():
            if b is not None:
                self._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Casts floating-point parameters and buffers to a dtype (the only device is cpu).

        Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` and the
        keywords ``dtype`` / ``device`` / ``non_blocking``. Integer buffers keep their dtype.

        Args:
            *args: a dtype, a device, a device and a dtype, or a tensor whose dtype is taken.
            **kwargs: ``dtype``, ``device``, ``non_blocking`` (accepted, no effect).

        Returns:
            self (converted in place).

        Example:
            >>> nn.Linear(2, 2).to(ember.float64).weight.dtype
            ember.float64
        """
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, bool):  # non_blocking passed positionally
                continue
            elif a is not None and not isinstance(a, str) and type(a).__name__ != "device":
                dtype = a
            elif a is not None:
                get_backend(a)
        if kwargs.get("device") is not None:
            get_backend(kwargs["device"])
        if dtype is None:
            return self
        target = _dtype.as_dtype(dtype)
        if not target.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={target}")
        return self._apply(lambda t: t.to(target) if t.is_floating_point() else t)

    def _cast_floating(self, name: str) -> Module:
        target = getattr(_dtype, name)
        return self._apply(lambda t: t.to(target) if t.is_floating_point() else t)

    def float(self) -> Module:
        """Casts floating-point parameters and buffers to float32.

        Returns:
            self.

        Example:
            >>> nn.Linear(2, 2).double().float().weight.dtype
            ember.float32
        """
        return self._cast_floating("float32")

    def double(self) -> Module:
        """Casts floating-point parameters and buffers to float64.

        Returns:
            self.

        Example:
            >>> nn.Linear(2, 2).double().bias.dtype
            ember.float64
        """
        return self._cast_floating("float64")

    def half(self) -> Module:
        """Casts floating-point parameters and buffers to float16.

        Returns:
            self.

        Example:
            >>> nn.Linear(2, 2).half().weight.dtype
            ember.float16
        """
        return self._cast_floating("float16")

    def bfloat16(self) -> Module:
        """Casts floating-point parameters and buffers to bfloat16.

        Returns:
            self.

        Example:
            >>> nn.Linear(2, 2).bfloat16().weight.dtype
            ember.bfloat16
        """
        return self._cast_floating("bfloat16")

    def cpu(self) -> Module:
        """Returns self: every tensor already lives on the cpu.

        Returns:
            self.
        """
        return self

    def cuda(self, device=None) -> Module:
        """Raises: Ember has no CUDA backend (the error names what is available)."""
        get_backend("cuda")
        return self

    def type(self, dst_type) -> Module:
        """Casts every parameter and buffer (integer ones too) to ``dst_type``.

        Args:
            dst_type: the dtype.

        Returns:
            self.

        Example:
            >>> nn.BatchNorm1d(2).type(ember.float64).num_batches_tracked.dtype
            ember.float64
        """
        return self._apply(lambda t: t.type(dst_type))

    # -- state -------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if getattr(type(self), "get_extra_state", Module.get_extra_state) \
                is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict of parameters and persistent buffers by dotted name (torch's keys).

        Args:
            destination: a dict to fill and return instead of a new OrderedDict.
            prefix: prepended to every key.
            keep_vars: keep the tensors themselves (else detached views sharing memory).

        Returns:
            The dict; a new one carries ``_metadata`` (each module's ``version``) as torch's.

        Example:
            >>> list(ember.nn.Linear(2, 3).state_dict())
            ['weight', 'bias']
        """
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead.",
                          FutureWarning, stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = dict(version=self._version)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def get_extra_state(self):
        """Extra (non-tensor) state to put in ``state_dict``; override with set_extra_state.

        Returns:
            Any picklable object; it is saved under the key ``<prefix>_extra_state``.
        """
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be "
                           "called.")

    def set_extra_state(self, state) -> None:
        """Restores what :meth:`get_extra_state` returned.

        Args:
            state: the object found under ``<prefix>_extra_state`` in the state dict.

        Example:
            >>> class Counter(nn.Module):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.calls = 0
            ...     def get_extra_state(self):
            ...         return {"calls": self.calls}
            ...     def set_extra_state(self, state):
            ...         self.calls = state["calls"]
            >>> a, b = Counter(), Counter()
            >>> a.calls = 3
            >>> _ = b.load_state_dict(a.state_dict())
            >>> b.calls
            3
        """
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be "
                           "called.")

    def _load_from_state_dict(self, state_dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        """Loads this module's own entries (not its children's); subclasses may override."""
        local_state = {k: v for k, v in self._parameters.items() if v is not None}
        local_state.update((k, v) for k, v in self._buffers.items()
                           if v is not None and k not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key in state_dict:
                self._load_entry(name, param, key, state_dict[key], assign, error_msgs)
            elif strict:
                missing_keys.append(key)
        extra_key = prefix + _EXTRA_STATE
        if getattr(type(self), "set_extra_state", Module.set_extra_state) \
                is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            unexpected_keys.extend(self._unexpected_keys(state_dict, prefix, local_state))

    def _load_entry(self, name: str, param: Tensor, key: str, value, assign: bool,
                    error_msgs: list) -> None:
        """Copies (or with ``assign``, puts) the state dict's ``value`` into this module's
        parameter or buffer ``name``; what goes wrong is appended to ``error_msgs``."""
        if not isinstance(value, Tensor):
            error_msgs.append(f'While copying the parameter named "{key}", expected '
                              "ember.Tensor or Tensor-like object from checkpoint but "
                              f"received {type(value)}")
            return
        if param.ndim == 0 and value.ndim == 1 and value.shape[0] == 1:
            value = value[0]
        if value.shape != param.shape:
            error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                              f"{value.shape} from checkpoint, the shape in current model "
                              f"is {param.shape}.")
            return
        try:
            with no_grad():
                if not assign:
                    param.copy_(value)
                    return
                if isinstance(param, Parameter):
                    if isinstance(value, Parameter):
                        value.requires_grad_(param.requires_grad)
                    else:
                        value = Parameter(value, requires_grad=param.requires_grad)
                setattr(self, name, value)
        except Exception as exc:
            error_msgs.append(f'While copying the parameter named "{key}", whose dimensions '
                              f"in the model are {param.size()} and whose dimensions in the "
                              f"checkpoint are {value.size()}, an exception occurred : "
                              f"{exc.args}.")

    def _unexpected_keys(self, state_dict, prefix: str, local_state: dict) -> list[str]:
        """The keys under ``prefix`` that name neither an entry of this module nor one of its
        children (the extra state's key aside)."""
        extra_key = prefix + _EXTRA_STATE
        unexpected = []
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                head = key[len(prefix):].split(".", 1)
                known = self._modules if len(head) > 1 else local_state
                if head[0] not in known:
                    unexpected.append(key)
        return unexpected

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copies parameters and buffers from ``state_dict`` into this module and below.

        Args:
            state_dict: a mapping from dotted names to tensors.
            strict: raise when keys are missing or unexpected.
            assign: put the state dict's tensors in the module (parameters wrapped in
                Parameter, keeping the module's ``requires_grad``) instead of copying.

        Returns:
            ``_IncompatibleKeys(missing_keys, unexpected_keys)`` (filled even when not strict).

        Raises:
            RuntimeError: on missing/unexpected keys (strict) or shape mismatches, listing all.

        Example:
            >>> net, other = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> result = net.load_state_dict(other.state_dict())
            >>> result.missing_keys, result.unexpected_keys, ember.equal(net.weight, other.weight)
            ([], [], True)
            >>> nn.Linear(2, 2).load_state_dict({"weight": other.weight}, strict=False)
            _IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        # Children are loaded by walking _modules (not named_modules), so a module shared
        # under two names is loaded from both prefixes, as its state_dict lists both.
        stack = [(self, state_dict, "")]
        while stack:
            module, local_state, prefix = stack.pop()
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state, prefix, local_metadata, True, missing,
                                         unexpected, errors)
            children = []
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    children.append((child, {k: v for k, v in local_state.items()
                                             if k.startswith(child_prefix)}, child_prefix))
            stack.extend(reversed(children))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" +
                "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Extra text inside this module's repr, e.g. ``in_features=4, out_features=2``.

        Returns:
            The text (empty by default); layers override it.

        Example:
            >>> nn.Linear(4, 2).extra_repr()
            'in_features=4, out_features=2, bias=True'
        """
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            text = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        _init_hook_dicts(self, missing_only=True)


_EXTRA_STATE = "_extra_state"


def _init_hook_dicts(module: Module, missing_only: bool = False) -> None:
    for name in _HOOK_DICTS:
        if not (missing_only and name in module.__dict__):
            object.__setattr__(module, name, OrderedDict())


_HOOK_DICTS = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
               "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs")


def _typename(value) -> str:
    """How torch names a value's type in errors: ``ember.FloatTensor``, ``numpy.ndarray``."""
    if isinstance(value, Tensor):
        return value.type()
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"
