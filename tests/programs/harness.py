"""Runs a published PyTorch program unchanged, once on torch and once on Ember, and compares.

A program is a directory of files copied verbatim from its source. :func:`run_program` executes
its main file in this process with ``sys.argv`` set for a short run, in a fresh temporary
working directory, under one of two *backends*:

* ``torch``: the real torch;
* ``ember``: ``sys.modules`` arranged so that ``import torch`` (and ``torch.nn``,
  ``torch.optim.lr_scheduler``, ...) yields Ember's modules. Each Ember module is seen through a
  recording proxy, so the run also lists the ``torch.*`` names the program used and the ones
  Ember lacks.

Both runs see the same fake ``torchvision`` / ``gymnasium`` / ``requests`` (tiny data from
seeded NumPy generators, see :mod:`tests.programs.fakes`) and the same random numbers:
``randn``, ``rand``, ``randperm``, ``randint``, ``multinomial``, dropout masks (also on attention
weights) and categorical samples are replaced in both libraries by draws from one NumPy
generator (:class:`SharedRandom`), so a program's random choices are the same in both runs.
Python's and NumPy's global generators are seeded before each run. The initial weights are the
same too: the first time a top-level module is called (a module called while no other module is
running), the torch run records its ``state_dict`` and the Ember run loads that record into its
module. Printed lines (:func:`compare_outputs`) and the final ``state_dict`` of those modules
(:func:`compare_states`) are then compared.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import io
import math
import os
import random
import re
import runpy
import sys
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tests.torch_compare import assert_same

HERE = Path(__file__).resolve().parent


# -- the torch -> ember module aliasing ---------------------------------------------------------

class RecordingModule(types.ModuleType):
    """A stand-in for one Ember module under its ``torch.*`` name that records attribute use.

    Attribute reads are forwarded to the Ember module (submodules come back as proxies too);
    each name read is added to ``used`` (``torch.nn.Linear``), each name Ember lacks to
    ``missing``. Writes go to the Ember module.
    """

    def __init__(self, torch_name: str, target: types.ModuleType, registry: AliasRegistry):
        super().__init__(torch_name)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_registry", registry)
        object.__setattr__(self, "__file__", getattr(target, "__file__", None))
        if hasattr(target, "__path__"):
            object.__setattr__(self, "__path__", [])

    def __getattr__(self, name: str):
        target = object.__getattribute__(self, "_target")
        registry = object.__getattribute__(self, "_registry")
        if name.startswith("__") and name.endswith("__"):
            return getattr(target, name)
        full = f"{self.__name__}.{name}"
        try:
            value = getattr(target, name)
        except AttributeError:
            registry.missing.add(full)
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'") from None
        registry.used.add(full)
        if isinstance(value, types.ModuleType):
            return registry.proxy(full, value)
        return value

    def __setattr__(self, name: str, value) -> None:
        setattr(object.__getattribute__(self, "_target"), name, value)

    def __dir__(self):
        return dir(object.__getattribute__(self, "_target"))


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module: types.ModuleType):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        pass


class AliasRegistry(importlib.abc.MetaPathFinder):
    """Makes ``import torch.a.b`` import ``ember.a.b`` and return its recording proxy."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.missing: set[str] = set()
        self._proxies: dict[str, RecordingModule] = {}

    def proxy(self, torch_name: str, target: types.ModuleType) -> RecordingModule:
        if torch_name not in self._proxies:
            self._proxies[torch_name] = RecordingModule(torch_name, target, self)
            sys.modules.setdefault(torch_name, self._proxies[torch_name])
        return self._proxies[torch_name]

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        ember_name = "ember" + fullname[len("torch"):]
        try:
            module = importlib.import_module(ember_name)
        except ModuleNotFoundError:
            self.missing.add(fullname)
            return None
        self.used.add(fullname)
        proxy = self.proxy(fullname, module)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(proxy),
                                              is_package=hasattr(proxy, "__path__"))


