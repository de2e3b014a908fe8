"""The engine: Node, primitives, reverse mode, functional transforms, gradient checking."""

from autograph.core.node import Node, Primitive, ShapeError, writable
from autograph.core.modes import detect_anomaly, enable_grad, no_grad
from autograph.core.backward import GraphError, backward, gradients, unbroadcast
from autograph.core.functional import grad, hessian, hvp, jacobian, value_and_grad
from autograph.core.gradcheck import GradcheckResult, gradcheck
from autograph.core.graph import topological_order
