"""Automatic differentiation, as ``torch.autograd``.

The layers, bottom up: ``grad_mode`` (is recording on?), ``graph`` (nodes and saved values),
``history`` (a tensor's node, views, in-place changes), ``function`` (running and recording a
call: ``Function`` and the built-in ops' ``ArrayFunction``), ``engine`` (the graph walk) and
``api`` (``backward`` and ``grad``); ``gradcheck`` checks gradients by finite differences.
"""

from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.autograd.function import ArrayFunction, Function, FunctionCtx, once_differentiable
from ember.autograd.api import backward, grad
from ember.autograd.gradcheck import GradcheckError, gradcheck

__all__ = [
    "ArrayFunction",
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "backward",
    "enable_grad",
    "grad",
    "gradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_grad_enabled",
]
