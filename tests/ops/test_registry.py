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
from autograph.core.dispatch import HANDLED

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
CALLS = {
    "concatenate": lambda f, x: f([x, 2.0 * x]), "stack": lambda f, x: f([x, 2.0 * x]),
    "vstack": lambda f, x: f([x, x]), "hstack": lambda f, x: f([x, x]),
    "where": lambda f, x: f(np.asarray(x > 2.5), x, 0.0), "clip": lambda f, x: f(x, 2.0, 5.0),
    "reshape": lambda f, x: f(x, (3, 2)), "dot": lambda f, x: f(x, x.T),
    "matmul": lambda f, x: f(x, x.T), "maximum": lambda f, x: f(x, 3.5),
    "outer": lambda f, x: f(x, x), "tensordot": lambda f, x: f(x, x, 2),
    "einsum": lambda f, x: f("ij,ij->i", x, x), "expand_dims": lambda f, x: f(x, 0),
    "tile": lambda f, x: f(x, 2), "repeat": lambda f, x: f(x, 2), "roll": lambda f, x: f(x, 1),
    "pad": lambda f, x: f(x, 1), "kron": lambda f, x: f(x, x), "cross": lambda f, x: f(x, x[::-1]),
}


@pytest.mark.parametrize("name", COMMON)
def test_a_common_numpy_function_on_a_node_is_differentiated(name):
    """np.<name> on a Node gives Nodes whose values are numpy's and whose gradient matches
    central differences of numpy's own function on plain arrays."""
    func = getattr(np, name)
    call = CALLS.get(name, lambda f, x: f(x))
    start = np.array([[1.3, 2.1, 3.7], [4.2, 5.9, 6.4]])      # no ties, no kinks

    def flat(x):          # every output, concatenated: numpy's function on plain arrays
        out = call(func, x)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return np.concatenate([np.ravel(o) for o in outs])

    x = ag.parameter(start, name="x")
    out = call(func, x)
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert all(isinstance(o, ag.Node) for o in outs), f"np.{name} returned a plain array"
    np.testing.assert_allclose(np.concatenate([o.value.ravel() for o in outs]), flat(start),
                               rtol=1e-13)
    numeric, projection = numeric_gradients(flat, [start])
    offset = 0
    total = 0.0
    for o in outs:
        total = total + (o * projection[offset:offset + o.size].reshape(o.shape)).sum()
        offset += o.size
    total.backward()
    np.testing.assert_allclose(x.grad, numeric[0], rtol=1e-6, atol=1e-8,
                               err_msg=f"np.{name}: gradient")
