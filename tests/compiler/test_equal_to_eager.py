"""Compiled steps give the eager results, parameters and gradients, step after step."""

import numpy as np
import pytest

import autograph as ag
from autograph.data import one_hot, three_clusters

STEPS = 40


def _assert_same(eager_nodes, compiled_nodes, what):
    for e, c in zip(eager_nodes, compiled_nodes):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14,
                                   err_msg=f"{what}: {e.label}")
        if e.grad is None:
            assert c.grad is None
        else:
            assert c.grad.dtype == e.grad.dtype
            np.testing.assert_allclose(c.grad, e.grad, rtol=1e-12, atol=1e-14,
                                       err_msg=f"{what}: grad of {e.label}")


def _tutorial_parameters():
    rng = np.random.RandomState(1)
    arrays = rng.randn(2, 3), rng.randn(3, 3), rng.randn(3), rng.randn(3)
    return [ag.parameter(a, name=n) for a, n in zip(arrays, ("W", "V", "b1", "b2"))]


def _tutorial_step(params, lr=1e-3):
    W, V, b1, b2 = params
    optimizer = ag.GradientDescent(params, lr=lr)

    def step(X, T):
        Y = ag.softmax(ag.sigmoid(X @ W + b1) @ V + b2)
        loss = ag.nn.cross_entropy(Y, T, reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss, Y
    return step


def test_the_tutorials_network_with_gradient_descent():
    data, classes = three_clusters()
    T = one_hot(classes)
    eager_params, compiled_params = _tutorial_parameters(), _tutorial_parameters()
    eager = _tutorial_step(eager_params)
    compiled = ag.compile(_tutorial_step(compiled_params))
    losses = []
    for i in range(STEPS):
        loss, Y = eager(data, T)
        c_loss, c_Y = compiled(data, T)
        losses.append(float(c_loss))
        assert isinstance(c_loss, np.ndarray) and c_loss.shape == ()
        np.testing.assert_allclose(c_loss, loss.value, rtol=1e-12)
        np.testing.assert_allclose(c_Y, Y.value, rtol=1e-12, atol=1e-15)
        _assert_same(eager_params, compiled_params, f"step {i}")
    assert compiled.traces == 2 * len(compiled.programs())
    assert losses[-1] < losses[0] - 10     # and it trained: the loss fell


def _mlp_step(model, optimizer):
    def step(X, T):
        loss = ag.nn.cross_entropy(model(X), T)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_mlp_with_relu_and_adam(dtype):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 5)).astype(dtype)
    T = one_hot(rng.integers(0, 4, 64), 4).astype(dtype)
    models = [ag.MLP([5, 16, 16, 4], hidden="relu", rng=0, dtype=dtype) for _ in range(2)]
    optimizers = [ag.Adam(m, lr=0.01) for m in models]
    eager = _mlp_step(models[0], optimizers[0])
    compiled = ag.compile(_mlp_step(models[1], optimizers[1]))
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for i in range(STEPS):
        loss, c_loss = eager(X, T), compiled(X, T)
        assert c_loss.dtype == dtype
        np.testing.assert_allclose(c_loss, loss.value, rtol=tol)
    for e, c in zip(models[0].parameters(), models[1].parameters()):
        assert c.value.dtype == dtype and c.grad.dtype == dtype
        np.testing.assert_allclose(c.value, e.value, rtol=tol, atol=tol)
        np.testing.assert_allclose(c.grad, e.grad, rtol=tol, atol=tol)
    # the optimizer's own state moved as in eager mode (its step() is replayed on every call)
    assert optimizers[1].steps == optimizers[0].steps and np.all(
        np.asarray(optimizers[1].steps) == STEPS)


