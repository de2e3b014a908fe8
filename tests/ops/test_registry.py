"""Generated from the registry: every numpy ufunc autograph differentiates, over scalar, vector,
matrix and broadcasting shapes, in float64 and float32.

The reference is numpy itself: values against the ufunc on plain arrays, first derivatives
against central differences of the ufunc on plain arrays (no autograph code takes part), and
second derivatives against central differences of the first. A new op is found here as soon
as it is registered with `implements(np.some_ufunc)`.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograph as ag
from autograph.core.dispatch import CONSTANT, HANDLED

from tests.helpers import numeric_gradients

UFUNCS = sorted((f for f in HANDLED if isinstance(f, np.ufunc) and f.signature is None),
                key=lambda f: f.__name__)
UNARY = [f for f in UFUNCS if f.nin == 1]
BINARY = [f for f in UFUNCS if f.nin == 2]
UNARY_SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((), ()), ((3,), ()), ((), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                 ((2, 3), (2, 3))]

# Where to draw inputs, tried in turn until numpy's result is finite everywhere. Magnitudes stay
# away from 0 and from integers, where several functions have kinks or jumps.
DOMAINS = {
    "real": lambda rng, shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.8, shape),
    "positive": lambda rng, shape: rng.uniform(0.2, 1.8, shape),
    "unit": lambda rng, shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.15, 0.85, shape),
    "above_one": lambda rng, shape: rng.uniform(1.2, 2.8, shape),
}


def _away_from_integers(x):
    """Shift entries within 0.1 of an integer (floor, mod, ... jump there)."""
    x = np.asarray(x, dtype=np.float64)
    near = np.abs(x - np.round(x)) < 0.1
    return np.where(near, x + 0.25, x)


def draw(ufunc, shapes, seed):
    """Inputs on which numpy's ufunc is finite: the first domain that works."""
    rng = np.random.default_rng(seed)
    declared = getattr(HANDLED[ufunc], "domain", None)
    order = [declared] if declared in DOMAINS else []
    order += [d for d in DOMAINS if d != declared]
    for domain in order:
        arrays = [_away_from_integers(DOMAINS[domain](rng, s)) for s in shapes]
        with np.errstate(all="ignore"):
            out = ufunc(*arrays)
        if np.all(np.isfinite(out)):
            return arrays
    pytest.fail(f"no domain of {list(DOMAINS)} gives finite values of {ufunc.__name__}")


def check(ufunc, arrays):
    nodes = [ag.parameter(a, name=f"x{i}") for i, a in enumerate(arrays)]
    out = ufunc(*nodes)
    assert isinstance(out, ag.Node), f"{ufunc.__name__} on Nodes returned {type(out)}"
    np.testing.assert_allclose(out.value, ufunc(*arrays), rtol=1e-12, atol=0,
                               err_msg=f"{ufunc.__name__}: value")

    # first order: reverse mode against differences of numpy's own ufunc
    numeric, projection = numeric_gradients(ufunc, arrays)
    (out * projection).sum().backward()
    for node, expected in zip(nodes, numeric):
        assert node.grad.shape == node.shape
        np.testing.assert_allclose(node.grad, expected, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{ufunc.__name__}: gradient for {node.name}")

    # second order: d/dx of <gradient, direction>, against differences of the first order
    direction = [np.random.default_rng(7).standard_normal(np.shape(a)) for a in arrays]

    def first(*xs):
        leaves = [ag.parameter(x) for x in xs]
        (ufunc(*leaves) * projection).sum().backward()
        return sum((leaf.grad * d).sum() for leaf, d in zip(leaves, direction))

    second_numeric, scale = numeric_gradients(first, arrays)   # of scale * first(...)
    second_numeric = [g / scale for g in second_numeric]
    leaves = [ag.parameter(a) for a in arrays]
    (ufunc(*leaves) * projection).sum().backward(create_graph=True)
    inner = sum((leaf.grad * d).sum() for leaf, d in zip(leaves, direction))
    second = ag.gradients(inner, leaves) if isinstance(inner, ag.Node) and \
        inner.requires_grad else [np.zeros_like(a) for a in arrays]
    for k, (got, expected) in enumerate(zip(second, second_numeric)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5,
                                   err_msg=f"{ufunc.__name__}: second derivative, input {k}")


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("ufunc", UNARY, ids=lambda f: f.__name__)
def test_unary_ufunc(ufunc, shape):
    check(ufunc, draw(ufunc, [shape], seed=len(shape)))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("ufunc", BINARY, ids=lambda f: f.__name__)
def test_binary_ufunc(ufunc, shapes):
    check(ufunc, draw(ufunc, list(shapes), seed=sum(map(len, shapes))))


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda f: f.__name__)
def test_float32_stays_float32(ufunc):
    arrays = [a.astype(np.float32) for a in draw(ufunc, [(2, 3)] * ufunc.nin, seed=3)]
    nodes = [ag.parameter(a) for a in arrays]
    out = ufunc(*nodes)
    # numpy's own dtype: float32, except float_power, which computes in float64 by definition
    expected = ufunc(*arrays).dtype
    assert expected == np.float32 or ufunc is np.float_power
    assert out.dtype == expected, f"{ufunc.__name__}: {out.dtype}"
    out.sum().backward()
    assert all(n.grad.dtype == np.float32 for n in nodes)