@contextlib.contextmanager
def torch_is(backend: str, fakes: dict[str, types.ModuleType]):
    """Within the block ``import torch`` gives ``backend`` and the fake modules are importable.

    Yields:
        the backend's top-level module (real torch or Ember) and the alias registry (None for
        torch).
    """
    # list() copies sys.modules in one step: iterating the live dict fails when an import in
    # another thread adds a module meanwhile ("dictionary changed size during iteration")
    saved = {k: v for k, v in list(sys.modules.items())
             if k == "torch" or k.startswith("torch.") or k.split(".")[0] in fakes_roots(fakes)}
    registry = None
    try:
        for name in list(saved):
            if name.split(".")[0] in fakes_roots(fakes):
                del sys.modules[name]
        sys.modules.update(fakes)
        if backend == "torch":
            import torch as module
        else:
            import ember as module
            for name in [k for k in list(sys.modules) if k == "torch" or k.startswith("torch.")]:
                del sys.modules[name]
            registry = AliasRegistry()
            sys.modules["torch"] = registry.proxy("torch", module)
            sys.meta_path.insert(0, registry)
        yield module, registry
    finally:
        if registry is not None:
            sys.meta_path.remove(registry)
        # after a torch run, torch's own lazily imported modules stay (importing some of
        # them twice fails); after an Ember run every torch.* entry is an alias to drop
        for name in [k for k in list(sys.modules) if k in fakes or (registry is not None and (
                k == "torch" or k.startswith("torch.")))]:
            del sys.modules[name]
        sys.modules.update(saved)


def fakes_roots(fakes: dict[str, types.ModuleType]) -> set[str]:
    return {name.split(".")[0] for name in fakes}


# -- one stream of random numbers for both libraries ----------------------------------------

def _size_args(size) -> tuple[int, ...]:
    if (len(size) == 1 and isinstance(size[0], (tuple, list))) or (
            len(size) == 1 and type(size[0]).__name__ == "Size"):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


