"""Ember's differentiable operations, one file per family of Functions.

| file | what it holds |
|---|---|
| arith.py | + - * / ** and casts |
| pointwise.py | exp, log, trigonometry, activations, clamp, maximum, where |
| reduction.py | sum, mean, var, max, logsumexp, norm, cumsum |
| shape.py | views (reshape, permute, expand) and copies (cat, stack, pad) |
| indexing.py | getitem/setitem, gather, scatter, masked_fill |
| linalg.py | matmul, einsum, linear |
| softmax.py | softmax, log_softmax |
| compare.py | comparisons and logical ops (no gradient) |
| creation.py | tensors from data, filled, ranges, random |
| distance.py | diff, dist, cdist (composed of the ops above) |
"""

from ember.ops.arith import *
from ember.ops.compare import *
from ember.ops.creation import *
from ember.ops.distance import *
from ember.ops.indexing import *
from ember.ops.linalg import *
from ember.ops.pointwise import *
from ember.ops.reduction import *
from ember.ops.shape import *
from ember.ops.softmax import *
