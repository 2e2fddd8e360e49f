"""``ember.nn.functional``: the stateless form of every layer, one file per family.

| file | what it holds |
|---|---|
| linear.py | linear (affine maps) |
| dropout.py | dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout; mask storage switch |
| conv.py | conv1d, conv2d (im2col on strided views + matmul) |
| pooling.py | max/avg/adaptive pooling, 1-D and 2-D |
| activation.py | relu family, gelu, silu, softplus, softmax, log_softmax, glu, prelu |
| loss.py | cross_entropy (fused), nll_loss, mse/l1/smooth_l1/huber, bce (+ with logits), kl_div |
| normalization.py | batch_norm, layer_norm, group_norm, rms_norm, normalize |
| sparse.py | embedding, one_hot |
| attention.py | scaled_dot_product_attention |
| distance.py | cosine_similarity, pairwise_distance |
| interpolate.py | interpolate (nearest, linear family, bicubic, area) and upsample aliases |
"""

from ember.nn.functional.linear import *
from ember.nn.functional.conv import *
from ember.nn.functional.pooling import *
from ember.nn.functional.dropout import *
from ember.nn.functional.activation import *
from ember.nn.functional.loss import *
from ember.nn.functional.normalization import *
from ember.nn.functional.sparse import *
from ember.nn.functional.attention import *
from ember.nn.functional.distance import *
from ember.nn.functional.interpolate import *
from ember.ops.shape import pad, pixel_shuffle, pixel_unshuffle  # the same ops as ember.*
