"""backend="numba": the same numbers as eager mode (to rounding of exp/tanh/log in the last bit),
for the networks of the other compile tests. Skipped where numba is not installed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from tests.compiler import test_equal_to_eager as eager_tests
from tests.compiler.test_replay_kernels import _step as tutorial_step

pytest.importorskip("numba")


def _model_step(model, optimizer):
    """A training step of `model`: summed cross-entropy, backward, the optimizer's update."""
    def step(X, T):
        loss = ag.nn.cross_entropy(model(X), T, reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


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

    eager, compiled = _model_step(models[0], optimizers[0]), ag.compile(_model_step(models[1], optimizers[1]))
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


# --- the tutorial's step in one segment, and what it must not get wrong ---------------------------
def _tutorial(backend_compile, steps, dtype=np.float64):
    from autograph.data import one_hot, three_clusters
    data, classes = three_clusters()
    X, T = data.astype(dtype), one_hot(classes).astype(dtype)
    rng = np.random.RandomState(1)
    arrays = [a.astype(dtype) for a in (rng.randn(2, 3), rng.randn(3, 3), rng.randn(3),
                                         rng.randn(3))]
    lr = dtype(1e-3)

    def make(params):
        return tutorial_step(params, returns=True, lr=lr)
    eager_params = [ag.parameter(a.copy()) for a in arrays]
    numba_params = [ag.parameter(a.copy()) for a in arrays]
    eager, compiled = make(eager_params), backend_compile(make(numba_params))
    losses = []
    for _ in range(steps):
        losses.append((eager(X, T).value, compiled(X, T)))
    return eager_params, numba_params, losses, compiled


def test_the_tutorials_step_is_one_segment_and_equals_eager_over_200_steps():
    eager_params, numba_params, losses, compiled = _tutorial(ag.compile, 200)
    for e, c in losses:                  # expected: eager mode's numbers, step by step
        np.testing.assert_allclose(c, e, rtol=1e-12)
    for e, c in zip(eager_params, numba_params):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c.grad, e.grad, rtol=1e-12, atol=1e-14)
        assert c.grad.dtype == e.grad.dtype and c.grad.shape == e.grad.shape
    assert losses[-1][1] < losses[0][1] - 10           # and it trained
    program = compiled.programs()[0]
    assert program.source.count("_run_tape") == 1     # forward, backward, updates: one call
    assert "c0 = " not in program.source


def test_the_tutorials_step_in_float32():
    eager_params, numba_params, losses, _ = _tutorial(ag.compile, 50, np.float32)
    for e, c in losses:
        assert c.dtype == np.float32
        np.testing.assert_allclose(c, e, rtol=1e-5)
    for e, c in zip(eager_params, numba_params):
        assert c.value.dtype == np.float32 and c.grad.dtype == np.float32
        np.testing.assert_allclose(c.value, e.value, rtol=1e-5, atol=1e-6)


def test_gradients_handed_out_are_the_callers_to_keep():
    _, numba_params, _, compiled = _tutorial(ag.compile, 2)
    kept = [p.grad for p in numba_params]
    copies = [g.copy() for g in kept]
    compiled(*_tutorial_data())
    for g, copy in zip(kept, copies):          # the next step gave new arrays
        np.testing.assert_array_equal(g, copy)
    assert all(p.grad is not g for p, g in zip(numba_params, kept))


def _tutorial_data():
    from autograph.data import one_hot, three_clusters
    data, classes = three_clusters()
    return data, one_hot(classes)


