"""``ember.backends.cudnn``: cuDNN's switches, with PyTorch's defaults; no cuDNN is present."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    """False: Ember has no cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN library is loaded (as in PyTorch's CPU build)."""
    return None
