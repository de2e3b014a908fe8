"""Activations and reductions at inputs of +-1000: finite values, finite gradients, no numpy
warnings (tests/conftest.py turns every numpy floating-point warning into an error), in float64
and float32, first and second order."""

import numpy as np
import pytest

import autograph as ag

STABLE = {
    "sigmoid": ag.sigmoid,
    "tanh": ag.tanh,
    "softplus": ag.softplus,
    "softmax": ag.softmax,
    "softmax axis 0": lambda x: ag.softmax(x, axis=0),
    "log_softmax": ag.log_softmax,
    "log_softmax axis 0": lambda x: ag.log_softmax(x, axis=0),
    "logsumexp": lambda x: ag.logsumexp(x, axis=-1),
    "logsumexp keepdims": lambda x: ag.logsumexp(x, axis=-1, keepdims=True),
    "logsumexp all": ag.logsumexp,
}

INPUTS = {
    "+1000": [[1000.0, 1000.0, 1000.0]],
    "-1000": [[-1000.0, -1000.0, -1000.0]],
    "mixed": [[1000.0, -1000.0, 0.0]],
    "rows": [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [0.5, 1000.0, -0.5],
             [1000.0, 1000.0, -1000.0]],
    "near overflow": [[88.8, -88.8, 0.0], [-103.0, 103.0, 1.0], [709.9, -709.9, -745.2],
                      [-1e30, 1e30, 2.0]],     # float32 and float64 exp / underflow limits
}

DTYPES = [np.float64, np.float32]


def weights(shape, dtype):
    """A fixed, non-uniform projection so that the gradient of sum(w * f(x)) is not trivially 0
    (the gradient of sum(softmax(x)) is zero whatever softmax's rule)."""
    return (np.arange(int(np.prod(shape))).reshape(shape) % 3 + 1.0).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("values", INPUTS.values(), ids=INPUTS.keys())
@pytest.mark.parametrize("op", STABLE.values(), ids=STABLE.keys())
def test_finite_values_and_gradients_without_warnings(op, values, dtype):
    x = ag.parameter(np.array(values, dtype=dtype))
    y = op(x)
    assert y.dtype == dtype
    assert np.isfinite(y.value).all(), y.value
    (y * weights(y.shape, dtype)).sum().backward()
    assert x.grad.dtype == dtype
    assert np.isfinite(x.grad).all(), x.grad


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("op", STABLE.values(), ids=STABLE.keys())
def test_finite_second_derivatives(op, dtype):
    values = np.array(INPUTS["mixed"][0], dtype=dtype)

    def f(x):
        y = op(x)
        return (y * weights(y.shape, dtype)).sum()

    hessian = ag.hessian(f)(values)
    assert np.isfinite(hessian).all(), hessian


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_saturated_values_are_right(dtype):
    x = ag.Node(np.array([1000.0, -1000.0, 0.0], dtype=dtype))
    np.testing.assert_allclose(ag.sigmoid(x).value, [1.0, 0.0, 0.5], atol=1e-30)
    np.testing.assert_array_equal(ag.tanh(x).value, [1.0, -1.0, 0.0])
    np.testing.assert_allclose(ag.softplus(x).value, [1000.0, 0.0, np.log(2.0)], rtol=1e-6)
    np.testing.assert_allclose(ag.softmax(x).value, [1.0, 0.0, 0.0], atol=1e-30)
    np.testing.assert_allclose(ag.log_softmax(x).value, [0.0, -2000.0, -1000.0], rtol=1e-6)
    np.testing.assert_allclose(ag.logsumexp(x).value, 1000.0, rtol=1e-6)
    np.testing.assert_allclose(ag.logsumexp(ag.Node(np.array([1000.0, 1000.0], dtype=dtype)))
                               .value, 1000.0 + np.log(2.0), rtol=1e-6)
    np.testing.assert_allclose(ag.logsumexp(-x).value, 1000.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_saturated_gradients_are_right(dtype):
    values = np.array([1000.0, -1000.0, 0.0], dtype=dtype)
    for op, expected in [(ag.sigmoid, [0.0, 0.0, 0.25]), (ag.tanh, [0.0, 0.0, 1.0]),
                         (ag.softplus, [1.0, 0.0, 0.5])]:
        x = ag.parameter(values)
        op(x).sum().backward()
        np.testing.assert_allclose(x.grad, expected, atol=1e-30, err_msg=op.name)
    x = ag.parameter(values)
    ag.logsumexp(x).backward()                  # the gradient is softmax(x)
    np.testing.assert_allclose(x.grad, [1.0, 0.0, 0.0], atol=1e-30)
    x = ag.parameter(values)
    (ag.log_softmax(x) * np.array([1.0, 0.0, 0.0], dtype=dtype)).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 0.0], atol=1e-30)   # 1 - softmax, -softmax


def test_cross_entropy_of_a_confident_wrong_prediction_is_finite():
    logits = ag.parameter([[1000.0, -1000.0]])
    targets = np.array([[0.0, 1.0]])
    loss = -(targets * ag.log_softmax(logits)).sum()
    assert loss.item() == 2000.0
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[1.0, -1.0]])


# A row-wise op must give each row the same answer whatever the other rows of the batch hold
# (here a row of zeros, which sets a common shift far above the row's own entries).
BATCH_ROWS = {
    "exp underflows": (np.float64, [-690.0, -1000.0]),
    "subnormal entries": (np.float64, [-700.0, -740.0]),
    "float32 subnormal entries": (np.float32, [-80.0, -95.0]),
}

@pytest.mark.parametrize("op,log_domain", [
    pytest.param(ag.softmax, False, id="softmax"),
    pytest.param(ag.log_softmax, True, id="log_softmax"),
    pytest.param(lambda x: ag.logsumexp(x, axis=-1, keepdims=True), True, id="logsumexp")])
@pytest.mark.parametrize("dtype,row", BATCH_ROWS.values(), ids=BATCH_ROWS.keys())
def test_a_row_does_not_depend_on_the_rest_of_the_batch(op, log_domain, dtype, row):
    alone = op(ag.Node(np.array([row], dtype=dtype))).value[0]
    in_a_batch = op(ag.Node(np.array([row, [0.0, 0.0]], dtype=dtype))).value[0]
    ulp = np.finfo(dtype).eps
    # a log-domain result carries an absolute rounding error of about ulp * |x|
    atol = 8 * ulp * np.max(np.abs(row)) if log_domain else 0.0
    np.testing.assert_allclose(in_a_batch, alone, rtol=8 * ulp, atol=atol)


def test_cross_entropy_through_log_of_softmax_does_not_depend_on_the_batch():
    """The tutorial's form, sum(T log softmax(A)): finite for a row alone, so in a batch too."""
    logits = np.array([[-690.0, -1000.0], [0.0, 0.0]])
    targets = np.array([[0.0, 1.0], [1.0, 0.0]])
    x = ag.parameter(logits)
    loss = -(targets * ag.log(ag.softmax(x))).sum()
    np.testing.assert_allclose(loss.item(), 310.0 + np.log(2.0), rtol=1e-12)
    loss.backward()
    assert np.isfinite(x.grad).all()
