"""Layers as Modules, one file per family; each is a docstring over ``ember.nn.functional``."""

from ember.nn.modules.container import *
from ember.nn.modules.conv import *
from ember.nn.modules.dropout import *
from ember.nn.modules.linear import *
from ember.nn.modules.module import Module
from ember.nn.modules.pooling import *
from ember.nn.modules.activation import *
from ember.nn.modules.flatten import *
from ember.nn.modules.loss import *
from ember.nn.modules.normalization import *
from ember.nn.modules.batchnorm import *
from ember.nn.modules.instancenorm import *
from ember.nn.modules.sparse import *
from ember.nn.modules.distance import *
from ember.nn.modules.transformer import *
from ember.nn.modules.rnn import *
from ember.nn.modules.upsampling import *
from ember.nn.modules.padding import *
from ember.nn.modules.pixelshuffle import *
