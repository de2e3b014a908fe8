"""Node: dtypes, ownership of the value, repr, operators with arrays and scalars, comparisons."""

import numpy as np
import pytest

import autograph as ag

rng = np.random.default_rng(1)


# --- dtypes ---------------------------------------------------------------------------------

def test_float64_by_default():
    assert ag.Node([1.0, 2.0]).dtype == np.float64
    assert ag.parameter([[0.5]]).dtype == np.float64
    assert ag.Node(3.0).value.dtype == np.float64


@pytest.mark.parametrize("value", [[1, 2, 3], np.arange(3, dtype=np.int32), [True, False, True]],
                         ids=["int", "int32", "bool"])
def test_ints_and_bools_become_float64_when_a_gradient_is_needed(value):
    x = ag.parameter(value)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x.value, np.asarray(value, dtype=np.float64))
    (x * x).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, 2 * np.asarray(value, dtype=np.float64))


@pytest.mark.parametrize("value,dtype", [([1, 2], np.int64), (np.arange(2, dtype=np.int32),
                                                               np.int32),
                                         ([True, False], np.bool_),
                                         (np.ones(2, np.float32), np.float32)],
                         ids=["int64", "int32", "bool", "float32"])
def test_constants_keep_their_dtype(value, dtype):
    assert ag.constant(value).dtype == dtype
    assert ag.Node(value).value.dtype == dtype


def test_explicit_dtype():
    x = ag.parameter([1, 2], dtype=np.float32)
    assert x.dtype == np.float32


# Every primitive, on a float32 input, with python-scalar constants only (a python float does not
# widen a float32 array in numpy): the output and the leaf's gradient must stay float32.
FLOAT32_OPS = {
    "add": lambda x: x + 1.5, "radd": lambda x: 1.5 + x,
    "subtract": lambda x: x - 1.5, "rsubtract": lambda x: 1.5 - x,
    "multiply": lambda x: x * 1.5, "divide": lambda x: x / (x * x + 1.0),
    "rdivide": lambda x: 1.0 / (x * x + 1.0), "negative": lambda x: -x,
    "power": lambda x: x ** 3, "power_half": lambda x: (x * x + 1.0) ** 0.5,
    "power_nodes": lambda x: (x * x + 1.0) ** x,
    "matmul": lambda x: x @ x.T, "matmul_vector": lambda x: x @ x[0],
    "exp": ag.exp, "log": lambda x: ag.log(x * x + 1.0), "sqrt": lambda x: ag.sqrt(x * x + 1.0),
    "absolute": ag.absolute, "maximum": lambda x: ag.maximum(x, 0.25),
    "minimum": lambda x: ag.minimum(x, x * 2.0), "where": lambda x: ag.where(x > 0, x, x * x),
    "sum": lambda x: x.sum(axis=0), "mean": lambda x: x.mean(axis=1),
    "max": lambda x: x.max(axis=0), "logsumexp": lambda x: ag.logsumexp(x, axis=1),
    "reshape": lambda x: x.reshape(4, 3), "transpose": lambda x: x.T,
    "swapaxes": lambda x: ag.swapaxes(x, 0, 1), "broadcast_to": lambda x: ag.broadcast_to(
        x, (2, 3, 4)), "expand_dims": lambda x: ag.expand_dims(x, 1),
    "getitem": lambda x: x[np.array([0, 0, 2])], "slice": lambda x: x[:, 1:],
    "concatenate": lambda x: ag.concatenate([x, x * 2.0], axis=1),
    "stack": lambda x: ag.stack([x, x * 2.0]),
    "sigmoid": ag.sigmoid, "tanh": ag.tanh, "relu": ag.relu,
    "leaky_relu": lambda x: ag.leaky_relu(x, 0.1), "softplus": ag.softplus,
    "softmax": ag.softmax, "log_softmax": lambda x: ag.log_softmax(x, axis=0),
    "rpower": lambda x: 2.0 ** x,
}


@pytest.mark.parametrize("f", FLOAT32_OPS.values(), ids=FLOAT32_OPS.keys())
def test_float32_stays_float32_forward_and_backward(f):
    x = ag.parameter(rng.standard_normal((3, 4)).astype(np.float32))
    y = f(x)
    assert y.dtype == np.float32
    (y * 0.5).sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("f", [ag.sigmoid, ag.tanh, ag.exp, ag.softplus, lambda x: x ** 3,
                                lambda x: 1.0 / x, lambda x: ag.log(x) * ag.sqrt(x),
                               lambda x: 2.0 ** x],
                         ids=["sigmoid", "tanh", "exp", "softplus", "cube", "reciprocal",
                              "log*sqrt", "rpower"])
def test_float32_stays_float32_in_second_derivatives(f):
    second = ag.grad(ag.grad(lambda x: f(x).sum()))(np.float32(0.7))
    assert np.asarray(second).dtype == np.float32
    hessian = ag.hessian(lambda x: f(x).sum())(np.float32([0.7, 1.3]))
    assert hessian.dtype == np.float32


@pytest.mark.parametrize("leaf_dtype,other_dtype", [(np.float32, np.float64),
                                                    (np.float64, np.float32)])
