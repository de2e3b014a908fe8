"""Reductions: sums, products, extremes, moments and running totals; each forward beside its
gradient rule."""

from __future__ import annotations

import warnings

import numpy as np

from autograph.core.dispatch import implements, reject
from autograph.core.node import Node, Primitive
from autograph.ops.elementwise import astype, exp, value_of
# numpy's keyword where= would shadow these inside numpy's signatures below
from autograph.ops.elementwise import sqrt as _sqrt, where as _where
from autograph.ops.kernels import max_along, sum_along
from autograph.ops.shape import broadcast_to, concatenate, reshape, stack, transpose


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


@implements(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum over `axis` (all axes by default), as `numpy.sum`."""
    reject("sum", out=out, initial=initial, where=where)
    return _sum(_as(a, dtype), axis=_axis(axis), keepdims=keepdims)


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """Mean over `axis`, as `numpy.mean`; composed of sum and a division."""
    reject("mean", out=out, where=where)
    total = sum(a, axis, dtype, keepdims=keepdims)   # checks the axis, naming the operands
    reduced = np.size(value_of(total))
    return total / (np.size(value_of(a)) // reduced if reduced else 1)


def _extreme_grad(g, ans, x, axis=None, keepdims=False):
    # max and min: ties share the gradient equally, so that it sums to g. A NaN wins (numpy's
    # max of a lane holding one is NaN), so then the NaNs share it.
    x_value = value_of(x)
    extreme = value_of(_kept(ans, x, axis, keepdims))
    winners = x_value == extreme
    if not isinstance(extreme, np.ndarray):    # inside ag.compile: no branch on the values
        winners = winners | np.isnan(x_value)
    elif np.isnan(extreme).any():
        winners |= np.isnan(x_value)
    share = winners / winners.sum(axis=axis, keepdims=True)
    return _kept(g, x, axis, keepdims) * share.astype(x_value.dtype, copy=False)


_max = Primitive("max", max_along, _extreme_grad, kind="reduction", explain=_axis_failure)
_min = Primitive("min", lambda x, axis=None, keepdims=False: np.min(x, axis=axis,
                                                                    keepdims=keepdims),
                 _extreme_grad, kind="reduction", explain=_axis_failure)


@implements(np.max, np.amax)
def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Largest entry over `axis`, as `numpy.max`; tied entries share the gradient."""
    reject("max", out=out, initial=initial, where=where)
    return _max(a, axis=_axis(axis), keepdims=keepdims)


@implements(np.min, np.amin)
def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Smallest entry over `axis`, as `numpy.min`; tied entries share the gradient.

    >>> x = ag.parameter([[3.0, 1.0], [1.0, 2.0]], name="x")
    >>> np.min(x, axis=1).sum().backward(); x.grad
    array([[0., 1.],
           [1., 0.]])
    """
    reject("min", out=out, initial=initial, where=where)
    return _min(a, axis=_axis(axis), keepdims=keepdims)


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



# --- ufunc methods: numpy's ufunc.reduce reduces axis 0 unless told otherwise -------------------

@implements((np.add, "reduce"))
def _add_reduce(x, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return sum(x, axis, dtype, out, keepdims, initial, where)


@implements((np.maximum, "reduce"))
def _maximum_reduce(x, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return max(_as(x, dtype), axis, out, keepdims, initial, where)


@implements((np.minimum, "reduce"))
def _minimum_reduce(x, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return min(_as(x, dtype), axis, out, keepdims, initial, where)


@implements((np.logaddexp, "reduce"))
def _logaddexp_reduce(x, axis=0, dtype=None, out=None, keepdims=False, initial=None,
                      where=None):
    reject("logaddexp.reduce", out=out, initial=initial, where=where)
    return logsumexp(_as(x, dtype), axis=_axis(axis), keepdims=keepdims)


# --- products ----------------------------------------------------------------------------------

def _lane(axis, ndim):
    """Indexing helpers along one axis: (index of a slice along `axis`, the axis as a number)."""
    axis = axis % ndim
    return lambda part: (slice(None),) * axis + (part,), axis


def _flip(x, axis):
    at, _ = _lane(axis, np.ndim(value_of(x)))
    return x[at(slice(None, None, -1))]


def _reverse_cumsum(x, axis):
    """sum of x[j] for j >= i along `axis`: the gradient of a cumulative sum."""
    return _flip(cumsum(_flip(x, axis), axis), axis)


def _ones_along(x, axis):
    shape = list(np.shape(value_of(x)))
    shape[axis] = 1
    return np.ones(shape, dtype=np.result_type(value_of(x)))


def _products_of_others_along(x, axis):
    """prod of x[j] for j != i along `axis`: the products before i times those after it.

    No division, so zeros are no special case, and its derivatives are right too (cumprod's
    gradient is written the same way).
    """
    at, axis = _lane(axis, np.ndim(value_of(x)))
    ones = _ones_along(x, axis)
    before = cumprod(concatenate([ones, x[at(slice(None, -1))]], axis=axis), axis)
    after = _flip(cumprod(_flip(concatenate([x[at(slice(1, None))], ones], axis=axis), axis),
                          axis), axis)
    return before * after


def _products_of_others(x, axis):
    """prod over `axis` (None, an int or a tuple) of all entries but each one."""
    ndim = np.ndim(value_of(x))
    axes = tuple(range(ndim)) if axis is None else \
        tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    if np.size(value_of(x)) == 0 or not axes:
        return np.ones(np.shape(value_of(x)), dtype=np.result_type(value_of(x)))
    if len(axes) == 1:
        return _products_of_others_along(x, axes[0])
    # several axes: move them to the end, make them one, and undo both afterwards
    order = [a for a in range(ndim) if a not in axes] + list(axes)
    moved = transpose(x, order)
    moved_shape = np.shape(value_of(moved))
    kept = ndim - len(axes)
    lanes = reshape(moved, moved_shape[:kept] + (-1,))
    others = reshape(_products_of_others_along(lanes, kept), moved_shape)
    return transpose(others, tuple(np.argsort(order)))


def _well_scaled(ans) -> bool:
    """Every entry finite and a normal number: then ans / x loses no digits."""
    ans = np.asarray(value_of(ans))
    if ans.dtype.kind != "f":
        return False
    return bool(np.all(np.isfinite(ans)) and np.all(np.abs(ans) >= np.finfo(ans.dtype).tiny))


def _prod_grad(g, ans, x, axis=None, keepdims=False):
    g = _kept(g, x, axis, keepdims)
    if _well_scaled(ans):      # no zero (nor overflow, nor underflow) in x: the quick way
        return g * _kept(ans, x, axis, keepdims) / x
    return g * _products_of_others(x, axis)


_prod = Primitive("prod", lambda x, axis=None, keepdims=False: np.prod(x, axis=axis,
                                                                        keepdims=keepdims),
                  _prod_grad, kind="reduction", explain=_axis_failure)


@implements(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product over `axis`, as `numpy.prod`. The gradient of each entry is the product of the
    others, right where entries are 0:

    >>> x = ag.parameter([2.0, 0.0, 3.0], name="x")
    >>> np.prod(x).backward(); x.grad
    array([0., 6., 0.])
    """
    reject("prod", out=out, initial=initial, where=where)
    return _prod(_as(a, dtype), axis=_axis(axis), keepdims=keepdims)


@implements((np.multiply, "reduce"))
def _multiply_reduce(x, axis=0, dtype=None, out=None, keepdims=False, initial=None,
                     where=None):
    return prod(x, axis, dtype, out, keepdims, initial, where)


# --- running sums and products -------------------------------------------------------------------

_cumsum = Primitive("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
                    lambda g, ans, x, axis: _reverse_cumsum(g, axis),
                    kind="reduction", explain=_axis_failure)


def _flat(x, axis):
    """A running total over axis None runs over the flattened array."""
    return (reshape(x, (-1,)), 0) if axis is None else (x, axis)


@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """Running sums along `axis` (of the flattened array if None), as `numpy.cumsum`.

    >>> cumsum(Node([1.0, 2.0, 3.0])).value
    array([1., 3., 6.])
    """
    reject("cumsum", out=out)
    a, axis = _flat(_as(a, dtype), axis)
    return _cumsum(a, axis=axis)


def _cumprod_grad(g, ans, x, axis):
    # d/dx[k] of sum_i g[i] y[i], y = cumprod(x): sum over i >= k of g[i] y[i] / x[k]
    if _well_scaled(ans):
        return _reverse_cumsum(g * ans, axis) / x
    # With zeros: (prod of x[j], j < k) * r[k], where r[k] = sum over i >= k of g[i] times
    # prod of x[j] for k < j <= i, i.e. r[k] = g[k] + x[k+1] r[k+1]: a loop along the axis.
    at, axis = _lane(axis, np.ndim(value_of(x)))
    n = np.shape(value_of(x))[axis]
    r = [g[at(n - 1)]]
    for k in range(n - 2, -1, -1):
        r.append(g[at(k)] + x[at(k + 1)] * r[-1])
    before = cumprod(concatenate([_ones_along(x, axis), x[at(slice(None, -1))]], axis=axis),
                     axis)
    return before * stack(r[::-1], axis=axis)


_cumprod = Primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _cumprod_grad,
                     kind="reduction", explain=_axis_failure)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Running products along `axis` (of the flattened array if None), as `numpy.cumprod`;
    the gradient is right where entries are 0.

    >>> x = ag.parameter([2.0, 0.0, 3.0], name="x")
    >>> np.cumprod(x).sum().backward(); x.grad     # d/dx of x0 + x0 x1 + x0 x1 x2
    array([1., 8., 0.])
    """
    reject("cumprod", out=out)
    a, axis = _flat(_as(a, dtype), axis)
    return _cumprod(a, axis=axis)


@implements((np.add, "accumulate"))
def _add_accumulate(x, axis=0, dtype=None, out=None):
    return cumsum(x, axis, dtype, out)


@implements((np.multiply, "accumulate"))
def _multiply_accumulate(x, axis=0, dtype=None, out=None):
    return cumprod(x, axis, dtype, out)


# --- differences --------------------------------------------------------------------------------

@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The n-th differences along `axis`, as `numpy.diff`: a[1:] - a[:-1], n times; prepend and
    append are joined on first (they may be Nodes too).

    >>> diff(Node([1.0, 4.0, 9.0, 16.0]), n=2).value
    array([2., 2.])
    """
    if n < 0:
        raise ValueError(f"numpy.diff: order must be non-negative but got {n!r}")
    ndim = np.ndim(value_of(a))
    if ndim == 0:
        raise ValueError("numpy.diff: diff requires input that is at least one dimensional")
    at, axis = _lane(axis, ndim)
    parts = []
    for extra, first in ((prepend, True), (append, False)):
        if extra is None:
            continue
        if np.ndim(value_of(extra)) == 0:      # a scalar stands for a slice of the lane's shape
            shape = list(np.shape(value_of(a)))
            shape[axis] = 1
            extra = broadcast_to(extra, tuple(shape))
        parts.append((first, extra))
    if parts:
        a = concatenate([e for first, e in parts if first] + [a] +
                        [e for first, e in parts if not first], axis=axis)
    if np.result_type(value_of(a)) == np.bool_:     # numpy: not_equal, no gradient
        return np.diff(value_of(a), n=n, axis=axis)
    for _ in range(n):
        a = a[at(slice(1, None))] - a[at(slice(None, -1))]
    return a


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Slopes by central differences inside and one-sided ones at the ends, along each axis
    (or `axis`), as `numpy.gradient` with uniform spacing (a number per axis, 1 by default).

    >>> gradient(Node([1.0, 2.0, 4.0, 7.0])).value
    array([1. , 1.5, 2.5, 3. ])
    """
    ndim = np.ndim(value_of(f))
    axes = tuple(range(ndim)) if axis is None else \
        tuple(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(value_of(varargs[0])) == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes) and all(np.ndim(value_of(v)) == 0 for v in varargs):
        spacings = list(varargs)
    else:
        raise TypeError("numpy.gradient: on Nodes the spacing is one number per axis; "
                        "coordinate arrays are not supported")
    if edge_order not in (1, 2):
        raise ValueError("numpy.gradient: 'edge_order' greater than 2 not supported")
    slopes = []
    for a, h in zip(axes, spacings):
        at, a = _lane(a, ndim)
        if np.shape(value_of(f))[a] < edge_order + 1:
            raise ValueError("numpy.gradient: Shape of array too small to calculate a numerical "
                             "gradient, at least (edge_order + 1) elements are required.")
        inside = (f[at(slice(2, None))] - f[at(slice(None, -2))]) / (2.0 * h)
        if edge_order == 1:
            first = (f[at(slice(1, 2))] - f[at(slice(0, 1))]) / h
            last = (f[at(slice(-1, None))] - f[at(slice(-2, -1))]) / h
        else:
            first = (-1.5 / h) * f[at(slice(0, 1))] + (2.0 / h) * f[at(slice(1, 2))] \
                - (0.5 / h) * f[at(slice(2, 3))]
            last = (0.5 / h) * f[at(slice(-3, -2))] - (2.0 / h) * f[at(slice(-2, -1))] \
                + (1.5 / h) * f[at(slice(-1, None))]
        slopes.append(concatenate([first, inside, last], axis=a))
    return slopes[0] if len(slopes) == 1 else tuple(slopes)


# --- moments -----------------------------------------------------------------------------------

def _count(x, axis) -> int:
    """How many entries each result of a reduction over `axis` summarises."""
    shape = np.shape(value_of(x))
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


_var = Primitive("var",
                 lambda x, axis=None, ddof=0, keepdims=False:
                     np.var(x, axis=axis, ddof=ddof, keepdims=keepdims),
                 lambda g, ans, x, axis=None, ddof=0, keepdims=False:
                     _kept(g, x, axis, keepdims) * (2.0 / (_count(x, axis) - ddof))
                     * (x - mean(x, axis, keepdims=True)),
                 kind="reduction", explain=_axis_failure)


def _ddof(ddof, correction, name):
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError(f"numpy.{name}: ddof and correction can't be provided simultaneously.")
    return correction


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """Variance over `axis`, as `numpy.var`: mean squared deviation, divided by N - ddof.

    >>> x = ag.parameter([1.0, 2.0, 4.0], name="x")
    >>> v = np.var(x, ddof=1); v.value
    array(2.33333333)
    >>> v.backward(); x.grad                        # 2 (x - mean) / (N - ddof)
    array([-1.33333333, -0.33333333,  1.66666667])
    """
    reject("var", out=out, where=where, mean=mean)
    return _var(_as(a, dtype), axis=_axis(axis), ddof=_ddof(ddof, correction, "var"),
                keepdims=keepdims)


def _std_grad(g, ans, x, axis=None, ddof=0, keepdims=False):
    # (x - mean) / ((N - ddof) std); where std is 0 (a constant lane), 0: the choice that
    # absolute makes at 0, and exact for a lane of one entry, whose std is always 0
    std = _kept(ans, x, axis, keepdims)
    spread = value_of(std) > 0
    scale = _where(spread, 1.0 / ((_count(x, axis) - ddof) * _where(spread, std, 1.0)), 0.0)
    return _kept(g, x, axis, keepdims) * scale * (x - mean(x, axis, keepdims=True))


_std = Primitive("std",
                 lambda x, axis=None, ddof=0, keepdims=False:
                     np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
                 _std_grad, kind="reduction", explain=_axis_failure)


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """Standard deviation over `axis`, as `numpy.std`; where it is 0 its gradient is taken
    as 0 (as |x| at 0).

    >>> x = ag.parameter([1.0, 3.0], name="x")
    >>> np.std(x).backward(); x.grad                # (x - mean) / (N std)
    array([-0.5,  0.5])
    """
    reject("std", out=out, where=where, mean=mean)
    return _std(_as(a, dtype), axis=_axis(axis), ddof=_ddof(ddof, correction, "std"),
                keepdims=keepdims)


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean over `axis`, as `numpy.average`: sum(a * weights) / sum(weights).

    1-d weights along a single axis, and weights that are Nodes, are allowed as in numpy.

    >>> a = ag.parameter([1.0, 2.0, 4.0], name="a")
    >>> np.average(a, weights=[1.0, 1.0, 2.0]).value
    array(2.75)
    """
    axis = _axis(axis)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        if not returned:
            return avg
        avg_value = value_of(avg)
        count = np.size(value_of(a)) / np.size(avg_value) if np.size(avg_value) else 0
        return avg, np.full(np.shape(avg_value), count, dtype=np.result_type(avg_value))
    a_shape, w_shape = np.shape(value_of(a)), np.shape(value_of(weights))
    if w_shape != a_shape:
        if axis is None:
            raise TypeError("numpy.average: axis must be specified when shapes of a and weights "
                            f"differ ({a_shape} and {w_shape})")
        axes = tuple(x % len(a_shape) for x in (axis if isinstance(axis, tuple) else (axis,)))
        if w_shape != tuple(a_shape[x] for x in axes):
            raise ValueError(f"numpy.average: shape of weights {w_shape} must be consistent "
                             f"with shape of a {a_shape} along axis {axis}")
        # weights along `axes`, length 1 along the others, so that they broadcast against a
        order = np.argsort(axes)
        weights = transpose(weights, tuple(order)) if len(axes) > 1 else weights
        weights = reshape(weights, tuple(a_shape[i] if i in axes else 1
                                         for i in range(len(a_shape))))
        weights = broadcast_to(weights, a_shape)
    total_weight = sum(weights, axis, keepdims=keepdims)
    if np.any(value_of(total_weight) == 0.0):
        raise ZeroDivisionError("numpy.average: weights sum to zero, can't be normalized")
    avg = sum(a * weights, axis, keepdims=keepdims) / total_weight
    if returned:
        return avg, broadcast_to(total_weight, np.shape(value_of(avg)))
    return avg


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """Range (peak to peak) over `axis`, as `numpy.ptp`: max - min."""
    reject("ptp", out=out)
    return max(a, axis, keepdims=keepdims) - min(a, axis, keepdims=keepdims)


