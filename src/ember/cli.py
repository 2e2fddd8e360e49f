"""Command line: ``python -m ember train`` (the main job) and ``python -m ember info``."""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy

import ember
from ember import _threads, training
from ember.backend import get_backend
from ember.serialization import CheckpointError
from ember.training import MODELS, RESUMED_SETTINGS, TrainConfig

__all__ = ["main"]

# what a run writes into --out
_OUTPUTS = ("checkpoint.safetensors", "curves.png", "history.json")


_MAX_SEED = 2**64 - 2  # the data generator is seeded with seed + 1, at most 2**64 - 1


def _argument_type(convert, valid, expected: str, name: str):
    """An argparse ``type``: ``convert(text)`` if that works and ``valid`` accepts the value,
    else an error saying what was ``expected``. ``name`` is how argparse names the type in its
    own messages (e.g. for a missing value)."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got '{text}'")
        return value

    parse.__name__ = name
    return parse


_probability = _argument_type(float, lambda p: 0.0 <= p < 1.0, "a probability in [0, 1)",
                              "probability")
_positive_int = _argument_type(int, lambda n: n >= 1, "a positive whole number",
                               "positive whole number")
_positive_float = _argument_type(float, lambda x: 0.0 < x < math.inf, "a positive number",
                                 "positive number")
_seed = _argument_type(int, lambda n: 0 <= n <= _MAX_SEED,
                       f"a whole number from 0 to {_MAX_SEED}", "seed")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ember",
        description="Ember: a PyTorch-compatible deep-learning library on NumPy.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser(
        "train", help="train a dropout network on the bundled 8x8 digits",
        description="Train a dropout MLP or CNN on the 8x8 handwritten digits (UCI optdigits, "
                    "bundled). Writes a checkpoint and a PNG of the curves into --out. A run "
                    "resumed with --resume keeps the checkpoint's --model, --lr, --batch-size, "
                    "--dropout and --seed, so it is bit-identical to an uninterrupted run.",
    )
    # settings default to None so that a resumed run can tell which ones were given
    d = TrainConfig()
    tr.add_argument("--model", choices=MODELS, help=f"network ({d.model})")
    tr.add_argument("--epochs", type=_positive_int,
                    help=f"epochs in total ({d.epochs}; when resuming, the earlier run's total)")
    tr.add_argument("--lr", type=_positive_float, help=f"Adam learning rate ({d.lr:g})")
    tr.add_argument("--batch-size", type=_positive_int, help=f"batch size ({d.batch_size})")
    tr.add_argument("--dropout", type=_probability, help=f"dropout p ({d.dropout})")
    tr.add_argument("--seed", type=_seed, help=f"random seed ({d.seed})")
    tr.add_argument("--out", default=None, help="output directory (runs/digits-MODEL)")
    tr.add_argument("--resume", default=None, metavar="CHECKPOINT",
                    help="continue from the checkpoint.safetensors of an earlier run")
    tr.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    tr.add_argument("--threads", type=_positive_int, metavar="N",
                    help="threads of Ember's compute, as ember.set_num_threads (default "
                         f"{_threads.default_num_threads()}: one per CPU)")
    sub.add_parser("info", help="versions, threads and the kernel cache location")
    return parser


def _info() -> int:
    import numba  # Ember loads Numba on its first kernel call; only this command needs it now

    cache_location = get_backend().kernels("cache").cache_location
    print(f"ember   {ember.__version__}")
    print(f"python  {platform.python_version()} ({sys.executable})")
    print(f"numpy   {numpy.__version__}")
    print(f"numba   {numba.__version__}")
    blas = get_backend().kernels("threads").blas_threads()
    print(f"threads {ember.get_num_threads()} (of {numba.config.NUMBA_NUM_THREADS} available; BLAS "
          f"{blas}, OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')})")
    print(f"kernel cache {cache_location()}")
    print("devices cpu")
    return 0


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _read_checkpoint(path: str) -> tuple[dict | None, str | None]:
    """The checkpoint at ``path``, or why it cannot be resumed from."""
    try:
        return training.load_checkpoint(path), None
    except FileNotFoundError:
        return None, f"no checkpoint to resume from at '{path}': the file does not exist"
    except IsADirectoryError:
        inside = Path(path) / "checkpoint.safetensors"
        hint = f" (did you mean --resume {inside}?)" if inside.is_file() else ""
        return None, (f"--resume '{path}' is a directory; give the checkpoint.safetensors file "
                      f"a training run wrote{hint}")
    except OSError as e:
        return None, f"cannot read --resume '{path}': {e.strerror or _one_line(e)}"
    except (CheckpointError, ValueError) as e:
        return None, f"cannot resume from '{path}': {_one_line(e)}"


def _settings(args, state: dict | None) -> tuple[TrainConfig, list[str]]:
    """The run's settings (given, else from the checkpoint, else the defaults), and a note
    for each option given with a value that the checkpoint overrides."""
    if state is None:
        given = {k: v for k, v in vars(args).items()
                 if k in (*RESUMED_SETTINGS, "epochs") and v is not None}
        return TrainConfig(progress=not args.no_progress, **given), []
    saved = state["config"]
    notes = []
    for name in RESUMED_SETTINGS:
        value = getattr(args, name)
        if value is not None and value != saved[name]:
            option = "--" + name.replace("_", "-")
            notes.append(f"using the checkpoint's {option} {saved[name]}, not {value}: a resumed "
                         "run keeps the settings it started with")
    epochs = args.epochs if args.epochs is not None else saved.get("epochs", TrainConfig.epochs)
    config = TrainConfig(**{k: saved[k] for k in RESUMED_SETTINGS}, epochs=epochs,
                         progress=not args.no_progress)
    return config, notes


def _output_problem(out: Path) -> str | None:
    """Why the output directory cannot be created or written, or None if it can."""
    where = f"the output directory '{out}' (--out)"
    if out.exists() and not out.is_dir():
        return f"{where} is an existing file; give a directory (it is created if missing)"
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        return f"cannot create {where}: '{blocking}' is a file, not a directory"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"cannot create {where}: {e.strerror or _one_line(e)}"
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        return f"cannot write into {where}: {e.strerror or _one_line(e)}"
    for name in _OUTPUTS:
        if (out / name).is_dir():
            return f"cannot write '{out / name}': it is a directory"
    return None


def _train(args) -> int:
    if args.threads is not None:
        ember.set_num_threads(args.threads)
    state = None
    if args.resume is not None:
        state, problem = _read_checkpoint(args.resume)
        if problem:
            return _error(problem)
    config, notes = _settings(args, state)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if state is not None and config.epochs <= state["epoch"]:
        done = state["epoch"]
        has = f"the checkpoint already has {done} epoch{'s' if done != 1 else ''}"
        if args.epochs is None:
            return _error(f"{has}, all that its run asked for; pass --epochs {done + 1} or more "
                          "(the total to reach) to train further")
        return _error(f"{has} and --epochs {args.epochs} is the total to reach, not epochs to "
                      f"add; pass --epochs {done + 1} or more to train further")
    out = Path(args.out) if args.out else Path("runs") / f"digits-{config.model}"
    problem = _output_problem(out)
    if problem:
        return _error(problem)
    checkpoint = out / "checkpoint.safetensors"
    try:
        history = training.train(config, out, resume=state)
    except CheckpointError as e:
        return _error(f"cannot resume from '{args.resume}': {_one_line(e)}")
    except OSError as e:
        if e.filename is None:
            return _error(_one_line(e))
        return _error(f"{e.filename}: {e.strerror}")
    except KeyboardInterrupt:
        saved = (f"; the last finished epoch is saved, continue with --resume {checkpoint}"
                 if checkpoint.is_file() else "")
        print(f"interrupted{saved}", file=sys.stderr)
        return 130
    print(f"final test accuracy {history['test_acc'][-1]:.3f}")
    print(f"checkpoint: {checkpoint}")
    print(f"curves:     {out / 'curves.png'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs the command line.

    Args:
        argv: the arguments after ``python -m ember`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for a usage error (a one-line ``error: ...`` on
        stderr), 130 if interrupted with Ctrl-C.

    Example:
        >>> main(["train", "--epochs", "3", "--out", "runs/demo"])
        0
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "info":
            return _info()
        return _train(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
