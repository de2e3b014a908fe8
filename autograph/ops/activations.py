"""Activation primitives, each stable at inputs of +-1000: forward beside gradient rule.

The gradient rules are written in terms of the output `ans` where that is cheaper than
recomputing from the input (sigmoid, tanh, softmax, log_softmax).
"""

from __future__ import annotations

import numpy as np

from autograph.core.node import Primitive
from autograph.ops.elementwise import exp, where
from autograph.ops.reductions import _logsumexp


def _sigmoid(x):
    # 1 / (1 + exp(-x)) overflows for x < -709; exp(-log(1 + exp(-x))) never does.
    return np.exp(-np.logaddexp(0.0, -x))


sigmoid = Primitive("sigmoid", _sigmoid,
                    lambda g, ans, x: g * ans * (1.0 - ans))

tanh = Primitive("tanh", np.tanh,
                 lambda g, ans, x: g * (1.0 - ans * ans))

relu = Primitive("relu", lambda x: np.maximum(x, 0.0),
                 lambda g, ans, x: g * (x > 0))

_leaky_relu = Primitive("leaky_relu", lambda x, alpha: np.where(x > 0, x, alpha * x),
                        lambda g, ans, x, alpha: where(x > 0, g, alpha * g))


def leaky_relu(x, alpha=0.01):
    """x where x > 0, else alpha * x.

    >>> leaky_relu(Node([-2.0, 3.0]), alpha=0.1).value
    array([-0.2,  3. ])
    """
    return _leaky_relu(x, alpha=alpha)


softplus = Primitive("softplus", lambda x: np.logaddexp(0.0, x),
                     lambda g, ans, x: g * sigmoid(x))


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


_softmax_op = Primitive("softmax", _softmax,
                        lambda g, ans, x, axis: ans * (g - (g * ans).sum(axis=axis, keepdims=True)))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`: class probabilities from logits.

    >>> softmax(Node([[1000.0, 0.0]])).value
    array([[1., 0.]])
    """
    return _softmax_op(x, axis=axis)


_log_softmax_op = Primitive("log_softmax",
                            lambda x, axis: x - _logsumexp(x, axis=axis, keepdims=True),
                            lambda g, ans, x, axis: g - exp(ans) * g.sum(axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, without overflow or log(0).

    >>> log_softmax(Node([[1000.0, 0.0]])).value
    array([[    0., -1000.]])
    """
    return _log_softmax_op(x, axis=axis)
