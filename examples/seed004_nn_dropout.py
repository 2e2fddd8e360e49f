"""Seed 004, cell 2 on Ember: the same MLP with ``nn.Dropout`` and autograd.

The notebook cell unchanged except the imports (``ember`` for ``torch``); it prints the
notebook's table (loss and accuracy every 50 epochs) and the eval accuracy with dropout off.

Run: ``python examples/seed004_nn_dropout.py``
"""

import ember as torch
from ember import nn

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
