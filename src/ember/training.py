"""The main job: train a dropout network on the bundled 8x8 digits, with resumable checkpoints.

``python -m ember train`` calls :func:`train`. A checkpoint holds the model, optimizer and
scheduler state, both generators (dropout/initialisation and data shuffling), the epoch and
the history, so a resumed run continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import time
from pathlib import Path

import ember
from ember import nn
from ember.datasets import Digits
from ember.serialization import CheckpointError
from ember.utils.data import DataLoader, TensorDataset

__all__ = ["TrainConfig", "build_model", "evaluate", "load_checkpoint", "train"]

MODELS = ("mlp", "cnn")
# what a checkpoint of train() holds, and the settings a resumed run takes from it
_CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "rng", "epoch", "history", "config")
RESUMED_SETTINGS = ("model", "lr", "batch_size", "dropout", "seed")
_HISTORY_KEYS = ("loss", "train_acc", "test_acc", "seconds")


@dataclasses.dataclass
class TrainConfig:
    """Settings of a training run (the CLI's options).

    Args:
        model: ``"mlp"`` or ``"cnn"`` (see :func:`build_model`).
        epochs: epochs in total.
        lr: Adam's learning rate.
        batch_size: samples per batch.
        dropout: the dropout probability of the hidden layers.
        seed: seeds the model's initialisation, the shuffling and the dropout masks.
        progress: show a progress bar.

    Example:
        >>> TrainConfig(model="cnn", epochs=5).batch_size
        64
    """

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

    Args:
        name: ``"mlp"`` or ``"cnn"``.
        dropout: the dropout probability.

    Returns:
        The untrained ``nn.Sequential``; it maps ``(N, 1, 8, 8)`` images to ``(N, 10)`` logits.

    Example:
        >>> build_model("mlp", 0.2)(ember.zeros(5, 1, 8, 8)).shape
        ember.Size([5, 10])
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


def _is_number(x, kind) -> bool:
    return isinstance(x, kind) and not isinstance(x, bool)


_VALID_SETTINGS = {
    "model": lambda v: v in MODELS,
    "epochs": lambda v: _is_number(v, int) and v >= 1,
    "lr": lambda v: _is_number(v, (int, float)) and 0 < v < float("inf"),
    "batch_size": lambda v: _is_number(v, int) and v >= 1,
    "dropout": lambda v: _is_number(v, (int, float)) and 0 <= v < 1,
    "seed": lambda v: _is_number(v, int) and -2**63 <= v < 2**64 - 1,
    "progress": lambda v: isinstance(v, bool),
}


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Reads a checkpoint written by :func:`train` and checks that it is one.

    Args:
        path: the ``checkpoint.safetensors`` of an earlier run.

    Returns:
        The checkpoint: ``model``, ``optimizer`` and ``scheduler`` state, ``rng`` (both
        generators), ``epoch`` (epochs done), ``history`` and ``config`` (the run's settings).

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        IsADirectoryError: if ``path`` is a directory.
        OSError: if the file cannot be read.
        CheckpointError: if the file is not a checkpoint of :func:`train`: another format, a
            corrupted file, a bare ``state_dict``, or entries missing or of the wrong kind.

    Example:
        >>> state = load_checkpoint("runs/digits-mlp/checkpoint.safetensors")
        >>> state["epoch"], state["config"]["model"]
        (30, 'mlp')
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    what = "a checkpoint of python -m ember train"
    try:
        state = ember.load(path)
    except ValueError as e:  # CheckpointError, or a parse error of a foreign file
        raise CheckpointError(f"the file is not {what}: {e}") from e
    if isinstance(state, dict) and state and all(isinstance(v, ember.Tensor)
                                                 for v in state.values()):
        raise CheckpointError(f"the file holds a state_dict (tensors only, e.g. a model's "
                              f"weights), not {what}, which also holds the optimizer, the "
                              "random generators and the history")
    if not isinstance(state, dict):
        raise CheckpointError(f"the file holds a {type(state).__name__}, not {what}")
    missing = [k for k in _CHECKPOINT_KEYS if k not in state]
    if missing:
        raise CheckpointError(f"the file is not {what}: it has no {', '.join(map(repr, missing))}"
                              f" entr{'y' if len(missing) == 1 else 'ies'}")
    config, epoch, history = state["config"], state["epoch"], state["history"]
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    if not isinstance(config, dict):
        raise CheckpointError(f"the checkpoint's config is a {type(config).__name__}, not a "
                              "dict of settings")
    lacking = [k for k in RESUMED_SETTINGS if k not in config]
    unknown = [str(k) for k in config if k not in fields]
    problems = ([f"lacks {', '.join(lacking)}"] if lacking else []) + (
        [f"has unknown settings {', '.join(unknown)}"] if unknown else [])
    if problems:
        raise CheckpointError("the checkpoint's config " + " and ".join(problems))
    bad = [k for k, ok in _VALID_SETTINGS.items() if k in config and not ok(config[k])]
    if bad:
        raise CheckpointError("the checkpoint's config has invalid "
                              + ", ".join(f"{k}={config[k]!r}" for k in bad))
    if not _is_number(epoch, int) or epoch < 0:
        raise CheckpointError(f"the checkpoint's epoch is {epoch!r}, not a count of epochs")
    if not isinstance(history, dict) or any(
            not isinstance(history.get(k), list) or len(history[k]) != epoch
            for k in _HISTORY_KEYS):
        raise CheckpointError(f"the checkpoint's history does not hold {epoch} values of "
                              f"{', '.join(_HISTORY_KEYS)}")
    return state


def evaluate(model: nn.Module, images, labels) -> float:
    """Accuracy of ``model`` in eval mode (restoring its previous mode).

    Args:
        model: a classifier returning ``(N, classes)`` logits.
        images: its input batch.
        labels: the ``(N,)`` class indices.

    Returns:
        The fraction of rows whose arg-max logit is the label.

    Example:
        >>> evaluate(nn.Identity(), ember.tensor([[0.1, 0.9], [0.8, 0.2]]), ember.tensor([1, 1]))
        0.5
    """
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
    # matplotlib.pyplot takes about a second to load; only the end of a run draws
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


def _restore(state: dict, model, optimizer, scheduler, data_gen) -> None:
    """Loads a checkpoint's states, as a CheckpointError if they do not fit the model."""
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        ember.set_rng_state(state["rng"]["default"])
        data_gen.set_state(state["rng"]["data"])
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as e:
        detail = " ".join(str(e).split())
        raise CheckpointError(f"the checkpoint's states do not fit its "
                              f"{state['config']['model']} model: {detail}") from e


def _train_epoch(model, loader, optimizer, criterion, bar) -> float:
    """One pass over ``loader``; returns the mean training loss."""
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
    return total / count


def train(config: TrainConfig, out_dir: str | Path, resume: str | Path | dict | None = None,
          log=print) -> dict:
    """Trains on the digits and writes ``checkpoint.safetensors`` and ``curves.png``.

    Args:
        config: the run's settings. When resuming, only ``epochs`` (the total to reach) and
            ``progress`` are used; the rest comes from the checkpoint, so that the resumed run
            is bit-identical to an uninterrupted one.
        out_dir: where the checkpoint and the plot go (created if missing).
        resume: a checkpoint to continue from: its path, or what :func:`load_checkpoint`
            returned.
        log: where the per-epoch lines go.

    Returns:
        The history: per-epoch ``loss``, ``train_acc``, ``test_acc``, ``seconds``.

    Raises:
        ValueError: if the checkpoint already has ``config.epochs`` epochs or more.
        CheckpointError: if ``resume`` is not a checkpoint of this function.
        OSError: if the checkpoint cannot be read or the outputs cannot be written.

    Example:
        >>> history = train(TrainConfig(epochs=3), "runs/demo")
        >>> history = train(TrainConfig(epochs=5), "runs/demo",
        ...                 resume="runs/demo/checkpoint.safetensors")
    """
    state = None
    if resume is not None:
        state = resume if isinstance(resume, dict) else load_checkpoint(resume)
        if config.epochs <= state["epoch"]:
            raise ValueError(f"the checkpoint already has {state['epoch']} epochs; epochs="
                             f"{config.epochs} is the total to reach, so it must be larger")
        config = dataclasses.replace(TrainConfig(**state["config"]), epochs=config.epochs,
                                     progress=config.progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

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
        _restore(state, model, optimizer, scheduler, data_gen)
        history = {k: list(state["history"][k]) for k in history}
        start_epoch = state["epoch"]
        source = "" if isinstance(resume, dict) else f" from {resume}"
        log(f"resuming{source} at epoch {start_epoch}")

    bar = None
    if config.progress:
        from tqdm import tqdm  # 50 ms to load; only a run with a progress bar needs it

        bar = tqdm(total=(config.epochs - start_epoch) * len(loader), unit="batch",
                   leave=False, dynamic_ncols=True)
        log = bar.write
    ckpt_path = out / "checkpoint.safetensors"
    try:
        for epoch in range(start_epoch, config.epochs):
            t0 = time.perf_counter()
            loss = _train_epoch(model, loader, optimizer, criterion, bar)
            scheduler.step()
            seconds = time.perf_counter() - t0
            history["loss"].append(loss)
            history["train_acc"].append(evaluate(model, train_set.data, train_set.targets))
            history["test_acc"].append(evaluate(model, test_set.data, test_set.targets))
            history["seconds"].append(seconds)
            log(f"epoch {epoch + 1:3d}/{config.epochs} | loss {loss:.4f} | "
                f"train acc {history['train_acc'][-1]:.3f} | "
                f"test acc {history['test_acc'][-1]:.3f} | {seconds:.2f}s")
            ember.save(_checkpoint(model, optimizer, scheduler, data_gen, epoch + 1, history,
                                   config), ckpt_path)
    finally:  # a bar left open by an exception or Ctrl-C would garble the next line
        if bar is not None:
            bar.close()
    plot_path = out / "curves.png"
    _plot(history, plot_path)
    (out / "history.json").write_text(json.dumps(history, indent=2))
    return history
