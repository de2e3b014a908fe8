"""Second derivatives: every gradient rule is itself differentiable (grad(grad(f)), backward
through a gradient), checked against central differences of the first derivative."""

import numpy as np
import pytest

import autograph as ag
from tests.helpers import assert_gradients_close

rng = np.random.default_rng(11)


# --- every elementwise primitive -------------------------------------------------------------

def normal(n):
    return rng.standard_normal(n)


def positive(n):
    return rng.uniform(0.5, 2.0, n)


def away_from_zero(n):
    return rng.uniform(0.3, 2.0, n) * rng.choice([-1.0, 1.0], n)


SECOND = {
    "exp": (ag.exp, normal),
    "log": (ag.log, positive),
    "sqrt": (ag.sqrt, positive),
    "sigmoid": (ag.sigmoid, normal),
    "tanh": (ag.tanh, normal),
    "softplus": (ag.softplus, normal),
    "softmax": (ag.softmax, normal),
    "log_softmax": (ag.log_softmax, normal),
    "power base": (lambda x: x ** 2.5, positive),
    "power int": (lambda x: x ** 3, normal),
    "power exponent": (lambda x: 1.7 ** x, normal),
    "power both": (lambda x: x ** x, positive),
    "divide numerator": (lambda x: ag.exp(x) / 1.3, normal),
    "divide denominator": (lambda x: 1.3 / x, away_from_zero),
    "divide both": (lambda x: ag.sigmoid(x) / (x * x + 1.0), normal),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1) * x, away_from_zero),
    "relu": (lambda x: ag.relu(x) * x, away_from_zero),
    "abs": (lambda x: ag.absolute(x) * x, away_from_zero),
}


@pytest.mark.parametrize("op,domain", SECOND.values(), ids=SECOND.keys())
def test_grad_of_grad_against_finite_differences_of_the_first_derivative(op, domain):
    """phi(t) = sum(w * op(x0 + t d)); grad(grad(phi)) against central differences of
    grad(phi)."""
    x0, w = domain(5), normal(5)
    d = rng.uniform(-0.1, 0.1, 5)

    def phi(t):
        return (w * op(x0 + t * d)).sum()

    first, second = ag.grad(phi), ag.grad(ag.grad(phi))
    t, eps = 0.25, 1e-5
    numeric = (first(t + eps) - first(t - eps)) / (2 * eps)
    np.testing.assert_allclose(second(t), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("op,domain", SECOND.values(), ids=SECOND.keys())
def test_backward_through_a_gradient(op, domain):
    """The gradient, as a graph (create_graph), differentiated again: Hessian-projected.

    The reference here is central differences of the engine's own first-order gradient (checked
    against independent finite differences in test_gradients.py), not of plain numpy."""
    def first_derivative(x):
        return ag.grad(lambda v: op(v).sum())(x)
    assert_gradients_close(first_derivative, domain(5), rtol=1e-5, atol=1e-7)


# --- the other primitives: the gradient of their gradient ---------------------------------

M = rng.standard_normal((4, 3))

OTHERS = {
    "matmul": lambda x: ag.tanh(x @ M) @ M.T,
    "matmul self": lambda x: x @ x.T,
    "sum": lambda x: ag.sigmoid(x).sum(axis=1) ** 2,
    "mean": lambda x: ag.tanh(x).mean(axis=0, keepdims=True) ** 2,
    "max": lambda x: ag.exp(x).max(axis=1) ** 2,
    "logsumexp": lambda x: ag.logsumexp(x * x, axis=0),
    "maximum": lambda x: ag.maximum(x * x, 0.5 * x + 0.8),
    "minimum": lambda x: ag.minimum(x * x, 0.5 * x + 0.8),
    "where": lambda x: ag.where(x > 0, x * x, ag.exp(x)),
    "reshape": lambda x: ag.sigmoid(x.reshape(12)) * x.reshape(12),
    "transpose": lambda x: x.T * ag.tanh(x.T),
    "swapaxes": lambda x: ag.swapaxes(x * x, 0, 1),
    "broadcast_to": lambda x: ag.broadcast_to(x[0] ** 3, (2, 4)),
    "getitem": lambda x: x[np.array([0, 0, 2])] ** 3,
    "slice": lambda x: ag.exp(x[1:, ::2]),
    "concatenate": lambda x: ag.concatenate([x * x, ag.exp(x[:, :1])], axis=1),
    "stack": lambda x: ag.stack([x * x, ag.sigmoid(x)], axis=1),
}


@pytest.mark.parametrize("op", OTHERS.values(), ids=OTHERS.keys())
def test_backward_through_the_gradient_of(op):
    def first_derivative(x):
        return ag.grad(lambda v: (op(v) * 0.7).sum())(x)
    x = rng.standard_normal((3, 4))
    # keep maximum/minimum away from ties of x^2 and 0.5 x + 0.8
    x = np.where(np.abs(x * x - 0.5 * x - 0.8) < 0.1, 1.5, x)
    assert_gradients_close(first_derivative, x, rtol=1e-5, atol=1e-7)
