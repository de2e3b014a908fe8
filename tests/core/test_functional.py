"""grad, value_and_grad, jacobian, hessian, hvp, against closed forms and finite differences of
the first derivative. Second derivatives of each primitive: tests/ops/test_higher_order.py."""

import numpy as np
import pytest

import autograph as ag
from autograph.data import three_clusters

rng = np.random.default_rng(7)


def central_difference(f, x, eps=1e-5):
    """d f / d x by central differences, for array-valued f: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps))
    out_shape = np.shape(columns[0])
    return np.moveaxis(np.array(columns), 0, -1).reshape(out_shape + x.shape)


# --- grad and value_and_grad ------------------------------------------------------------------

def product(a, b, c):
    return (a * b * c).sum() + (a ** 2).sum()


A, B, C = np.array([1.0, -2.0]), np.array([0.5, 3.0]), np.array([2.0, 0.25])


def test_grad_argnums_int():
    np.testing.assert_allclose(ag.grad(product)(A, B, C), B * C + 2 * A)
    np.testing.assert_allclose(ag.grad(product, argnums=1)(A, B, C), A * C)
    np.testing.assert_allclose(ag.grad(product, 2)(A, B, C), A * B)


def test_grad_argnums_tuple():
    grads = ag.grad(product, argnums=(2, 0))(A, B, C)
    assert isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_allclose(grads[0], A * B)
    np.testing.assert_allclose(grads[1], B * C + 2 * A)
    (only,) = ag.grad(product, argnums=(1,))(A, B, C)
    np.testing.assert_allclose(only, A * C)


def test_grad_returns_arrays_and_leaves_inputs_alone():
    a = A.copy()
    g = ag.grad(product)(a, B, C)
    assert type(g) is np.ndarray
    np.testing.assert_array_equal(a, A)


def test_grad_of_python_floats_and_ints():
    assert float(ag.grad(lambda x: x ** 3)(2.0)) == 12.0
    np.testing.assert_array_equal(ag.grad(lambda x: (x * x).sum())(np.array([1, 2])), [2.0, 4.0])


def test_grad_passes_keyword_arguments():
    g = ag.grad(lambda x, scale=1.0: (scale * x * x).sum())(A, scale=3.0)
    np.testing.assert_allclose(g, 6.0 * A)


def test_grad_of_a_function_that_ignores_its_argument_is_zero():
    np.testing.assert_array_equal(ag.grad(lambda x, y: (y * y).sum())(A, B), np.zeros(2))


def test_grad_of_a_non_scalar_function_says_to_use_jacobian():
    with pytest.raises(ValueError, match="must return a scalar.*jacobian"):
        ag.grad(lambda x: x * 2.0)(A)


def test_value_and_grad():
    value, g = ag.value_and_grad(product)(A, B, C)
    np.testing.assert_allclose(value, (A * B * C).sum() + (A ** 2).sum())
    np.testing.assert_allclose(g, B * C + 2 * A)
    value, (ga, gc) = ag.value_and_grad(product, argnums=(0, 2))(A, B, C)
    np.testing.assert_allclose(value, (A * B * C).sum() + (A ** 2).sum())
    np.testing.assert_allclose(ga, B * C + 2 * A)
    np.testing.assert_allclose(gc, A * B)


# --- jacobian, hessian, hvp -------------------------------------------------------------------

def test_jacobian_of_softmax_is_diag_minus_outer():
    x = np.array([0.3, -1.2, 2.0, 0.1])
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(ag.jacobian(ag.softmax)(x), np.diag(s) - np.outer(s, s),
                               atol=1e-15)


def test_jacobian_shape_and_values_for_matrices():
    M = rng.standard_normal((3, 4))

    def f(x):                                 # (2, 3) -> (2, 4)
        return ag.tanh(x @ M)

    x = rng.standard_normal((2, 3))
    J = ag.jacobian(f)(x)
    assert J.shape == (2, 4, 2, 3)
    np.testing.assert_allclose(J, central_difference(lambda v: np.tanh(v @ M), x), atol=1e-9)


def test_jacobian_argnum():
    J = ag.jacobian(lambda a, b: a * b, 1)(A, B)
    np.testing.assert_array_equal(J, np.diag(A))


def test_hessian_of_a_cubic():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(ag.hessian(lambda x: (x ** 3).sum())(x), np.diag(6 * x))


def non_separable(x):
    return ag.logsumexp(ag.tanh(x[:, None] * x[None, :]).sum(axis=0)) + (ag.sigmoid(x) * x).sum()


def test_hessian_against_finite_differences_of_the_gradient():
    x = rng.standard_normal(4)
    H = ag.hessian(non_separable)(x)
    assert H.shape == (4, 4)
    np.testing.assert_allclose(H, central_difference(ag.grad(non_separable), x),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


def test_hessian_argnum():
    H = ag.hessian(lambda a, b: (a * b * b).sum(), 1)(A, B)
    np.testing.assert_allclose(H, np.diag(2 * A))


def test_hvp_against_finite_differences_and_the_hessian():
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    product_hv = ag.hvp(non_separable)(x, v)
    eps = 1e-5
    g = ag.grad(non_separable)
    np.testing.assert_allclose(product_hv, (g(x + eps * v) - g(x - eps * v)) / (2 * eps),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(product_hv, ag.hessian(non_separable)(x) @ v, rtol=1e-10,
                               atol=1e-12)


def test_third_derivative():
    third = ag.grad(ag.grad(ag.grad(lambda x: x ** 4)))
    np.testing.assert_allclose(third(1.5), 24 * 1.5)


# --- the tutorial's network -----------------------------------------------------------------------

def test_hessian_of_the_tutorials_two_layer_loss():
    data, classes = three_clusters()
    T = np.eye(3)[classes]
    state = np.random.RandomState(1)
    theta = np.concatenate([state.randn(2, 3).ravel(), state.randn(3, 3).ravel(),
                            state.randn(3), state.randn(3)])

    def loss(theta):
        W, V = theta[0:6].reshape(2, 3), theta[6:15].reshape(3, 3)
        b1, b2 = theta[15:18], theta[18:21]
        H = ag.sigmoid(data @ W + b1)
        return -(T * ag.log_softmax(H @ V + b2)).sum()

    H = ag.hessian(loss)(theta)
    assert H.shape == (21, 21)
    numeric = central_difference(ag.grad(loss), theta)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-6 * np.abs(H).max())
    np.testing.assert_allclose(H, H.T, atol=1e-10)


# --- results are the caller's own arrays ---------------------------------------------------

def _arrays(result):
    """The numpy arrays inside a transform's result (tuples, lists, dicts, nested)."""
    if isinstance(result, dict):
        return [a for v in result.values() for a in _arrays(v)]
    if isinstance(result, (tuple, list)):
        return [a for v in result for a in _arrays(v)]
    return [result] if isinstance(result, np.ndarray) else []


