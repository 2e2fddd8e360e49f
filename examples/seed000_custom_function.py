"""Seed 000 on Ember: a custom ``autograd.Function`` dropout, its Module and its seeded test.

The code below is the seed's, unchanged except for the three import lines: ``ember`` stands in
for ``torch``, ``ember.autograd`` for ``torch.autograd`` and ``ember.nn`` for ``torch.nn``.

Run: ``python examples/seed000_custom_function.py``
"""

import ember as torch
import ember.nn as nn
from ember.autograd import Function


class DropoutFunction(Function):
    @staticmethod
    def forward(ctx, input, p=0.5, training=True):
        if not 0.0 <= p < 1.0:
            raise ValueError("p must be in the interval [0, 1).")
        ctx.p = p
        ctx.training = bool(training)
        # If not training or p == 0, no mask is needed.
        if (not ctx.training) or p == 0.0:
            # Save nothing for backward
            ctx.save_for_backward()
            return input.clone()
        prob = 1.0 - p
        # Sample mask on the same device/dtype as input and scale by 1/prob (inverted dropout)
        mask = (torch.rand_like(input) < prob).to(input.dtype) / prob
        ctx.save_for_backward(mask)
        return input * mask

    @staticmethod
    def backward(ctx, grad_output):
        # If no tensors were saved, dropout was inactive -> pass gradient through
        if len(ctx.saved_tensors) == 0:
            return grad_output, None, None
        mask, = ctx.saved_tensors
        grad_input = grad_output * mask
        # Return gradient for input; non-tensor args (p, training) get None
        return grad_input, None, None

class CustomDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError("p must be in the interval [0, 1).")
        self.p = p

    def forward(self, x):
        return DropoutFunction.apply(x, self.p, self.training)

# CPU example
m = CustomDropout(p=0.25)
m.train()
torch.manual_seed(42)
x = torch.randn(3, requires_grad=True)
# make the RNG deterministic for the test
torch.manual_seed(42)
y = m(x)            # forward (training)
y.sum().backward()  # backward

# Recompute the mask deterministically to verify gradient
torch.manual_seed(42)
prob = 1.0 - 0.25
mask = (torch.rand_like(x) < prob).to(x.dtype) / prob
assert torch.allclose(x.grad, mask), "Gradient does not match expected masked gradient"

# In eval mode the module is passthrough
m.eval()
x2 = torch.randn(3, requires_grad=True)
out_eval = m(x2)
assert torch.allclose(out_eval, x2)

print("seeded gradient test passed: x.grad == mask / (1 - p) =", x.grad.tolist())
print("eval mode is the identity:", out_eval.tolist() == x2.tolist())