def test_a_chain_of_elementwise_ops():
    x0 = np.random.default_rng(0).standard_normal(8)

    def chain(x):
        y = x
        for i in range(30):
            y = y * 1.0001
            y = ag.sigmoid(y) if i % 2 else ag.tanh(y)
            y = y + 0.1
        return y.sum()

    p_eager, p_compiled = ag.parameter(x0), ag.parameter(x0)

    def make(p):
        def f(shift):
            y = chain(p + shift)
            p.zero_grad()
            y.backward()
            return y
        return f
    eager, compiled = make(p_eager), ag.compile(make(p_compiled))
    for k in range(5):
        shift = np.full(8, 0.1 * k)
        np.testing.assert_allclose(compiled(shift), eager(shift).value, rtol=1e-13)
        np.testing.assert_allclose(p_compiled.grad, p_eager.grad, rtol=1e-13)
    # one program for the first call (p.grad is None then: the trace may have tested that)
    # and one for the later calls
    assert len(compiled.programs()) == 2


def test_hand_written_updates_and_accumulated_gradients():
    # an update by hand (through writable, as eager mode requires), and gradients left to
    # accumulate over two backward calls
    def make(p):
        def step(x):
            (p * x).sum().backward()
            ((p * p) * x).sum().backward()      # adds to p.grad
            value = ag.core.writable(p)
            value -= 0.1 * p.grad
            return p.grad * 1.0
        return step
    pe, pc = ag.parameter([1.0, -2.0]), ag.parameter([1.0, -2.0])
    eager, compiled = make(pe), ag.compile(make(pc))
    for k in range(4):
        x = np.array([0.5, 1.5]) + k
        np.testing.assert_array_equal(compiled(x), eager(x))
        np.testing.assert_array_equal(pc.value, pe.value)
        np.testing.assert_array_equal(pc.grad, pe.grad)    # never zeroed: it accumulates


@pytest.mark.parametrize("batch_size", [None, 64])
def test_fit_compiled_trains_as_eager(batch_size):
    from autograph.data import three_clusters
    data, classes = three_clusters()
    histories, models = [], []
    for compiled in (False, True):
        model = ag.MLP([2, 5, 3], hidden="relu", rng=0)
        histories.append(ag.fit(model, data, classes, optimizer=ag.Adam(model, lr=0.05),
                                epochs=15, batch_size=batch_size, compile=compiled))
        models.append(model)
    np.testing.assert_allclose(histories[1].loss, histories[0].loss, rtol=1e-12)
    assert histories[1].classification_rate == histories[0].classification_rate
    for e, c in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14)


def test_fit_compiled_with_a_sigmoid_output_and_binary_cross_entropy():
    from functools import partial
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    histories = []
    for compiled in (False, True):
        model = ag.MLP([2, 4, 1], hidden="tanh", output="sigmoid", rng=1)
        histories.append(ag.fit(model, X, y, loss=partial(ag.nn.binary_cross_entropy),
                                optimizer=ag.GradientDescent(model, lr=0.5), epochs=10,
                                metric=ag.nn.classification_rate, compile=compiled))
    np.testing.assert_allclose(histories[1].loss, histories[0].loss, rtol=1e-12)
    # the metric saw a sigmoid output (threshold 0.5), as in eager mode
    assert histories[1].classification_rate == histories[0].classification_rate


@pytest.mark.filterwarnings("error")
def test_extreme_logits_stay_finite_and_equal_to_eager():
    z0 = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    T = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    ze, zc = ag.parameter(z0), ag.parameter(z0)

    def make(z):
        def f(T):
            loss = ag.nn.cross_entropy(ag.sigmoid(z) * 2000.0 - 1000.0, T) \
                + ag.nn.binary_cross_entropy(z, T)
            z.zero_grad()
            loss.backward()
            return loss
        return f
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow is fine
        expected, got = make(ze)(T).value, ag.compile(make(zc))(T)
    assert np.isfinite(got)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(zc.grad, ze.grad, rtol=1e-12, atol=1e-300)


