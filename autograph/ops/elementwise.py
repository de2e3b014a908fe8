"""Elementwise primitives: each forward beside its gradient rule."""

from __future__ import annotations

import numpy as np

from autograph.core.dispatch import constant_result, implements
from autograph.core.node import Primitive, value_of


def broadcast_failure(a, b) -> str | None:
    """Why two operands failed: their shapes, if those are the cause."""
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return f"shapes {np.shape(a)} and {np.shape(b)} do not broadcast"
    return None      # another failure (e.g. integers to a negative power): numpy's message


_astype = Primitive("astype", lambda x, dtype: np.asarray(x).astype(dtype, copy=False),
                    lambda g, ans, x, dtype: astype(g, x.dtype))


def astype(x, dtype):
    """`x` converted to `dtype`; its gradient is converted back to x's dtype.

    >>> astype(Node([1.5, 2.5], dtype=np.float32), np.float64).dtype
    dtype('float64')
    """
    return _astype(x, dtype=np.dtype(dtype))


exp = Primitive("exp", np.exp,
                lambda g, ans, x: g * ans)

log = Primitive("log", np.log,
                lambda g, ans, x: g / x, domain="positive")

sqrt = Primitive("sqrt", np.sqrt,
                 lambda g, ans, x: g * 0.5 / ans, domain="positive")

absolute = Primitive("absolute", np.absolute,
                     lambda g, ans, x: g * np.sign(value_of(x)))

# Ties send the gradient to the first operand, as d/da max(a, b) does from the right.
maximum = Primitive("maximum", np.maximum,
                    lambda g, ans, a, b: g * (a >= b),
                    lambda g, ans, a, b: g * (a < b),
                    explain=broadcast_failure)

minimum = Primitive("minimum", np.minimum,
                    lambda g, ans, a, b: g * (a <= b),
                    lambda g, ans, a, b: g * (a > b),
                    explain=broadcast_failure)

_where = Primitive("where", np.where,
                   None,   # the condition is a plain array: `where` below unwraps it
                   lambda g, ans, condition, a, b: _where(condition, g, 0.0),
                   lambda g, ans, condition, a, b: _where(condition, 0.0, g),
                   explain=lambda c, a, b: (f"condition {np.shape(c)}, {np.shape(a)} and "
                                            f"{np.shape(b)} do not broadcast"))


def where(condition, a, b):
    """`a` where `condition` holds, else `b`; the gradient flows to the branch taken.

    >>> x = ag.parameter([-2.0, 3.0], name="x")
    >>> y = where(x > 0, x, 0.01 * x)        # a leaky ReLU
    >>> y
    Node([-0.02,  3.  ], op=where)
    >>> y.sum().backward(); x.grad
    array([0.01, 1.  ])
    """
    return _where(value_of(condition), a, b)


implements(np.exp)(exp)
implements(np.log)(log)
implements(np.sqrt)(sqrt)
implements(np.absolute)(absolute)
implements(np.maximum)(maximum)
implements(np.minimum)(minimum)


@implements(np.where)
def _numpy_where(condition, x=None, y=None):
    if x is None and y is None:           # np.where(c): the indices where c holds, no gradient
        return np.nonzero(value_of(condition))
    return where(condition, x, y)


# Results with no gradient: truth values, indices, shapes. They run on the values.
constant_result(
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.signbit,
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.count_nonzero,
    np.searchsorted, np.isclose, np.allclose, np.array_equal, np.array_equiv,
    np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.any, np.all, np.unique, np.digitize, np.bincount, np.histogram,
    np.can_cast, np.min_scalar_type, np.may_share_memory, np.shares_memory)
