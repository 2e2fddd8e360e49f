"""nn.Module's surface against torch: where re-registered names go, torch's
``nn.modules.<family>`` import paths, ``flatten_parameters``, and the Module methods torch
programs use (dotted lookups, hooks, traversal flags, casts, state-dict loading).

Each check runs the same sequence of operations on both libraries and compares what they
report."""

import importlib
import inspect

import numpy as np
import pytest
import torch
from tests.nn.test_module import outcome as _outcome
from tests.torch_compare import assert_same, both

import ember


def outcome(fn):
    """The value of ``fn()``, or its error's type and message with the library name removed."""
    got = _outcome(fn)
    if isinstance(got, tuple) and len(got) == 2 and got[0] in ERRORS:
        return got[0], got[1].replace("torch ", "").replace("ember ", "")
    return got


ERRORS = {"TypeError", "KeyError", "AttributeError", "ValueError", "RuntimeError"}


def keys(m):
    """Everything whose order the registration dicts decide."""
    return (list(m._parameters), list(m._buffers), list(m._modules),
            sorted(m._non_persistent_buffers_set), list(m.state_dict()),
            [n for n, _ in m.named_parameters()], [n for n, _ in m.named_children()])


def net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = nn.ReLU()
            self.c = nn.Linear(2, 2)
            self.p = nn.Parameter(lib.ones(1))
            self.q = nn.Parameter(lib.ones(1))
            self.register_buffer("running_mean", lib.zeros(2))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.register_buffer("count", lib.zeros(1))
            self.plain = 3

    return Net()


