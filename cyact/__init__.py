"""cyact: fast, exact activation functions and their derivatives for NumPy.

Every activation ``f`` has a derivative ``f_grad`` that takes the forward
input ``x=`` or, where it determines the derivative, the forward output
``y=``, so that a forward pass may overwrite its input (``out=x``) and the
backward pass still works. See the README for the table of functions.
"""
__version__ = "0.1.0"

from ._elementwise import (
    sigmoid, sigmoid_grad, tanh, tanh_grad, relu, relu_grad,
    leaky_relu, leaky_relu_grad, elu, elu_grad,
)
from ._prelu import prelu, prelu_grad
from ._axis import (
    softmax, softmax_grad, log_softmax, log_softmax_grad,
    maxout, maxout_grad, softmax_cross_entropy_grad,
)
from ._config import show_config, set_num_threads, get_num_threads

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "prelu", "prelu_grad", "elu", "elu_grad",
    "softmax", "softmax_grad", "log_softmax", "log_softmax_grad",
    "maxout", "maxout_grad", "softmax_cross_entropy_grad",
    "show_config", "set_num_threads", "get_num_threads",
]
