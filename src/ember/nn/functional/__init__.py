"""``ember.nn.functional``: the stateless form of every layer, one file per family.

| file | what it holds |
|---|---|
| linear.py | linear, bilinear-free affine maps |
| dropout.py | dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout; mask storage switch |
"""

from ember.nn.functional.linear import *  # noqa: F401,F403
from ember.nn.functional.dropout import *  # noqa: F401,F403