# Each step is (description, fn(lib, m)); the key lists (or the error) after every step of a
# sequence must equal torch's.
STEPS = {
    "child reassigned": lambda lib, m: setattr(m, "a", lib.nn.Tanh()),
    "parameter reassigned": lambda lib, m: setattr(m, "p", lib.nn.Parameter(lib.zeros(1))),
    "inner parameter reassigned": lambda lib, m: setattr(
        m.a, "weight", lib.nn.Parameter(lib.zeros(2, 2))),
    "register_buffer existing": lambda lib, m: m.register_buffer("running_mean", lib.ones(2)),
    "register_buffer existing non-persistent": lambda lib, m: m.register_buffer(
        "running_mean", lib.ones(2), persistent=False),
    "tensor to buffer": lambda lib, m: setattr(m, "running_mean", lib.ones(2)),
    "tensor to non-persistent buffer": lambda lib, m: setattr(m, "cache", lib.ones(2)),
    "Buffer object": lambda lib, m: setattr(m, "running_mean",
                                            lib.nn.Buffer(lib.ones(2), persistent=False)),
    "new Buffer object": lambda lib, m: setattr(m, "fresh", lib.nn.Buffer(lib.ones(1))),
    "register_parameter existing": lambda lib, m: m.register_parameter(
        "p", lib.nn.Parameter(lib.ones(1))),
    "add_module existing": lambda lib, m: m.add_module("a", lib.nn.Identity()),
    "register_module existing": lambda lib, m: m.register_module("a", lib.nn.Identity()),
    "delete and re-add child": lambda lib, m: (delattr(m, "a"), setattr(m, "a", lib.nn.ReLU())),
    "delete and re-add parameter": lambda lib, m: (
        delattr(m, "p"), setattr(m, "p", lib.nn.Parameter(lib.ones(1)))),
    "delete and re-add buffer": lambda lib, m: (
        delattr(m, "running_mean"), m.register_buffer("running_mean", lib.ones(2))),
    "None to parameter": lambda lib, m: setattr(m, "p", None),
    "None to child": lambda lib, m: setattr(m, "a", None),
    "None to buffer": lambda lib, m: setattr(m, "running_mean", None),
    "None then value again": lambda lib, m: (setattr(m, "p", None),
                                             setattr(m, "p", lib.nn.Parameter(lib.ones(1)))),
    "buffer becomes parameter": lambda lib, m: setattr(
        m, "cache", lib.nn.Parameter(lib.ones(2))),
    "child becomes parameter": lambda lib, m: setattr(m, "b", lib.nn.Parameter(lib.ones(1))),
    "buffer becomes child": lambda lib, m: setattr(m, "count", lib.nn.ReLU()),
    "plain attribute becomes parameter": lambda lib, m: setattr(
        m, "plain", lib.nn.Parameter(lib.ones(1))),
    "plain attribute becomes child": lambda lib, m: setattr(m, "plain", lib.nn.ReLU()),
    "tensor to parameter": lambda lib, m: setattr(m, "p", lib.zeros(1)),
    "child to parameter": lambda lib, m: setattr(m, "p", lib.nn.ReLU()),
    "tensor to child": lambda lib, m: setattr(m, "a", lib.zeros(1)),
    "int to buffer": lambda lib, m: setattr(m, "count", 3),
    "register_parameter on a buffer": lambda lib, m: m.register_parameter(
        "count", lib.nn.Parameter(lib.ones(1))),
    "register_buffer on a parameter": lambda lib, m: m.register_buffer("p", lib.ones(1)),
    "add_module on a parameter": lambda lib, m: m.add_module("p", lib.nn.ReLU()),
    "register_parameter with a tensor": lambda lib, m: m.register_parameter("p", lib.ones(1)),
    "add_module with a tensor": lambda lib, m: m.add_module("z", lib.ones(1)),
    "register_buffer with a list": lambda lib, m: m.register_buffer("count", [1]),
    "non-leaf parameter": lambda lib, m: m.register_parameter(
        "p", lib.nn.Parameter(lib.ones(1)) * 2),
    "add_module with an int name": lambda lib, m: m.add_module(1, lib.nn.ReLU()),
    "register_buffer dotted on existing": lambda lib, m: m.register_buffer("a.b", None),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_registration_keeps_torch_order(step):
    def run(lib):
        lib.manual_seed(0)
        m = net(lib)
        got = outcome(lambda: STEPS[step](lib, m))
        error = got if isinstance(got, tuple) and got and isinstance(got[0], str) else None
        return error, keys(m), keys(m.a) if isinstance(m.a, lib.nn.Module) else None

    both(run, rtol=0, atol=0)


def test_registration_sequence_and_values():
    # several re-assignments in a row, then the values the state dict holds
    def run(lib):
        m = net(lib)
        with lib.no_grad():
            m.a = lib.nn.Linear(2, 2)
            m.a.weight = lib.nn.Parameter(lib.full((2, 2), 5.0))
            m.register_buffer("running_mean", lib.full((2,), 7.0))
            m.q = lib.nn.Parameter(lib.full((1,), 3.0))
            m.count = lib.full((1,), 2.0)
        sd = m.state_dict()
        return keys(m), {k: sd[k].tolist() for k in ("a.weight", "running_mean", "q", "count")}

    both(run, rtol=0, atol=0)


# -- import paths ------------------------------------------------------------------------


def shared_classes():
    return [name for name in sorted(dir(ember.nn))
            if inspect.isclass(getattr(ember.nn, name)) and hasattr(torch.nn, name)]


def test_every_shared_class_lives_at_torchs_path():
    names = shared_classes()
    assert len(names) > 100
    for name in names:
        path = getattr(torch.nn, name).__module__.replace("torch", "ember", 1)
        cls = getattr(ember.nn, name)
        assert getattr(importlib.import_module(path), name) is cls, name
        assert cls.__module__ == path, name


def test_named_import_paths():
    from ember.nn.modules.activation import MultiheadAttention
    from ember.nn.modules.batchnorm import BatchNorm2d, _BatchNorm, _NormBase
    from ember.nn.modules.instancenorm import InstanceNorm2d
    from ember.nn.modules.module import Module
    from ember.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle
    from ember.nn.modules.rnn import LSTM, RNNBase, RNNCellBase
    from ember.nn.parameter import Parameter

    assert (MultiheadAttention, BatchNorm2d, InstanceNorm2d, Module, PixelShuffle,
            PixelUnshuffle, LSTM, RNNBase, RNNCellBase, Parameter) == (
        ember.nn.MultiheadAttention, ember.nn.BatchNorm2d, ember.nn.InstanceNorm2d,
        ember.nn.Module, ember.nn.PixelShuffle, ember.nn.PixelUnshuffle, ember.nn.LSTM,
        ember.nn.RNNBase, ember.nn.RNNCellBase, ember.nn.Parameter)
    # torch's class hierarchy: instance norm is not a batch norm
    assert issubclass(BatchNorm2d, _BatchNorm) and issubclass(InstanceNorm2d, _NormBase)
    assert not issubclass(InstanceNorm2d, _BatchNorm)


def test_nn_namespace_has_no_names_torch_lacks():
    extra = [n for n in shared_classes() if n not in dir(torch.nn)]
    own = [n for n in dir(ember.nn) if inspect.isclass(getattr(ember.nn, n))
           and not hasattr(torch.nn, n)]
    assert extra == [] and own == []


def test_hierarchy_matches_torch():
    def run(lib):
        mods = lib.nn.modules
        return [isinstance(lib.nn.InstanceNorm1d(3), mods.batchnorm._BatchNorm),
                isinstance(lib.nn.InstanceNorm1d(3), mods.batchnorm._NormBase),
                isinstance(lib.nn.BatchNorm1d(3), mods.batchnorm._BatchNorm),
                isinstance(lib.nn.LSTM(2, 3), mods.rnn.RNNBase),
                isinstance(lib.nn.GRUCell(2, 3), mods.rnn.RNNCellBase),
                type(lib.nn.MultiheadAttention(4, 2).out_proj).__name__]

    both(run, rtol=0, atol=0)


# -- flatten_parameters ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_flatten_parameters_changes_nothing(kind):
    rnn = getattr(ember.nn, kind)(3, 4, num_layers=2, bidirectional=True)
    before = [(n, id(p), p.detach().numpy().copy()) for n, p in rnn.named_parameters()]
    assert rnn.flatten_parameters() is None
    after = list(rnn.named_parameters())
    assert [(n, id(p)) for n, p in after] == [(n, i) for n, i, _ in before]
    for (_, _, value), (_, p) in zip(before, after, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), value)


