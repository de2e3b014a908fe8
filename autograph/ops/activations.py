"""Activation primitives, each stable at inputs of +-1000: forward beside gradient rule.

The gradient rules are written in terms of the output `ans` where that is cheaper than
recomputing from the input (sigmoid, tanh, softmax, log_softmax).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograph.core.dispatch import implements
from autograph.core.node import Primitive
from autograph.ops.elementwise import exp, where
from autograph.ops.kernels import max_along, sum_along
from autograph.ops.reductions import _sum


# exp(t) is finite for t up to these limits (float64: 708): sigmoid caps exp's argument there.
_EXP_RANGE = {np.dtype(np.float16): 11.0, np.dtype(np.float32): 87.0}


def _exp_range(dtype) -> float:
    return _EXP_RANGE.get(dtype, 708.0)


@lru_cache(maxsize=16)
def _sigmoid_constants(dtype):
    # 0-d arrays of x's own dtype: numpy combines them with x faster than Python floats, and
    # without changing x's precision (a float64 constant would turn float32 into float64).
    # float16 is computed in float32: its cap, 11, would floor sigmoid at 1.7e-5, and below
    # -11 the true value (6.1e-6 at -12) is a float16 subnormal that float32 gets right.
    wider = np.dtype(np.float32) if dtype == np.float16 else None
    return np.array(_exp_range(dtype), dtype), np.array(1, dtype), wider


def _sigmoid(x):
    # 1 / (1 + exp(-x)) with exp's argument capped: one transcendental, no overflow warning.
    # Below -cap (float64: -708) the capped value would stay at its floor (3e-308) instead of
    # going on down, through the subnormals, to 0: there sigmoid(x) is exp(x) to the last bit,
    # and those entries are recomputed so. (log sigmoid(x) is -softplus(-x), exact at any x.)
    z = np.negative(x)
    cap, one, wider = _sigmoid_constants(z.dtype)
    if wider is not None:
        with np.errstate(under="ignore"):     # float16 subnormals, and 0 below them
            return _sigmoid(np.asarray(x, dtype=wider)).astype(z.dtype)
    e = np.exp(np.minimum(z, cap))
    beyond = z > cap
    if type(e) is not np.ndarray:        # a 0-d input gives a numpy scalar
        if beyond:
            with np.errstate(under="ignore"):
                return np.exp(-z)
        return one / (one + e)
    e += one                             # e is a new array: update it in place
    result = np.reciprocal(e, out=e)
    if np.count_nonzero(beyond):
        with np.errstate(under="ignore"):
            result[beyond] = np.exp(-z[beyond])
    return result


sigmoid = Primitive("sigmoid", _sigmoid,
                    lambda g, ans, x: g * ans * (1.0 - ans),
                    kind="activation", unit="sigmoid",
                    inactive=("saturated", lambda h, x, tol: np.minimum(h, 1.0 - h) < tol))

tanh = Primitive("tanh", np.tanh,
                 lambda g, ans, x: g * (1.0 - ans * ans),
                 kind="activation", unit="tanh",
                 inactive=("saturated", lambda h, x, tol: np.abs(h) > 1.0 - tol))
implements(np.tanh)(tanh)

relu = Primitive("relu", lambda x: np.maximum(x, 0.0),
                 lambda g, ans, x: g * (x > 0),
                 kind="activation", unit="ReLU", inactive=("dead", lambda h, x, tol: h <= 0))

_leaky_relu = Primitive("leaky_relu", lambda x, alpha: np.where(x > 0, x, alpha * x),
                        lambda g, ans, x, alpha: where(x > 0, g, alpha * g),
                        kind="activation", unit="leaky ReLU")


def leaky_relu(x, alpha=0.01):
    """x where x > 0, else alpha * x.

    >>> leaky_relu(Node([-2.0, 3.0]), alpha=0.1).value
    array([-0.2,  3. ])
    """
    return _leaky_relu(x, alpha=alpha)


softplus = Primitive("softplus", lambda x: np.logaddexp(0.0, x),
                     lambda g, ans, x: g * sigmoid(x), kind="activation", unit="softplus")


@lru_cache(maxsize=16)
def _safe_shift(dtype) -> np.ndarray:
    """Below this row maximum m, x - m cannot overflow for any x of the dtype (x >= -max, and
    -max - m rounds back to -max): half the spacing of floats at the dtype's largest value
    (float64: 1e292, float32: 1e31, float16: 16). Not a float: 0, always the careful path.
    A 0-d array of the dtype: numpy compares with it faster than with a Python float."""
    if np.dtype(dtype).kind != "f":
        return np.array(0.0)
    largest = np.finfo(dtype).max
    return np.array((largest - np.nextafter(largest, 0, dtype=dtype)) / 2, dtype=dtype)


def _exp_shifted(x, axis, name):
    """(x - m, exp(x - m), its sum along axis), m the largest entry of each row: exp(x - m) is
    at most 1, and each row's result is exactly what it would be on its own."""
    m = max_along(x, axis=axis, keepdims=True)
    if np.count_nonzero(np.abs(m) < _safe_shift(m.dtype)) == m.size:   # finite, no overflow
        shifted = x - m
    else:
        if np.count_nonzero(np.isfinite(m)) != m.size:
            _refuse_infinite_rows(m, name, axis)
        with np.errstate(over="ignore"):    # x - m overflows only to -inf: its exp is the 0 due
            shifted = x - m
    e = np.exp(shifted)
    return shifted, e, sum_along(e, axis=axis, keepdims=True)


