"""``ember.onnx.export``: runs a model once, watching its ops, and writes the ONNX graph.

How it works: the model runs under :func:`ember.no_grad` and
:class:`ember.autograd.function.observe_ops`, which reports every built-in op with the tensors
that went in and came out. Tensors are mapped to ONNX value names by ``id()``: the example
inputs become graph inputs, parameters and buffers (and any other tensor no traced op made)
become initializers, and each op becomes ONNX nodes through the table of symbolic functions in
:mod:`ember.onnx.symbolics`.

Before that, the model runs once more on altered inputs (other values; sizes doubled along the
``dynamic_axes``). Comparing the two runs shows which op arguments follow the input sizes
(reshape targets, slice bounds: they are written relative to the input shape) and which tensors
that no traced op produced depend on the inputs (such a tensor cannot be an initializer, so
the export fails with a clear error instead of freezing it).
"""

from __future__ import annotations

import enum
import inspect
import io
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ember
from ember.autograd.function import observe_ops
from ember.autograd.grad_mode import no_grad
from ember.onnx.errors import UnsupportedOperatorError, _unsupported
from ember.onnx.symbolics import SYMBOLICS
from ember.tensor import Tensor

__all__ = ["TrainingMode", "UnsupportedOperatorError", "export"]

DEFAULT_OPSET = 17
MIN_OPSET, MAX_OPSET = 13, 20
_MISSING = 'ember.onnx.export needs the onnx package; install it with: pip install "ember[onnx]"'


class TrainingMode(enum.IntEnum):
    """The mode a model is exported in, as ``torch.onnx.TrainingMode``."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class _Poison:
    """Stands for a value that cannot be exported; using it raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error


@dataclass
class Call:
    """One traced op as a symbolic function sees it.

    Attributes:
        cls: the op's :class:`~ember.autograd.function.ArrayFunction` class.
        args: the op's positional arguments (Tensors unwrapped to NumPy arrays).
        kwargs: its keyword arguments.
        inputs: per positional argument, the ONNX value name of a tensor argument, else the
            argument itself.
        outputs: the op's output arrays.
        alt: the same op in the run on altered inputs (a ``Call`` without ``inputs``), or None.
    """

    cls: type
    args: tuple
    kwargs: dict
    inputs: list = field(default_factory=list)
    outputs: tuple = ()
    alt: Call | None = None
    value_of: Any = None

    @property
    def name(self) -> str:
        return self.cls.__name__

    def shape(self, i: int) -> tuple:
        """The shape of positional argument ``i`` (an array) in this run."""
        return tuple(np.shape(self.args[i]))

    def dynamic(self, i: int) -> tuple:
        """Per dim of argument ``i``: True where its size differs in the altered run."""
        if self.alt is None:
            return (False,) * len(self.shape(i))
        return tuple(a != b for a, b in zip(self.shape(i), self.alt.shape(i), strict=True))


