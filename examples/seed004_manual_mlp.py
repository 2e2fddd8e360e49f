"""Seed 004, cell 1 on Ember: a 2-layer MLP with dropout, backpropagated by hand.

The first part is the notebook cell unchanged except ``import ember as torch``; it prints the
notebook's table (loss and accuracy every 50 epochs). The second part trains the same network
with ``ember.manual``'s NumPy layers (seed 002's ``DropoutLayer`` and friends).

Run: ``python examples/seed004_manual_mlp.py``
"""

import ember as torch

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


# --- The same network with ember.manual's NumPy layers -------------------------------------
import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember.manual import DropoutLayer, Linear, ReLU, SoftmaxCrossEntropy  # noqa: E402

rng = np.random.default_rng(0)
Xn, yn = X.numpy(), y.numpy()
fc1, relu, drop, fc2 = (Linear(d, H, rng=rng), ReLU(),
                        DropoutLayer(p_drop, generator=ember.Generator().manual_seed(0)),
                        Linear(H, K, rng=rng))
ce = SoftmaxCrossEntropy()
for epoch in range(epochs):
    loss = ce.forward(fc2.forward(drop.forward(relu.forward(fc1.forward(Xn)))), yn)
    fc1.backward(relu.backward(drop.backward(fc2.backward(ce.backward()))))
    fc1.step(lr)
    fc2.step(lr)
    if (epoch + 1) % 50 == 0:
        acc = (ce.probs.argmax(1) == yn).mean()
        print(f"[ember.manual]   epoch {epoch+1:3d} | loss {loss:.4f} | acc {acc:.3f}")
