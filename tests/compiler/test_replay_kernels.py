"""The numpy replay's own kernels and rewrites: equal to eager mode where their conditions
hold, and eager mode itself (its values, its errors) where they do not.

The tutorial's step (sigmoid hidden layer, log-softmax, summed cross-entropy, hand-written
gradient descent) is what the rewrites were measured on; each test below makes a program
take one of their paths, and checks that it did.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag
from autograph.core import writable
from autograph.data import one_hot, three_clusters
from autograph.ops import activations as act


def _tutorial(dtype=np.float64, scale=1.0, seed=1):
    rng = np.random.RandomState(seed)
    arrays = [rng.randn(2, 3) * scale, rng.randn(3, 3) * scale, rng.randn(3), rng.randn(3)]
    return [ag.parameter(a.astype(dtype), name=n) for a, n in zip(arrays, "W V b1 b2".split())]


def _step(params, returns=False, lr=1e-3):
    """The benchmark's step (benchmarks/bench_engine.py), its loss returned or not."""
    W, V, b1, b2 = params

    def step(X, T):
        H = ag.sigmoid(X @ W + b1)
        loss = -(T * ag.log_softmax(H @ V + b2)).sum()
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            value = writable(p)
            value -= lr * p.grad
        return loss if returns else None
    return step


def _kernels(compiled) -> set:
    """The names of the functions the compiled programs call."""
    return {getattr(v, "__name__", None) for program in compiled.programs()
            for v in program.run.__globals__.values() if callable(v)}


def _same_state(eager, compiled, rtol=1e-12, atol=1e-14):
    for e, c in zip(eager, compiled):
        assert c.value.dtype == e.value.dtype and c.grad.dtype == e.grad.dtype
        np.testing.assert_allclose(c.value, e.value, rtol=rtol, atol=atol, err_msg=e.label)
        np.testing.assert_allclose(c.grad, e.grad, rtol=rtol, atol=atol, err_msg=e.label)


@pytest.mark.parametrize("returns", [False, True])
def test_the_benchmarks_step_equals_eager_step_after_step(returns):
    data, classes = three_clusters()
    T = one_hot(classes)
    pe, pc = _tutorial(), _tutorial()
    eager, compiled = _step(pe, returns), ag.compile(_step(pc, returns))
    for _ in range(60):
        expected, got = eager(data, T), compiled(data, T)
        if returns:
            np.testing.assert_allclose(got, expected.value, rtol=1e-12)
        _same_state(pe, pc)
    kernels = _kernels(compiled)
    assert {"sigmoid_into", "minus_targets_grad_into"} <= kernels
    # the loss dead: exp(log_softmax) became softmax; live: log_softmax is computed
    assert ("softmax_rows_into" if not returns else "log_softmax_rows_into") in kernels


@pytest.mark.filterwarnings("error")
def test_float32_stays_float32():
    data, classes = three_clusters()
    data, T = data.astype(np.float32), one_hot(classes).astype(np.float32)
    pe, pc = _tutorial(np.float32), _tutorial(np.float32)
    eager, compiled = _step(pe, True), ag.compile(_step(pc, True))
    for _ in range(20):
        expected, got = eager(data, T), compiled(data, T)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected.value, rtol=1e-5)
    _same_state(pe, pc, rtol=1e-5, atol=1e-6)
    assert "softmax_rows_into" not in _kernels(compiled)     # the loss is live here
    assert {"sigmoid_into", "log_softmax_rows_into", "minus_targets_grad_into"} \
        <= _kernels(compiled)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("returns", [False, True])
def test_logits_and_hidden_sums_of_a_thousand(returns):
    # weights so large that the hidden layer saturates (sigmoid's tail below -745 is 0,
    # between -745 and -708 subnormal) and the logits are +-1000s
    data, classes = three_clusters()
    T = one_hot(classes)
    pe, pc = _tutorial(scale=400.0), _tutorial(scale=400.0)
    eager, compiled = _step(pe, returns), ag.compile(_step(pc, returns))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for _ in range(5):
            expected, got = eager(data, T), compiled(data, T)
            if returns:
                assert np.isfinite(got)
                np.testing.assert_allclose(got, expected.value, rtol=1e-12)
            _same_state(pe, pc, atol=1e-300)


def _logits_step(b, returns):
    """A step on logits given as an argument: rows of -inf, NaN, huge values can be fed."""
    def step(Z, T):
        loss = -(T * ag.log_softmax(Z + b)).sum()
        b.grad = None
        loss.backward()
        return loss if returns else b.grad * 1.0
    return step


@pytest.mark.parametrize("returns", [False, True])
def test_a_row_of_minus_infinity_is_refused_as_eager_refuses_it(returns):
    be, bc = ag.parameter(np.zeros(3)), ag.parameter(np.zeros(3))
    eager, compiled = _logits_step(be, returns), ag.compile(_logits_step(bc, returns))
    Z, T = np.arange(12.0).reshape(4, 3), np.eye(3)[[0, 1, 2, 0]]
    compiled(Z, T)                                 # traced on finite logits
    Z[2] = -np.inf
    with pytest.raises(ValueError, match=r"every entry is -inf in row \[2, :\]"):
        eager(Z, T)
    with pytest.raises(ValueError, match=r"every entry is -inf in row \[2, :\]"):
        compiled(Z, T)
    Z[2] = [np.inf, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"an entry is \+inf in row \[2, :\]"):
        compiled(Z, T)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("returns", [False, True])
