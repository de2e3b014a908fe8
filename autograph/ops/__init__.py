"""Primitive operations. Each file holds forward functions beside their gradient rules."""

from autograph.ops.elementwise import (absolute, astype, exp, log, maximum, minimum, sqrt,
                                       value_of, where)
from autograph.ops.shape import (broadcast_to, concatenate, expand_dims, reshape, scatter_add,
                                 stack, swapaxes, take, transpose)
from autograph.ops.arithmetic import add, divide, matmul, multiply, negative, power, subtract
from autograph.ops.reductions import logsumexp, max, mean, sum
from autograph.ops import linalg  # noqa: F401  (registers numpy's products and numpy.linalg)
from autograph.ops.activations import (leaky_relu, log_softmax, relu, sigmoid, softmax,
                                       softplus, tanh)

getitem = take

__all__ = [
    "absolute", "add", "astype", "broadcast_to", "concatenate", "divide", "exp", "expand_dims",
    "getitem", "leaky_relu", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum",
    "mean", "minimum", "multiply", "negative", "power", "relu", "reshape", "scatter_add",
    "sigmoid", "softmax", "softplus", "sqrt", "stack", "subtract", "sum", "swapaxes", "take",
    "tanh", "transpose", "value_of", "where",
]