class SharedRandom:
    """Replaces a library's sampling functions by draws from one seeded NumPy generator.

    The replacements build their result with the library's own ``from_numpy``, in the dtype
    the library would have used, so a program sees ordinary tensors.
    """

    def __init__(self, T: types.ModuleType, seed: int = 0) -> None:
        self.T = T
        self.rng = np.random.default_rng(seed)
        self._undo: list[tuple[object, str, object]] = []

    # each replacement takes the library's signature (keywords it does not need are ignored)
    def _tensor(self, array: np.ndarray, dtype=None, requires_grad=False):
        out = self.T.from_numpy(np.ascontiguousarray(array))
        out = out.to(dtype if dtype is not None else self.T.get_default_dtype())
        return out.requires_grad_() if requires_grad else out

    def randn(self, *size, generator=None, dtype=None, requires_grad=False, **_):
        return self._tensor(self.rng.standard_normal(_size_args(size)), dtype, requires_grad)

    def rand(self, *size, generator=None, dtype=None, requires_grad=False, **_):
        return self._tensor(self.rng.random(_size_args(size)), dtype, requires_grad)

    def randn_like(self, input, dtype=None, requires_grad=False, **_):
        return self._tensor(self.rng.standard_normal(tuple(input.shape)), dtype or input.dtype,
                            requires_grad)

    def rand_like(self, input, dtype=None, requires_grad=False, **_):
        return self._tensor(self.rng.random(tuple(input.shape)), dtype or input.dtype,
                            requires_grad)

    def randperm(self, n, generator=None, dtype=None, **_):
        return self._tensor(self.rng.permutation(int(n)), dtype or self.T.int64)

    def randint(self, *args, size=None, generator=None, dtype=None, **_):
        if size is None:
            *bounds, size = args
        else:
            bounds = list(args)
        low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
        return self._tensor(self.rng.integers(int(low), int(high), _size_args((size,))),
                            dtype or self.T.int64)

    def multinomial(self, input, num_samples, replacement=False, generator=None, **_):
        probs = input.detach().cpu().numpy().astype(np.float64)
        rows = probs.reshape(-1, probs.shape[-1])
        out = np.stack([self.rng.choice(rows.shape[1], size=num_samples, replace=replacement,
                                        p=row / row.sum()) for row in rows])
        return self._tensor(out.reshape((*probs.shape[:-1], num_samples)), self.T.int64)

    def _dropout_noise(self, input, p, noise_shape):
        keep = self.rng.random(noise_shape) >= p
        dtype = input.detach().cpu().numpy().dtype
        # 1 / (1 - p) rounded in the input's dtype, as torch's CPU kernel does
        scale = dtype.type(1) / dtype.type(1 - p)
        return self.T.from_numpy(keep.astype(dtype) * scale)

    def dropout(self, input, p=0.5, training=True, inplace=False, **_):
        if not training or p == 0:
            return input
        return input * self._dropout_noise(input, p, tuple(input.shape))

    def dropout2d(self, input, p=0.5, training=True, inplace=False, **_):
        if not training or p == 0:
            return input
        shape = tuple(input.shape)
        # torch treats anything but 4-D as one unbatched (C, ...) sample
        noise = shape[:2] if len(shape) == 4 else shape[:1]
        noise = noise + (1,) * (len(shape) - len(noise))
        return input * self._dropout_noise(input, p, noise)

    def attention(self, original):
        """``scaled_dot_product_attention`` whose dropout on the weights is the shared one
        (torch's kernel draws its mask internally); without dropout, the library's own."""
        T, shared = self.T, self

        def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                         is_causal=False, scale=None, **kwargs):
            if dropout_p == 0.0:
                return original(query, key, value, attn_mask, dropout_p, is_causal, scale=scale,
                                **kwargs)
            factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale
            weights = query @ key.transpose(-2, -1) * factor
            if is_causal:
                causal = T.ones(query.size(-2), key.size(-2), dtype=T.bool).tril()
                weights = weights.masked_fill(~causal, float("-inf"))
            if attn_mask is not None:
                if attn_mask.dtype == T.bool:
                    weights = weights.masked_fill(~attn_mask, float("-inf"))
                else:
                    weights = weights + attn_mask
            weights = shared.dropout(T.softmax(weights, dim=-1), dropout_p)
            return weights @ value

        return scaled_dot_product_attention

    def categorical_sample(self, dist, sample_shape=()):
        n = int(np.prod(tuple(sample_shape), dtype=np.int64))
        probs = dist.probs.detach().cpu().numpy().reshape(-1, dist._num_events)
        draws = np.stack([self.rng.choice(probs.shape[1], size=n, p=row / row.sum())
                          for row in probs], axis=1)
        shape = tuple(sample_shape) + tuple(dist.batch_shape)
        return self._tensor(draws.reshape(shape), self.T.int64)

    def install(self) -> None:
        """Puts the replacements in every module of the library that binds the originals."""
        T = self.T
        prefix = T.__name__ + "."
        functions = {"randn": self.randn, "rand": self.rand, "randn_like": self.randn_like,
                     "rand_like": self.rand_like, "randperm": self.randperm,
                     "randint": self.randint, "multinomial": self.multinomial}
        originals = {getattr(T, name): fn for name, fn in functions.items()}
        originals[T.nn.functional.dropout] = self.dropout
        originals[T.nn.functional.dropout2d] = self.dropout2d
        sdpa = T.nn.functional.scaled_dot_product_attention
        originals[sdpa] = self.attention(sdpa)
        modules = [m for k, m in list(sys.modules.items())
                   if (k == T.__name__ or k.startswith(prefix)) and isinstance(m, types.ModuleType)]
        for module in modules:
            for name in set(functions) | {"dropout", "dropout2d", "scaled_dot_product_attention"}:
                value = module.__dict__.get(name)
                try:
                    replacement = originals.get(value)
                except TypeError:  # unhashable attribute
                    continue
                if replacement is not None:
                    self._undo.append((module, name, value))
                    setattr(module, name, replacement)
        shared = self

        def sample(dist, sample_shape=()):
            return shared.categorical_sample(dist, sample_shape)

        categorical = T.distributions.Categorical
        self._undo.append((categorical, "sample", categorical.__dict__["sample"]))
        categorical.sample = sample

    def uninstall(self) -> None:
        for owner, name, value in reversed(self._undo):
            setattr(owner, name, value)
        self._undo.clear()


# -- the same initial weights in both runs ---------------------------------------------------

