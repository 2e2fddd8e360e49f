"""The main job: train a dropout network on the bundled 8x8 digits, with resumable checkpoints.

``python -m ember train`` calls :func:`train`. A checkpoint holds the model, optimizer and
scheduler state, both generators (dropout/initialisation and data shuffling), the epoch and
the history, so a resumed run continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset

__all__ = ["TrainConfig", "build_model", "train", "evaluate"]


@dataclasses.dataclass
class TrainConfig:
    """Settings of a training run (the CLI's options)."""

    model: str = "mlp"
    epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 64
    dropout: float = 0.2
    seed: int = 0
    progress: bool = True


def build_model(name: str, dropout: float) -> nn.Module:
    """The MLP (64-128-128-10) or small CNN for 8x8 digits, with dropout after hidden layers.

    The CNN puts channel dropout (Dropout2d) after its first convolution.
    """
    if name == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 128), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(128, 128), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(128, 10),
        )
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Dropout2d(dropout),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(64, 10),
        )
    raise ValueError(f"unknown model '{name}' (expected 'mlp' or 'cnn')")


def evaluate(model: nn.Module, images, labels) -> float:
    """Accuracy of ``model`` in eval mode (restoring its previous mode)."""
    was_training = model.training
    model.eval()
    with ember.no_grad():
        acc = (model(images).argmax(1) == labels).float().mean().item()
    model.train(was_training)
    return acc


def _checkpoint(model, optimizer, scheduler, data_gen, epoch, history, config) -> dict:
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {"default": ember.get_rng_state(), "data": data_gen.get_state()},
        "epoch": epoch,
        "history": history,
        "config": dataclasses.asdict(config),
    }


def _plot(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["loss"], label="train loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy")
    ax_loss.set_title("Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["train_acc"], label="train")
    ax_acc.plot(epochs, history["test_acc"], label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title("Accuracy")
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train(config: TrainConfig, out_dir: str | Path, resume: str | Path | None = None,
          log=print) -> dict:
    """Trains on the digits and writes ``checkpoint.safetensors`` and ``curves.png``.

    Args:
        config: the run's settings (ignored for the model/optimizer when resuming, except
            ``epochs``, the total to reach).
        out_dir: where the checkpoint and the plot go.
        resume: a checkpoint to continue from.
        log: where the per-epoch lines go.

    Returns:
        The history: per-epoch ``loss``, ``train_acc``, ``test_acc``, ``seconds``.
    """
    from ember.datasets import Digits

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = None
    if resume is not None:
        resume = Path(resume)
        if not resume.is_file():
            raise FileNotFoundError(f"no checkpoint to resume from at '{resume}'")
        state = ember.load(resume)
        saved = state["config"]
        config = dataclasses.replace(TrainConfig(**saved), epochs=config.epochs,
                                     progress=config.progress)

    ember.manual_seed(config.seed)
    data_gen = ember.Generator().manual_seed(config.seed + 1)
    train_set, test_set = Digits(train=True), Digits(train=False)
    loader = DataLoader(TensorDataset(train_set.data, train_set.targets),
                        batch_size=config.batch_size, shuffle=True, generator=data_gen)
    model = build_model(config.model, config.dropout)
    optimizer = ember.optim.Adam(model.parameters(), lr=config.lr)
    # a schedule that does not depend on the total epoch count, so --resume may extend a run
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    criterion = nn.CrossEntropyLoss()
    history = {"loss": [], "train_acc": [], "test_acc": [], "seconds": []}
    start_epoch = 0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        ember.set_rng_state(state["rng"]["default"])
        data_gen.set_state(state["rng"]["data"])
        history = {k: list(v) for k, v in state["history"].items()}
        start_epoch = int(state["epoch"])
        log(f"resuming from {resume} at epoch {start_epoch}")

    bar = None
    if config.progress:
        from tqdm import tqdm

        bar = tqdm(total=(config.epochs - start_epoch) * len(loader), unit="batch",
                   leave=False, dynamic_ncols=True)
        log = bar.write
    ckpt_path = out / "checkpoint.safetensors"
    for epoch in range(start_epoch, config.epochs):
        t0 = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * labels.shape[0]
            count += labels.shape[0]
            if bar is not None:
                bar.update(1)
        scheduler.step()
        seconds = time.perf_counter() - t0
        history["loss"].append(total / count)
        history["train_acc"].append(evaluate(model, train_set.data, train_set.targets))
        history["test_acc"].append(evaluate(model, test_set.data, test_set.targets))
        history["seconds"].append(seconds)
        log(f"epoch {epoch + 1:3d}/{config.epochs} | loss {history['loss'][-1]:.4f} | "
            f"train acc {history['train_acc'][-1]:.3f} | test acc {history['test_acc'][-1]:.3f}"
            f" | {seconds:.2f}s")
        ember.save(_checkpoint(model, optimizer, scheduler, data_gen, epoch + 1, history,
                               config), ckpt_path)
    if bar is not None:
        bar.close()
    plot_path = out / "curves.png"
    _plot(history, plot_path)
    (out / "history.json").write_text(json.dumps(history, indent=2))
    return history