def test_all_weights_as_torch():
    def run(lib):
        rnn = lib.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
        named = {id(p): n for n, p in rnn.named_parameters()}
        return [[named[id(p)] for p in layer] for layer in rnn.all_weights], rnn._all_weights

    both(run, rtol=0, atol=0)


def test_program_calling_flatten_parameters_in_forward():
    def build(lib):
        nn = lib.nn

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(3, 5, batch_first=True)
                self.out = nn.Linear(5, 2)

            def forward(self, x):
                self.rnn.flatten_parameters()
                h, _ = self.rnn(x)
                return self.out(h)

        return Tagger()

    torch.manual_seed(0)
    t = build(torch)
    e = build(ember)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    assert_same(e(ember.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)


# -- lookups by dotted path --------------------------------------------------------------


def deep(lib):
    nn = lib.nn
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3), nn.ReLU()))
    m.extra = 4
    return m


def test_get_and_set_submodule():
    def run(lib):
        m = deep(lib)
        nn = lib.nn
        got = [type(m.get_submodule(t)).__name__ for t in ("", "0", "1.0", "1.1")]
        got += [outcome(lambda t=t: m.get_submodule(t))
                for t in ("2", "0.weight", "1.5", "extra")]
        got += [type(m.get_parameter("1.0.weight")).__name__,
                m.get_buffer("1.0.running_var").tolist()]
        got += [outcome(lambda t=t: m.get_parameter(t))
                for t in ("1.0.running_mean", "1.0.nope", "9.weight", "extra")]
        got += [outcome(lambda t=t: m.get_buffer(t))
                for t in ("1.0.weight", "1.0.nope", "0.9.x")]
        m.set_submodule("1.1", nn.Tanh())
        m.set_submodule("1.new", nn.Identity())
        got += [keys(m[1]), type(m[1][1]).__name__]
        got += [outcome(lambda: m.set_submodule("", nn.ReLU())),
                outcome(lambda: m.set_submodule("1.zz", nn.ReLU(), strict=True)),
                outcome(lambda: m.set_submodule("0.weight", nn.ReLU())),
                outcome(lambda: m.set_submodule("7.x", nn.ReLU()))]
        got.append(outcome(lambda: m.set_submodule("0", 3))[0])
        return got

    both(run, rtol=0, atol=0)


# -- hooks -------------------------------------------------------------------------------


def test_forward_hooks_kwargs_prepend_and_always_call():
    def run(lib):
        calls = []

        class Scale(lib.nn.Module):
            def forward(self, x, factor=1.0):
                if factor == 0:
                    raise ValueError("factor 0")
                return x * factor

        m = Scale()
        m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] + 1,))
        m.register_forward_pre_hook(lambda mod, args: calls.append("pre-first"), prepend=True)
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: (args, {**kwargs, "factor": kwargs.get("factor", 1) * 10}),
            with_kwargs=True)
        m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 100)
        h_kw = m.register_forward_hook(
            lambda mod, args, kwargs, out: calls.append(("post-kw", sorted(kwargs))),
            with_kwargs=True, prepend=True)
        h_always = m.register_forward_hook(
            lambda mod, args, out: calls.append(("always", out is None)), always_call=True)
        out = m(lib.ones(2), factor=2.0)
        first = (out.tolist(), list(calls))
        calls.clear()
        error = outcome(lambda: m(lib.ones(2), factor=0))
        second = (error, list(calls))
        h_kw.remove()
        h_kw.remove()
        with h_always:
            pass
        calls.clear()
        m(lib.ones(2))
        bad = m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
        third = (list(calls), outcome(lambda: m(lib.ones(2))))
        bad.remove()
        return first, second, third

    both(run, rtol=0, atol=0)


