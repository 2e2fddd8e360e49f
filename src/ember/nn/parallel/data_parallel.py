"""``DataParallel`` as PyTorch's CPU-only build runs it."""

from __future__ import annotations

from ember.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps a module for single-machine data parallelism, as ``torch.nn.DataParallel``: on
    accelerators PyTorch splits each input batch along ``dim`` across the devices, runs a
    replica of the module on each and gathers the outputs on ``output_device``.

    Ember has no accelerators, and PyTorch without them keeps no device list and runs the
    wrapped module unchanged; so does Ember. The module is registered as ``module``, so the
    state-dict keys carry PyTorch's ``module.`` prefix and checkpoints move either way.

    Args:
        module: the module to run.
        device_ids: the devices to spread over; without accelerators unused (``device_ids`` is
            ``[]``, as in PyTorch's CPU build). Default: ``None``.
        output_device: where the outputs are gathered; unused. Default: ``None``.
        dim: the dimension along which the batch would be split; unused. Default: ``0``.

    Attributes:
        module (Module): the wrapped module.

    Shape:
        - Input: whatever ``module`` takes (all positional and keyword arguments are passed on).
        - Output: whatever ``module`` returns.

    Example:
        >>> model = nn.DataParallel(nn.Linear(2, 3))
        >>> list(model.state_dict())
        ['module.weight', 'module.bias']
        >>> model(ember.randn(4, 2)).shape
        ember.Size([4, 3])
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids: list = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """The functional form of :class:`DataParallel`. Without accelerators PyTorch cannot tell which
    device type to run on and raises; Ember, which has none, raises the same error.

    Args:
        module: the module to run.
        inputs: the inputs to scatter.
        device_ids: the devices to spread over. Default: ``None``.
        output_device: where the outputs are gathered. Default: ``None``.
        dim: the dimension along which the batch is split. Default: ``0``.
        module_kwargs: keyword arguments for the module. Default: ``None``.

    Raises:
        RuntimeError: always, ``device type could not be determined``.

    Example:
        >>> try:
        ...     nn.parallel.data_parallel(nn.Linear(2, 3), ember.randn(4, 2))
        ... except RuntimeError as error:
        ...     print(error)
        device type could not be determined
    """
    raise RuntimeError("device type could not be determined")