W = ag.parameter([0.5, -1.5], name="W")       # closed over by the functions below


def _passed_through(x):
    h = x * 2.0
    with ag.no_grad():        # an op that returns its operand's array: astype to its dtype
        return h, ag.ops.astype(h, np.float64)


def _cases():
    """(transform, function, arguments): outputs and aux of every kind a transform hands out:
    values computed inside, the variable itself, a closed-over parameter, containers."""
    fg = ag.value_and_grad
    return {
        "value": (fg, lambda x: (x ** 3).sum(), ()),
        "value of a product with W": (fg, lambda x: (x * W).sum(), ()),
        "value is a sum of W only": (fg, lambda x: W.sum() + 0 * x.sum(), ()),
        "aux computed": (lambda f: fg(f, has_aux=True), lambda x: ((x * x).sum(), x * 10), ()),
        "aux is x": (lambda f: fg(f, has_aux=True), lambda x: (x.sum(), x), ()),
        "aux is W": (lambda f: fg(f, has_aux=True), lambda x: ((x * W).sum(), W), ()),
        "aux container": (lambda f: fg(f, has_aux=True),
                          lambda x: (x.sum(), {"e": ag.exp(x), "pair": (x[0:1], W * 2)}), ()),
        "aux passed through under no_grad": (lambda f: fg(f, has_aux=True),
                                             lambda x: (x.sum(), _passed_through(x)), ()),
        "grad with aux": (lambda f: ag.grad(f, has_aux=True), lambda x: (x.sum(), (x, W)), ()),
        "grad of two": (lambda f: ag.grad(f, argnums=(0, 1)), lambda x, y: (x * y).sum(),
                        (np.array([2.0, 3.0]),)),
        "jacobian of x * W": (ag.jacobian, lambda x: x * W, ()),
        "jacobian of a container": (ag.jacobian, lambda x: (x * x, x.sum()), ()),
        "hessian": (ag.hessian, lambda x: (x ** 3).sum(), ()),
        "hvp": (ag.hvp, lambda x: (x ** 3).sum(), (np.array([1.0, 0.0]),)),
    }