class ModuleTracker:
    """Watches top-level module calls; hands each module to ``on_first_call`` once.

    A top-level call is a module call made while no other module call is running. Modules are
    numbered in the order of their first such call, which is the same in both runs of a
    deterministic program.
    """

    def __init__(self, T: types.ModuleType, on_first_call: Callable[[int, object], None]):
        self.T = T
        self.on_first_call = on_first_call
        self.modules: list[object] = []
        self._seen: set[int] = set()
        self._depth = 0
        self._original = None

    def install(self) -> None:
        module_class = self.T.nn.Module
        self._original = module_class.__dict__["__call__"]
        original = self._original
        tracker = self

        def __call__(module, *args, **kwargs):
            if tracker._depth == 0 and id(module) not in tracker._seen:
                tracker._seen.add(id(module))
                tracker.modules.append(module)
                tracker.on_first_call(len(tracker.modules) - 1, module)
            tracker._depth += 1
            try:
                return original(module, *args, **kwargs)
            finally:
                tracker._depth -= 1

        module_class.__call__ = __call__

    def uninstall(self) -> None:
        self.T.nn.Module.__call__ = self._original


def state_arrays(module) -> dict[str, np.ndarray]:
    """A module's ``state_dict`` as NumPy copies."""
    return {k: np.array(v.detach().cpu().numpy(), copy=True)
            for k, v in module.state_dict().items()}


# -- running a program --------------------------------------------------------------------

@dataclass
class Program:
    """One copied program and how to run it briefly.

    Attributes:
        name: the directory under ``tests/programs``.
        main: the file to run, relative to that directory.
        argv: command-line arguments for a short run.
        dtype: ``'float64'`` to run with that default dtype, else ``'float32'``.
        prepare: writes the program's local data into the working directory:
            ``prepare(cwd, T)``; it may return a function the harness calls after the run.
        volatile: regexes whose matches are blanked before outputs are compared (timings).
        variant: a label when one program is run with several settings.
    """

    name: str
    main: str
    argv: list[str]
    dtype: str = "float64"
    prepare: Callable[[Path, types.ModuleType], None] | None = None
    volatile: list[str] = field(default_factory=list)
    variant: str = ""

    @property
    def id(self) -> str:
        base = self.name if self.main == "main.py" else f"{self.name}/{Path(self.main).stem}"
        return f"{base}[{self.variant}]" if self.variant else base

    @property
    def directory(self) -> Path:
        return HERE / self.name


@dataclass
class Run:
    """What one run of a program produced."""

    backend: str
    stdout: str
    initial: list[tuple[str, dict[str, np.ndarray]]]
    final: list[tuple[str, dict[str, np.ndarray]]]
    error: BaseException | None = None
    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


