"""Properties over random shapes (hypothesis): broadcasting binary ops, matmul and indexing
against finite differences, sums over any subset of axes, and unbroadcast as the adjoint of
broadcasting."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag
from autograph.core import unbroadcast
from tests.helpers import assert_gradients_close

modest = settings(max_examples=25, deadline=None)

pairs_of_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3)


def arrays(shape, elements):
    return hnp.arrays(np.float64, shape, elements=elements)


finite = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
away_from_zero = st.builds(lambda magnitude, sign: magnitude * sign,
                           st.floats(0.5, 2.0), st.sampled_from([-1.0, 1.0]))
# Two lattices a quarter apart: maximum and minimum never meet a tie, where they have no slope.
on_the_quarters = st.integers(-8, 8).map(lambda k: 0.5 * k + 0.25)
on_the_halves = st.integers(-8, 8).map(lambda k: 0.5 * k)

BINARY = {
    "add": (lambda a, b: a + b, finite, finite),
    "subtract": (lambda a, b: a - b, finite, finite),
    "multiply": (lambda a, b: a * b, finite, finite),
    "divide": (lambda a, b: a / b, finite, away_from_zero),
    "maximum": (ag.maximum, on_the_quarters, on_the_halves),
    "minimum": (ag.minimum, on_the_halves, on_the_quarters),
}


def binary_case(name):
    op, left, right = BINARY[name]

    @st.composite
    def case(draw):
        shapes = draw(pairs_of_shapes).input_shapes
        swap = draw(st.booleans())            # the lattice or the denominator on either side
        if swap and name in ("maximum", "minimum"):
            left_elements, right_elements = right, left
        else:
            left_elements, right_elements = left, right
        return (draw(arrays(shapes[0], left_elements)), draw(arrays(shapes[1], right_elements)))

    return op, case()


def check_binary(name, data):
    op, case = binary_case(name)
    a, b = data.draw(case)
    assert_gradients_close(op, a, b)


@modest
@given(st.data())
def test_add_over_random_broadcast_shapes(data):
    check_binary("add", data)


@modest
@given(st.data())
def test_subtract_over_random_broadcast_shapes(data):
    check_binary("subtract", data)


@modest
@given(st.data())
def test_multiply_over_random_broadcast_shapes(data):
    check_binary("multiply", data)


@modest
@given(st.data())
def test_divide_over_random_broadcast_shapes(data):
    check_binary("divide", data)


@modest
@given(st.data())
def test_maximum_over_random_broadcast_shapes(data):
    check_binary("maximum", data)


@modest
@given(st.data())
def test_minimum_over_random_broadcast_shapes(data):
    check_binary("minimum", data)


@st.composite
def array_and_axes(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    ndim = len(shape)
    if ndim and draw(st.booleans()):
        axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
        # numpy accepts negative axes too: write some of them that way
        axes = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
        axis = axes[0] if len(axes) == 1 and draw(st.booleans()) else axes
    else:
        axis = None
    x = draw(arrays(shape, finite))
    return x, axis, draw(st.booleans())


def expand(w, shape, axis, keepdims):
    """`w`, the shape of a reduction of an array of `shape`, broadcast back to `shape`."""
    if not keepdims:
        axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
        w = np.expand_dims(w, tuple(int(a) % len(shape) for a in axes)) if len(shape) else w
    return np.broadcast_to(w, shape)


@modest
@given(array_and_axes())
def test_sum_over_any_subset_of_axes(case):
    x_value, axis, keepdims = case
    x = ag.parameter(x_value)
    total = x.sum(axis=axis, keepdims=keepdims)
    expected_value = np.sum(x_value, axis=axis, keepdims=keepdims)
    assert total.shape == expected_value.shape
    np.testing.assert_allclose(total.value, expected_value, rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(0).standard_normal(total.shape)
    (total * w).sum().backward()
    np.testing.assert_array_equal(x.grad, expand(w, x_value.shape, axis, keepdims))


@modest
@given(array_and_axes())
def test_mean_over_any_subset_of_axes(case):
    x_value, axis, keepdims = case
    x = ag.parameter(x_value)
    average = x.mean(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(average.value, np.mean(x_value, axis=axis, keepdims=keepdims),
                               rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(0).standard_normal(average.shape)
    (average * w).sum().backward()
    count = x_value.size // max(np.size(average.value), 1)
    np.testing.assert_allclose(x.grad, expand(w, x_value.shape, axis, keepdims) / count,
                               rtol=1e-12)


@st.composite
def operand_and_broadcast_shapes(draw):
    """(shape, target): `shape` broadcasts to `target` (leading axes dropped, sides set to 1)."""
    target = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    kept = draw(st.integers(0, len(target)))
    shape = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - kept:])
    return shape, target


@modest
@given(operand_and_broadcast_shapes(), st.integers(0, 2 ** 32 - 1))
def test_unbroadcast_is_the_adjoint_of_broadcasting(shapes, seed):
    """<unbroadcast(g), x> = <g, broadcast_to(x)> for every x: the sum back to the operand."""
    shape, target = shapes
    rng = np.random.default_rng(seed)
    g, x = rng.standard_normal(target), rng.standard_normal(shape)
    summed = unbroadcast(g, shape)
    assert np.shape(summed) == shape
    np.testing.assert_allclose(np.sum(summed * x), np.sum(g * np.broadcast_to(x, target)),
                               rtol=1e-10, atol=1e-10)
    # and backward applies it: the gradient of an operand broadcast in an add
    b = ag.parameter(x)
    (b + ag.constant(np.zeros(target))).backward(seed=g)
    assert b.grad.shape == shape
    np.testing.assert_allclose(b.grad, summed, rtol=1e-12, atol=1e-12)


@st.composite
def matmul_operands(draw):
    """Two operands of matmul: vectors, matrices or stacks with broadcast batch axes."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    a_shape = (k,) if draw(st.booleans()) else batch.input_shapes[0] + (n, k)
    b_shape = (k,) if draw(st.booleans()) else batch.input_shapes[1] + (k, m)
    return draw(arrays(a_shape, finite)), draw(arrays(b_shape, finite))


@modest
@given(matmul_operands())
def test_matmul_over_random_shapes(operands):
    assert_gradients_close(lambda a, b: a @ b, *operands)


@st.composite
def array_and_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    if draw(st.booleans()):
        index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    else:
        index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(
            min_dims=1, max_dims=2, max_side=4)))
    return draw(arrays(shape, finite)), index


@modest
@given(array_and_index())
def test_indexing_over_random_indices(case):
    """Basic indices (views: each entry at most once) and integer arrays (repeats add up)."""
    x, index = case
    assert_gradients_close(lambda v: v[index], x)
