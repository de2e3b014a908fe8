"""Arithmetic primitives: each forward beside its gradient rules (one per argument)."""

from __future__ import annotations

import numpy as np

from autograph.core.node import Primitive
from autograph.ops.elementwise import broadcast_failure, log, where
from autograph.ops.kernels import dot
from autograph.ops.shape import swapaxes


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
    # d(a**b)/db = a**b log(a); defined as 0 where a <= 0 so that no log of a negative is taken
    positive = a > 0
    return g * ans * where(positive, log(where(positive, a, 1.0)), 0.0)


power = _binary("power", "**", np.power,
                lambda g, ans, a, b: g * b * a ** (b - 1),
                _power_grad_exponent)


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


matmul = Primitive("matmul", dot, _matmul_grad_a, _matmul_grad_b,
                   explain=_matmul_failure, symbol="@")