@pytest.mark.parametrize("f", [lambda x, c: x + c, lambda x, c: x * c, lambda x, c: c / x,
                               lambda x, c: (x @ c[:, None]) * c],
                         ids=["add", "multiply", "divide", "matmul"])
def test_a_gradient_has_its_leafs_dtype_in_mixed_precision(f, leaf_dtype, other_dtype):
    x = ag.parameter(np.array([0.5, 2.0], dtype=leaf_dtype))
    c = np.array([1.5, -1.0], dtype=other_dtype)
    f(x, c).sum().backward()
    assert x.grad.dtype == leaf_dtype


def test_a_gradient_graph_has_its_leafs_dtype_in_mixed_precision():
    x = ag.parameter(np.float32([1.0, 2.0]))
    c = np.array([3.0, 4.0])                       # float64: x * x * c is float64
    (dx,) = ag.gradients((x * x * c).sum(), [x], create_graph=True)
    assert dx.dtype == np.float32
    np.testing.assert_array_equal(dx.value, [6.0, 16.0])
    dx.sum().backward()                            # d/dx sum(2 c x) = 2 c, back in float32
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [6.0, 8.0])


def test_astype_converts_and_its_gradient_converts_back():
    x = ag.parameter(np.float32([0.5, 2.0]))
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.op.name == "astype"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [1.0, 4.0])


# --- the value ------------------------------------------------------------------------------

def test_node_owns_a_copy_of_its_array():
    a = np.array([1.0, 2.0, 3.0])
    x = ag.parameter(a)
    c = ag.constant(a)
    a[0] = 100.0
    np.testing.assert_array_equal(x.value, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(c.value, [1.0, 2.0, 3.0])
    x.value[1] = -1.0
    assert a[1] == 2.0 and c.value[1] == 2.0


def test_node_from_a_node_copies_its_value():
    x = ag.parameter([1.0, 2.0], name="x")
    y = ag.Node(x)
    y.value[0] = 7.0
    assert x.value[0] == 1.0
    assert y.is_leaf and not y.requires_grad


def test_leaf_and_op_node_attributes():
    x = ag.parameter(np.ones((2, 3)), name="x")
    y = ag.sigmoid(x)
    assert x.is_leaf and x.op is None and x.parents == () and x.requires_grad
    assert not y.is_leaf and y.op.name == "sigmoid" and y.parents == (x,) and y.requires_grad
    assert y.shape == (2, 3) and y.label == "sigmoid" and x.label == "x"
    z = ag.leaky_relu(x, 0.2)
    assert z.params == {"alpha": 0.2}
    s = x.sum(axis=1, keepdims=True)
    assert s.params == {"axis": 1, "keepdims": True} and s.shape == (2, 1)


def test_constant_operands_are_kept_among_parents_in_order():
    x = ag.parameter([1.0, 2.0], name="x")
    y = 2.5 - x
    assert y.op.name == "subtract"
    assert y.parents[0] == 2.5 and y.parents[1] is x


def test_an_op_on_constants_only_does_not_require_a_gradient():
    y = ag.constant([1.0, 2.0]) * 3.0
    assert not y.requires_grad


def test_repr_is_readable():
    assert repr(ag.Node([1.0, 2.0])) == "Node([1., 2.])"
    assert repr(ag.parameter([1.0, 2.0], name="w")) == \
        "Node([1., 2.], name='w', requires_grad=True)"
    y = ag.parameter([1.0, 2.0]) * 2.0
    assert repr(y) == "Node([2., 4.], op=multiply)"
    big = repr(ag.Node(np.zeros((100, 100))))
    assert "..." in big and len(big) < 400


# --- operators -------------------------------------------------------------------------------

A = np.array([[0.5, 1.5], [2.0, 0.75]])
B = np.array([[1.25, 0.5], [0.25, 2.0]])

BINARY = {
    "+": (lambda a, b: a + b, np.ones_like, np.ones_like),
    "-": (lambda a, b: a - b, np.ones_like, lambda b: -np.ones_like(b)),
    "*": (lambda a, b: a * b, lambda a: B, lambda b: A),
    "/": (lambda a, b: a / b, lambda a: 1 / B, lambda b: -A / B ** 2),
    "**": (lambda a, b: a ** b, lambda a: B * A ** (B - 1), lambda b: A ** B * np.log(A)),
    "@": (lambda a, b: a @ b, lambda a: np.ones((2, 2)) @ B.T, lambda b: A.T @ np.ones((2, 2))),
}


@pytest.mark.parametrize("symbol", BINARY)
@pytest.mark.parametrize("side", ["node-array", "array-node", "node-node"])
def test_operators_with_numpy_arrays_on_either_side(symbol, side):
    op, grad_a, grad_b = BINARY[symbol]
    a = ag.parameter(A) if side != "array-node" else A
    b = ag.parameter(B) if side != "node-array" else B
    y = op(a, b)
    assert isinstance(y, ag.Node)
    np.testing.assert_allclose(y.value, op(A, B), rtol=1e-15)
    y.sum().backward()
    if isinstance(a, ag.Node):
        np.testing.assert_allclose(a.grad, grad_a(A), rtol=1e-12)
    if isinstance(b, ag.Node):
        np.testing.assert_allclose(b.grad, grad_b(B), rtol=1e-12)


@pytest.mark.parametrize("scalar", [2.0, 3, np.float64(2.0)], ids=["float", "int", "np.float64"])
@pytest.mark.parametrize("symbol,op,grad_left,grad_right", [
    ("+", lambda a, b: a + b, lambda x, s: 1.0, lambda x, s: 1.0),
    ("-", lambda a, b: a - b, lambda x, s: 1.0, lambda x, s: -1.0),
    ("*", lambda a, b: a * b, lambda x, s: s, lambda x, s: s),
    ("/", lambda a, b: a / b, lambda x, s: 1 / s, lambda x, s: -s / x ** 2),
    ("**", lambda a, b: a ** b, lambda x, s: s * x ** (s - 1), lambda x, s: s ** x * np.log(s)),
])
def test_operators_with_python_scalars_on_either_side(symbol, op, grad_left, grad_right, scalar):
    values = np.array([0.5, 1.0, 2.5])
    x = ag.parameter(values)
    left = op(x, scalar)                      # Node <op> scalar
    np.testing.assert_allclose(left.value, op(values, scalar), rtol=1e-15)
    left.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(grad_left(values, scalar), 3),
                               rtol=1e-12)
    x = ag.parameter(values)
    right = op(scalar, x)                     # scalar <op> Node
    assert isinstance(right, ag.Node)
    np.testing.assert_allclose(right.value, op(scalar, values), rtol=1e-15)
    right.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(grad_right(values, scalar), 3),
                               rtol=1e-12)


