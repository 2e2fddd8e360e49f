"""``ember.nn.functional``: the stateless form of every layer, one file per family.

| file | what it holds |
|---|---|
| linear.py | linear, bilinear-free affine maps |
"""

from ember.nn.functional.linear import *  # noqa: F401,F403
