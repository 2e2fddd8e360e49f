"""Command line: ``python -m ember train`` (the main job) and ``python -m ember info``."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

__all__ = ["main"]


def _probability(text: str) -> float:
    p = float(text)
    if not 0.0 <= p < 1.0:
        raise argparse.ArgumentTypeError(f"dropout must be in [0, 1), got {p}")
    return p


def _positive_int(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {n}")
    return n


def _positive_float(text: str) -> float:
    x = float(text)
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {x}")
    return x


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="Ember: a PyTorch-compatible deep-learning library on NumPy.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser(
        "train", help="train a dropout network on the bundled 8x8 digits",
        description="Train a dropout MLP or CNN on the 8x8 handwritten digits (UCI optdigits, "
                    "bundled). Writes a checkpoint and a PNG of the curves into --out.",
    )
    tr.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="network (mlp)")
    tr.add_argument("--epochs", type=_positive_int, default=30, help="epochs in total (30)")
    tr.add_argument("--lr", type=_positive_float, default=1e-3, help="Adam learning rate (1e-3)")
    tr.add_argument("--batch-size", type=_positive_int, default=64, help="batch size (64)")
    tr.add_argument("--dropout", type=_probability, default=0.2, help="dropout p (0.2)")
    tr.add_argument("--seed", type=int, default=0, help="random seed (0)")
    tr.add_argument("--out", default=None, help="output directory (runs/digits-MODEL)")
    tr.add_argument("--resume", default=None, metavar="CHECKPOINT",
                    help="continue from a checkpoint written by an earlier run")
    tr.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sub.add_parser("info", help="versions, threads and the kernel cache location")
    return parser


def _info() -> int:
    import numba
    import numpy

    import ember
    from ember.kernels.cache import cache_location

    print(f"ember   {ember.__version__}")
    print(f"python  {platform.python_version()} ({sys.executable})")
    print(f"numpy   {numpy.__version__}")
    print(f"numba   {numba.__version__}")
    print(f"threads {ember.get_num_threads()} (of {numba.config.NUMBA_NUM_THREADS} available)")
    print(f"kernel cache {cache_location()}")
    print("devices cpu")
    return 0


def _train(args) -> int:
    from ember.training import TrainConfig, train

    config = TrainConfig(model=args.model, epochs=args.epochs, lr=args.lr,
                         batch_size=args.batch_size, dropout=args.dropout, seed=args.seed,
                         progress=not args.no_progress)
    out = Path(args.out) if args.out else Path("runs") / f"digits-{args.model}"
    try:
        history = train(config, out, resume=args.resume)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"final test accuracy {history['test_acc'][-1]:.3f}")
    print(f"checkpoint: {out / 'checkpoint.safetensors'}")
    print(f"curves:     {out / 'curves.png'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "info":
        return _info()
    return _train(args)
