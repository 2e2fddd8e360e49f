"""A small CNN with channel dropout on the bundled 8x8 digits, written as PyTorch code.

    python examples/cnn_digits.py [--epochs 8]
"""

import argparse

import ember as torch
from ember import nn
from ember.datasets import Digits
from ember.utils.data import DataLoader, TensorDataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()

    torch.manual_seed(0)
    train_set, test_set = Digits(train=True), Digits(train=False)
    loader = DataLoader(TensorDataset(train_set.data, train_set.targets), batch_size=32,
                        shuffle=True)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.Dropout2d(0.1),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            acc = (model(test_set.data).argmax(1) == test_set.targets).float().mean().item()
        print(f"[cnn] epoch {epoch + 1:2d} | loss {loss.item():.4f} | test acc {acc:.3f}")


if __name__ == "__main__":
    main()