def test_unary_minus_transpose_and_methods():
    x = ag.parameter(A, name="x")
    np.testing.assert_array_equal((-x).value, -A)
    np.testing.assert_array_equal(x.T.value, A.T)
    np.testing.assert_array_equal(x.sum(axis=0).value, A.sum(axis=0))
    np.testing.assert_array_equal(x.mean(axis=1, keepdims=True).value, A.mean(1, keepdims=True))
    np.testing.assert_array_equal(x.max(axis=1).value, A.max(axis=1))
    np.testing.assert_array_equal(x.reshape(4).value, A.reshape(4))
    np.testing.assert_array_equal(x.reshape(1, 4).value, A.reshape(1, 4))
    np.testing.assert_array_equal(x[1, ::-1].value, A[1, ::-1])
    assert (+x) is x
    np.testing.assert_array_equal(abs(-x).value, A)


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
@pytest.mark.parametrize("other", [1.0, np.array([0.5, 3.0]), "node"], ids=["scalar", "array",
                                                                             "node"])
def test_comparisons_give_plain_boolean_arrays(op, other):
    values = np.array([0.5, 2.0])
    x = ag.parameter(values)
    other_value = np.array([1.0, 1.0]) if isinstance(other, str) else other
    other_operand = ag.parameter(other_value) if isinstance(other, str) else other
    compare = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
               "==": np.equal, "!=": np.not_equal}[op]
    for result, expected in [
            (eval(f"x {op} other_operand"), compare(values, other_value)),
            (eval(f"other_operand {op} x"), compare(other_value, values))]:
        assert type(result) is np.ndarray and result.dtype == np.bool_
        np.testing.assert_array_equal(result, expected)


def test_equality_is_elementwise_as_in_numpy_and_nodes_stay_hashable_by_identity():
    x = ag.parameter([0.0, 1.0, 0.0])
    np.testing.assert_array_equal(ag.where(x == 0, 5.0, x).value, [5.0, 1.0, 5.0])
    twin = ag.parameter([0.0, 1.0, 0.0])
    assert len({x, twin, x}) == 2 and {x: 1}[x] == 1


def test_a_comparison_is_usable_as_a_mask_and_carries_no_gradient():
    x = ag.parameter([-1.0, 2.0, -3.0, 4.0])
    y = ag.where(x > 0, x, 0.0)
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 3.0, 0.0, 3.0])


def test_conversions_and_iteration():
    x = ag.parameter([1.5, -2.0, 4.0], name="x")
    assert len(x) == 3
    np.testing.assert_array_equal(x.value, [1.5, -2.0, 4.0])
    np.testing.assert_array_equal(np.asarray(ag.constant(x.value)), [1.5, -2.0, 4.0])
    assert x[0].item() == 1.5 and x[2].item() == 4.0 and float(ag.constant(2.5)) == 2.5
    parts = list(x)
    assert all(isinstance(p, ag.Node) and p.op.name == "getitem" for p in parts)
    total = parts[0] * 2.0 + parts[1] * parts[1] + parts[2]
    total.backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 1.0])


def test_detach_cuts_the_graph():
    x = ag.parameter([1.0, 2.0], name="x")
    y = (x * x).detach()
    assert y.is_leaf and not y.requires_grad and y.name is None
    np.testing.assert_array_equal(y.value, [1.0, 4.0])
    ((x * y).sum()).backward()                # y is a constant: d/dx (x * y) = y
    np.testing.assert_array_equal(x.grad, [1.0, 4.0])