def _refuse_infinite_rows(m, name, axis):
    """A row whose largest entry is -inf (all entries are) or +inf has no softmax: 0/0 or
    inf/inf. A NaN passes on as NaN."""
    bad = np.isinf(m)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        axes = set(range(m.ndim)) if axis is None else \
            {a % m.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
        row = ", ".join(":" if d in axes else str(i) for d, i in enumerate(at))
        what, ratio = ("every entry is -inf", "0/0") if m[at] < 0 else ("an entry is +inf",
                                                                        "inf/inf")
        raise ValueError(f"{what} in row [{row}] along axis {axis}: {name} there is {ratio}")


def _size(x) -> int:
    return x.size if type(x) is np.ndarray else np.size(x)


def _softmax(x, axis):
    if _size(x) == 0:                  # nothing to normalise: an empty result, as in numpy
        return np.exp(x)
    _, e, total = _exp_shifted(x, axis, "softmax")
    return e / total


def _log_softmax(x, axis):
    if _size(x) == 0:
        return np.exp(x)
    shifted, _, total = _exp_shifted(x, axis, "log_softmax")
    return shifted - np.log(total)


_softmax_op = Primitive("softmax", _softmax,
                        lambda g, ans, x, axis: ans * (g - _sum(g * ans, axis=axis, keepdims=True)),
                        kind="activation", unit="softmax")


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`: class probabilities from logits.

    >>> softmax(Node([[1000.0, 0.0]])).value
    array([[1., 0.]])
    """
    return _softmax_op(x, axis=axis)


_log_softmax_op = Primitive("log_softmax", _log_softmax,
                            lambda g, ans, x, axis:
                                g - exp(ans) * _sum(g, axis=axis, keepdims=True),
                            kind="activation", unit="log softmax")


def softmax_over(x, axis):
    """softmax over one axis, a tuple of axes or all of them (None): logsumexp's gradient."""
    return _softmax_op(x, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, without overflow or log(0).

    >>> log_softmax(Node([[1000.0, 0.0]])).value
    array([[    0., -1000.]])
    """
    return _log_softmax_op(x, axis=axis)


# --- the same functions written into arrays a caller keeps (autograph.compile's buffers) -------
# Each maker returns a function of x that computes its function above with the same numpy
# operations into `out`, an array of the result's shape and dtype that the caller keeps (and
# that is not x): no allocation, and everything it needs (scratch arrays, constants, numpy's
# functions, the columns of the array x usually is) looked up once, when it is made. Where the
# check it makes fails, it is its function above (a new array then, or that function's error).
# A compiled program makes one per operation; on the tutorial's step they take a fifth off.

def sigmoid_kernel(shape, dtype, out):
    """x -> `_sigmoid(x)` for float32 or float64 arrays of `shape`, written into `out`.

    >>> x = np.array([-1000.0, -745.0, 0.0, 2.0])
    >>> sigmoid = sigmoid_kernel(x.shape, x.dtype, np.empty(4))
    >>> bool(np.array_equal(sigmoid(x), _sigmoid(x)))
    True
    """
    beyond = np.empty(shape, bool)                 # where -x is beyond exp's cap
    cap, one, _ = _sigmoid_constants(np.dtype(dtype))
    negative, greater, minimum, exp, add, reciprocal, count = (
        np.negative, np.greater, np.minimum, np.exp, np.add, np.reciprocal, np.count_nonzero)

    def sigmoid_into(x):
        z = negative(x, out)
        greater(z, cap, beyond)
        minimum(z, cap, out=z)
        exp(z, z)
        add(z, one, z)
        reciprocal(z, z)
        if count(beyond):           # below -cap: exp(x), through the subnormals to 0
            with np.errstate(under="ignore"):
                out[beyond] = exp(x[beyond])
        return out
    return sigmoid_into


def _rows_kernel(shape, dtype, out, source, finish, fallback):
    """The part softmax and log-softmax of rows share: x minus each row's largest entry,
    into `out`, then `finish(out)`; `fallback(x)` where a row's largest entry is not finite or
    so large (beyond 1e292) that x - max could overflow. `source`: the array x usually is,
    whose columns are then taken once."""
    n, k = shape
    column = np.empty((n, 1), dtype)               # each row's largest entry
    largest = column[:, 0]
    magnitude, within = np.empty((n, 1), dtype), np.empty((n, 1), bool)
    safe = _safe_shift(dtype)
    maximum, less, absolute, count, subtract = (np.maximum, np.less, np.abs, np.count_nonzero,
                                                np.subtract)
    columns = None if source is None else [source[:, j] for j in range(k)]

    def kernel(x):
        first, second, *rest = columns if x is source else [x[:, j] for j in range(k)]
        maximum(first, second, out=largest)
        for c in rest:
            maximum(largest, c, out=largest)
        less(absolute(column, magnitude), safe, within)
        if count(within) != n:
            return fallback(x, -1)
        subtract(x, column, out)
        return finish(out)
    kernel.__name__ = f"{fallback.__name__[1:]}_rows_into"    # softmax_rows_into
    return kernel


def softmax_rows_kernel(shape, dtype, out, source=None):
    """x -> `_softmax(x, axis=-1)` for float matrices of `shape` (2 to 16 columns), written
    into `out`. Each row's sum is repeated along the row by one product with a square of ones:
    dividing by it is twice as fast as by an (n, 1) column (numpy loops over rows of 3). (Only
    on finite numbers, here exp(x - max) <= 1: on an infinity BLAS may give NaN.)

    >>> x = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    >>> softmax = softmax_rows_kernel(x.shape, x.dtype, np.empty((2, 3)))
    >>> bool(np.allclose(softmax(x), _softmax(x, -1), rtol=1e-15, atol=0))
    True
    """
    ones, wide = np.ones((shape[1], shape[1]), dtype), np.empty(shape, dtype)
    exp, dot, divide = np.exp, np.dot, np.divide

    def finish(e):
        exp(e, e)
        return divide(e, dot(e, ones, out=wide), e)
    return _rows_kernel(shape, dtype, out, source, finish, _softmax)


def log_softmax_rows_kernel(shape, dtype, out, source=None):
    """x -> `_log_softmax(x, axis=-1)` for float matrices of `shape` (2 to 16 columns),
    written into `out`. The rows' sums are `_log_softmax`'s own (a product with a vector of
    ones): near 0, where log(sum) is, an ulp of a sum is a large part of the result.

    >>> x = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    >>> log_softmax = log_softmax_rows_kernel(x.shape, x.dtype, np.empty((2, 3)))
    >>> bool(np.array_equal(log_softmax(x), _log_softmax(x, -1)))
    True
    """
    ones, e = np.ones(shape[1], dtype), np.empty(shape, dtype)
    total = np.empty((shape[0], 1), dtype)
    sums = total[:, 0]
    exp, dot, log, subtract = np.exp, np.dot, np.log, np.subtract

    def finish(shifted):
        dot(exp(shifted, e), ones, out=sums)
        log(total, total)
        return subtract(shifted, total, shifted)
    return _rows_kernel(shape, dtype, out, source, finish, _log_softmax)


def minus_targets_grad_kernel(shape, dtype, out):
    """(p, t) -> log_softmax's gradient rule, g - p * sum(g, axis=-1, keepdims=True), for
    g = -t: the gradient of the summed cross-entropy -sum(t * log_softmax(z)), p = softmax(z).
    Where every row of t sums to exactly 1 (one-hot targets), the rows of g sum to -1 and the
    rule is p - t, bit for bit; otherwise it is computed as the rule says. Written into `out`,
    which may be p but not t.

    >>> p, t = np.array([[0.25, 0.75], [0.5, 0.5]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> minus_targets_grad_kernel(p.shape, p.dtype, np.empty((2, 2)))(p, t)
    array([[ 0.25, -0.25],
           [-0.5 ,  0.5 ]])
    """
    n, k = shape
    ones, total, exact = np.ones(k, dtype), np.empty(n, dtype), np.empty(n, bool)
    one = np.array(1, dtype)
    dot, equal, count, subtract, multiply = (np.dot, np.equal, np.count_nonzero, np.subtract,
                                             np.multiply)

    def minus_targets_grad_into(p, t):
        if count(equal(dot(t, ones, out=total), one, exact)) == n:
            return subtract(p, t, out)      # -sum(t) = sum(-t), and g - p * -1 = p - t
        g = np.negative(t)
        return subtract(g, multiply(p, g.dot(ones)[:, None], out), out)
    return minus_targets_grad_into


def minus_targets_grad(p, t):
    """`minus_targets_grad_kernel`'s function, into a new array (the replay's fallback for
    matrices too large for its buffers).

    >>> minus_targets_grad(np.array([[0.25, 0.75]]), np.array([[0.5, 0.25]]))  # rows sum to 0.75
    array([[-0.3125,  0.3125]])
    """
    return minus_targets_grad_kernel(p.shape, p.dtype, np.empty(p.shape, p.dtype))(p, t)