def test_a_parameter_replaced_between_calls_is_read_and_updated_in_its_new_array():
    w = ag.parameter(np.array([[0.5, -1.0], [2.0, 0.25]]))
    lr = 0.125

    def step(x):
        loss = ag.tanh(x @ w).sum()
        w.grad = None
        loss.backward()
        update = ag.core.writable(w)
        update -= lr * w.grad
        return loss
    compiled = ag.compile(step)
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    compiled(x)
    compiled(x)
    new = np.array([[1.0, 0.0], [0.0, 1.0]])
    w.value = new                                # the user swaps the array
    loss = compiled(x)
    np.testing.assert_allclose(loss, np.tanh(x @ np.eye(2)).sum(), rtol=1e-15)
    assert w.value is new                         # updated in place, in the new array
    expected = np.eye(2) - lr * x.T @ (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(new, expected, rtol=1e-14)
    w.value = np.asfortranarray(np.eye(2))        # not C-contiguous: read through a copy
    compiled(x)
    np.testing.assert_allclose(w.value, expected, rtol=1e-14)


def test_softmax_of_a_row_of_minus_inf_raises_eagers_error_and_updates_nothing():
    W = ag.parameter(np.ones((2, 3)))

    def step(x):
        loss = ag.log_softmax(x @ W).sum()
        W.grad = None
        loss.backward()
        update = ag.core.writable(W)
        update -= 0.5 * W.grad
        return loss
    compiled = ag.compile(step)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    compiled(x)
    compiled(x)               # the program of every later call (W.grad is not None now)
    before = W.value.copy()
    bad = np.array([[1.0, 2.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"every entry is -inf in row \[1, :\]"), \
            np.errstate(invalid="ignore"):
        step(bad)                                 # eager mode's error ...
    ag.core.writable(W)[...] = before
    with pytest.raises(ValueError, match=r"every entry is -inf in row \[1, :\]"):
        compiled(bad)                             # ... is the compiled step's
    assert len(compiled.programs()) == 2          # raised by the program, not by a trace
    np.testing.assert_array_equal(W.value, before)


def test_overflow_gives_inf_and_division_by_zero_gives_numpys_answers():
    w = ag.parameter(np.array([1.0, 0.0, -1.0, 800.0]))
    compiled = ag.compile(lambda x: ag.exp(w * x) + 1.0 / (w * x))
    x = np.full(4, 2.0)
    with np.errstate(all="ignore"):
        expected = ag.exp(w * x).value + 1.0 / (w * x).value
        got = compiled(x)
    np.testing.assert_array_equal(got, expected)      # inf where eager gives inf
    assert np.isinf(got[1]) and np.isinf(got[3])


@pytest.mark.filterwarnings("error")
def test_the_vectorised_exp_is_within_one_ulp_of_numpys_everywhere():
    from autograph.compiler import numba_backend
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-750, 712, 20000), rng.standard_normal(20000) * 5,
                        [np.nan, np.inf, -np.inf, 709.782712893384, 709.7827128933841,
                         -745.1332191019412, -745.14, -708.4, 0.0, -0.0, 1e-300]])
    arena = np.concatenate([[0.0, 0.0], x, np.zeros(x.size)])
    tape = np.array([[numba_backend.EXP, 2 + x.size, 2, 2, 1, x.size, 0, 0, 1, 0, 1, 0, 0, 0]])
    numba_backend.run_tape(tape, arena, np.zeros(1, np.int64), np.zeros(0))
    got = arena[2 + x.size:]
    with np.errstate(over="ignore", under="ignore"):
        expected = np.exp(x)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    ulps = np.abs(got[~same] - expected[~same]) / np.spacing(np.abs(expected[~same]))
    assert np.all(ulps <= 1.0), ulps.max()


@pytest.mark.filterwarnings("error")
def test_the_vectorised_tanh_is_within_three_ulp_of_numpys_and_keeps_signs():
    from autograph.compiler import numba_backend
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-25, 25, 20000), rng.standard_normal(20000) * 0.01,
                        rng.standard_normal(2000) * 1e-9,
                        [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -5e-324, 0.17, 0.18,
                         0.35, 19.06, 40.0, -41.0]])
    arena = np.concatenate([[0.0, 0.0], x, np.zeros(x.size)])
    tape = np.array([[numba_backend.TANH, 2 + x.size, 2, 2, 1, x.size, 0, 0, 1, 0, 1, 0, 0, 0]])
    numba_backend.run_tape(tape, arena, np.zeros(1, np.int64), np.zeros(0))
    got, expected = arena[2 + x.size:], np.tanh(x)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    ulps = np.abs(got[~same] - expected[~same]) / np.spacing(np.abs(expected[~same]))
    assert np.all(ulps <= 3.0), ulps.max()
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))    # -0.0 too


def test_an_mlp_with_relu_masks_and_gradient_descent_in_one_segment():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 5))
    T = np.eye(3)[rng.integers(0, 3, 40)]
    models = [ag.MLP([5, 12, 12, 3], hidden="relu", rng=1) for _ in range(2)]
    optimizers = [ag.GradientDescent(m, lr=0.01) for m in models]

    eager = _model_step(models[0], optimizers[0])
    compiled = ag.compile(_model_step(models[1], optimizers[1]))
    for _ in range(100):
        np.testing.assert_allclose(compiled(X, T), eager(X, T).value, rtol=1e-12)
    for e, c in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c.grad, e.grad, rtol=1e-12, atol=1e-14)


def test_a_failing_forward_leaves_the_gradients_as_eager_mode_does():
    W = ag.parameter(np.ones((2, 3)))

    def step(x):
        loss = ag.log_softmax(x @ W).sum()
        W.grad = None                 # after the forward: eager never gets here
        loss.backward()
        return loss
    compiled = ag.compile(step)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    compiled(x)
    compiled(x)
    kept = W.grad
    with pytest.raises(ValueError, match="every entry is -inf"):
        compiled(np.array([[1.0, 2.0], [-np.inf, -np.inf]]))
    assert W.grad is kept


