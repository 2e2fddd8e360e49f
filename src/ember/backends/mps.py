"""``ember.backends.mps``: Apple's Metal backend, which Ember does not have."""


def is_available() -> bool:
    """False: Ember has no MPS backend."""
    return False


def is_built() -> bool:
    """False: this build of Ember has no MPS support."""
    return False