def test_logits_beyond_the_safe_shift_and_nan_take_eagers_careful_path(returns):
    be, bc = ag.parameter(np.zeros(3)), ag.parameter(np.zeros(3))
    eager, compiled = _logits_step(be, returns), ag.compile(_logits_step(bc, returns))
    T = np.eye(3)[[0, 1, 2, 0]]
    compiled(np.zeros((4, 3)), T)
    # (a row [1e308, 1, -1e308] would give log_softmax -inf, and 0 * -inf in eager mode too)
    Z = np.array([[1e300, -1e300, 0.0], [1e300, 1.0, -1e299], [1.0, 2.0, 3.0],
                  [np.nan, 0.0, 1.0]])
    got, expected = compiled(Z, T), eager(Z, T)     # (no warning but underflow: conftest)
    np.testing.assert_allclose(got, ag.value_of(expected), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(bc.grad, be.grad, rtol=1e-12, equal_nan=True)
    assert np.isnan(bc.grad).all()           # the NaN row's gradient reaches every entry of b


def test_targets_whose_rows_do_not_sum_to_one_take_the_rule_as_written():
    # label smoothing (0.1 + 0.2 + 0.7 is 1.0000000000000002), a zero row, a row of 2s, a
    # NaN: the fused p - t would be wrong for each; the same program switches back and forth
    be, bc = ag.parameter(np.array([0.5, -1.0, 2.0])), ag.parameter(np.array([0.5, -1.0, 2.0]))
    eager, compiled = _logits_step(be, False), ag.compile(_logits_step(bc, False))
    rng = np.random.default_rng(0)
    one_hot_T = np.eye(3)[[0, 1, 2, 0]]
    targets = [one_hot_T, np.array([[0.1, 0.2, 0.7]] * 4), one_hot_T,
               np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]),
               np.array([[np.nan, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0],
                         [1.0, 0.0, 0.0]])]
    for T in targets:
        Z = rng.standard_normal((4, 3))
        with np.errstate(invalid="ignore"):
            expected, got = eager(Z, T), compiled(Z, T)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, equal_nan=True)
    assert "minus_targets_grad_into" in _kernels(compiled)


def test_sigmoids_subnormal_tail_is_exact():
    w = ag.parameter(np.ones(3))

    def f(x):
        h = ag.sigmoid(x * w)
        loss = h.sum()
        w.grad = None
        loss.backward()
        return h * 1.0           # h itself stays in the program's buffer
    compiled = ag.compile(f)
    compiled(np.zeros((4, 3)))
    x = np.array([[-1000.0, -745.2, -745.0], [-740.0, -708.5, -708.0],
                  [-707.9, -30.0, 0.0], [30.0, 800.0, -0.0]])
    got, expected = compiled(x), act._sigmoid(x)    # (no warning but underflow: conftest)
    np.testing.assert_array_equal(got, expected)
    assert got[0, 2] == 5e-324 and got[0, 0] == 0.0 and 0.0 < got[1, 0] < 2.3e-308
    assert "sigmoid_into" in _kernels(compiled)


def test_an_update_between_the_targets_read_and_the_gradient_keeps_the_rule_apart():
    # the targets are a parameter changed in place between -t and the gradient that uses it:
    # moving the read of t after the update would use the new value; the rewrite is skipped
    t0 = np.eye(3)[[0, 1, 2, 0]]

    def make(b, t):
        def step(Z):
            L = ag.log_softmax(Z + b)
            g = -t * 1.0
            loss = (g * L).sum()
            b.grad = None
            loss.backward()
            return b.grad * 1.0
        return step
    be, te = ag.parameter(np.zeros(3)), ag.parameter(t0)
    bc, tc = ag.parameter(np.zeros(3)), ag.parameter(t0)
    eager, compiled = make(be, te), ag.compile(make(bc, tc))
    for k in range(3):
        Z = np.full((4, 3), float(k))
        np.testing.assert_allclose(compiled(Z), eager(Z), rtol=1e-12)


# --- the kernels themselves, on any matrix ---------------------------------------------------

_floats = st.one_of(st.floats(-1e3, 1e3), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, -0.0, 1e300, -1e300, 1e-320, 745.0, -745.5]))
_matrices = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1,
                                                    max_side=9).filter(lambda s: s[1] >= 2),
                       elements=_floats)


def _eager(function, *args):
    try:
        with np.errstate(all="ignore"):
            return function(*args), None
    except ValueError as error:
        return None, str(error)