def test_gradients_inside_a_compiled_function():
    w, v = ag.parameter([1.0, -2.0]), ag.parameter([0.5, 0.5])
    unused = ag.parameter([3.0])

    def f(x):
        loss = (ag.tanh(w * x) * v).sum()
        gw, gv, gu = ag.gradients(loss, [w, v, unused])
        return gw, gv, gu
    compiled = ag.compile(f)
    for x in ([0.3, 0.1], [-1.0, 2.0]):
        x = np.array(x)
        gw, gv, gu = compiled(x)
        h = np.tanh(np.array([1.0, -2.0]) * x)
        np.testing.assert_allclose(gw, 0.5 * (1 - h * h) * x, rtol=1e-14)
        np.testing.assert_allclose(gv, h, rtol=1e-14)
        np.testing.assert_array_equal(gu, [0.0])
    assert w.grad is None and v.grad is None           # gradients() leaves .grad alone


def test_hand_written_updates_of_several_parameters_of_different_shapes():
    # the stand-ins of parameters are found by identity (== on them is an operation)
    def make(params):
        def step(X):
            W, b = params
            loss = ag.tanh(X @ W + b).sum()
            for p in params:
                p.grad = None
            loss.backward()
            for p in params:
                value = ag.core.writable(p)
                value -= 0.1 * p.grad
            return loss
        return step
    rng = np.random.default_rng(2)
    W0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    pe = [ag.parameter(W0), ag.parameter(b0)]
    pc = [ag.parameter(W0), ag.parameter(b0)]
    eager, compiled = make(pe), ag.compile(make(pc))
    for _ in range(5):
        X = rng.standard_normal((4, 3))
        np.testing.assert_allclose(compiled(X), eager(X).value, rtol=1e-13)
    for e, c in zip(pe, pc):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-13)


# --- a Python number beside an array: the program's constant rounds as numpy's does ---------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BINARY_UFUNCS = ["add", "subtract", "multiply", "true_divide", "power", "float_power",
                 "maximum", "minimum", "arctan2", "hypot", "logaddexp", "copysign",
                 "floor_divide", "remainder", "less", "greater_equal", "equal"]


def test_powers_of_a_python_number_equal_numpys_to_the_bit():
    # the program stored the exponent 2 repeated to the operand's shape: numpy squares for a
    # scalar exponent but calls pow entry by entry for an array, and 5-20% of the entries of
    # x ** 2, x ** 0.5, x ** -1 differed in the last bit, in float64 and float32
    x = np.abs(np.random.default_rng(0).standard_normal(500)) + 0.1
    for dtype in (np.float64, np.float32):
        for k in (2, 0.5, -1):
            compiled = ag.compile(lambda x: x ** k)
            np.testing.assert_array_equal(compiled(x.astype(dtype)), x.astype(dtype) ** k)
    # float_power computes in float64: 0.1 stored as float32 was another number
    compiled = ag.compile(lambda x: np.float_power(x, 0.1))
    np.testing.assert_array_equal(compiled(x.astype(np.float32)),
                                  np.float_power(x.astype(np.float32), 0.1))


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(BINARY_UFUNCS),
       dtype=st.sampled_from([np.float64, np.float32, np.float16]),
       k=st.sampled_from([2, 3, -1, 0, 7, 2.0, 0.5, -0.5, 0.1, 1e-3, 2.5, 1e3]),
       left=st.booleans(), size=st.sampled_from([1, 7, 300, 5000]), seed=st.integers(0, 99))
def test_any_ufunc_of_an_array_and_a_python_number_equals_numpys(name, dtype, k, left, size,
                                                                 seed):
    ufunc = getattr(np, name)
    x = (3 * np.random.default_rng(seed).standard_normal(size)).astype(dtype)
    compiled = ag.compile((lambda x: ufunc(k, x)) if left else (lambda x: ufunc(x, k)))
    with np.errstate(all="ignore"):                     # nan and inf compared as numbers
        expected = ufunc(k, x) if left else ufunc(x, k)
        result = compiled(x)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)
