"""``DataParallel`` as PyTorch's CPU-only build runs it."""

from __future__ import annotations

from ember.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps a module for single-machine data parallelism over accelerators, as
    ``torch.nn.DataParallel``.

    Without accelerators (always, in Ember), PyTorch keeps no device list and runs the wrapped
    module unchanged; so does Ember. The module is registered as ``module``, so state-dict keys
    carry PyTorch's ``module.`` prefix.

    Args:
        module: the module to run.
        device_ids, output_device, dim: accepted as PyTorch's; without accelerators they are
            not used (``device_ids`` is ``[]``, as in PyTorch's CPU build).

    Example:
        >>> model = ember.nn.DataParallel(ember.nn.Linear(2, 3))
        >>> list(model.state_dict())
        ['module.weight', 'module.bias']
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids: list = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """The functional form; raises as PyTorch's CPU build does (no device type to run on)."""
    raise RuntimeError("device type could not be determined")
