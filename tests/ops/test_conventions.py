"""Where a function has no derivative (kinks, ties, a**b at a <= 0, sqrt at 0) the engine
picks one: each choice of the README's table "Conventions at kinks and ties" is tested here,
with the expected values transcribed from that table. Also: gradients of joins and transposes
along every axis (negative ones too), errors naming the right axis, and the defaults."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag
from autograph.core import ShapeError
from tests.helpers import assert_second_derivatives_close


def grad_of(f, *values):
    """Gradients of sum(f(*nodes)) with respect to each argument."""
    nodes = [ag.parameter(np.asarray(v, dtype=np.float64)) for v in values]
    return [np.asarray(g) for g in ag.gradients(ag.sum(f(*nodes)), nodes)]


# --- the table: (function, arguments, gradients), one row per README line ----------------------
KINKS = [
    ("relu'(0) = 0", ag.relu, [[0.0]], [[0.0]]),
    ("relu' elsewhere", ag.relu, [[-1.0, 2.0]], [[0.0, 1.0]]),
    ("leaky_relu'(0) = alpha", lambda x: ag.leaky_relu(x, alpha=0.2), [[0.0]], [[0.2]]),
    ("leaky_relu' elsewhere", lambda x: ag.leaky_relu(x, alpha=0.2), [[-1.0, 2.0]],
     [[0.2, 1.0]]),
    ("leaky_relu's default alpha is 0.01", ag.leaky_relu, [[-3.0, 0.0, 3.0]],
     [[0.01, 0.01, 1.0]]),
    ("abs'(0) = 0", ag.absolute, [[0.0, -2.0, 2.0]], [[0.0, -1.0, 1.0]]),
    ("maximum: a tie goes to the first operand", ag.maximum, [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]],
     [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    ("minimum: a tie goes to the first operand", ag.minimum, [[1.0, 2.0, 3.0], [1.0, 5.0, 0.0]],
     [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    ("max: ties share equally", ag.max, [[2.0, 7.0, 7.0, 7.0]], [[0.0, 1 / 3, 1 / 3, 1 / 3]]),
    ("max along an axis: ties share within their row", lambda x: ag.max(x, axis=1),
     [[[1.0, 4.0, 4.0], [5.0, 5.0, 5.0]]], [[[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]]),
    ("max along axis 0, kept", lambda x: ag.max(x, axis=0, keepdims=True),
     [[[1.0, 4.0], [1.0, 2.0]]], [[[0.5, 1.0], [0.5, 0.0]]]),
    ("d(a**b)/db = 0 at a = 0", ag.power, [[0.0], [2.0]], [[0.0], [0.0]]),
    ("d(a**b)/db = a**b log a at a > 0", ag.power, [[2.0], [3.0]],
     [[12.0], [8.0 * np.log(2.0)]]),
    ("d(a**b)/da = b a**(b-1) at a = 0", ag.power, [[0.0], [3.0]], [[0.0], [0.0]]),
    # hypot and p-norms at 0: 0, as the 2-norm's x / |x| at x = 0 (a subgradient; by symmetry
    # also the central difference). They were nan (0 / 0, inf * 0).
    ("hypot'(0, 0) = 0", np.hypot, [[0.0, 0.0, 3.0], [0.0, 2.0, 4.0]],
     [[0.0, 0.0, 0.6], [0.0, 1.0, 0.8]]),
    ("norm(x, 3) at x = 0: 0", lambda x: np.linalg.norm(x, 3), [[0.0, 0.0, 0.0]],
     [[0.0, 0.0, 0.0]]),
    ("norm(x, 3) at a zero entry: x_i^2 / norm^2", lambda x: np.linalg.norm(x, 3),
     [[0.0, 1.0, 2.0]], [[0.0, 9.0 ** (-2 / 3), 4 * 9.0 ** (-2 / 3)]]),
    ("norm(x, 0.5) at a zero entry: 0 there, sqrt(norm / x_i) elsewhere",
     lambda x: np.linalg.norm(x, 0.5), [[0.0, 1.0, 2.0]],
     [[0.0, 1 + np.sqrt(2.0), (1 + np.sqrt(2.0)) / np.sqrt(2.0)]]),
    ("vector_norm(x, 4) along an axis, one row 0", lambda x: np.linalg.vector_norm(x, ord=4, axis=1),
     [[[0.0, 0.0], [1.0, -1.0]]], [[[0.0, 0.0], [2.0 ** -0.75, -(2.0 ** -0.75)]]]),
]


@pytest.mark.parametrize("label, f, args, expected", KINKS, ids=[row[0] for row in KINKS])
def test_kinks_and_ties(label, f, args, expected):
    for got, want in zip(grad_of(f, *args), expected):
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


def test_the_exponent_gradient_at_a_negative_base_is_refused():
    # a**b is real near b only at whole b when a < 0: no slope in b, so none is made up (0 or nan)
    a, b = ag.parameter([-2.0], name="a"), ag.parameter([2.0], name="b")
    with pytest.raises(FloatingPointError, match="power: no gradient for the exponent"):
        (a ** b).sum().backward()
    a, b = ag.parameter([-2.0], name="a"), ag.constant([2.0])
    (a ** b).sum().backward()                     # the base's slope exists: b a**(b-1)
    np.testing.assert_array_equal(a.grad, [-4.0])


@pytest.mark.filterwarnings("error")
@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 0.5, -0.7, 1.3, -2.0]), min_size=1, max_size=5),
       st.sampled_from([0.5, 1.5, 3, 4, 7.5]), st.booleans())
def test_p_norms_with_zero_entries_match_central_differences(entries, p, as_hypot):
    # at a zero entry |x_i|^p is even in x_i: its central difference is 0, the engine's choice
    x = np.array(entries)
    if as_hypot:
        x = np.resize(x, 2)
        def f(v):
            return np.hypot(v[0], v[1])
    else:
        def f(v):
            return np.linalg.norm(v, p)
    eps = 1e-7
    expected = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        expected[i] = (f(x + step) - f(x - step)) / (2 * eps)
    got = ag.grad(f)(x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_negative_order_norm_with_a_zero_entry_is_0_and_so_is_its_gradient():
    # (sum |x|^p)^(1/p), p < 0: a zero entry makes the norm 0 near it whatever the others are
    x = ag.parameter([0.0, 1.0, 2.0])
    with np.errstate(divide="ignore"):                  # numpy's own forward divides by 0
        y = np.linalg.norm(x, -1)
        assert y.value == np.linalg.norm(x.value, -1) == 0.0
        with np.errstate(all="raise"):                  # the gradient rule divides by nothing
            y.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_p_norm_second_derivatives_away_from_zero():
    x = np.array([0.3, -1.2, 2.0])
    for p in (0.5, 3, 4.5):
        assert_second_derivatives_close(lambda v: np.linalg.norm(v, p), x)
    assert_second_derivatives_close(lambda a, b: np.hypot(a, b), x, x[::-1].copy())


def test_sqrt_at_zero_has_an_infinite_slope():
    x = ag.parameter([0.0, 4.0])
    with np.errstate(divide="ignore"):
        ag.sqrt(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.25])


def test_sqrt_at_zero_under_warnings_as_errors_names_numpy_error():
    x = ag.parameter([0.0])
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        ag.sqrt(x).sum().backward()


def test_maximum_ties_broadcast_to_the_first_operand():
    a = ag.parameter([[1.0], [2.0]])          # (2, 1) against (3,): ties at a = 1 and 2
    b = ag.parameter([1.0, 2.0, 3.0])
    ag.maximum(a, b).sum().backward()
    # row 0: the tie at b = 1; row 1: over b = 1, and the tie at b = 2
    np.testing.assert_array_equal(a.grad, [[1.0], [2.0]])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 2.0])   # b = 2 wins only in row 0


def test_relu_at_zero_is_the_same_under_create_graph():
    x = ag.parameter([0.0, 1.0])
    ag.relu(x).sum().backward(create_graph=True)
    np.testing.assert_array_equal(x.grad.value, [0.0, 1.0])


# --- joins and transposes along every axis -------------------------------------------------

@st.composite
def joins(draw, stacked):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape) + stacked
    axis = draw(st.integers(-ndim, ndim - 1))
    count = draw(st.integers(1, 3))
    shapes = []
    for _ in range(count):
        own = list(shape)
        if not stacked:
            own[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(own))
    return shapes, axis


@settings(max_examples=30, deadline=None)
@given(joins(stacked=False), st.integers(0, 2 ** 32 - 1))
def test_concatenate_gradient_is_the_matching_slice(case, seed):
    shapes, axis = case
    rng = np.random.default_rng(seed)
    xs = [ag.parameter(rng.standard_normal(s)) for s in shapes]
    joined = ag.concatenate(xs, axis=axis)
    weights = rng.standard_normal(joined.shape)
    grads = ag.gradients((joined * weights).sum(), xs)
    ends = np.cumsum([s[axis] for s in shapes])[:-1]
    for got, want in zip(grads, np.split(weights, ends, axis=axis)):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=30, deadline=None)
@given(joins(stacked=True), st.integers(0, 2 ** 32 - 1))
def test_stack_gradient_is_the_matching_slice(case, seed):
    shapes, axis = case
    rng = np.random.default_rng(seed)
    xs = [ag.parameter(rng.standard_normal(s)) for s in shapes]
    joined = ag.stack(xs, axis=axis)
    weights = rng.standard_normal(joined.shape)
    grads = ag.gradients((joined * weights).sum(), xs)
    for i, got in enumerate(grads):
        np.testing.assert_array_equal(got, np.take(weights, i, axis=axis))


@pytest.mark.parametrize("join", [ag.concatenate, ag.stack])
def test_joins_along_axis_0_by_hand(join):
    a, b = ag.parameter([[1.0, 2.0]]), ag.parameter([[3.0, 4.0]])
    out = join([a, b], axis=0)
    (out * np.arange(4.0).reshape(out.shape)).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0.0, 1.0]])
    np.testing.assert_array_equal(b.grad, [[2.0, 3.0]])


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_transpose_gradient_with_negative_axes(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    ndim = len(shape)
    axes = tuple(a - ndim if data.draw(st.booleans()) else a
                 for a in data.draw(st.permutations(range(ndim))))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    x = ag.parameter(rng.standard_normal(shape))
    out = ag.transpose(x, axes)
    weights = rng.standard_normal(out.shape)
    (grad,) = ag.gradients((out * weights).sum(), [x])
    # d/dx sum(w * x.transpose(axes)) = w moved back: w.transpose(inverse of axes)
    inverse = np.argsort([a % ndim for a in axes])
    np.testing.assert_array_equal(grad, np.transpose(weights, inverse))


@pytest.mark.parametrize("axis1, axis2", [(0, -1), (-1, -2), (-3, 1)])
def test_swapaxes_gradient(axis1, axis2):
    x = ag.parameter(np.arange(24.0).reshape(2, 3, 4))
    weights = np.arange(24.0).reshape(np.swapaxes(x.value, axis1, axis2).shape)
    (ag.swapaxes(x, axis1, axis2) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, np.swapaxes(weights, axis1, axis2))


# --- errors name the axis that is out of range ---------------------------------------------

X23 = np.ones((2, 3))


@pytest.mark.parametrize("call, words", [
    (lambda x: ag.sum(x, axis=2), "axis 2 is out of range for 2 dimensions"),
    (lambda x: ag.sum(x, axis=(0, -3)), "axis -3 is out of range for 2 dimensions"),
    (lambda x: ag.sum(x, axis=(-3, 5)), "axis -3 is out of range for 2 dimensions"),
    (lambda x: ag.mean(x, axis=-3), "axis -3 is out of range for 2 dimensions"),
    (lambda x: ag.max(x, axis=2), "axis 2 is out of range for 2 dimensions"),
    (lambda x: ag.logsumexp(x, axis=-4), "axis -4 is out of range for 2 dimensions"),
    (lambda x: ag.concatenate([x, x], axis=2), "axis 2 is out of range for 2 dimensions"),
    (lambda x: ag.concatenate([x, x], axis=-3), "axis -3 is out of range for 2 dimensions"),
    (lambda x: ag.concatenate([x, np.ones((2, 4))], axis=0),
     "shapes (2, 3), (2, 4) do not line up along axis 0"),
    (lambda x: ag.concatenate([x, np.ones((3, 2))], axis=-1),
     "shapes (2, 3), (3, 2) do not line up along axis -1"),
    (lambda x: ag.concatenate([x], axis=2), "axis 2 is out of range for 2 dimensions"),
    (lambda x: ag.concatenate([x, np.ones(3)], axis=1),
     "shapes (2, 3), (3,) do not line up along axis 1"),
    (lambda x: ag.stack([x], axis=-4), "axis -4 is out of range for 3 dimensions"),
    (lambda x: ag.stack([x, x], axis=3), "axis 3 is out of range for 3 dimensions"),
    (lambda x: ag.stack([x, x], axis=-4), "axis -4 is out of range for 3 dimensions"),
    (lambda x: ag.stack([x, np.ones((3, 2))], axis=0),
     "shapes (2, 3), (3, 2) differ; stack needs arrays of one shape"),
    (lambda x: ag.expand_dims(x, 3), "axis 3 is out of range for a result of 3 dimensions"),
    (lambda x: ag.expand_dims(x, -4), "axis -4 is out of range for a result of 3 dimensions"),
    (lambda x: ag.transpose(x, (0, 2)), "axes (0, 2) do not match 2 dimensions"),
])
def test_errors_name_the_axis(call, words):
    with pytest.raises(ShapeError) as error:
        call(ag.parameter(X23, name="x"))
    assert words in str(error.value)
    assert "x (2, 3)" in str(error.value)


@pytest.mark.parametrize("axis", [-3, -2, -1, 0, 1, 2])
def test_expand_dims_in_range_matches_numpy(axis):
    assert ag.expand_dims(ag.parameter(X23), axis).shape == np.expand_dims(X23, axis).shape


# --- defaults and argument forms ----------------------------------------------------------

def test_default_axes_are_numpy_s():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0, 12.0).reshape(2, 3)
    np.testing.assert_array_equal(ag.concatenate([a, b]), np.concatenate([a, b], axis=0))
    np.testing.assert_array_equal(ag.concatenate([ag.parameter(a), b]).value,
                                  np.concatenate([a, b], axis=0))
    np.testing.assert_array_equal(ag.stack([ag.parameter(a), b]).value, np.stack([a, b], axis=0))
    np.testing.assert_array_equal(ag.transpose(ag.parameter(a)).value, a.T)
    x = ag.parameter([[1.0, 2.0], [3.0, 5.0]])
    e = np.exp(x.value)
    np.testing.assert_allclose(ag.softmax(x).value, e / e.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(ag.log_softmax(x).value,
                               np.log(e / e.sum(axis=1, keepdims=True)))
    assert ag.sum(x).shape == () and ag.mean(x).shape == () and ag.max(x).shape == ()
    assert ag.logsumexp(x).shape == ()


@pytest.mark.parametrize("join", [ag.concatenate, ag.stack])
def test_joins_default_to_axis_0_in_their_gradient_too(join):
    a, b = ag.parameter([[1.0, 2.0]]), ag.parameter([[3.0, 4.0]])
    out = join([a, b])
    (out * np.arange(4.0).reshape(out.shape)).sum().backward()
    np.testing.assert_array_equal(a.grad, [[0.0, 1.0]])
    np.testing.assert_array_equal(b.grad, [[2.0, 3.0]])


def test_backward_does_not_create_a_graph_by_default():
    x = ag.parameter([1.0, 2.0])
    (x * x).sum().backward()
    assert type(x.grad) is np.ndarray
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y = ag.parameter([1.0, 2.0])
    ag.backward((y * y).sum())
    assert type(y.grad) is np.ndarray


@pytest.mark.parametrize("seed", [[1.0, 3.0], (1.0, 3.0), np.array([1.0, 3.0])])
def test_a_list_or_tuple_seed_is_an_array_seed(seed):
    x = ag.parameter([1.0, 2.0])
    (x * x).backward(seed=seed)
    np.testing.assert_array_equal(x.grad, [2.0, 12.0])
    (grad,) = ag.gradients(x * x, [x], seed=seed)
    np.testing.assert_array_equal(grad, [2.0, 12.0])


def test_a_node_seed_stays_in_the_graph_under_create_graph():
    x = ag.parameter([1.0, 2.0])
    s = ag.parameter([1.0, 3.0], name="s")
    (x * x).backward(seed=s, create_graph=True)
    np.testing.assert_array_equal(x.grad.value, [2.0, 12.0])    # 2 x s
    x.grad.sum().backward()
    np.testing.assert_array_equal(s.grad, [2.0, 4.0])          # d(sum 2 x s)/ds = 2 x
    t = ag.parameter([1.0, 3.0], name="t")
    (g,) = ag.gradients(x * x, [x], seed=t, create_graph=True)
    g.sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 4.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_gradients_of_an_unused_node_are_zeros_of_its_shape(create_graph):
    x = ag.parameter([1.0, 2.0])
    unused = ag.parameter(np.ones((2, 3), dtype=np.float32))
    grads = ag.gradients((x * x).sum(), [x, unused], create_graph=create_graph)
    zeros = np.asarray(grads[1].value if create_graph else grads[1])
    assert zeros.shape == (2, 3) and zeros.dtype == np.float32
    assert not zeros.any()


def test_gradients_does_not_create_a_graph_by_default():
    x = ag.parameter([1.0, 2.0])
    (grad,) = ag.gradients((x * x).sum(), [x])
    assert type(grad) is np.ndarray
    (grad,) = ag.gradients((x * x).sum(), [x], create_graph=True)
    assert isinstance(grad, ag.Node)


def test_a_leaf_as_its_own_root_gets_a_node_gradient_under_create_graph():
    x = ag.parameter(3.0)
    x.backward(create_graph=True)
    assert isinstance(x.grad, ag.Node) and x.grad.item() == 1.0
    (grad,) = ag.gradients(x, [x], create_graph=True)
    assert isinstance(grad, ag.Node) and grad.item() == 1.0
    (grad,) = ag.gradients(x, [x])
    assert type(grad) is np.ndarray and grad == 1.0


@pytest.mark.parametrize("a_shape, b_shape, words", [
    ((2, 3), (4, 5, 6), "inner dimensions differ (3 != 5)"),       # batched b: its axis -2
    ((2, 3), (5, 6), "inner dimensions differ (3 != 5)"),
    ((2, 3), (5,), "inner dimensions differ (3 != 5)"),
    ((4, 2, 3), (5, 3, 6), "batch shapes (4,) and (5,) do not broadcast"),
    ((), (3,), "matmul needs operands of at least one dimension (use * for scalars)"),
    ((3,), (), "matmul needs operands of at least one dimension (use * for scalars)"),
])
def test_matmul_errors_name_the_inner_dimensions(a_shape, b_shape, words):
    a = ag.parameter(np.ones(a_shape), name="a")
    with pytest.raises(ShapeError) as error:
        a @ np.ones(b_shape)
    assert str(error.value) == f"matmul: a {a_shape} @ array {b_shape}: {words}"


@pytest.mark.parametrize("f", [lambda x: x * 2.0, lambda x: ag.exp(x), lambda x: x * x + x])
def test_a_0d_parameter_gets_a_writable_0d_array(f):
    # numpy gives scalars, not arrays, for operations on 0-d arrays: .grad must still be one
    x = ag.parameter(3.0)
    f(x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad.flags.writeable
    (grad,) = ag.gradients(f(x), [x])
    assert type(grad) is np.ndarray and grad.shape == () and grad.flags.writeable
