"""Activation primitives, each stable at inputs of +-1000: forward beside gradient rule.

The gradient rules are written in terms of the output `ans` where that is cheaper than
recomputing from the input (sigmoid, tanh, softmax, log_softmax).
"""

from __future__ import annotations

import math

import numpy as np

from autograph.core.node import Primitive
from autograph.ops.elementwise import exp, where
from autograph.ops.kernels import sum_along
from autograph.ops.reductions import sum


# exp overflows past these arguments; sigmoid(-limit) is below the smallest normal number.
_EXP_LIMIT = {np.dtype(np.float16): 11.0, np.dtype(np.float32): 88.0}


def _sigmoid(x):
    # 1 / (1 + exp(-x)) with exp's argument capped: one transcendental, no overflow warning.
    z = np.negative(x)
    return 1.0 / (1.0 + np.exp(np.minimum(z, _EXP_LIMIT.get(z.dtype, 709.0))))


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


def _exp_shifted(x, axis):
    """(x - c, exp(x - c), its sum along axis) for a shift c that makes exp(x - c) <= 1.

    One shift for the whole array is a cheap full reduction, where numpy's row-wise max over a
    short axis costs as much as the exp itself. It is exact unless a row lies so far below the
    largest entry that its exponentials underflow; then each row gets its own shift.
    """
    shift = x.max()
    if math.isfinite(shift):
        shifted = x - shift
        e = np.exp(shifted)
        total = sum_along(e, axis=axis, keepdims=True)
        if total.min() > np.finfo(total.dtype).tiny:
            return shifted, e, total
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return shifted, e, sum_along(e, axis=axis, keepdims=True)


def _softmax(x, axis):
    _, e, total = _exp_shifted(x, axis)
    return e / total


def _log_softmax(x, axis):
    shifted, _, total = _exp_shifted(x, axis)
    return shifted - np.log(total)


_softmax_op = Primitive("softmax", _softmax,
                        lambda g, ans, x, axis: ans * (g - sum(g * ans, axis, keepdims=True)))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`: class probabilities from logits.

    >>> softmax(Node([[1000.0, 0.0]])).value
    array([[1., 0.]])
    """
    return _softmax_op(x, axis=axis)


_log_softmax_op = Primitive("log_softmax", _log_softmax,
                            lambda g, ans, x, axis: g - exp(ans) * sum(g, axis, keepdims=True))


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, without overflow or log(0).

    >>> log_softmax(Node([[1000.0, 0.0]])).value
    array([[    0., -1000.]])
    """
    return _log_softmax_op(x, axis=axis)
