"""``ember.cuda``: answers the questions scripts ask before choosing a device.

Ember has only its CPU backend here, so these report no CUDA devices.
"""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """False: this build of Ember has no CUDA backend."""
    return False


def device_count() -> int:
    """0: no CUDA devices are available to Ember."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed without CUDA devices (kept so seeding code runs unchanged)."""


manual_seed_all = manual_seed
