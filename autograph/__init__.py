"""autograph: reverse-mode automatic differentiation on numpy, with diagrams and gradient checks.

>>> import autograph as ag
>>> W = ag.Node([[0.5, -1.0], [2.0, 0.1]], requires_grad=True, name="W")
>>> x = ag.Node([[1.0, 2.0]], name="x")
>>> loss = ag.sigmoid(x @ W).sum()
>>> loss.backward()
>>> W.grad.shape
(2, 2)
"""

from autograph.core import (GradcheckResult, GraphError, Node, Primitive, ShapeError, backward,
                            detect_anomaly, enable_grad, grad, gradcheck, gradients, hessian,
                            hvp, jacobian, no_grad, value_and_grad, writable)
from autograph.ops import (absolute, add, astype, broadcast_to, concatenate, divide, exp,
                           expand_dims, getitem, leaky_relu, log, log_softmax, logsumexp, matmul,
                           max, maximum, mean, minimum, multiply, negative, power, relu, reshape,
                           sigmoid, softmax, softplus, sqrt, stack, subtract, sum, swapaxes,
                           take, tanh, transpose, value_of, where)
from autograph.verify import assert_gradients_match, check_gradients
from autograph import nn
from autograph.ops import random  # ag.random.uniform, bernoulli: drawn anew when compiled
from autograph.nn import MLP, Adam, GradientDescent, Linear, Momentum, Nesterov, fit
from autograph.diagrams import graph_diagram, network_diagram
from autograph import onnx        # ag.onnx.export; the onnx package is imported only then
from autograph.compiler import TraceError, compile  # noqa: A004 - ag.compile, as jax.jit


def tensor(value, requires_grad: bool = False, name: str | None = None, dtype=None) -> Node:
    """A leaf Node: an input (`requires_grad=False`) or a variable to differentiate."""
    return Node(value, requires_grad=requires_grad, name=name, dtype=dtype)


def parameter(value, name: str | None = None, dtype=None) -> Node:
    """A leaf Node that requires a gradient: a weight or a bias."""
    return Node(value, requires_grad=True, name=name, dtype=dtype)


def constant(value, name: str | None = None, dtype=None) -> Node:
    """A leaf Node with no gradient."""
    return Node(value, requires_grad=False, name=name, dtype=dtype)


__version__ = "0.1.0"
