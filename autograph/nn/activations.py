"""The tutorial's catalogue of units (section 1.4): hidden units and output units.

sigmoid, tanh, relu, leaky_relu, softplus and softmax are engine primitives (stable at inputs of
+-1000, gradient rules in `autograph/ops/activations.py`) and are re-exported here. maxout and
radial_basis are composed from primitives, so they need no gradient rule of their own and
higher derivatives work. `linear` is the identity output unit of regression.

Every function here also runs on plain numpy arrays (then it is plain numpy).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograph.ops import (exp, expand_dims, leaky_relu, log_softmax, matmul, maximum, relu,
                           sigmoid, softmax, softplus, sum, tanh)
from autograph.ops import max as reduce_max
from autograph.ops import value_of


def linear(x):
    """The identity: a linear output unit, g(x) = W^T h + b with the affine part in the layer.

    >>> x = Node([1.0, -2.0])
    >>> linear(x) is x
    True
    """
    return x


def maxout(x, W, b=None):
    """max over k linear pieces, each with its own weights: max_j (x @ W[j] + b[j]).

    `x` is (n, fan_in) or one example (fan_in,), `W` is (k, fan_in, fan_out), `b` is
    (k, fan_out); the result is (n, fan_out) or (fan_out,). ReLU is maxout with pieces (W, 0);
    ties share the gradient equally.

    >>> maxout(np.ones((5, 2)), np.ones((3, 2, 4)), np.zeros((3, 4))).shape
    (5, 4)
    >>> maxout(np.ones(2), np.ones((3, 2, 4)), np.zeros((3, 4))).shape
    (4,)
    """
    pieces = matmul(x, W)      # (k, n, fan_out), or (k, fan_out) for one example
    if b is not None:
        pieces = pieces + (expand_dims(b, 1) if np.ndim(value_of(pieces)) == 3 else b)
    return reduce_max(pieces, axis=0)


def radial_basis(x, W, sigma=1.0):
    """Gaussian radial basis units h_i = exp(-||W[:, i] - x||^2 / sigma^2).

    `x` is (n, d), the centres `W` are (d, m), the result is (n, m). The squared distance is
    expanded as ||x||^2 - 2 x.W + ||W||^2 (one matmul instead of an (n, d, m) difference) and
    clipped at 0, where rounding could make it slightly negative; exp of a non-positive number
    cannot overflow. `sigma` may be a Node (learned widths), a scalar or one per unit (m,).

    >>> radial_basis(np.zeros((1, 2)), np.ones((2, 3)))     # exp(-||(1, 1)||^2)
    array([[0.13533528, 0.13533528, 0.13533528]])
    """
    squared = (sum(x * x, axis=-1, keepdims=True) - 2.0 * matmul(x, W)
               + sum(W * W, axis=0))
    return exp(-maximum(squared, 0.0) / (sigma * sigma))


# Names accepted wherever an activation is asked for (MLP's hidden= and output=).
ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": sigmoid, "logistic": sigmoid, "tanh": tanh, "relu": relu,
    "leaky_relu": leaky_relu, "softplus": softplus, "softmax": softmax, "linear": linear,
    "identity": linear,
}


def get_activation(activation) -> Callable:
    """An activation from its name (see ACTIVATIONS) or the callable itself (None is linear)."""
    if activation is None:
        return linear
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {activation!r}; use a function or one of "
                         f"{', '.join(sorted(ACTIVATIONS))}") from None


def activation_name(activation: Callable) -> str:
    """'relu', 'sigmoid', ...: the name a report or a repr shows for an activation."""
    if activation is linear:
        return "linear"
    name = getattr(activation, "name", None) or getattr(activation, "__name__", None)
    if name is None and hasattr(activation, "func"):       # functools.partial
        name = activation_name(activation.func)
    return name or type(activation).__name__


__all__ = ["ACTIVATIONS", "activation_name", "get_activation", "leaky_relu", "linear",
           "log_softmax", "maxout", "radial_basis", "relu", "sigmoid", "softmax", "softplus",
           "tanh"]