def test_pre_hook_returning_a_single_value_is_wrapped():
    def run(lib):
        m = lib.nn.Identity()
        m.register_forward_pre_hook(lambda mod, args: args[0] * 3)
        return m(lib.ones(2)).tolist()

    both(run, rtol=0, atol=0)


# -- traversal flags, modes, grads, casts ------------------------------------------------


def shared(lib):
    nn = lib.nn
    lib.manual_seed(0)
    inner = nn.Linear(2, 2)
    m = nn.Sequential(inner, nn.ReLU(), inner, nn.Sequential(inner))
    m.tied = nn.Parameter(inner.weight.detach().clone())
    return m


def test_remove_duplicate_flags():
    def run(lib):
        m = shared(lib)
        memo = set()
        first = [n for n, _ in m.named_modules(memo=memo)]
        return ([n for n, _ in m.named_modules()],
                [n for n, _ in m.named_modules(remove_duplicate=False)],
                [type(x).__name__ for x in m.modules(remove_duplicate=False)],
                [n for n, _ in m.named_parameters()],
                [n for n, _ in m.named_parameters(remove_duplicate=False)],
                [n for n, _ in m.named_parameters(prefix="net", recurse=False)],
                [n for n, _ in m.named_children()], first, len(memo),
                [n for n, _ in m.named_modules(memo=memo)])

    both(run, rtol=0, atol=0)