class GraphBuilder:
    """Collects the ONNX nodes and initializers of a graph under construction.

    Symbolic functions call :meth:`op` to add nodes and :meth:`const` for constants.
    """

    def __init__(self, onnx, opset: int) -> None:
        self.onnx = onnx
        self.opset = opset
        self.nodes: list = []
        self.initializers: dict[str, np.ndarray] = {}
        self.dtypes: dict[str, np.dtype] = {}
        self._count = 0
        self._consts: dict = {}

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def op(self, op_type: str, *inputs, n_out: int = 1, **attrs):
        """Adds a node; returns its output name (a list of names when ``n_out > 1``).

        ``None`` inputs become empty names (ONNX's optional inputs).
        """
        names = [self.fresh(op_type) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        inputs = list(inputs)
        while inputs and inputs[-1] is None:  # trailing optional inputs are left out
            inputs.pop()
        node = self.onnx.helper.make_node(op_type, ["" if i is None else i for i in inputs],
                                          names, name=self.fresh("node_" + op_type), **attrs)
        self.nodes.append(node)
        return names[0] if n_out == 1 else names

    def const(self, value, dtype=None) -> str:
        """An initializer holding ``value`` (cached by contents for small constants)."""
        array = np.asarray(value, dtype=dtype)
        key = None
        if array.size <= 16:
            key = (array.dtype.str, array.shape, array.tobytes())
            if key in self._consts:
                return self._consts[key]
        name = self.fresh("const")
        self.initializers[name] = np.array(array)
        self.dtypes[name] = array.dtype
        if key is not None:
            self._consts[key] = name
        return name

    def ints(self, values) -> str:
        """A 1-D int64 constant (axes, shapes, slice bounds)."""
        return self.const(np.asarray(list(values), dtype=np.int64).reshape(-1))

    def cast(self, name: str, dtype) -> str:
        """``name`` cast to ``dtype`` (no node if it has that dtype already)."""
        dtype = np.dtype(dtype)
        if self.dtypes.get(name) == dtype:
            return name
        if name in self.initializers:
            return self.const(self.initializers[name].astype(dtype))
        out = self.op("Cast", name, to=self.onnx.helper.np_dtype_to_tensor_dtype(dtype))
        self.dtypes[out] = dtype
        return out

    def operand(self, value, dtype) -> str:
        """A tensor name or a Python number as an ONNX value of ``dtype``."""
        if isinstance(value, str):
            return self.cast(value, dtype)
        return self.const(np.asarray(value, dtype=dtype))

    # -- opset-dependent spellings -----------------------------------------------------------
    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """A Reduce* node over ``axes`` (None: all), axes as attribute or input by opset."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            if not axes:
                return self.op("Identity", x)
            return self.op(op_type, x, self.ints(axes), keepdims=keep)
        if not axes:
            return self.op("Identity", x)
        return self.op(op_type, x, axes=axes, keepdims=keep)

    def unsqueeze(self, x: str, axes) -> str:
        return self.op("Unsqueeze", x, self.ints(axes))

    def squeeze(self, x: str, axes) -> str:
        return self.op("Squeeze", x, self.ints(axes))


# -- arguments ------------------------------------------------------------------------------
def _flatten(value, path: str, out: list) -> None:
    """Collects the tensors of a nested output (tuples, lists, dicts; None is skipped)."""
    if isinstance(value, Tensor):
        out.append(value)
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    elif isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}[{k!r}]", out)
    elif value is not None:
        raise TypeError(f"ember.onnx.export: the model returned {type(value).__name__} at "
                        f"{path}; only tensors (in tuples, lists and dicts) can be outputs")


def _split_args(args, kwargs) -> tuple[tuple, dict]:
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):  # torch's convention: a last dict holds kwargs
        kwargs = {**args[-1], **kwargs}
        args = args[:-1]
    return args, kwargs


def _input_tensors(args: tuple, kwargs: dict) -> list[tuple[str | None, Tensor]]:
    """The example tensors with the parameter names they are passed as (None if unknown)."""
    found: list = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            found.append((i, a))
        elif isinstance(a, (tuple, list)):
            for b in a:
                if isinstance(b, Tensor):
                    found.append((None, b))
    for k, v in kwargs.items():
        if isinstance(v, Tensor):
            found.append((k, v))
    return found


def _default_input_names(model, args: tuple, entries: list) -> list[str]:
    params: list[str] = []
    try:
        sig = inspect.signature(model.forward if hasattr(model, "forward") else model)
        params = [p.name for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        pass
    names, used = [], set()
    for n, (key, _) in enumerate(entries):
        if isinstance(key, str):
            name = key
        elif isinstance(key, int) and key < len(params):
            name = params[key]
        else:
            name = f"input_{n}"
        while name in used:
            name += "_"
        used.add(name)
        names.append(name)
    return names


def _dynamic_spec(dynamic_axes, input_names, output_names) -> dict[str, dict[int, str]]:
    """``dynamic_axes`` as ``{value: {axis: dim name}}`` (lists get torch's default names)."""
    spec: dict = {}
    known = set(input_names) | set(output_names)
    for key, axes in (dynamic_axes or {}).items():
        if key not in known:
            raise ValueError(f"dynamic_axes names {key!r}, which is neither an input nor an "
                             f"output name (inputs {list(input_names)}, outputs "
                             f"{list(output_names)})")
        if isinstance(axes, dict):
            spec[key] = {int(a): str(n) for a, n in axes.items()}
        elif isinstance(axes, (list, tuple)):
            spec[key] = {int(a): f"{key}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
        else:
            raise TypeError(f"dynamic_axes[{key!r}] must be a dict {{axis: name}} or a list of "
                            f"axes, not {type(axes).__name__}")
    return spec


def _check_options(opset_version, training, operator_export_type, custom_opsets,
                   export_modules_as_functions, dynamic_shapes, custom_translation_table,
                   report, profile, dump_exported_program, verify) -> tuple[int, TrainingMode]:
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"ember.onnx.export supports opset_version {MIN_OPSET} to {MAX_OPSET}, "
                         f"got {opset_version}")
    unsupported = {
        "custom_opsets": bool(custom_opsets),
        "export_modules_as_functions": bool(export_modules_as_functions),
        "dynamic_shapes": dynamic_shapes is not None,
        "custom_translation_table": bool(custom_translation_table),
        "report": report, "profile": profile, "dump_exported_program": dump_exported_program,
        "verify": verify,
    }
    for name, used in unsupported.items():
        if used:
            hint = " (use dynamic_axes)" if name == "dynamic_shapes" else ""
            raise NotImplementedError(f"ember.onnx.export does not support {name}{hint}")
    if operator_export_type is not None:
        kind = getattr(operator_export_type, "name", operator_export_type)
        if kind not in ("ONNX", 0):
            raise NotImplementedError(f"ember.onnx.export only writes standard ONNX ops "
                                      f"(operator_export_type ONNX), got {operator_export_type}")
    if isinstance(training, bool):
        mode = TrainingMode.TRAINING if training else TrainingMode.EVAL
    else:
        name = getattr(training, "name", None)
        if name in TrainingMode.__members__:
            mode = TrainingMode[name]
        elif isinstance(training, int) and training in (0, 1, 2):
            mode = TrainingMode(training)
        else:
            raise ValueError(f"training must be a TrainingMode, got {training!r}")
    return opset, mode


# -- altered inputs ------------------------------------------------------------------------
def _alter(array: np.ndarray, axes, rng) -> np.ndarray:
    """The same values shuffled (floats also slightly moved); sizes doubled along ``axes``
    (by tiling). Shuffling keeps the inputs valid (token ids stay ids, positive stays
    positive) while any value computed from them outside traced ops changes."""
    for a in axes:
        array = np.concatenate([array, array], axis=a)
    if array.size == 0:
        return array.copy()
    out = rng.permutation(array.reshape(-1)).reshape(array.shape)
    if array.dtype.kind == "f" and np.isfinite(array).all():
        noise = rng.standard_normal(array.shape) * (0.01 * float(np.std(array)) + 1e-3)
        out = (out + noise).astype(array.dtype)
    return out


def _altered_args(args, kwargs, entries, dyn_axes_by_input, rng) -> tuple[tuple, dict]:
    table = {id(t): Tensor._make(_alter(t._data, dyn_axes_by_input.get(id(t), ()), rng))
             for _, t in entries}

    def swap(v):
        if isinstance(v, Tensor):
            return table.get(id(v), v)
        if isinstance(v, (tuple, list)):
            return type(v)(swap(b) for b in v)
        return v

    return tuple(swap(a) for a in args), {k: swap(v) for k, v in kwargs.items()}


# -- tracing -------------------------------------------------------------------------------
def _observed(cls, args, kwargs, outputs) -> tuple[tuple, Call]:
    """An observed op's outputs as a tuple, and the op as a :class:`Call` (without inputs)."""
    outs = outputs if isinstance(outputs, tuple) else (outputs,)
    raw = tuple(a._data if isinstance(a, Tensor) else a for a in args)
    return outs, Call(cls, raw, dict(kwargs), outputs=tuple(o._data for o in outs))


class _Recorder:
    """Records the ops of the run on altered inputs (classes, arguments, outputs)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.produced: set[int] = set()
        self.keep: list = []

    def __call__(self, cls, args, kwargs, outputs) -> None:
        outs, call = _observed(cls, args, kwargs, outputs)
        self.keep.append((args, outs))
        for o in outs:
            self.produced.add(id(o))
            self.produced.add(id(o._data))
        call.free = [isinstance(a, (Tensor, np.ndarray)) and id(a) not in self.produced
                     and not (isinstance(a, Tensor) and id(a._data) in self.produced)
                     for a in args]
        self.calls.append(call)


class _Tracer:
    """Maps the tensors of the main run to ONNX values while the symbolics build the graph."""

    def __init__(self, g: GraphBuilder, symbolics: dict, named: dict, params_as_inputs: bool,
                 fold: bool, alt_calls: list | None) -> None:
        self.g = g
        self.symbolics = symbolics
        self.named = named  # id(tensor or array) -> parameter / buffer name
        self.params_as_inputs = params_as_inputs
        self.fold = fold
        self.alt_calls = alt_calls
        self.alt_broken = alt_calls is None
        self.values: dict[int, Any] = {}  # id -> name or _Poison
        self.versions: dict[int, int] = {}
        self.constant: set[str] = set()  # names whose values are known at export time
        self.param_inputs: dict[str, np.ndarray] = {}
        self.recent: list = []  # (tensor, name) of op outputs, newest last
        self.keep: list = []
        self.index = 0

    # values ------------------------------------------------------------------------------
    def bind(self, obj, name) -> None:
        self.values[id(obj)] = name
        if isinstance(obj, Tensor):
            self.versions[id(obj)] = obj._version_counter.value
            self.values.setdefault(id(obj._data), name)
        self.keep.append(obj)

    def known(self, obj) -> bool:
        """True if ``obj`` already has a value (an input, an op output, a bound constant) or is
        a parameter or buffer."""
        array = obj._data if isinstance(obj, Tensor) else obj
        return any(k in self.values or k in self.named for k in (id(obj), id(array)))

    def lookup(self, obj, where: str):
        """The value name of a tensor or array argument (adding initializers as needed)."""
        key = id(obj)
        if key in self.values:
            name = self.values[key]
            if isinstance(obj, Tensor) and self.versions.get(key) != obj._version_counter.value:
                name = self._after_inplace(obj, where)
            return name
        if isinstance(obj, Tensor) and id(obj._data) in self.values:
            name = self.values[id(obj._data)]
            self.bind(obj, name)
            return name
        array = obj._data if isinstance(obj, Tensor) else obj
        pname = self.named.get(key) or self.named.get(id(array))
        if pname is not None:
            self.g.dtypes[pname] = array.dtype
            if self.params_as_inputs:
                self.param_inputs[pname] = array
            else:
                self.g.initializers[pname] = np.array(array)
                self.constant.add(pname)
            self.bind(obj, pname)
            return pname
        name = self.g.const(np.array(array))
        self.constant.add(name)
        self.bind(obj, name)
        return name

    def _value_of(self, obj) -> str | None:
        """The value name of an array or tensor met inside an argument (an index tuple)."""
        value = self.values.get(id(obj))
        if isinstance(value, _Poison):
            raise value.error
        return value

    def depends_on_inputs(self, obj, where: str) -> _Poison:
        poison = _Poison(UnsupportedOperatorError(
            f"ember.onnx.export: {where} is a tensor of shape {list(np.shape(obj))} that depends "
            "on the model's inputs but was computed by an operation the exporter does not see "
            "(comparisons, logical ops, argmax, creation ops ... are not traced ops); only the "
            "ops of ember.onnx.symbolics can be exported"))
        self.bind(obj, poison)
        return poison

    def _after_inplace(self, tensor: Tensor, where: str):
        """The value a tensor holds after an in-place op (the op's output written into it)."""
        current = tensor._data
        for out, name in reversed(self.recent):
            data = out._data
            if np.may_share_memory(data, current):  # changed along with it
                continue
            if data.shape == current.shape and data.dtype == current.dtype and np.array_equal(
                    data, current, equal_nan=data.dtype.kind == "f"):
                self.bind(tensor, name)
                return name
        poison = _Poison(UnsupportedOperatorError(
            f"ember.onnx.export: {where} was modified in place in a way the exporter cannot "
            "follow: in-place activations (relu_, nn.ReLU(inplace=True)) are followed, but "
            "in-place arithmetic (y += 1, add_, writes into slices) is not traced; write "
            "y = y + 1 instead"))
        self.bind(tensor, poison)
        return poison

    def add_input(self, tensor: Tensor, name: str) -> None:
        if id(tensor) not in self.values:  # a tensor passed twice is its first input
            self.bind(tensor, name)
        self.g.dtypes[name] = tensor._data.dtype

    # the observer ------------------------------------------------------------------------
    def __call__(self, cls, args, kwargs, outputs) -> None:
        outs, call = _observed(cls, args, kwargs, outputs)
        self.keep.append((args, outs))
        call.alt = self._alt_for(call)
        call.inputs, poison = self._inputs(cls, args, call.alt)
        call.value_of = self._value_of
        self.index += 1
        if poison is not None:
            for o in outs:
                self.bind(o, poison)
            return
        tensor_inputs = [v for v in call.inputs if isinstance(v, str)]
        if self.fold and tensor_inputs and all(v in self.constant for v in tensor_inputs):
            for o in outs:
                name = self.g.const(np.array(o._data))
                self.constant.add(name)
                self.bind(o, name)
                self.recent.append((o, name))
            return
        self._translate(call, outs)

    def _inputs(self, cls, args, alt: Call | None) -> tuple[list, _Poison | None]:
        """Per argument its value name (or the argument itself if it is no array), and the
        first argument that cannot be exported, if any."""
        inputs, poison = [], None
        for i, a in enumerate(args):
            if not isinstance(a, (Tensor, np.ndarray)):
                inputs.append(a)
                continue
            where = f"argument {i} of the op {cls.__name__}"
            if alt is not None and not self.known(a) and not _same_free(alt, i, a):
                v = self.depends_on_inputs(a, where)
            else:
                v = self.lookup(a, where)
            if isinstance(v, _Poison):
                poison = poison or v
            inputs.append(v)
        return inputs, poison

    def _translate(self, call: Call, outs: tuple) -> None:
        """Writes an op's ONNX nodes through its symbolic function and binds its outputs."""
        cls = call.cls
        fn = self.symbolics.get(cls)
        try:
            if fn is None:
                raise _unsupported(cls.__name__)
            result = fn(self.g, call)
        except UnsupportedOperatorError as e:
            for o in outs:
                self.bind(o, _Poison(e))
            return
        results = result if isinstance(result, (list, tuple)) else (result,)
        if len(results) != len(outs):
            raise AssertionError(f"symbolic of {cls.__name__} gave {len(results)} outputs "
                                 f"for {len(outs)}")
        for o, r in zip(outs, results, strict=True):
            if r is None:
                r = _Poison(_unsupported(cls.__name__, "this output"))
            elif isinstance(r, str):
                self.g.dtypes[r] = o._data.dtype
                self.recent.append((o, r))
            self.bind(o, r)
        del self.recent[:-64]

    def _alt_for(self, call: Call) -> Call | None:
        if self.alt_broken:
            return None
        if self.index >= len(self.alt_calls) or self.alt_calls[self.index].cls is not call.cls:
            self.alt_broken = True
            return None
        return self.alt_calls[self.index]



def _same_free(alt: Call, i: int, a) -> bool:
    """True if argument ``i``, which no traced op made, is the same in the altered run."""
    if i >= len(alt.free) or not alt.free[i]:
        return False
    mine = a._data if isinstance(a, Tensor) else a
    other = alt.args[i]
    return np.shape(mine) == np.shape(other) and np.array_equal(
        mine, other, equal_nan=np.asarray(mine).dtype.kind == "f")


def _named_tensors(model) -> dict[int, str]:
    named: dict[int, str] = {}
    if hasattr(model, "named_parameters"):
        for n, p in model.named_parameters():
            named.setdefault(id(p), n)
            named.setdefault(id(p._data), n)
    if hasattr(model, "named_buffers"):
        for n, b in model.named_buffers():
            if b is not None:
                named.setdefault(id(b), n)
                named.setdefault(id(b._data), n)
    return named


def _set_mode(model, mode: TrainingMode) -> list | None:
    if not hasattr(model, "modules") or mode is TrainingMode.PRESERVE:
        return None
    saved = [(m, m.training) for m in model.modules()]
    model.train(mode is TrainingMode.TRAINING)
    return saved


def _run(model, args, kwargs, observer):
    with no_grad(), observe_ops(observer):
        return model(*args, **kwargs)


def export(model, args=(), f=None, *, kwargs: dict | None = None, verbose: bool | None = None,
           input_names=None, output_names=None, opset_version: int | None = None,
           dynamo: bool = True, external_data: bool = True, dynamic_shapes=None,
           custom_translation_table=None, report: bool = False, optimize: bool = True,
           verify: bool = False, profile: bool = False, dump_exported_program: bool = False,
           artifacts_dir=".", export_params: bool = True,
           keep_initializers_as_inputs: bool = False, dynamic_axes=None,
           training=TrainingMode.EVAL, operator_export_type=None,
           do_constant_folding: bool = True, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining: bool = True):
    """Exports a model to an ONNX file, as ``torch.onnx.export``.

    The model runs once on ``args`` (and once on altered inputs, see the module docstring);
    the built-in ops it runs are written as ONNX nodes. Python control flow and non-tensor
    arguments are frozen as in that run.

    Args:
        model: an ``nn.Module`` (or a callable taking and returning tensors).
        args: the example positional inputs: a tensor or a tuple (a last dict holds keyword
            arguments, as in torch).
        f: a path or a binary file object to write to; None writes nothing.
        kwargs: example keyword inputs.
        verbose: print the graph.
        input_names: names of the graph inputs (the example tensors, in order); defaults are
            the names of ``forward``'s parameters.
        output_names: names of the graph outputs (the flattened tensors the model returns);
            default ``output`` (``output_0``, ``output_1`` ... for several).
        opset_version: the ONNX opset, 13 to 20 (default 17).
        dynamo, external_data, optimize, artifacts_dir, autograd_inlining: accepted for
            torch compatibility and ignored (the legacy, tracing exporter is what this is).
        export_params: write parameters and buffers as initializers; if False they become
            graph inputs named after them.
        keep_initializers_as_inputs: also list initializers as graph inputs.
        dynamic_axes: symbolic dims, ``{"input": {0: "batch"}}`` or ``{"input": [0]}``, for
            inputs and outputs.
        training: ``TrainingMode.EVAL`` (default: the model is exported in eval mode and its
            modes restored after), ``PRESERVE`` or ``TRAINING``.
        operator_export_type: only ``ONNX``.
        do_constant_folding: compute ops whose inputs are all constants at export time.
        dynamic_shapes, custom_translation_table, report, verify, profile,
        dump_exported_program, custom_opsets, export_modules_as_functions: not supported
            (a NotImplementedError if used).

    Returns:
        The ``onnx.ModelProto`` (torch returns None or an ONNXProgram).

    Raises:
        ImportError: the onnx package is not installed.
        UnsupportedOperatorError: an op of the model has no ONNX translation.

    Example:
        >>> model = ember.nn.Sequential(ember.nn.Linear(4, 2), ember.nn.ReLU())
        >>> proto = ember.onnx.export(model, (ember.randn(3, 4),), "mlp.onnx",
        ...                           input_names=["x"], output_names=["y"],
        ...                           dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        >>> [node.op_type for node in proto.graph.node]
        ['Gemm', 'Relu']
    """
    try:
        import onnx  # optional (pip install "ember[onnx]") and slow to load: only when exporting
    except ImportError:
        raise ImportError(_MISSING) from None

    opset, mode = _check_options(opset_version, training, operator_export_type, custom_opsets,
                                 export_modules_as_functions, dynamic_shapes,
                                 custom_translation_table, report, profile,
                                 dump_exported_program, verify)
    args, kwargs = _split_args(args, kwargs)
    entries = _input_tensors(args, kwargs)
    names = _default_input_names(model, args, entries)
    if input_names is not None:
        input_names = list(input_names)
        if len(input_names) > len(entries):
            raise ValueError(f"input_names has {len(input_names)} names but the model has "
                             f"{len(entries)} tensor inputs")
        names[:len(input_names)] = input_names
    saved_modes = _set_mode(model, mode)
    try:
        return _export(onnx, SYMBOLICS, model, args, kwargs, f, entries, names, output_names,
                       opset, dynamic_axes, export_params, keep_initializers_as_inputs,
                       do_constant_folding, verbose)
    finally:
        for m, was_training in saved_modes or ():
            m.training = was_training


def _export(onnx, symbolics, model, args, kwargs, f, entries, in_names, output_names, opset,
            dynamic_axes, export_params, keep_initializers_as_inputs, fold, verbose):
    helper = onnx.helper
    # the run on altered inputs (its output names are not known yet: check after)
    out_names_guess = list(output_names or [])
    spec = _dynamic_spec(dynamic_axes, in_names, out_names_guess or _any_names(dynamic_axes,
                                                                               in_names))
    dynamic = any(spec.get(n) for n in in_names)
    alt_result, alt_calls = _altered_run(model, args, kwargs, entries, in_names, spec, dynamic)

    g = GraphBuilder(onnx, opset)
    tracer = _Tracer(g, symbolics, _named_tensors(model), not export_params, fold, alt_calls)
    for name, (_, t) in zip(in_names, entries, strict=True):
        tracer.add_input(t, name)
    result = _run(model, args, kwargs, tracer)
    if alt_calls is not None and (tracer.alt_broken or tracer.index != len(alt_calls)):
        if dynamic:
            raise RuntimeError("ember.onnx.export: the model runs different ops when the sizes "
                               "along dynamic_axes change; it cannot be exported with these "
                               "dynamic_axes")
        warnings.warn("ember.onnx.export: the model ran different ops on other input values "
                      "(data-dependent control flow); the graph follows the example inputs",
                      stacklevel=3)

    outs = _flat_outputs(result)
    alt_outs = None if alt_result is None or tracer.alt_broken else _flat_outputs(alt_result)
    output_names = _output_names(output_names, len(outs))
    spec = _dynamic_spec(dynamic_axes, in_names, output_names)
    graph_outputs = _graph_outputs(onnx, tracer, outs, alt_outs, output_names, in_names, spec)
    nodes = _live_nodes(g.nodes, set(output_names))
    used = {i for n in nodes for i in n.input} | set(output_names)
    graph_inputs = [_value_info(onnx, name, t._data, spec.get(name, {}), None)
                    for name, (_, t) in zip(in_names, entries, strict=True)]
    graph_inputs += [_value_info(onnx, name, array, {}, None)
                     for name, array in tracer.param_inputs.items() if name in used]
    inits = []
    for name, array in g.initializers.items():
        if name in used:
            inits.append(onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
            if keep_initializers_as_inputs:
                graph_inputs.append(_value_info(onnx, name, array, {}, None))
    graph = helper.make_graph(nodes, _graph_name(model), graph_inputs, graph_outputs, inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="ember", producer_version=_version())
    proto.ir_version = min(proto.ir_version, _IR_FOR_OPSET.get(opset, 8))
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if f is not None:
        _write(proto.SerializeToString(), f)
    return proto


def _altered_run(model, args, kwargs, entries, in_names, spec, dynamic: bool):
    """Runs the model on altered inputs (sizes doubled along the dynamic axes), recording its
    ops: ``(result, calls)``, or ``(None, None)`` if it fails and no axis is dynamic."""
    dyn_by_input = {id(t): sorted(spec.get(n, {})) for n, (_, t) in zip(in_names, entries,
                                                                         strict=True)}
    for name, (_, t) in zip(in_names, entries, strict=True):
        for a in spec.get(name, {}):
            if not -t.dim() <= a < t.dim():
                raise ValueError(f"dynamic_axes[{name!r}] has axis {a}, but {name} has "
                                 f"{t.dim()} dims")
    _check_shared_dims(spec, in_names, entries)
    rng = np.random.default_rng(0)
    alt_args, alt_kwargs = _altered_args(args, kwargs, entries, dyn_by_input, rng)
    recorder = _Recorder()
    for _, t in _input_tensors(alt_args, alt_kwargs):
        recorder.produced.add(id(t))
        recorder.produced.add(id(t._data))
    try:
        return _run(model, alt_args, alt_kwargs, recorder), recorder.calls
    except Exception as e:
        if dynamic:
            raise RuntimeError(f"ember.onnx.export: the model fails on inputs resized along "
                               f"dynamic_axes ({type(e).__name__}: {e}); check dynamic_axes"
                               ) from e
        return None, None


def _flat_outputs(result) -> list[Tensor]:
    outs: list[Tensor] = []
    _flatten(result, "output", outs)
    return outs


def _output_names(output_names, n: int) -> list[str]:
    """The user's output names completed to ``n`` (``output``, or ``output_<i>``)."""
    if output_names is None:
        return ["output"] if n == 1 else [f"output_{i}" for i in range(n)]
    output_names = list(output_names)
    if len(output_names) > n:
        raise ValueError(f"output_names has {len(output_names)} names but the model returns "
                         f"{n} tensors")
    return output_names + [f"output_{i}" for i in range(len(output_names), n)]


def _graph_outputs(onnx, tracer: _Tracer, outs, alt_outs, output_names, in_names, spec) -> list:
    """The graph's outputs: the node that makes an output is renamed after it, or an Identity
    node copies it (an input, or a value returned twice)."""
    g = tracer.g
    graph_outputs, renames = [], {}
    produced = {o for n in g.nodes for o in n.output}
    for i, (t, oname) in enumerate(zip(outs, output_names, strict=True)):
        value = tracer.lookup(t, f"output {oname}")
        if isinstance(value, _Poison):
            raise value.error
        if value in produced and value not in renames and value not in in_names:
            renames[value] = oname
        else:
            src = renames.get(value, value)
            g.nodes.append(onnx.helper.make_node("Identity", [src], [oname],
                                                 name=f"output_{oname}"))
        alt_shape = alt_outs[i].shape if alt_outs is not None and i < len(alt_outs) else None
        graph_outputs.append(_value_info(onnx, oname, t._data, spec.get(oname, {}), alt_shape))
    for node in g.nodes:
        for names in (node.input, node.output):
            for k, n in enumerate(names):
                if n in renames:
                    names[k] = renames[n]
    return graph_outputs


def _write(data: bytes, f) -> None:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif isinstance(f, io.TextIOBase):
        raise TypeError("ember.onnx.export writes binary data: open the file with 'wb'")
    else:
        f.write(data)


#: The IR version onnxruntime releases expect with each opset (the newest IR the
#: opset shipped with).
_IR_FOR_OPSET = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9}


def _any_names(dynamic_axes, in_names) -> list[str]:
    return [k for k in (dynamic_axes or {}) if k not in in_names]


def _check_shared_dims(spec, in_names, entries) -> None:
    sizes: dict[str, tuple[int, str]] = {}
    for name, (_, t) in zip(in_names, entries, strict=True):
        for axis, dim in spec.get(name, {}).items():
            n = t.shape[axis]
            if dim in sizes and sizes[dim][0] != n:
                raise ValueError(f"dynamic_axes: dim {dim!r} is {sizes[dim][0]} in "
                                 f"{sizes[dim][1]} but {n} in {name}")
            sizes.setdefault(dim, (n, name))


def _value_info(onnx, name: str, array: np.ndarray, axes: dict, alt_shape):
    shape: list = list(array.shape)
    for a, dim in axes.items():
        shape[a] = dim
    if alt_shape is not None:
        for a, (n, m) in enumerate(zip(array.shape, alt_shape, strict=False)):
            if n != m and isinstance(shape[a], int):
                shape[a] = f"{name}_dim_{a}"
    elem = onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
    return onnx.helper.make_tensor_value_info(name, elem, shape)


def _live_nodes(nodes: list, needed: set) -> list:
    """The nodes the outputs depend on, in their order (dead ones dropped)."""
    needed = set(needed)
    keep = []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    return keep[::-1]


def _graph_name(model) -> str:
    return type(model).__name__ if not inspect.isfunction(model) else model.__name__


def _version() -> str:
    return ember.__version__
