"""Reductions: sum, mean, max, logsumexp; each forward beside its gradient rule."""

from __future__ import annotations

import numpy as np

from autograph.core.dispatch import implements, reject
from autograph.core.node import Primitive
from autograph.ops.elementwise import astype, exp, value_of
from autograph.ops.kernels import max_along, sum_along
from autograph.ops.shape import broadcast_to


def _kept(g, x, axis, keepdims):
    """`g`, a reduction's gradient, reshaped so that it broadcasts against the input `x`."""
    if keepdims or axis is None:       # a scalar broadcasts as it is
        return g
    shape = list(np.shape(x))
    for a in axis if isinstance(axis, tuple) else (axis,):
        shape[a] = 1
    return g.reshape(tuple(shape))


def _axis_failure(x, axis=None, keepdims=False) -> str | None:
    ndim = np.ndim(x)
    axes = () if axis is None else axis if isinstance(axis, tuple) else (axis,)
    if not all(isinstance(a, (int, np.integer)) for a in axes):
        return f"axis must be an int or a tuple of ints, got {axis!r}"
    outside = [a for a in axes if not -ndim <= a < ndim]
    if outside:
        return f"axis {outside[0]} is out of range for {ndim} dimensions"
    return None      # another failure: numpy's own message says which


_sum = Primitive("sum", sum_along,
                 lambda g, ans, x, axis=None, keepdims=False:
                     broadcast_to(_kept(g, x, axis, keepdims), x.shape),
                 kind="reduction", explain=_axis_failure)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _as(x, dtype):
    return x if dtype is None else astype(x, dtype)


@implements(np.sum, (np.add, "reduce"))
def sum(x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum over `axis` (all axes by default), as `numpy.sum`."""
    reject("sum", out=out, initial=initial, where=where)
    return _sum(_as(x, dtype), axis=_axis(axis), keepdims=keepdims)


@implements(np.mean)
def mean(x, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """Mean over `axis`, as `numpy.mean`; composed of sum and a division."""
    reject("mean", out=out, where=where)
    total = sum(x, axis, dtype, keepdims=keepdims)   # checks the axis, naming the operands
    reduced = np.size(value_of(total))
    return total / (np.size(value_of(x)) // reduced if reduced else 1)


def _max_grad(g, ans, x, axis=None, keepdims=False):
    # Ties share the gradient equally, so the gradient of max(x) sums to g.
    x_value = value_of(x)
    winners = x_value == value_of(_kept(ans, x, axis, keepdims))
    share = winners / winners.sum(axis=axis, keepdims=True)
    return _kept(g, x, axis, keepdims) * share.astype(x_value.dtype, copy=False)


_max = Primitive("max", max_along, _max_grad, kind="reduction", explain=_axis_failure)


@implements(np.max, np.amax, (np.maximum, "reduce"))
def max(x, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Largest entry over `axis`, as `numpy.max`."""
    reject("max", out=out, initial=initial, where=where)
    return _max(x, axis=_axis(axis), keepdims=keepdims)


def _logsumexp(x, axis=None, keepdims=False):
    x = np.asarray(x)
    if x.size == 0:         # a sum of no exponentials is 0: its log is -inf, as in numpy
        shape = np.sum(x, axis=axis, keepdims=keepdims).shape
        return np.full(shape, -np.inf, dtype=np.result_type(x.dtype, np.float16))
    shift = max_along(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)   # all -inf (or inf) stays -inf (or inf)
    # x - shift overflows only to -inf, whose exp is 0; a row of all -inf sums to 0: log 0 is
    # the right -inf. Neither is worth a warning.
    with np.errstate(over="ignore", divide="ignore"):
        total = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return total if keepdims else np.squeeze(total, axis=axis)


def _logsumexp_grad(g, ans, x, axis=None, keepdims=False):
    # softmax(x) along the axis: exp(x - logsumexp x). Where the sum is 0 (all entries -inf)
    # or infinite it is 0/0 or inf/inf, which has no value.
    undefined = ~np.isfinite(value_of(ans))
    if undefined.any():
        at = tuple(int(i) for i in np.argwhere(undefined)[0])
        where = f" at {at} of the result {np.shape(ans)}" if at else ""
        raise FloatingPointError(
            f"logsumexp: no gradient where the result is {value_of(ans)[at]}{where}: every "
            "entry summed there is -inf, or one is +inf, and the gradient (the softmax of "
            "the entries) is 0/0 or inf/inf")
    # softmax itself, not exp(x - ans): near a dtype's largest values `ans` rounds to the
    # largest entry (65504 + log 2 is 65504 in float16) and exp(x - ans) would sum to 2.
    from autograph.ops.activations import softmax_over     # activations builds on this file
    return _kept(g, x, axis, keepdims) * softmax_over(x, axis)


_logsumexp_op = Primitive("logsumexp", _logsumexp, _logsumexp_grad,
                          kind="reduction", explain=_axis_failure)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed without overflow.

    >>> logsumexp(Node([1000.0, 1000.0])).item()   # 1000 + log 2, not inf
    1000.6931471805599
    """
    return _logsumexp_op(x, axis=_axis(axis), keepdims=keepdims)

