"""Runs the same optimization in Ember and in torch (the oracle) and returns both trajectories.

Both runs start from identical parameter values. Gradients come from one NumPy function of
each run's *own* current parameters (a smooth, non-quadratic objective), so the two runs see
identical gradients as long as their trajectories agree, and any difference in the update
rule compounds over the steps instead of averaging out.
"""

from __future__ import annotations

import numpy as np
import torch

import ember

SHAPES = [(4, 3), (4,), (2, 4), (2,)]


def initial_values(dtype=np.float64, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def targets(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def grad_fn(values: list[np.ndarray], step: int) -> list[np.ndarray | None]:
    """Gradient of sum(0.25 (p - t)^2 - cos(3p)/30) with a step-dependent scale; the bias of
    the first layer gets no gradient every third step (the optimizer must skip it)."""
    out = []
    for i, (p, t) in enumerate(zip(values, targets(), strict=True)):
        p64 = p.astype(np.float64)
        g = (0.5 * (p64 - t) + 0.1 * np.sin(3 * p64)) * (1 + 0.5 * np.cos(step))
        out.append(None if (i == 1 and step % 3 == 2) else g.astype(p.dtype))
    return out


def make_params(lib, values):
    if lib is torch:
        return [torch.nn.Parameter(torch.from_numpy(v.copy())) for v in values]
    return [ember.nn.Parameter(ember.tensor(v.copy())) for v in values]


def to_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy().copy()
    return np.array(t.detach().numpy(), copy=True)


def set_grads(lib, params, grads) -> None:
    for p, g in zip(params, grads, strict=True):
        if g is None:
            p.grad = None
        else:
            p.grad = torch.from_numpy(g.copy()) if lib is torch else ember.tensor(g.copy())


def run(lib, cls_name, kwargs, steps=50, dtype=np.float64, groups=None, opt=None, params=None,
        start=0):
    """Runs ``steps`` steps; returns (params, optimizer, trajectory of parameter values)."""
    if params is None:
        params = make_params(lib, initial_values(dtype))
    if opt is None:
        cls = getattr(lib.optim, cls_name)
        opt = cls(groups(params) if groups else params, **kwargs)
    traj = []
    for k in range(start, start + steps):
        opt.zero_grad()
        set_grads(lib, params, grad_fn([to_numpy(p) for p in params], k))
        opt.step()
        traj.append([to_numpy(p) for p in params])
    return params, opt, traj