def test_the_sweep_covers_the_core_ufuncs():
    names = {f.__name__ for f in UFUNCS}
    assert {"add", "subtract", "multiply", "divide", "power", "exp", "log", "sqrt",
            "absolute", "maximum", "minimum", "negative", "tanh"} <= names


COMMON = ["sum", "mean", "max", "min", "prod", "var", "std", "cumsum", "dot", "matmul",
          "concatenate", "stack", "where", "clip", "reshape", "transpose", "exp", "log",
          "tanh", "maximum", "abs", "sqrt", "square", "outer", "tensordot", "einsum",
          "squeeze", "expand_dims", "vstack", "hstack", "tile", "repeat", "trace", "diagonal",
          "sin", "cos", "log1p", "expm1", "sort", "flip", "roll", "pad", "kron", "cross"]


@pytest.mark.parametrize("name", COMMON)
def test_a_common_numpy_function_gives_a_node_or_refuses_by_name(name):
    """None returns a plain array from a Node argument: a Node with a gradient, or TypeError."""
    func = getattr(np, name)
    if func in CONSTANT:
        pytest.skip("no gradient by nature")
    x = ag.parameter(np.arange(1.0, 7.0).reshape(2, 3), name="x")
    calls = {
        "concatenate": lambda: func([x, x]), "stack": lambda: func([x, x]),
        "vstack": lambda: func([x, x]), "hstack": lambda: func([x, x]),
        "where": lambda: func(x.value > 2, x, 0.0), "clip": lambda: func(x, 2.0, 5.0),
        "reshape": lambda: func(x, (3, 2)), "dot": lambda: func(x, x.T),
        "matmul": lambda: func(x, x.T), "maximum": lambda: func(x, 3.0),
        "outer": lambda: func(x, x), "tensordot": lambda: func(x, x, 2),
        "einsum": lambda: func("ij,ij->i", x, x), "expand_dims": lambda: func(x, 0),
        "tile": lambda: func(x, 2), "repeat": lambda: func(x, 2), "roll": lambda: func(x, 1),
        "pad": lambda: func(x, 1), "kron": lambda: func(x, x), "cross": lambda: func(x, x),
    }
    try:
        out = calls.get(name, lambda: func(x))()
    except TypeError as error:
        assert f"numpy.{name}" in str(error) or name in str(error)
        return
    outs = out if isinstance(out, (list, tuple)) else [out]
    for o in outs:
        assert isinstance(o, ag.Node), f"np.{name} returned {type(o).__name__}"
    total = sum(o.sum() for o in outs)
    total.backward()
    assert x.grad is not None and x.grad.shape == x.shape
