"""backend="numba": the same numbers as eager mode (to rounding of exp/tanh/log in the last bit),
for the networks of the other compile tests. Skipped where numba is not installed."""

import numpy as np
import pytest

import autograph as ag
from tests.compiler import test_equal_to_eager as eager_tests

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def numba_backend(monkeypatch):
    """Every ag.compile in these tests uses the numba backend."""
    compile_numpy = ag.compile

    def compile_numba(fn=None, backend=None, cache_size=8):
        return compile_numpy(fn, backend="numba", cache_size=cache_size)
    monkeypatch.setattr(ag, "compile", compile_numba)


def test_the_tutorials_network():
    eager_tests.test_the_tutorials_network_with_gradient_descent()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_mlp_with_relu_and_adam(dtype):
    eager_tests.test_an_mlp_with_relu_and_adam(dtype)


def test_a_chain():
    eager_tests.test_a_chain_of_elementwise_ops()


def test_hand_written_updates():
    eager_tests.test_hand_written_updates_and_accumulated_gradients()


def test_the_program_runs_tapes():
    w = ag.parameter(np.linspace(-1, 1, 8))
    compiled = ag.compile(lambda x: ag.sigmoid(ag.tanh(w * x) * 2.0 + 1.0).sum())
    compiled(np.ones(8))
    program = compiled.programs()[0]
    assert "_run_tape" in program.source and len(program.tapes) == 1


def test_a_parameter_updated_between_two_runs_is_read_again():
    def make(w):
        def f(x):
            a = ag.tanh(w * x)            # a run reading w
            value = ag.core.writable(w)   # w changes in place (not an elementwise run)
            value -= 0.25
            b = ag.tanh(w * x)            # another run reading w: its new value
            return (a + b).sum()
        return f
    w_e, w_c = ag.parameter(np.linspace(-1, 1, 6)), ag.parameter(np.linspace(-1, 1, 6))
    eager, compiled = make(w_e), ag.compile(make(w_c))
    for k in range(3):
        x = np.full(6, 0.5 + k)
        np.testing.assert_allclose(compiled(x), eager(x).value, rtol=1e-14)
        np.testing.assert_array_equal(w_c.value, w_e.value)


def test_a_small_network_runs_in_tapes_and_equals_eager():
    # 2-8-3 on 8 examples: every matrix is small enough for the tape (products, sums over
    # axes, softmax, broadcast biases, transposes)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((8, 2))
    T = np.eye(3)[rng.integers(0, 3, 8)]
    models = [ag.MLP([2, 8, 3], hidden="sigmoid", rng=0) for _ in range(2)]
    optimizers = [ag.GradientDescent(m, lr=0.5) for m in models]

    def make(model, optimizer):
        def step(X, T):
            loss = ag.nn.cross_entropy(model(X), T, reduction="sum")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step
    eager, compiled = make(models[0], optimizers[0]), ag.compile(make(models[1], optimizers[1]))
    for _ in range(30):
        np.testing.assert_allclose(compiled(X, T), eager(X, T).value, rtol=1e-12)
    for e, c in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c.grad, e.grad, rtol=1e-12, atol=1e-14)
    source = compiled.programs()[0].source
    assert source.count("_run_tape") >= 1 and "c0 = " not in source


def test_masks_and_nan_follow_numpy():
    def f(x):
        y = ag.maximum(x, 0.0) + ag.minimum(x, 0.5) + ag.relu(x)
        return y * (x > 0)
    compiled = ag.compile(f)
    x = np.array([-1.0, 0.25, 2.0, np.nan])
    np.testing.assert_array_equal(compiled(x), f(x))


def test_sigmoid_far_below_its_cap_is_exp_as_in_eager_mode():
    x = np.array([-800.0, -720.0, -700.0, 0.0, 30.0, 800.0, -1e4, 5.0])
    w = ag.parameter(np.ones(8))
    compiled = ag.compile(lambda x: ag.sigmoid(ag.sigmoid(w * x) * 1.0))
    with np.errstate(under="ignore"):
        expected = ag.sigmoid(ag.sigmoid(w * x) * 1.0).value
        inner = compiled(x)
    np.testing.assert_allclose(inner, expected, rtol=1e-15, atol=0)
    with np.errstate(under="ignore"):
        direct = ag.compile(lambda x: (ag.sigmoid(w * x) * 1.0) * 1.0)(x)
        np.testing.assert_array_equal(direct, ag.sigmoid(w * x).value)