def run_program(program: Program, backend: str, initial=None) -> Run:
    """Runs ``program`` on ``backend`` (``'torch'`` or ``'ember'``).

    Args:
        program: what to run.
        backend: ``'torch'`` or ``'ember'``.
        initial: for Ember, the torch run's ``Run.initial``: state loaded into the top-level
            modules at their first call.

    Returns:
        the :class:`Run`; an exception the program raised is kept in ``Run.error``.
    """
    from tests.programs import fakes

    recorded: list[tuple[str, dict[str, np.ndarray]]] = []
    out = io.StringIO()
    error = None
    before = set(sys.modules)
    fake_modules = fakes.build(importlib.import_module("torch" if backend == "torch" else "ember"))
    with tempfile.TemporaryDirectory() as tmp, torch_is(backend, fake_modules) as (T, registry):
        default, threads = T.get_default_dtype(), T.get_num_threads()
        shared = SharedRandom(T)

        def on_first_call(index: int, module) -> None:
            label = type(module).__qualname__
            if initial is None:
                recorded.append((label, state_arrays(module)))
                return
            if index >= len(initial) or initial[index][0] != label:
                raise AssertionError(f"top-level module {index} is {label}, torch's was "
                                     f"{initial[index][0] if index < len(initial) else None}")
            module.load_state_dict({k: T.from_numpy(v.copy())
                                    for k, v in initial[index][1].items()})
            recorded.append((label, initial[index][1]))

        tracker = ModuleTracker(T, on_first_call)
        cleanup = None
        shadowed: dict = {}
        old_cwd, old_path, old_argv = os.getcwd(), list(sys.path), sys.argv
        try:
            os.chdir(tmp)
            if program.prepare is not None:
                cleanup = program.prepare(Path(tmp), T)
            T.set_default_dtype(getattr(T, program.dtype))
            # tiny tensors: threads only contend (a shared CI machine made torch 10x slower)
            T.set_num_threads(1)
            random.seed(0)  # programs that draw from Python's generator without seeding it
            np.random.seed(0)
            shared.install()
            tracker.install()
            sys.path.insert(0, str(program.directory))
            # a module already imported under the name of one of the program's own files (the
            # test package ``data`` for ``import data``) must not stand in for it
            shadowed.update({name: sys.modules.pop(name) for name in _local_modules(program)
                             if name in sys.modules})
            sys.argv = [str(program.directory / program.main), *program.argv]
            with contextlib.redirect_stdout(out):
                runpy.run_path(str(program.directory / program.main), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                error = exc
        except Exception as exc:
            error = exc
        finally:
            if cleanup is not None:
                cleanup()
            tracker.uninstall()
            shared.uninstall()
            T.set_default_dtype(default)
            T.set_num_threads(threads)
            os.chdir(old_cwd)
            sys.path[:] = old_path
            sys.argv = old_argv
            for name in set(sys.modules) - before:
                module = sys.modules[name]
                if str(getattr(module, "__file__", "") or "").startswith(str(program.directory)):
                    del sys.modules[name]
            for name, module in shadowed.items():
                if str(getattr(sys.modules.get(name), "__file__", "") or "").startswith(
                        str(program.directory)):
                    del sys.modules[name]
                sys.modules[name] = module
        final = [(type(m).__qualname__, state_arrays(m)) for m in tracker.modules]
    return Run(backend, out.getvalue(), recorded, final, error,
               set(registry.used) if registry else set(),
               set(registry.missing) if registry else set())


def _local_modules(program) -> set:
    """The module names a program's own files and packages can be imported as."""
    directory = Path(program.directory)
    return ({p.stem for p in directory.glob("*.py")}
            | {p.name for p in directory.iterdir() if (p / "__init__.py").exists()})


# -- comparing two runs -------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)")


def _numbers(line: str) -> tuple[str, list[str]]:
    return _NUMBER.sub("#", line), _NUMBER.findall(line)


def _last_digit(text: str) -> float:
    """One unit in the last printed place of ``text`` (rounding can move it by one)."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def compare_outputs(program: Program, ref: str, got: str, rtol: float, atol: float) -> None:
    """Asserts that two printed outputs agree: same text, numbers within tolerance."""
    def clean(text: str) -> list[str]:
        for pattern in program.volatile:
            text = re.sub(pattern, "<volatile>", text)
        return text.splitlines()

    ref_lines, got_lines = clean(ref), clean(got)
    assert len(ref_lines) == len(got_lines), (
        f"torch printed {len(ref_lines)} lines, ember {len(got_lines)}:\n{ref}\n---\n{got}")
    for i, (a, b) in enumerate(zip(ref_lines, got_lines, strict=True)):
        text_a, nums_a = _numbers(a)
        text_b, nums_b = _numbers(b)
        assert text_a == text_b, f"line {i} differs:\ntorch: {a}\nember: {b}"
        for x, y in zip(nums_a, nums_b, strict=True):
            fx, fy = float(x), float(y)
            if math.isnan(fx) and math.isnan(fy):
                continue
            # one unit in the last printed place (with room for its binary representation)
            slack = atol + rtol * abs(fx) + 1.000001 * max(_last_digit(x), _last_digit(y))
            assert abs(fx - fy) <= slack, f"line {i}: {x} vs {y}\ntorch: {a}\nember: {b}"


def compare_states(ref: Run, got: Run, rtol: float, atol: float) -> None:
    """Asserts the final ``state_dict`` of every top-level module agrees."""
    assert [label for label, _ in ref.final] == [label for label, _ in got.final]
    for (label, a), (_, b) in zip(ref.final, got.final, strict=True):
        assert a.keys() == b.keys(), f"{label}: keys {sorted(a)} vs {sorted(b)}"
        for key in a:
            assert_same(b[key], a[key], rtol=rtol, atol=atol, what=f"{label}.{key}")


def tensor_methods_used(program: Program) -> set[str]:
    """Attribute names in the program's source that are torch.Tensor methods (a static scan)."""
    import torch

    names = set()
    for path in program.directory.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and not node.attr.startswith("_") and hasattr(
                    torch.Tensor, node.attr):
                names.add(node.attr)
    return names