# --- numpy 2's cumulative_sum and cumulative_prod ---------------------------------------------

def _cumulative(name, running, start, x, axis, dtype, out, include_initial):
    reject(name, out=out)
    ndim = np.ndim(value_of(x))
    if axis is None:
        if ndim != 1:
            raise ValueError(f"numpy.{name}: axis must be specified for multi-dimensional "
                             f"arrays (got {ndim} dimensions)")
        axis = 0
    y = running(x, axis, dtype)
    if not include_initial:
        return y
    axis = axis % ndim
    first = _ones_along(y, axis) * start       # 0 before a sum, 1 before a product
    return concatenate([first, y], axis=axis)


@implements(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running sums, as `numpy.cumulative_sum` (numpy 2.1): cumsum, optionally after a 0."""
    return _cumulative("cumulative_sum", cumsum, 0, x, axis, dtype, out, include_initial)


@implements(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """Running products, as `numpy.cumulative_prod` (numpy 2.1): cumprod, optionally after a 1.
    """
    return _cumulative("cumulative_prod", cumprod, 1, x, axis, dtype, out, include_initial)


# --- reductions that skip NaNs: the NaNs become the reduction's neutral value, constants -------

def _nan_mask(a):
    value = value_of(a)
    return np.isnan(value) if np.result_type(value).kind in "fc" else np.zeros(np.shape(value),
                                                                                bool)


def _replace_nan(a, neutral):
    mask = _nan_mask(a)
    return (_where(mask, neutral, a) if mask.any() else a), mask


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum over `axis` treating NaNs as 0, as `numpy.nansum`."""
    reject("nansum", out=out, initial=initial, where=where)
    return sum(_replace_nan(a, 0.0)[0], axis, dtype, keepdims=keepdims)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product over `axis` treating NaNs as 1, as `numpy.nanprod`."""
    reject("nanprod", out=out, initial=initial, where=where)
    return prod(_replace_nan(a, 1.0)[0], axis, dtype, keepdims=keepdims)


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """Running sums treating NaNs as 0, as `numpy.nancumsum`."""
    return cumsum(_replace_nan(a, 0.0)[0], axis, dtype, out)


@implements(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """Running products treating NaNs as 1, as `numpy.nancumprod`."""
    return cumprod(_replace_nan(a, 1.0)[0], axis, dtype, out)


def _nan_count(mask, axis, keepdims, dtype):
    return np.sum(~mask, axis=axis, keepdims=keepdims).astype(dtype)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Mean over `axis` of the entries that are not NaN, as `numpy.nanmean`."""
    reject("nanmean", out=out, where=where)
    axis = _axis(axis)
    replaced, mask = _replace_nan(a, 0.0)
    total = sum(replaced, axis, dtype, keepdims=keepdims)
    return total / _nan_count(mask, axis, keepdims, np.result_type(value_of(total)))


def _nan_extreme(name, reduce, fill, a, axis, out, keepdims, initial, where):
    reject(name, out=out, initial=initial, where=where)
    axis = _axis(axis)
    replaced, mask = _replace_nan(a, fill)
    result = reduce(replaced, axis, keepdims=keepdims)
    all_nan = np.all(mask, axis=axis, keepdims=keepdims)
    if np.any(all_nan):                     # numpy's answer there: NaN, with a warning
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
        result = _where(all_nan, np.nan, result)
    return result


@implements(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Largest entry over `axis` ignoring NaNs, as `numpy.nanmax`."""
    return _nan_extreme("nanmax", max, -np.inf, a, axis, out, keepdims, initial, where)


@implements(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Smallest entry over `axis` ignoring NaNs, as `numpy.nanmin`."""
    return _nan_extreme("nanmin", min, np.inf, a, axis, out, keepdims, initial, where)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """Variance over `axis` of the entries that are not NaN, as `numpy.nanvar`."""
    reject("nanvar", out=out, where=where, mean=mean)
    ddof = _ddof(ddof, correction, "nanvar")
    axis = _axis(axis)
    replaced, mask = _replace_nan(_as(a, dtype), 0.0)
    dtype = np.result_type(value_of(replaced), np.float16)     # ints: float64, as numpy
    count = np.maximum(_nan_count(mask, axis, True, dtype), 1)   # all NaN: every entry masked
    deviation = _where(mask, 0.0, replaced - sum(replaced, axis, keepdims=True) / count)
    dof = _nan_count(mask, axis, keepdims, dtype) - ddof
    variance = sum(deviation * deviation, axis, keepdims=keepdims) / np.where(dof > 0, dof, 1)
    if np.any(dof <= 0):                    # numpy's answer there: NaN, with a warning
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
        variance = _where(dof <= 0, np.nan, variance)
    return variance


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           mean=None, correction=None):
    """Standard deviation over `axis` of the entries that are not NaN, as `numpy.nanstd`;
    where it is 0 its gradient is taken as 0, as for `std`."""
    reject("nanstd", out=out, where=where, mean=mean)
    variance = nanvar(a, axis, dtype, ddof=ddof, keepdims=keepdims, correction=correction)
    zero = value_of(variance) == 0           # (an all-NaN lane stays NaN)
    return _where(zero, 0.0, _sqrt(_where(zero, 1.0, variance)))


# --- evenly spaced numbers between endpoints that may be Nodes ---------------------------------

@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """`num` evenly spaced numbers from `start` to `stop`, as `numpy.linspace` (same steps, same
    values); the endpoints may be Nodes, and receive the gradient.

    >>> a = ag.parameter(1.0, name="a")
    >>> y = np.linspace(a, 3.0, 5); y.value
    array([1. , 1.5, 2. , 2.5, 3. ])
    >>> y.sum().backward(); a.grad                   # 1, 3/4, 1/2, 1/4, 0
    array(2.5)
    """
    num = int(num)
    if num < 0:
        raise ValueError(f"numpy.linspace: Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    result_type = np.result_type(value_of(start), value_of(stop), float)
    delta = stop - start
    ndim = np.ndim(value_of(delta))
    y = np.arange(0, num, dtype=result_type).reshape((-1,) + (1,) * ndim)
    step = None
    if div > 0:
        step = delta / div
        if np.any(value_of(step) == 0):
            y = (y / div) * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        y = concatenate([y[:-1], reshape(broadcast_to(stop, np.shape(value_of(y))[1:]),
                                         (1,) + np.shape(value_of(y))[1:])], axis=0)
    if axis != 0:
        order = list(range(1, ndim + 1))
        order.insert(axis % (ndim + 1), 0)
        y = transpose(y, tuple(order))
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = np.floor(y)
        y = astype(y, dtype)
    return (y, step) if retstep else y


# --- order statistics: median, quantile, percentile --------------------------------------------
# The entries are ranked on their values (a constant permutation, like max's winner) and the
# chosen ones gathered by indexing, so the gradient flows to the entries the result is made of.

def _lanes(x, axis):
    """`x` with the reduced axes moved last and merged into one, and the reduced shape (with
    keepdims and without)."""
    shape = np.shape(value_of(x))
    ndim = len(shape)
    axes = tuple(range(ndim)) if axis is None else \
        tuple(a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"duplicate value in 'axis': {axis}")
    rest = [a for a in range(ndim) if a not in axes]
    if rest + list(axes) != list(range(ndim)):
        x = transpose(x, tuple(rest + list(axes)))
    kept_shape = tuple(1 if a in axes else n for a, n in enumerate(shape))
    reduced_shape = tuple(shape[a] for a in rest)
    return reshape(x, reduced_shape + (-1,) if reduced_shape or ndim else (1,)), kept_shape, \
        reduced_shape


def _ranked(lanes, positions):
    """The entries of rank `positions` (an int array, shape (m,)) in each lane: shape
    (m,) + the lanes' shape without the last axis."""
    values = value_of(lanes)
    order = np.argsort(values, axis=-1, kind="stable")        # NaNs rank last
    chosen = order[..., positions]                              # (..., m)
    mesh = np.indices(chosen.shape[:-1], sparse=True)
    index = tuple(m[..., None] for m in mesh) + (chosen,)
    picked = lanes[index]
    return transpose(picked, (picked.ndim - 1,) + tuple(range(picked.ndim - 1))) \
        if picked.ndim > 1 else picked


def _nan_lanes(lanes):
    values = value_of(lanes)
    return np.isnan(values).any(axis=-1) if values.dtype.kind == "f" else None


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle entry over `axis` (the mean of the two middle ones for an even count), as
    `numpy.median`: the gradient goes to the middle entries.

    >>> x = ag.parameter([3.0, 1.0, 4.0, 1.5], name="x")
    >>> np.median(x).backward(); x.grad
    array([0.5, 0. , 0. , 0.5])
    """
    reject("median", out=out)
    lanes, kept_shape, reduced_shape = _lanes(a, _axis(axis))
    n = np.shape(value_of(lanes))[-1]
    if n == 0:
        result = sum(lanes, -1) * np.nan          # numpy: the mean of nothing
    elif n % 2:
        result = _ranked(lanes, np.array([n // 2]))[0]
    else:
        middle = _ranked(lanes, np.array([n // 2 - 1, n // 2]))
        result = (middle[0] + middle[1]) / 2.0
    nans = _nan_lanes(lanes)
    if nans is not None and nans.any():           # numpy: a lane holding a NaN has median NaN
        result = _where(nans, np.nan, result)
    return reshape(result, kept_shape if keepdims else reduced_shape)


def _quantile(name, a, q, axis, out, overwrite_input, method, keepdims, weights,
              interpolation):
    reject(name, out=out, weights=weights, interpolation=interpolation)
    if method != "linear":
        raise TypeError(f"numpy.{name}: method={method!r} is not supported on Nodes "
                        "(only 'linear', the default)")
    q = np.asarray(q, dtype=np.float64)
    lanes, kept_shape, reduced_shape = _lanes(a, _axis(axis))
    n = np.shape(value_of(lanes))[-1]
    # numpy's virtual index for 'linear' (Hyndman and Fan's 7th method), its neighbours, and
    # its interpolation b - (b - a)(1 - t) above the middle, a + (b - a) t below
    virtual = ((n - 1) * q).reshape(-1)
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above] = following[above] = n - 1
    below = virtual < 0
    previous[below] = following[below] = 0
    gamma = (virtual - previous).reshape((-1,) + (1,) * len(reduced_shape))
    gamma = gamma.astype(np.result_type(value_of(lanes), np.float16), copy=False)
    lower = _ranked(lanes, previous.astype(np.intp))
    upper = _ranked(lanes, following.astype(np.intp))
    difference = upper - lower
    result = _where(gamma >= 0.5, upper - difference * (1 - gamma), lower + difference * gamma)
    nans = _nan_lanes(lanes)
    if nans is not None and nans.any():
        result = _where(nans, np.nan, result)
    return reshape(result, q.shape + (kept_shape if keepdims else reduced_shape))


def _constant_q(name, q):
    if isinstance(q, Node):     # its value would do, but a gradient for q would be dropped
        raise TypeError(f"numpy.{name}: q as a Node is not supported (no gradient for q); "
                        "pass q.value")


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """The q-th quantiles over `axis`, as `numpy.quantile` with its default (linear) method:
    the gradient goes to the two entries each quantile lies between, by their weights."""
    _constant_q("quantile", q)
    if np.any((np.asarray(q) < 0) | (np.asarray(q) > 1)):
        raise ValueError("numpy.quantile: Quantiles must be in the range [0, 1]")
    return _quantile("quantile", a, q, axis, out, overwrite_input, method, keepdims, weights,
                     interpolation)


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    """The q-th percentiles over `axis`, as `numpy.percentile` (its default, linear method)."""
    _constant_q("percentile", q)
    q = np.true_divide(q, 100)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("numpy.percentile: Percentiles must be in the range [0, 100]")
    return _quantile("percentile", a, q, axis, out, overwrite_input, method, keepdims, weights,
                     interpolation)
