"""Seed 004's two notebook cells run unchanged on Ember, with ``torch`` resolving to ``ember``.

(Seed 000's custom Function is tested in tests/autograd/test_seed000.py and, as a script, by
tests/test_examples.py through examples/seed000_custom_function.py.)

Each cell is the seed's code verbatim (``import torch`` included); the fixture maps
``torch``, ``torch.nn``, ``torch.autograd`` and ``torch.optim`` to Ember's modules for the
duration of the test, so the code cannot silently run on the real torch.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys

import pytest

import ember
import ember.autograd
import ember.nn
import ember.nn.functional
import ember.optim

SEED_004_CELL_1 = r'''
import torch
torch.manual_seed(0)

# Toy data
N, d, H, K = 128, 20, 64, 5
X = torch.randn(N, d)
y = torch.randint(0, K, (N,))

# One-hot labels
Y = torch.zeros(N, K)
Y[torch.arange(N), y] = 1.0

# Parameters
W1 = torch.randn(d, H) * 0.02
b1 = torch.zeros(H)
W2 = torch.randn(H, K) * 0.02
b2 = torch.zeros(K)

# Hyperparams
lr = 0.5
epochs = 200
p_drop = 0.5 # dropout probability
training = True

def softmax(logits):
    z = logits - logits.max(dim=1, keepdim=True).values
    expz = torch.exp(z)
    return expz / expz.sum(dim=1, keepdim=True)

def dropout_forward(h, p, training):
    """
    Returns (h_tilde, mask).
    If not training, returns (h, None).
    """
    if not training or p == 0.0:
        return h, None
    keep_prob = 1.0 - p
    mask = (torch.rand_like(h) < keep_prob).float()
    h_tilde = (mask * h) / keep_prob
    return h_tilde, mask

def dropout_backward(grad_out, mask, p):
    """
    Backprop through dropout using the SAME mask from forward.
    """
    if mask is None or p == 0.0:
        return grad_out
    keep_prob = 1.0 - p
    return (mask * grad_out) / keep_prob

for epoch in range(epochs):
    # Forward
    Z1 = X @ W1 + b1
    H1 = torch.clamp(Z1, min=0.0)
    H1_do, mask = dropout_forward(H1, p_drop, training)  # Dropout after ReLU
    S  = H1_do @ W2 + b2
    P  = softmax(S)
    loss = -(Y * (P + 1e-12).log()).sum() / N

    # Backward (manual)
    dS  = (P - Y) / N
    dW2 = H1_do.t() @ dS
    db2 = dS.sum(dim=0)

    dH1_do = dS @ W2.t()
    dH1 = dropout_backward(dH1_do, mask, p_drop)        # back through dropout
    dZ1 = dH1 * (Z1 > 0).float()

    dW1 = X.t() @ dZ1
    db1 = dZ1.sum(dim=0)

    # SGD step
    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2

    if (epoch + 1) % 50 == 0:
        pred = P.argmax(dim=1)
        acc = (pred == y).float().mean().item()
        print(f"[manual+dropout] epoch {epoch+1:3d} | loss {loss.item():.4f} | acc {acc:.3f}")
'''

SEED_004_CELL_2 = r'''
import torch
from torch import nn

torch.manual_seed(0)

# Same toy data
N, d, H, K = 128, 20, 64, 5
X = torch.randn(N, d)
y = torch.randint(0, K, (N,))

p_drop = 0.5

model = nn.Sequential(
    nn.Linear(d, H),
    nn.ReLU(),
    nn.Dropout(p_drop),   # dropout placed after ReLU
    nn.Linear(H, K)
)

criterion = nn.CrossEntropyLoss()
optim = torch.optim.SGD(model.parameters(), lr=0.5)

model.train()  # enable dropout
for epoch in range(200):
    optim.zero_grad()
    logits = model(X)             # dropout active here
    loss = criterion(logits, y)
    loss.backward()
    optim.step()

    if (epoch + 1) % 50 == 0:
        acc = (logits.argmax(1) == y).float().mean().item()
        print(f"[nn.Dropout]    epoch {epoch+1:3d} | loss {loss.item():.4f} | acc {acc:.3f}")

# Inference (disable dropout):
model.eval()
with torch.no_grad():
    logits = model(X)             # dropout OFF
    acc = (logits.argmax(1) == y).float().mean().item()
    print(f"[eval] accuracy (dropout off): {acc:.3f}")
'''


@pytest.fixture
def torch_is_ember(monkeypatch):
    aliases = {"torch": ember, "torch.nn": ember.nn, "torch.autograd": ember.autograd,
               "torch.optim": ember.optim, "torch.nn.functional": ember.nn.functional}
    for name, module in aliases.items():
        monkeypatch.setitem(sys.modules, name, module)
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


def _run(code: str) -> tuple[dict, str]:
    namespace = {"__name__": "__seed__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<seed>", "exec"), namespace)
    assert namespace["torch"] is ember  # it really ran on Ember
    return namespace, out.getvalue()


def _table(out: str, tag: str) -> list[tuple[int, float, float]]:
    pattern = r"\[" + re.escape(tag) + r"\]\s+epoch\s+(\d+) \| loss ([\d.]+) \| acc ([\d.]+)"
    return [(int(e), float(loss), float(acc)) for e, loss, acc in re.findall(pattern, out)]


def test_seed_004_manual_backprop_cell(torch_is_ember):
    _, out = _run(SEED_004_CELL_1)
    table = _table(out, "manual+dropout")
    assert [r[0] for r in table] == [50, 100, 150, 200]
    losses = [r[1] for r in table]
    assert losses == sorted(losses, reverse=True)  # training makes progress
    assert table[-1][2] > 0.85  # the notebook: 0.922 at epoch 200


def test_seed_004_nn_dropout_cell(torch_is_ember):
    ns, out = _run(SEED_004_CELL_2)
    table = _table(out, "nn.Dropout")
    assert [r[0] for r in table] == [50, 100, 150, 200]
    assert table[-1][2] > 0.85
    eval_acc = float(re.search(r"\[eval\] accuracy \(dropout off\): ([\d.]+)", out).group(1))
    assert eval_acc >= table[-1][2]
    assert isinstance(ns["model"][2], ember.nn.Dropout)
