"""nn.Module and the containers against torch: registration, traversal order and names,
state_dict round trips and their errors, mode and dtype switches, container indexing, reprs.

Every check builds the same model in both libraries and compares what they report."""

from collections import OrderedDict

import numpy as np
import torch
from tests.torch_compare import both


def build(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)),
                                                       ("act", nn.ReLU())]))
            self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 2)])
            self.extra = nn.ModuleDict({"b": nn.BatchNorm1d(4), "a": nn.Identity()})
            self.scale = nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.register_parameter("unused", None)

        def forward(self, x):
            h = self.extra["b"](self.features(x))
            return (self.heads[0](h) + self.heads[1](h)) * self.scale

    lib.manual_seed(0)
    return Net()


def outcome(fn):
    """The value of ``fn()``, or the exception's type name and message."""
    try:
        return fn()
    except Exception as exc:
        return type(exc).__name__, str(exc).replace("torch.", "").replace("ember.", "")


def same(fn):
    """``fn(lib, model)`` on the same model in each library gives equal results."""
    both(lambda lib: fn(lib, build(lib)), rtol=0, atol=0)


def test_traversal_names_and_order():
    same(lambda lib, m: (list(m.state_dict()), [n for n, _ in m.named_parameters()],
                         [n for n, _ in m.named_buffers()], [n for n, _ in m.named_modules()],
                         [type(c).__name__ for c in m.children()],
                         [n for n, _ in m.named_children()]))


def test_repr():
    same(lambda lib, m: repr(m))
    same(lambda lib, m: repr(lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh(),
                                                lib.nn.ReLU()])))
    same(lambda lib, m: repr(lib.nn.ModuleList()))


def test_state_dict_round_trip_and_errors():
    t_model = build(torch)
    with torch.no_grad():
        for p in t_model.parameters():
            p.add_(torch.rand(p.shape))
    sd = {k: v.numpy().copy() for k, v in t_model.state_dict().items()}
    missing = {k: v for k, v in sd.items() if k != "scale"} | {"zzz": np.zeros(1, np.float32)}
    resized = sd | {"scale": np.zeros(2, np.float32)}

    def check(lib, m):
        m.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
        values = {k: v.detach().numpy().tolist() for k, v in m.state_dict().items()}
        strict = outcome(lambda: m.load_state_dict({k: lib.tensor(v) for k, v in missing.items()}))
        loose = m.load_state_dict({k: lib.tensor(v) for k, v in missing.items()}, strict=False)
        size = outcome(lambda: m.load_state_dict({k: lib.tensor(v) for k, v in resized.items()}))
        return values, strict, (loose.missing_keys, loose.unexpected_keys), size

    same(check)


def test_registration_rules():
    def check(lib, m):
        nn = lib.nn

        class Early(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(lib.ones(1))

        return [
            outcome(lambda: setattr(m, "scale", lib.zeros(1))),
            outcome(Early),
            outcome(lambda: m.add_module("a.b", nn.ReLU())),
            outcome(lambda: m.register_parameter("a.b", None)),
            outcome(lambda: m.register_buffer("", None)),
            outcome(lambda: m.register_buffer("scale", lib.zeros(1))),
            outcome(lambda: m.nope),
            outcome(lambda: m.heads[5]),
            outcome(lambda: m.extra["zz"]),
        ]

    same(check)


def test_modes_grads_apply_and_dtype():
    def check(lib, m):
        order = []
        m.apply(lambda mod: order.append(type(mod).__name__))
        m.eval()
        eval_flags = [mod.training for mod in m.modules()]
        m.train()
        m.requires_grad_(False)
        frozen = [p.requires_grad for p in m.parameters()]
        m.requires_grad_(True)
        m(lib.ones(5, 3)).sum().backward()
        had_grads = all(p.grad is not None for p in m.parameters())
        m.zero_grad()
        cleared = [p.grad for p in m.parameters()]
        same_object = m.to(lib.float64) is m
        dtypes = [str(t.dtype).split(".")[-1] for t in (m.scale, m.steps, m.cache)]
        del m.steps
        return (order, eval_flags, frozen, had_grads, cleared, same_object, dtypes,
                [n for n, _ in m.named_buffers()])

    same(check)


def test_containers():
    def check(lib, m):
        nn = lib.nn
        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Tanh())
        seq.append(nn.Sigmoid())
        lst = nn.ModuleList([nn.ReLU()])
        lst.extend([nn.Tanh(), nn.Sigmoid()])
        lst.insert(1, nn.Identity())
        lst += [nn.ReLU()]
        dct = nn.ModuleDict({"x": nn.ReLU()})
        dct.update({"y": nn.Tanh()})
        popped = type(dct.pop("x")).__name__
        names = lambda mods: [type(x).__name__ for x in mods]  # noqa: E731
        return (len(seq), type(seq[1:]).__name__, names(seq[1:]), type(seq[-1]).__name__,
                names(lst), type(lst[1:3]).__name__, names(lst[-2:]), list(dct.keys()), popped,
                "y" in dct, len(dct), [n for n, _ in seq.named_children()])

    same(check)