def test_random_compositions_of_the_registry():
    from tests.compiler import test_fuzz
    test_fuzz.test_compiled_equals_eager()


# --- every layout the interpreter has a loop for, against eager mode ------------------------------
_LAYOUTS = ("full", "row", "column", "number", "scalar array", "transposed")


def _operand(layout, m, n, rng):
    if layout == "full":
        return rng.standard_normal((m, n))
    if layout == "row":
        return rng.standard_normal(n)
    if layout == "column":
        return rng.standard_normal((m, 1))
    if layout == "number":
        return float(rng.uniform(0.5, 2.0))
    if layout == "scalar array":
        return np.array(rng.uniform(0.5, 2.0))
    # "transposed": on the left, transposed inside the step (below); on the right, a
    # Fortran-ordered array, which the interpreter reads through a copy
    return np.asfortranarray(rng.standard_normal((m, n)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5),
       st.sampled_from(_LAYOUTS), st.sampled_from(_LAYOUTS), st.booleans(),
       st.sampled_from(["add", "subtract", "multiply", "divide", "maximum", "minimum"]),
       st.sampled_from(["sigmoid", "tanh", "exp", "relu", "softmax", "log_softmax", "none"]),
       st.integers(0, 2**16))
def test_layouts_products_and_reductions_equal_eager(m, n, k, left, right, swap, binary,
                                                     unary, seed):
    rng = np.random.default_rng(seed)
    W0, A0 = rng.standard_normal((k, n)), rng.standard_normal((m, k))
    x0, y0 = _operand(left, m, n, rng), _operand(right, m, n, rng)
    if left == "transposed":
        x0 = rng.standard_normal((n, m))
    ops = {"add": ag.add, "subtract": ag.subtract, "multiply": ag.multiply,
           "divide": ag.divide, "maximum": ag.maximum, "minimum": ag.minimum}
    apply = {"sigmoid": ag.sigmoid, "tanh": ag.tanh, "exp": ag.exp, "relu": ag.relu,
             "softmax": ag.softmax, "log_softmax": ag.log_softmax, "none": lambda z: z}

    def make(W, x, y):
        def step(A):
            Z = A @ W                                     # (m, n)
            u = x.T if left == "transposed" else x
            u = Z * u if not isinstance(u, float) else Z * u
            pair = (y, u) if swap else (u, y)
            if binary == "divide":
                pair = (pair[0], 2.0 + (ag.tanh(pair[1]) if isinstance(pair[1], ag.Node)
                                        else np.tanh(pair[1])))     # between 1 and 3
            h = apply[unary](ops[binary](*pair) * 0.1)      # exp stays small
            loss = (h * h).sum() + h.sum(axis=0).sum() + (h @ W.T).sum(axis=1).sum()
            W.grad = None
            loss.backward()
            update = ag.core.writable(W)
            update -= 0.001 * W.grad
            return loss
        return step
    results = []
    for compile_ in (lambda f: f, ag.compile):
        W = ag.parameter(W0.copy())
        x = ag.parameter(x0.copy()) if isinstance(x0, np.ndarray) and x0.ndim else x0
        y = ag.constant(y0.copy(order="K")) if isinstance(y0, np.ndarray) and y0.ndim else y0
        step = compile_(make(W, x, y))
        with np.errstate(over="ignore", under="ignore"):
            losses = [np.asarray(getattr(step(A0), "value", None) if compile_ is not ag.compile
                                 else step(A0)) for _ in range(3)]
        results.append((losses, W.value.copy(), W.grad.copy(),
                        None if not isinstance(x, ag.Node) else x.grad))
    (e_losses, e_W, e_grad, e_xgrad), (c_losses, c_W, c_grad, c_xgrad) = results
    np.testing.assert_allclose(c_losses, e_losses, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_W, e_W, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_grad, e_grad, rtol=1e-12, atol=1e-12)
    if e_xgrad is not None:
        np.testing.assert_allclose(c_xgrad, e_xgrad, rtol=1e-12, atol=1e-12)


def test_large_products_stay_numpys_and_the_stretches_around_them_still_agree():
    from autograph.compiler import numba_backend
    rng = np.random.default_rng(2)
    X = rng.standard_normal((64, 40))
    models = [ag.MLP([40, 48, 3], hidden="tanh", rng=3) for _ in range(2)]
    optimizers = [ag.GradientDescent(m, lr=0.01) for m in models]
    T = np.eye(3)[rng.integers(0, 3, 64)]

    eager, compiled = _model_step(models[0], optimizers[0]), ag.compile(_model_step(models[1], optimizers[1]))
    for _ in range(10):
        np.testing.assert_allclose(compiled(X, T), eager(X, T).value, rtol=1e-12)
    for e, c in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14)
    program = compiled.programs()[0]
    assert 64 * 40 * 48 > numba_backend.PRODUCT
    assert "c0.dot" not in program.source and program.source.count("_run_tape") >= 1
    assert any(not isinstance(v, numba_backend.Segment) and getattr(v, "__name__", "") == "dot"
               for v in program.run.__globals__.values())     # the 64 x 40 x 48 product


