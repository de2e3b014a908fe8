"""Every op's forward value against numpy, on generated shapes, dtypes (float32, float64), axes
(negative ones and tuples too) and keepdims both ways.

Gradient tests compare an op with finite differences of the same op, so a wrong forward (a
negated result, an axis in the wrong place) passes them; this test is the one that catches it.
It is ONE table: an entry is (name, the autograph call, the numpy reference, an argument
generator). When the op registry lands, the table can be read from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag

DTYPES = st.sampled_from([np.float32, np.float64])
RTOL = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-13}


def shapes(min_dims=0, max_dims=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4)


def values(draw, shape, dtype, low=-3.0, high=3.0, ties=False):
    """An array drawn from a seeded generator (fast, and hypothesis still shrinks the seed);
    with `ties`, values on a coarse lattice so that equal entries are common."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    if ties:
        return (rng.integers(-2, 3, size=shape) * 0.5).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


def an_axis(draw, ndim):
    return draw(st.integers(-ndim, ndim - 1))


def axes(draw, ndim):
    """None, one axis, or a tuple of distinct axes (each as itself or its negative)."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "one", "tuple"]))
    if kind == "none":
        return None
    if kind == "one":
        return an_axis(draw, ndim)
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@dataclass
class Case:
    name: str
    call: Callable          # autograph: call(*args, **params), arrays given as Nodes
    reference: Callable     # numpy: reference(*args, **params), arrays as arrays
    arguments: Callable     # arguments(draw) -> (args, params)


def unary(low=-3.0, high=3.0, ties=False, min_dims=0):
    def arguments(draw):
        dtype = draw(DTYPES)
        return (values(draw, draw(shapes(min_dims)), dtype, low, high, ties),), {}
    return arguments


def binary(low=-3.0, high=3.0, b_low=None, b_high=None, ties=False):
    def arguments(draw):
        dtype = draw(DTYPES)
        a_shape, b_shape = draw(hnp.mutually_broadcastable_shapes(
            num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes
        a = values(draw, a_shape, dtype, low, high, ties)
        b = values(draw, b_shape, dtype, low if b_low is None else b_low,
                   high if b_high is None else b_high, ties)
        return (a, b), {}
    return arguments


def away_from_zero(draw, shape, dtype):
    magnitude = values(draw, shape, dtype, 0.5, 3.0)
    return magnitude * np.where(values(draw, shape, dtype) > 0, 1, -1).astype(dtype)


def divide_arguments(draw):
    (a, b), _ = binary()(draw)
    return (a, away_from_zero(draw, b.shape, b.dtype)), {}


def reduction(ties=False, keepdims=True, tuples=True):
    def arguments(draw):
        dtype = draw(DTYPES)
        shape = draw(shapes(1))
        params = {"axis": axes(draw, len(shape)) if tuples else an_axis(draw, len(shape))}
        if keepdims:
            params["keepdims"] = draw(st.booleans())
        return (values(draw, shape, dtype, ties=ties),), params
    return arguments


def along_an_axis(draw):
    dtype = draw(DTYPES)
    shape = draw(shapes(1))
    return (values(draw, shape, dtype),), {"axis": an_axis(draw, len(shape))}


def matmul_arguments(draw):
    dtype = draw(DTYPES)
    n, k, m = draw(st.tuples(*[st.integers(1, 4)] * 3))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    kind = draw(st.sampled_from(["matrix", "vector @ matrix", "matrix @ vector", "vectors",
                                 "batched", "batched @ matrix"]))
    a_shape, b_shape = {"matrix": ((n, k), (k, m)), "vector @ matrix": ((k,), (k, m)),
                        "matrix @ vector": ((n, k), (k,)), "vectors": ((k,), (k,)),
                        "batched": (batch + (n, k), batch + (k, m)),
                        "batched @ matrix": (batch + (n, k), (k, m))}[kind]
    return (values(draw, a_shape, dtype), values(draw, b_shape, dtype)), {}


def power_arguments(draw):
    (a, b), _ = binary(0.2, 3.0, -2.0, 2.0)(draw)
    return (a, b), {}


def leaky_relu_arguments(draw):
    (x,), _ = unary(ties=True)(draw)     # the lattice includes 0
    params = {} if draw(st.booleans()) else {"alpha": draw(st.sampled_from([0.0, 0.2, 3.0]))}
    return (x,), params


def astype_arguments(draw):
    (x,), _ = unary()(draw)
    return (x,), {"dtype": draw(DTYPES)}


def broadcast_to_arguments(draw):
    dtype = draw(DTYPES)
    shape = draw(shapes(0))
    target = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)) + shape
    x_shape = tuple(1 if draw(st.booleans()) else n for n in shape)
    return (values(draw, x_shape, dtype),), {"shape": target}


def reshape_arguments(draw):
    dtype = draw(DTYPES)
    shape = draw(shapes(0))
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(size,), (-1,), shape[::-1], (1, size), (size, 1, 1), (-1, 1)]))
    return (values(draw, shape, dtype),), {"shape": target}


def transpose_arguments(draw):
    dtype = draw(DTYPES)
    shape = draw(shapes(0))
    ndim = len(shape)
    if draw(st.booleans()):
        order = None
    else:
        order = tuple(a - ndim if draw(st.booleans()) else a
                      for a in draw(st.permutations(range(ndim))))
    return (values(draw, shape, dtype),), {"axes": order}


def swapaxes_arguments(draw):
    dtype = draw(DTYPES)
    shape = draw(shapes(1))
    return (values(draw, shape, dtype),), {"axis1": an_axis(draw, len(shape)),
                                           "axis2": an_axis(draw, len(shape))}


def expand_dims_arguments(draw):
    dtype = draw(DTYPES)
    shape = draw(shapes(0))
    return (values(draw, shape, dtype),), {"axis": draw(st.integers(-len(shape) - 1,
                                                                    len(shape)))}


def joined(stacked):
    def arguments(draw):
        dtype = draw(DTYPES)
        shape = draw(shapes(1))
        ndim = len(shape)
        axis = draw(st.integers(-ndim - 1, ndim) if stacked else st.integers(-ndim, ndim - 1))
        count = draw(st.integers(1, 3))
        xs = []
        for _ in range(count):
            own = list(shape)
            if not stacked:
                own[axis] = draw(st.integers(1, 3))
            xs.append(values(draw, tuple(own), dtype))
        return tuple(xs), {"axis": axis}
    return arguments


def indexing(node_index):
    def arguments(draw):
        dtype = draw(DTYPES)
        shape = draw(shapes(1))
        n = shape[0]
        kind = draw(st.sampled_from(["int", "slice", "array", "tuple"]))
        if kind == "int" or node_index:
            index = draw(st.integers(-n, n - 1))
            if node_index or kind == "array":
                index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
        elif kind == "slice":
            index = slice(draw(st.integers(-n, n)), draw(st.integers(-n, n)),
                          draw(st.sampled_from([None, 1, 2, -1])))
        elif kind == "array":
            index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
        else:
            index = (draw(st.integers(-n, n - 1)), Ellipsis)
        return (values(draw, shape, dtype),), {"index": index}
    return arguments


def scatter_add_arguments(draw):
    dtype = draw(DTYPES)
    n = draw(st.integers(1, 4))
    rest = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
    return (values(draw, (len(index),) + rest, dtype),), {"index": index,
                                                          "shape": (n,) + rest}


def where_arguments(draw):
    (a, b), _ = binary()(draw)
    shape = np.broadcast_shapes(a.shape, b.shape)
    condition = values(draw, shape, np.float64) > 0
    return (condition, a, b), {}


def reference_scatter_add(values_, index, shape):
    out = np.zeros(shape, dtype=values_.dtype)
    np.add.at(out, index, values_)
    return out


def reference_logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def reference_softmax(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def reference_log_softmax(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def reference_leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, x * x.dtype.type(alpha))


def reference_sigmoid(x):
    return 1 / (1 + np.exp(-x))


CASES = [
    Case("absolute", ag.absolute, np.absolute, unary(ties=True)),
    Case("negative", ag.negative, np.negative, unary()),
    Case("exp", ag.exp, np.exp, unary()),
    Case("log", ag.log, np.log, unary(0.1, 5.0)),
    Case("sqrt", ag.sqrt, np.sqrt, unary(0.0, 5.0)),
    Case("tanh", ag.tanh, np.tanh, unary()),
    Case("sigmoid", ag.sigmoid, reference_sigmoid, unary()),
    Case("softplus", ag.softplus, lambda x: np.log1p(np.exp(x)), unary()),
    Case("relu", ag.relu, lambda x: np.maximum(x, 0), unary(ties=True)),
    Case("leaky_relu", ag.leaky_relu, reference_leaky_relu, leaky_relu_arguments),
    Case("astype", ag.astype, lambda x, dtype: x.astype(dtype), astype_arguments),
    Case("add", ag.add, np.add, binary()),
    Case("subtract", ag.subtract, np.subtract, binary()),
    Case("multiply", ag.multiply, np.multiply, binary()),
    Case("divide", ag.divide, np.divide, divide_arguments),
    Case("power", ag.power, np.power, power_arguments),
    Case("maximum", ag.maximum, np.maximum, binary(ties=True)),
    Case("minimum", ag.minimum, np.minimum, binary(ties=True)),
    Case("where", ag.where, np.where, where_arguments),
    Case("matmul", ag.matmul, np.matmul, matmul_arguments),
    Case("sum", ag.sum, np.sum, reduction()),
    Case("mean", ag.mean, np.mean, reduction()),
    Case("max", ag.max, np.max, reduction(ties=True)),
    Case("logsumexp", ag.logsumexp, reference_logsumexp, reduction()),
    Case("softmax", ag.softmax, reference_softmax, along_an_axis),
    Case("log_softmax", ag.log_softmax, reference_log_softmax, along_an_axis),
    Case("reshape", ag.reshape, np.reshape, reshape_arguments),
    Case("transpose", ag.transpose, np.transpose, transpose_arguments),
    Case("swapaxes", ag.swapaxes, np.swapaxes, swapaxes_arguments),
    Case("broadcast_to", ag.broadcast_to, np.broadcast_to, broadcast_to_arguments),
    Case("expand_dims", ag.expand_dims, np.expand_dims, expand_dims_arguments),
    Case("concatenate", lambda *xs, axis: ag.concatenate(xs, axis=axis),
         lambda *xs, axis: np.concatenate(xs, axis=axis), joined(stacked=False)),
    Case("stack", lambda *xs, axis: ag.stack(xs, axis=axis),
         lambda *xs, axis: np.stack(xs, axis=axis), joined(stacked=True)),
    Case("take", ag.take, lambda x, index: x[index], indexing(node_index=False)),
    Case("take with a Node index", lambda x, index: ag.take(x, ag.constant(index)),
         lambda x, index: x[index], indexing(node_index=True)),
    Case("getitem", lambda x, index: x[index], lambda x, index: x[index],
         indexing(node_index=False)),
    Case("scatter_add", ag.ops.scatter_add, reference_scatter_add, scatter_add_arguments),
]


def as_nodes(args):
    """Float arrays become parameters (so the op records a graph), others stay as they are."""
    return tuple(ag.parameter(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                 for a in args)


def assert_same(got, expected, what):
    got = np.asarray(got.value if isinstance(got, ag.Node) else got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, numpy {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, numpy {expected.dtype}"
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(got, expected, err_msg=what)
        return
    # atol: a few roundings of the largest entry, for entries that cancel to about 0
    atol = 8 * np.finfo(expected.dtype).eps * float(np.abs(expected).max(initial=1.0))
    np.testing.assert_allclose(got, expected, rtol=RTOL[expected.dtype], atol=atol,
                               err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_forward_value_against_numpy(case, data):
    args, params = case.arguments(data.draw)
    expected = case.reference(*args, **params)
    what = f"{case.name}{tuple(np.shape(a) for a in args)} {params}"
    assert_same(case.call(*as_nodes(args), **params), expected, what)
    # plain arrays in, plain numpy semantics out (gradient rules rely on it)
    if case.name not in ("take with a Node index", "getitem"):
        assert_same(case.call(*args, **params), expected, what + " on arrays")


def test_every_exported_op_has_a_case():
    covered = {case.name for case in CASES} | {"getitem", "value_of"}
    assert set(ag.ops.__all__) <= covered, set(ag.ops.__all__) - covered


REDUCTIONS = [case for case in CASES if case.name in ("sum", "mean", "max", "logsumexp")]


@pytest.mark.parametrize("case", REDUCTIONS, ids=[case.name for case in REDUCTIONS])
@pytest.mark.parametrize("shape, axis", [((1, 3), 1), ((1, 3), -1), ((1, 3), 0), ((3, 1), 0),
                                         ((1, 1), (0, 1)), ((1, 1), None), ((2, 1, 3), (0, -1)),
                                         ((1,), 0), ((1,), -1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_over_length_one_axes(case, shape, axis, keepdims):
    # length-1 axes are where a squeeze of the wrong axes, or of all of them, goes unnoticed
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 4
    expected = case.reference(x, axis=axis, keepdims=keepdims)
    assert_same(case.call(ag.parameter(x), axis=axis, keepdims=keepdims), expected,
                f"{case.name}{shape} axis={axis} keepdims={keepdims}")
