"""Every primitive against central finite differences, on plain and broadcast shapes."""

import numpy as np
import pytest

import autograph as ag
from tests.helpers import assert_gradients_close

rng = np.random.default_rng(0)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


BINARY_SHAPES = [((), ()), ((4,), (4,)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
                 ((), (2, 3))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("f", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: ag.maximum(a, b), lambda a, b: ag.minimum(a, b),
    lambda a, b: ag.where(a > 0, a, b),
], ids=["add", "subtract", "multiply", "divide", "maximum", "minimum", "where"])
def test_binary(f, shapes):
    a = normal(*shapes[0])
    b = positive(*shapes[1]) + 0.5  # away from 0 for divide, and from ties in maximum
    assert_gradients_close(f, a, b)


@pytest.mark.parametrize("shapes", [((3,), ()), ((2, 3), (3,)), ((2, 1), (1, 3))], ids=str)
def test_power_both_arguments(shapes):
    assert_gradients_close(lambda a, b: a ** b, positive(*shapes[0]), normal(*shapes[1]))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_power_constant_exponent(exponent):
    assert_gradients_close(lambda a: a ** exponent, positive(3, 2))


def test_constant_base_power():
    assert_gradients_close(lambda b: 2.0 ** b, normal(4))


SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("f,domain", [
    (ag.exp, normal), (ag.log, positive), (ag.sqrt, positive), (ag.absolute, normal),
    (lambda x: -x, normal), (ag.sigmoid, normal), (ag.tanh, normal), (ag.relu, normal),
    (lambda x: ag.leaky_relu(x, 0.1), normal), (ag.softplus, normal),
    (lambda x: ag.astype(x, np.float64) * x, normal),
], ids=["exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "relu", "leaky_relu", "softplus",
        "astype"])
def test_elementwise(f, domain, shape):
    x = domain(*shape)
    if f in (ag.absolute, ag.relu) or "leaky" in repr(f):
        x = np.where(np.abs(x) < 0.1, 0.5, x)      # keep away from the kink
    assert_gradients_close(f, x)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("reduce", [ag.sum, ag.mean, ag.max, ag.logsumexp],
                         ids=["sum", "mean", "max", "logsumexp"])
def test_reductions(reduce, axis, keepdims):
    assert_gradients_close(lambda x: reduce(x, axis=axis, keepdims=keepdims), normal(2, 3, 4))


def test_max_splits_ties_equally():
    x = ag.parameter([1.0, 3.0, 3.0])
    ag.max(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("op", [ag.softmax, ag.log_softmax], ids=["softmax", "log_softmax"])
def test_softmax_family(op, axis):
    assert_gradients_close(lambda x: op(x, axis=axis), normal(3, 4))


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 2)),
], ids=str)
def test_matmul(a_shape, b_shape):
    assert_gradients_close(lambda a, b: a @ b, normal(*a_shape), normal(*b_shape))


@pytest.mark.parametrize("f", [
    lambda x: ag.reshape(x, (4, 6)),
    lambda x: x.reshape(-1),
    lambda x: x.T,
    lambda x: ag.transpose(x, (1, 2, 0)),
    lambda x: ag.swapaxes(x, 0, 2),
    lambda x: ag.broadcast_to(x[:, :1, :], (5, 2, 3, 4)),
    lambda x: ag.expand_dims(x, 1),
    lambda x: x[0],
    lambda x: x[:, 1:3, ::2],
    lambda x: x[..., None, 1],
    lambda x: x[np.array([0, 1, 1, 0])],            # repeated indices add
    lambda x: x[:, np.array([2, 0, 2])][..., np.array([1, 1])],
    lambda x: x[x > 0],                             # boolean mask
    lambda x: ag.concatenate([x, x[:, :1] * 2.0], axis=1),
    lambda x: ag.concatenate([x[0], x[1]], axis=-1),
    lambda x: ag.stack([x[0], x[1] * 3.0], axis=1),
], ids=["reshape", "flatten", "T", "transpose", "swapaxes", "broadcast_to", "expand_dims",
        "int", "slices", "ellipsis", "repeated", "fancy", "mask", "concatenate", "concat-1",
        "stack"])
def test_shape_ops(f):
    assert_gradients_close(f, normal(2, 3, 4))


@pytest.mark.parametrize("bias_shape", [(3,), (1, 3)], ids=str)
def test_bias_gradient_sums_over_the_batch(bias_shape):
    b = ag.parameter(np.zeros(bias_shape))
    (ag.constant(np.ones((300, 3))) + b).sum().backward()
    np.testing.assert_array_equal(b.grad, np.full(bias_shape, 300.0))