@settings(max_examples=150, deadline=None)
@given(_matrices, st.sampled_from([np.float64, np.float32]))
def test_the_row_kernels_are_eagers_functions(x, dtype):
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    for maker, eager in ((act.softmax_rows_kernel, act._softmax),
                         (act.log_softmax_rows_kernel, act._log_softmax)):
        expected, error = _eager(eager, x, -1)
        for source in (None, x, np.zeros_like(x)):   # columns taken once, or on each call
            kernel = maker(x.shape, x.dtype, np.empty_like(x), source)
            got, got_error = _eager(kernel, x)
            assert got_error == error
            if error is None and eager is act._softmax:      # sums of another BLAS call
                rtol = 1e-14 if dtype == np.float64 else 1e-6    # a few ulps
                np.testing.assert_allclose(got, expected, rtol=rtol, atol=0, equal_nan=True)
            elif error is None:
                np.testing.assert_array_equal(got, expected)


@settings(max_examples=150, deadline=None)
@given(_matrices, st.sampled_from([np.float64, np.float32]))
def test_sigmoid_into_is_sigmoid_to_the_bit(x, dtype):
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    expected, _ = _eager(act._sigmoid, x)
    got, _ = _eager(act.sigmoid_kernel(x.shape, x.dtype, np.empty_like(x)), x)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=150, deadline=None)
@given(_matrices, st.data())
def test_minus_targets_grad_is_log_softmaxs_rule_to_the_bit(p, data):
    t = data.draw(st.one_of(
        hnp.arrays(np.float64, p.shape, elements=_floats),
        st.just(np.eye(p.shape[1])[np.arange(p.shape[0]) % p.shape[1]])))
    with np.errstate(all="ignore"):
        g = -1.0 * t                                     # as the program has it
        expected = g - p * g.dot(np.ones(p.shape[1]))[:, None]
        got = act.minus_targets_grad(p, t)
    np.testing.assert_array_equal(got, expected)


def test_a_scalar_parameters_gradient_is_a_0d_array_as_in_eager_mode():
    # numpy's reductions to a scalar give a numpy scalar: stored directly it would not be an
    # array (eager mode stores arrays)
    def make(a, w):
        def step(X):
            loss = (a * (X @ w)).sum() + (a * X).sum() + a * a
            a.grad = w.grad = None
            loss.backward()
            a.grad = None
            (a * a * 3.0).backward()         # a's gradient alone: 6a, one numpy scalar
        return step
    pe = ag.parameter(2.0), ag.parameter(np.ones(3))
    pc = ag.parameter(2.0), ag.parameter(np.ones(3))
    eager, compiled = make(*pe), ag.compile(make(*pc))
    for k in range(3):
        X = np.arange(6.0).reshape(2, 3) + k
        eager(X), compiled(X)
        for e, c in zip(pe, pc):
            assert type(c.grad) is np.ndarray and c.grad.shape == e.grad.shape
            np.testing.assert_allclose(c.grad, e.grad, rtol=1e-14)


def test_a_kernel_whose_input_is_not_the_usual_buffer_reads_its_input():
    # softmax's kernel takes the columns of its input's buffer once; when the softmax before
    # it took eager's careful path (rows beyond 1e292), its input is another array
    be, bc = ag.parameter(np.zeros(3)), ag.parameter(np.zeros(3))

    def make(b):
        def step(Z):
            y = ag.softmax(ag.softmax(Z + b))      # the first one's buffer feeds the second
            loss = (y * y).sum()
            b.grad = None
            loss.backward()
            return b.grad * 1.0
        return step
    eager, compiled = make(be), ag.compile(make(bc))
    for Z in (np.arange(12.0).reshape(4, 3), np.array([[1e300, 0.0, -1.0]] * 4),
              np.arange(12.0).reshape(4, 3) * -3.0):
        np.testing.assert_allclose(compiled(Z), eager(Z), rtol=1e-12, atol=1e-15)
    assert "softmax_rows_into" in _kernels(compiled)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 8),
       st.sampled_from([np.float64, np.float32]), st.integers(0, 2**16))
def test_products_with_transposed_matrices_are_eagers_to_the_bit(n, k, m, dtype, seed):
    # backward multiplies by transposed matrices (g @ V.T, H.T @ g); the replay once copied a
    # small one before the product and eager mode did not: BLAS rounds the two differently,
    # and a compiled float32 fit drifted from eager's in the last bits
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, k)).astype(dtype)
    arrays = rng.standard_normal((k, m)).astype(dtype), rng.standard_normal((m, 3)).astype(dtype)

    def make(W, V):
        def step(X):
            Y = (X @ W) @ V
            loss = (Y * Y).sum()
            W.grad = V.grad = None
            loss.backward()
            return Y * 1.0
        return step
    pe, pc = [ag.parameter(a) for a in arrays], [ag.parameter(a) for a in arrays]
    eager, compiled = make(*pe), ag.compile(make(*pc))
    for _ in range(2):
        np.testing.assert_array_equal(compiled(X), eager(X).value)
        for e, c in zip(pe, pc):
            np.testing.assert_array_equal(c.grad, e.grad)