def test_train_calls_each_childs_train():
    def run(lib):
        seen = []

        class Frozen(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = lib.nn.BatchNorm1d(2)

            def train(self, mode=True):
                seen.append(mode)
                super().train(mode)
                self.bn.eval()
                return self

        m = lib.nn.Sequential(Frozen(), lib.nn.Dropout())
        m.train()
        m.eval()
        m.train()
        return seen, [x.training for x in m.modules()], outcome(lambda: m.train(1))

    both(run, rtol=0, atol=0)


def test_zero_grad_set_to_none_false_and_requires_grad():
    def run(lib):
        m = shared(lib)
        m(lib.ones(1, 2)).sum().backward()
        m.zero_grad(set_to_none=False)
        zeros = [(p.grad.abs().sum().item(), p.grad.requires_grad) for p in m.parameters()
                 if p.grad is not None]
        m.zero_grad()
        frozen = m.requires_grad_(False) is m
        return zeros, [p.grad for p in m.parameters()], frozen, [
            p.requires_grad for p in m.parameters()]

    both(run, rtol=0, atol=0)


def test_casts():
    def run(lib):
        out = []
        for cast in ("double", "float", "half", "bfloat16", "float"):
            m = lib.nn.BatchNorm1d(2)
            weight = m.weight
            result = getattr(m, cast)()
            out.append((result is m, m.weight is weight,
                        [str(t.dtype).split(".")[1] for t in m.state_dict().values()]))
        m = lib.nn.BatchNorm1d(2)
        m.type(lib.float64)
        out.append([str(t.dtype).split(".")[1] for t in m.state_dict().values()])
        out.append(outcome(lambda: m.to(lib.int64)))
        out.append([str(t.dtype).split(".")[1] for t in m.to("cpu", lib.float32).state_dict()
                    .values()])
        return out

    both(run, rtol=0, atol=0)


def test_cast_keeps_gradients_and_optimizer_links():
    def run(lib):
        m = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        m(lib.ones(1, 2)).sum().backward()
        m.double()
        return (opt.param_groups[0]["params"][0] is m.weight,
                str(m.weight.grad.dtype).split(".")[1], m.weight.grad.tolist())

    both(run, rtol=0, atol=0)


def test_dir_lists_registered_names_without_digit_keys():
    def run(lib):
        m = deep(lib)
        m.register_buffer("buf", lib.zeros(1))
        names = dir(m)
        return (["0" in names, "1" in names, "extra" in names, "buf" in names,
                 "training" in names, names == sorted(names)],
                [n for n in dir(m[1][0]) if n in ("weight", "running_mean", "num_features")])

    both(run, rtol=0, atol=0)


# -- state dicts -------------------------------------------------------------------------


def test_state_dict_prefix_keep_vars_and_metadata():
    def run(lib):
        m = deep(lib)
        kept = m.state_dict(prefix="net.", keep_vars=True)
        plain = m.state_dict()
        target = {}
        filled = m.state_dict(destination=target) is target
        with pytest.warns(FutureWarning):
            positional = m.state_dict(None, "p.", True)
        return (list(kept), kept["net.0.weight"] is m[0].weight,
                plain["0.weight"] is m[0].weight, plain["0.weight"].requires_grad,
                dict(plain._metadata), filled, list(target),
                list(positional), positional["p.0.weight"] is m[0].weight)

    both(run, rtol=0, atol=0)


def test_load_state_dict_results_and_errors():
    def run(lib):
        m = deep(lib)
        sd = {k: v.clone() for k, v in deep(lib).state_dict().items()}
        ok = m.load_state_dict(sd)
        partial = dict(sd)
        partial.pop("0.bias")
        partial["zz"] = lib.zeros(1)
        partial["1.0.zz"] = lib.zeros(1)
        partial["9.weight"] = lib.zeros(1)
        loose = m.load_state_dict(partial, strict=False)
        strict = outcome(lambda: m.load_state_dict(partial))
        wrong = outcome(lambda: m.load_state_dict({**sd, "0.bias": [1.0, 2.0, 3.0]}))
        not_dict = outcome(lambda: m.load_state_dict([1]))
        return (repr(ok), ok == ([], []), repr(loose), loose.missing_keys,
                loose.unexpected_keys, strict, wrong[0], not_dict[0])

    both(run, rtol=0, atol=0)


def test_load_state_dict_shared_module_and_scalar():
    def run(lib):
        m = shared(lib)
        sd = {k: lib.full(v.shape, float(i)) for i, (k, v) in enumerate(m.state_dict().items())}
        result = m.load_state_dict(sd)
        bn = lib.nn.BatchNorm1d(2)
        scalar = {k: v for k, v in bn.state_dict().items()}
        scalar["num_batches_tracked"] = lib.tensor([5])
        bn.load_state_dict(scalar)
        return (repr(result), list(sd), m[0].weight.tolist(), m.tied.tolist(),
                bn.num_batches_tracked.tolist())

    both(run, rtol=0, atol=0)


def test_load_state_dict_assign():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        m.bias.requires_grad_(False)
        bn = lib.nn.BatchNorm1d(2)
        weight = lib.full((2, 2), 3.0)
        m.load_state_dict({"weight": weight, "bias": lib.zeros(2)}, assign=True)
        sd = {k: v.clone() for k, v in bn.state_dict().items()}
        bn.load_state_dict(sd, assign=True)
        return (type(m.weight).__name__, m.weight.requires_grad, m.bias.requires_grad,
                m.weight.data_ptr() == weight.data_ptr(), list(m.state_dict()),
                bn.running_mean is sd["running_mean"], list(bn.state_dict()))

    both(run, rtol=0, atol=0)


def test_norm_checkpoints_without_metadata():
    def run(lib):
        bn = lib.nn.BatchNorm1d(2)
        bn.num_batches_tracked += 4
        old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        no_metadata = outcome(lambda: repr(bn.load_state_dict(old)))
        with_metadata = bn.state_dict()
        with_metadata.pop("num_batches_tracked")
        versioned = outcome(lambda: bn.load_state_dict(with_metadata))
        inorm = lib.nn.InstanceNorm1d(2)
        stale = {"running_mean": lib.zeros(2), "running_var": lib.ones(2)}
        return (no_metadata, bn.num_batches_tracked.item(), versioned,
                outcome(lambda: inorm.load_state_dict(stale)))

    both(run, rtol=0, atol=0)


def test_extra_state_round_trip():
    def run(lib):
        class WithExtra(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(1, 1)
                self.note = "a"

            def get_extra_state(self):
                return {"note": self.note}

            def set_extra_state(self, state):
                self.note = state["note"]

        m = WithExtra()
        sd = m.state_dict()
        sd["_extra_state"] = {"note": "b"}
        m.load_state_dict(sd)
        plain = lib.nn.Linear(1, 1)
        extra = {**plain.state_dict(), "_extra_state": 1}
        return list(sd), m.note, outcome(lambda: plain.load_state_dict(extra)), outcome(
            lambda: m.load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"}))

    both(run, rtol=0, atol=0)
