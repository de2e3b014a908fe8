"""`check_grads`, as HIPS autograd's and JAX's test utilities spell it, on `gradcheck`.

``check_grads(f, modes=["rev"], order=2)(*args)`` compares reverse-mode derivatives of `f` at
`args` with central finite differences in float64, up to `order`, and raises AssertionError
with the comparison's report when they disagree. A non-scalar output is checked in one pass
through a fixed random projection (all of its Jacobian). Order 2 checks the derivatives of the
vector-Jacobian product (args, v) -> v . df/dargs, that is Hessian-vector products; order k
repeats that k - 1 times.

>>> import autograph as ag
>>> check_grads(lambda x, w: ag.tanh(x @ w), order=2)(np.ones((3, 2)), np.eye(2))
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from autograph.core import Node, gradcheck, gradients
from autograph.ops import concatenate, reshape

MODES = ("rev",)        # autograph has reverse mode only; "fwd" is refused, not skipped


def check_grads(f: Callable, modes: Sequence[str] = ("rev",), order: int = 2, *,
                eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-5) -> Callable:
    """A function of `f`'s arguments that checks f's derivatives there up to `order`.

    modes  ("rev",); "fwd" raises NotImplementedError (autograph has no forward mode), so a
           test written for HIPS autograd or JAX says what it is not checking.
    order  1: gradients; 2: also their derivatives (Hessian-vector products); and so on.

    Raises AssertionError naming the order and the function, with `gradcheck`'s report (the
    worst entries of each input) when reverse mode and finite differences disagree.

    >>> check_grads(lambda x: ag.where(x > 0, x, 0.0) ** 3)(np.array([0.5, 2.0]))
    """
    modes = tuple(modes)
    unsupported = [mode for mode in modes if mode not in MODES]
    if unsupported or not modes:
        raise NotImplementedError(f"check_grads: modes {list(modes)}: autograph checks reverse "
                                  f"mode only (modes=['rev'])")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive integer, got {order!r}")
    name = _name(f)

    def check(*args) -> None:
        function, points = f, tuple(np.array(np.asarray(_value(a)), dtype=np.float64)
                                    for a in args)
        for k in range(1, order + 1):
            result = gradcheck(function, *points, eps=eps, atol=atol, rtol=rtol)
            if not result.ok:
                what = "gradient" if k == 1 else f"derivative of order {k}"
                raise AssertionError(f"check_grads: the {what} of {name} disagrees with finite "
                                     f"differences\n{result}")
            if k < order:
                # the next order: derivatives of v . df/dx at (x, v) for a random v
                out = np.asarray(_value(function(*[Node(p) for p in points])))
                cotangent = np.random.default_rng(k).standard_normal(out.shape)
                function, points = _vjp(function), points + (cotangent,)
    return check


def _name(f) -> str:
    """A function's name, a primitive's (`Primitive.name`), or its repr."""
    return getattr(f, "__name__", None) or getattr(f, "name", None) or repr(f)


def _value(x):
    return x.value if isinstance(x, Node) else x


def _vjp(f: Callable) -> Callable:
    """(x1, .., xn, v) -> the gradients of sum(v * f(x1, .., xn)) with respect to x1 .. xn,
    flattened into one vector and recorded as a graph, so that they can be differentiated."""
    def vjp(*args):
        *xs, v = args
        # gradcheck's finite differences pass constants: make variables to differentiate
        xs = [x if isinstance(x, Node) and x.requires_grad else Node(_value(x), requires_grad=True)
              for x in xs]
        projected = (f(*xs) * v).sum()
        if not projected.requires_grad:       # f does not depend on its arguments
            return Node(np.zeros(sum(np.size(x.value) for x in xs)))
        parts = gradients(projected, xs, create_graph=True)
        return concatenate([reshape(g, (-1,)) for g in parts])
    vjp.__name__ = f"vjp of {_name(f)}"
    return vjp


__all__ = ["check_grads"]
