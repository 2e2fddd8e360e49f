"""``ember.nn``: modules, parameters, the functional API and initialisation."""

from ember.nn import functional, init
from ember.nn.modules import *
from ember.nn.modules import Module
from ember.nn.parameter import Buffer, Parameter
from ember.nn import utils
from ember.nn import parallel
from ember.nn.parallel import DataParallel
