"""Arithmetic primitives: each forward beside its gradient rules (one per argument)."""

from __future__ import annotations

import numpy as np

from autograph.core.dispatch import implements, reject
from autograph.core.node import Primitive
from autograph.ops.elementwise import broadcast_failure, log, value_of, where
from autograph.ops.kernels import dot
from autograph.ops.shape import reshape, swapaxes, transpose


def _binary(name, symbol, forward, grad_a, grad_b):
    return Primitive(name, forward, grad_a, grad_b, explain=broadcast_failure, symbol=symbol)


add = _binary("add", "+", np.add,
              lambda g, ans, a, b: g,
              lambda g, ans, a, b: g)

subtract = _binary("subtract", "-", np.subtract,
                   lambda g, ans, a, b: g,
                   lambda g, ans, a, b: -g)

multiply = _binary("multiply", "*", np.multiply,
                   lambda g, ans, a, b: g * b,
                   lambda g, ans, a, b: g * a)

divide = _binary("divide", "/", np.divide,
                 lambda g, ans, a, b: g / b,
                 lambda g, ans, a, b: -g * ans / b)

negative = Primitive("negative", np.negative,
                     lambda g, ans, x: -g)


def _power_grad_exponent(g, ans, a, b):
    # d(a**b)/db = a**b log(a). Where a < 0 (a**b is real only at whole b) or a == 0 with
    # b <= 0 it has no value: refused where a gradient arrives; 0 where a == 0 < b, since a**b
    # is 0 all around that b.
    a_value, b_value = value_of(a), value_of(b)
    undefined = ((a_value < 0) | ((a_value == 0) & (b_value <= 0))) & (value_of(g) != 0)
    if np.any(undefined):
        at = tuple(int(i) for i in np.argwhere(undefined)[0]) if np.ndim(undefined) else ()
        base = np.broadcast_to(a_value, np.shape(undefined))[at]
        raise FloatingPointError(
            f"power: no gradient for the exponent where the base is {base:g}"
            f"{f' (at {at})' if at else ''}: a**b is real only at whole b when a < 0, and "
            "not differentiable in b at a = 0, b <= 0")
    positive = a > 0
    return g * ans * where(positive, log(where(positive, a, 1.0)), 0.0)


def _power_grad_base(g, ans, a, b):
    # b * a**(b - 1), except that b == 0 gives 0: as written, 0 * 0**-1 is nan at a = 0. The
    # rule's own power then meets b - 1 == 0 in its turn, so every order of derivative is
    # right and an integer exponent never raises 0 to a negative power.
    zero = value_of(b) == 0
    if np.any(zero):
        return g * b * a ** where(zero, 1.0, b - 1)
    return g * b * a ** (b - 1)


power = _binary("power", "**", np.power, _power_grad_base, _power_grad_exponent)


def _swap_last(x):
    return x.T if x.ndim == 2 else swapaxes(x, -1, -2)


def _matmul_grad_a(g, ans, a, b):
    if b.ndim == 1:                  # (..., n, m) @ (m,) -> (..., n)
        return g[..., None] * b if a.ndim > 1 else g * b
    if a.ndim == 1:                  # (n,) @ (..., n, m) -> (..., m)
        return (b @ g[..., None])[..., 0]
    return matmul(g, _swap_last(b))


def _matmul_grad_b(g, ans, a, b):
    if a.ndim == 1:                  # (n,) @ (..., n, m) -> (..., m)
        return a[:, None] * g[..., None, :] if b.ndim > 1 else g * a
    if b.ndim == 1:                  # (..., n, m) @ (m,) -> (..., n)
        return (_swap_last(a) @ g[..., None])[..., 0]
    return matmul(_swap_last(a), g)


def _matmul_failure(a, b) -> str | None:
    a_shape, b_shape = np.shape(a), np.shape(b)
    if not a_shape or not b_shape:
        return "matmul needs operands of at least one dimension (use * for scalars)"
    inner_a = a_shape[-1]
    inner_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
    if inner_a != inner_b:
        return f"inner dimensions differ ({inner_a} != {inner_b})"
    return f"batch shapes {a_shape[:-2]} and {b_shape[:-2]} do not broadcast"


matmul = Primitive("matmul", dot, _matmul_grad_a, _matmul_grad_b, kind="linalg",
                   explain=_matmul_failure, symbol="@")


for _ufunc, _op in ((np.add, add), (np.subtract, subtract), (np.multiply, multiply),
                    (np.divide, divide), (np.negative, negative), (np.power, power),
                    (np.matmul, matmul)):
    implements(_ufunc)(_op)


@implements(np.positive)
def positive(x):
    """+x: x itself."""
    return x


@implements(np.dot)
def dot(a, b, out=None):
    """`numpy.dot`: a product of scalars, a matrix product, or a sum over the last axis of
    `a` and the second to last of `b`.

    >>> dot(Node([[1.0, 2.0]]), Node([[3.0], [4.0]])).value
    array([[11.]])
    """
    reject("dot", out=out)
    a_ndim, b_ndim = np.ndim(value_of(a)), np.ndim(value_of(b))
    if a_ndim == 0 or b_ndim == 0:
        return multiply(a, b)
    if b_ndim <= 2:
        return matmul(a, b)
    # (..., n) . (K..., n, m): move b's contracted axis to the front, and it is one matrix
    # product of a's rows with b's columns, reshaped to a.shape[:-1] + K... + (m,).
    a_shape, b_shape = np.shape(value_of(a)), np.shape(value_of(b))
    n = a_shape[-1]
    if b_shape[-2] != n:
        raise ValueError(f"dot: shapes {a_shape} and {b_shape} not aligned: {n} (dim "
                         f"{a_ndim - 1}) != {b_shape[-2]} (dim {b_ndim - 2})")
    axes = (b_ndim - 2,) + tuple(range(b_ndim - 2)) + (b_ndim - 1,)
    columns = reshape(transpose(b, axes), (n, -1))
    return reshape(matmul(reshape(a, (-1, n)), columns),
                   a_shape[:-1] + b_shape[:-2] + b_shape[-1:])