@pytest.mark.parametrize("case", sorted(_cases()))
def test_every_array_a_transform_returns_is_writable_and_the_callers_own(case):
    # value_and_grad once returned the recorded (read-only) value of f's output and aux, and
    # aux=W handed out W's own array: writing into a result changed the parameter
    transform, f, rest = _cases()[case]
    x = np.array([1.0, 2.0])
    before_x, before_w = x.copy(), W.value.copy()
    with ag.no_grad():      # else a result depending on W is a Node, for an enclosing graph
        result = transform(f)(x, *rest)
    if "W" not in case:                              # the same arrays while recording
        again = _arrays(transform(f)(x, *rest))
        assert len(again) == len(_arrays(result))
        for a, b in zip(again, _arrays(result)):
            np.testing.assert_array_equal(a, b)
            assert a.flags.writeable
    arrays = _arrays(result)
    assert arrays
    for i, a in enumerate(arrays):
        assert a.flags.writeable
        assert not np.shares_memory(a, x) and not np.shares_memory(a, W.value)
        assert not any(np.shares_memory(a, b) for j, b in enumerate(arrays) if j != i)
        a[...] = 7.0
    np.testing.assert_array_equal(x, before_x)
    np.testing.assert_array_equal(W.value, before_w)


def test_value_and_grad_hands_out_the_recorded_value_without_a_copy():
    # the value is an array made for this call: unlocked, not copied; a graph kept from the
    # call (here by f itself) then refuses backward once the value was changed through it
    kept = []

    def f(x):
        kept.append((x * x).sum())
        return kept[-1]
    x = np.array([1.0, 2.0])
    value, _ = ag.value_and_grad(f)(x)
    assert value is kept[0].value and value.flags.writeable
    np.testing.assert_array_equal(value, 5.0)
    # f keeping a Node it returns, and backward through it later: refused, never a gradient
    # read from a value the caller has since changed (exp's rule reads its output)
    kept.clear()

    def g(x):
        kept.append(ag.exp((x * W).sum()))
        return kept[-1], (x * W,)
    with ag.no_grad():      # else a result depending on W is a Node, for an enclosing graph
        (value, (product,)), _ = ag.value_and_grad(g, has_aux=True)(x)
    np.testing.assert_allclose(value, np.exp(0.5 - 3.0), rtol=1e-15)
    value[...] = 7.0
    with pytest.raises(ag.GraphError):
        kept[0].backward()
    assert W.grad is None


def test_one_node_returned_twice_gives_two_arrays():
    (value, aux), _ = ag.value_and_grad(lambda x: (x.sum(),) * 2, has_aux=True)(np.ones(2))
    assert value.flags.writeable and aux.flags.writeable
    assert not np.shares_memory(value, aux)
