"""The Tensor, as ``torch.Tensor``.

``core`` holds the class and its data side (construction, metadata, conversion, printing via
``format``); ``methods`` gives it the op methods once :mod:`ember.ops` exists
(``import ember`` attaches them). Only the core is imported here, so the autograd and ops
layers can import the class without importing themselves back.
"""

from ember.tensor.core import Size, Tensor, _rebuild_tensor, _to_array

__all__ = ["Size", "Tensor"]

for _public in (Size, Tensor, _rebuild_tensor):  # pickles and reprs name ember.tensor
    _public.__module__ = "ember.tensor"
