"""``ember.nn.functional``: the stateless form of every layer, one file per family.

| file | what it holds |
|---|---|
| linear.py | linear, bilinear-free affine maps |
| conv.py | conv1d, conv2d (im2col on strided views + matmul) |
| pooling.py | max/avg/adaptive pooling, 1-D and 2-D |
| dropout.py | dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout; mask storage switch |
"""

from ember.nn.functional.linear import *  # noqa: F401,F403
from ember.nn.functional.conv import *  # noqa: F401,F403
from ember.nn.functional.pooling import *  # noqa: F401,F403
from ember.nn.functional.dropout import *  # noqa: F401,F403