def test_relu_masks_and_cross_entropys_where_stay_in_the_tape():
    rng = np.random.default_rng(4)
    X, T = rng.standard_normal((30, 4)), np.eye(3)[rng.integers(0, 3, 30)]
    W1, W2 = rng.standard_normal((4, 4)), rng.standard_normal((4, 3))
    params = [[ag.parameter(W1.copy()), ag.parameter(W2.copy())] for _ in range(2)]

    def make(p):
        def step(X, T):
            h = ag.relu(X @ p[0])
            h = h * (h > 0.5) + ag.where(h < -1.0, h, 0.25 * h)     # masks, np.where
            loss = ag.nn.cross_entropy(ag.softmax(h @ p[1]), T, reduction="sum")
            for q in p:
                q.grad = None
            loss.backward()
            for q in p:
                update = ag.core.writable(q)
                update -= 0.01 * q.grad
            return loss, h > 0.3                                   # a mask handed out
        return step
    eager, compiled = make(params[0]), ag.compile(make(params[1]))
    for _ in range(20):
        (loss, mask), (c_loss, c_mask) = eager(X, T), compiled(X, T)
        np.testing.assert_allclose(c_loss, loss.value, rtol=1e-12)
        assert c_mask.dtype == np.bool_
        np.testing.assert_array_equal(c_mask, ag.value_of(mask))
    for e, c in zip(*params):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(c.grad, e.grad, rtol=1e-12, atol=1e-14)
    assert compiled.programs()[0].source.count("_run_tape") == 1


@pytest.mark.parametrize("compare", [np.greater, np.greater_equal, np.less, np.less_equal,
                                     np.equal, np.not_equal])
def test_comparisons_with_nan_and_ties_are_numpys(compare):
    w = ag.parameter(np.array([1.0, 2.0, np.nan, -1.0, 0.0, -0.0]))
    y = np.array([1.0, 1.0, 1.0, np.nan, -0.0, 0.0])
    compiled = ag.compile(lambda x: ag.where(compare(w * x, y), w * x, -3.0) * 1.0)
    with np.errstate(invalid="ignore"):
        expected = np.where(compare(w.value, y), w.value, -3.0)
        np.testing.assert_array_equal(compiled(np.ones(6)), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_sigmoid_cap_is_eagers(dtype):
    from autograph.compiler import numba_backend
    from autograph.ops.activations import _exp_range
    assert numba_backend._SIGMOID_CAP[np.dtype(dtype)] == _exp_range(np.dtype(dtype))


@pytest.mark.filterwarnings("error")
def test_maximum_minimum_and_relu_keep_numpys_signs_of_zero_and_nans():
    w = ag.parameter(np.array([-1.0, -0.0, 0.0, np.nan, 2.0, -np.inf, 0.0, -0.0]))
    y = np.array([0.0, 0.0, -0.0, 1.0, np.nan, 0.0, 0.0, -0.0])

    def f(x):
        v = w * x
        return ag.maximum(v, y) * 1.0, ag.minimum(v, y) * 1.0, ag.relu(v) * 1.0, \
            ag.maximum(y, v) * 1.0
    compiled = ag.compile(f)
    for got, expected in zip(compiled(np.ones(8)), (np.maximum(w.value, y),
                                                    np.minimum(w.value, y),
                                                    np.maximum(w.value, 0.0),
                                                    np.maximum(y, w.value))):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
    assert "_run_tape" in compiled.programs()[0].source


def test_a_compile_of_the_interpreter_is_announced_once_and_a_cached_one_is_not(monkeypatch):
    """numba says nothing during its first compile (about 40 s): autograph says it, once,
    only when numba's cache holds no copy of the interpreter."""
    import io
    from autograph.compiler import numba_backend as nb
    index = nb.run_tape._cache._cache_file
    for cached, expected in (({"an overload": "file"}, ""), ({}, "compiling the numba")):
        monkeypatch.setattr(nb, "_announced", False)
        monkeypatch.setattr(index, "_load_index", lambda cached=cached: cached)
        monkeypatch.setattr(type(nb.run_tape), "signatures", property(lambda self: []))
        out = io.StringIO()
        nb.announce_compile(out)
        nb.announce_compile(out)         # once per process
        said = out.getvalue()
        assert said.count("autograph:") == (1 if expected else 0) and expected in said
