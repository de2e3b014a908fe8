"""What could make a replay silently stale is refused by name, or stays live in the program."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph.compiler import TraceError


def _this_file_line(error) -> bool:
    return "test_safety.py:" in str(error)


# --- Python-level reads of traced numbers: a clear error naming the line ---------------------

@pytest.mark.parametrize("read", [
    lambda y: bool(y > 0),
    lambda y: float(y.value),
    lambda y: y.item(),
    lambda y: np.asarray(y.value),
    lambda y: np.asarray(y.detach() * 1.0),
    lambda y: np.array(y.value),
    lambda y: print(y),
    lambda y: y.value.tolist(),
    lambda y: int(y.value),
    lambda y: ag.Node(y.value),
])
def test_reading_a_traced_number_names_the_line(read):
    w = ag.parameter([1.0, 2.0])

    def f(x):
        y = (w * x).sum()
        read(y)
        return y
    with pytest.raises(TraceError) as caught:
        ag.compile(f)(np.array([1.0, 3.0]))
    assert _this_file_line(caught.value)         # the line of the lambda that reads
    np.testing.assert_array_equal(w.value, [1.0, 2.0])     # tracing changed nothing
    assert w.grad is None


def test_an_if_on_a_traced_value_is_refused():
    def f(x):
        return x * 2 if (x > 0).all() else x      # the branch would be frozen
    with pytest.raises(TraceError, match="bool"):
        ag.compile(f)(np.ones(3))


# --- comparisons stay operations: masks follow the data --------------------------------------

def test_a_relu_mask_written_with_a_comparison_stays_live():
    w = ag.parameter(np.ones(4))

    def f(x):
        z = w * x
        loss = (z * (z > 0)).sum() + (ag.where(z < -1, z, 0.0) ** 2).sum()
        w.zero_grad()
        loss.backward()
        return loss
    compiled = ag.compile(f)
    for x in ([1.0, -1.0, 2.0, -3.0], [-1.0, 1.0, -2.0, 3.0], [5.0, 0.5, -0.5, -5.0]):
        x = np.array(x)
        z = x                                  # w is ones
        expected = np.sum(z * (z > 0)) + np.sum(np.where(z < -1, z, 0.0) ** 2)
        np.testing.assert_allclose(compiled(x), expected, rtol=1e-15)
        # d/dw: x where z > 0, plus 2 z x where z < -1
        np.testing.assert_allclose(w.grad, x * (z > 0) + 2 * z * x * (z < -1), rtol=1e-15)


def test_relu_max_and_absolute_rules_read_the_current_values():
    w = ag.parameter(np.array([1.0, 1.0, 1.0]))

    def f(x):
        loss = ag.relu(w * x).sum() + ag.absolute(w * x).sum() + (w * x).max()
        w.zero_grad()
        loss.backward()
        return loss
    compiled = ag.compile(f)
    for x in ([1.0, -2.0, 3.0], [-1.0, 4.0, -3.0]):
        x = np.array(x)
        compiled(x)
        top = x == x.max()
        np.testing.assert_array_equal(w.grad, x * (x > 0) + x * np.sign(x) + x * top)


# --- randomness ------------------------------------------------------------------------------

def test_random_numbers_drawn_inside_are_refused():
    rng = np.random.default_rng(0)
    w = ag.parameter(np.ones(5))

    def f(x):
        mask = rng.random(5) < 0.5            # a dropout mask: would be frozen at one draw
        return (w * x * mask).sum()
    with pytest.raises(TraceError, match="random"):
        ag.compile(f)(np.ones(5))


def test_random_numbers_passed_in_stay_random_and_match_eager():
    w_e, w_c = ag.parameter(np.arange(5.0)), ag.parameter(np.arange(5.0))

    def make(w):
        def f(x, mask):
            loss = (w * x * mask / 0.5).sum()     # inverted dropout
            w.zero_grad()
            loss.backward()
            return loss
        return f
    eager, compiled = make(w_e), ag.compile(make(w_c))
    rng = np.random.default_rng(1)
    masks = []
    for _ in range(6):
        mask = (rng.random(5) < 0.5).astype(float)
        masks.append(mask)
        np.testing.assert_array_equal(compiled(np.ones(5), mask), eager(np.ones(5), mask).value)
        np.testing.assert_array_equal(w_c.grad, w_e.grad)
        np.testing.assert_array_equal(w_c.grad, mask / 0.5)
    assert len({m.tobytes() for m in masks}) > 1


# --- shapes, guards, ownership ----------------------------------------------------------------

def test_a_new_shape_or_dtype_traces_again():
    w = ag.parameter(np.ones(3))
    compiled = ag.compile(lambda x: (x @ w).sum())
    np.testing.assert_allclose(compiled(np.ones((2, 3))), 6.0)
    np.testing.assert_allclose(compiled(np.ones((5, 3))), 15.0)
    result = compiled(np.ones((5, 3), dtype=np.float32))
    assert result.dtype == np.float64          # float32 @ float64 parameter, as numpy does
    np.testing.assert_allclose(compiled(np.ones((2, 3))), 6.0)
    assert len(compiled.programs()) == 3 and compiled.traces == 6


def test_the_cache_is_small():
    compiled = ag.compile(lambda x: x * 2.0, cache_size=2)
    for n in range(1, 6):
        np.testing.assert_array_equal(compiled(np.ones(n)), np.full(n, 2.0))
    assert len(compiled.programs()) == 2


def test_results_and_gradients_are_fresh_arrays():
    w = ag.parameter(np.ones(3))

    def f(x):
        y = ag.exp(w * x)
        w.zero_grad()
        y.sum().backward()
        return y, w * 1.0
    compiled = ag.compile(f)
    y1, _ = compiled(np.zeros(3))
    grad1 = w.grad
    y2, _ = compiled(np.ones(3))
    np.testing.assert_array_equal(y1, np.ones(3))       # not overwritten by the second call
    np.testing.assert_array_equal(grad1, np.zeros(3))    # d/dw exp(w x) at x = 0
    assert y2 is not y1 and w.grad is not grad1
    y2 += 1.0
    np.testing.assert_array_equal(compiled(np.ones(3))[0], np.full(3, np.e))


def test_replacing_a_parameters_array_inside_is_refused():
    w = ag.parameter(np.ones(3))

    def f(x):
        (w * x).sum().backward()
        w.value = w.value - 0.1 * w.grad       # a new array: eager keeps it, a replay could not
        return w * 1.0
    with pytest.raises(TraceError, match="value was replaced"):
        ag.compile(f)(np.ones(3))
    np.testing.assert_array_equal(w.value, np.ones(3))


def test_a_parameter_replaced_between_calls_is_read_afresh_or_traced_again():
    w = ag.parameter(np.ones(3))
    compiled = ag.compile(lambda x: (w * x).sum())
    np.testing.assert_allclose(compiled(np.ones(3)), 3.0)
    w.value = np.full(3, 2.0)                  # same shape: the program reads it
    np.testing.assert_allclose(compiled(np.ones(3)), 6.0)
    w.value = np.full(2, 2.0)                  # another shape: the guard fails, a new trace
    with pytest.raises(ag.ShapeError):
        compiled(np.ones(3))


def test_setting_grad_to_none_by_hand_is_replayed():
    w = ag.parameter(np.ones(2))

    def f(x):
        w.grad = None                          # a hand-written zero_grad
        (w * x).sum().backward()
        return w.grad * 1.0
    compiled = ag.compile(f)
    for k in range(6):
        np.testing.assert_array_equal(compiled(np.full(2, float(k))), np.full(2, float(k)))
    # w is found in f's closure before f runs, so `w.grad = None` is seen although it comes
    # before w's first use: two programs (w.grad None on entry, or not), no retracing after
    assert compiled.traces == 4


def test_a_guard_that_keeps_failing_is_reported():
    w = ag.parameter(np.ones(2))
    compiled = ag.compile(lambda x: (w * x).sum())
    with pytest.warns(RuntimeWarning, match="traced again"):
        for n in range(4):
            w.value = np.ones(2, dtype=np.float32 if n % 2 else np.float64)
            w.value = w.value.astype(np.float64) if n == 3 else w.value
            w.grad = None if n % 2 else np.zeros(2)
            compiled(np.ones(2))


def test_assigning_an_array_to_grad_is_refused():
    w = ag.parameter(np.ones(2))

    def f(x):
        (w * x).sum().backward()
        w.grad = np.zeros(2)
        return x
    with pytest.raises(TraceError, match="grad was assigned"):
        ag.compile(f)(np.ones(2))


def test_boolean_mask_indexing_is_refused():
    with pytest.raises(TraceError, match="boolean mask"):
        ag.compile(lambda x: x[x > 0].sum())(np.array([1.0, -1.0]))


def test_updating_a_computed_value_in_place_is_refused():
    def f(x):
        y = x * 2.0
        y += 1.0
        return y
    with pytest.raises(TraceError, match="in-place update"):
        ag.compile(f)(np.ones(2))


def test_an_argument_requiring_a_gradient_is_refused():
    with pytest.raises(TypeError, match="requires a gradient"):
        ag.compile(lambda p: p * 2.0)(ag.parameter(np.ones(2)))


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        ag.compile(lambda x: x, backend="jax")


def test_large_intermediates_are_freed_after_their_last_use():
    import tracemalloc
    w = ag.parameter(np.ones(2**17))               # 1 MiB of float64

    def f(x):
        y = w * x
        for _ in range(20):                        # 20 intermediates of 1 MiB, and their
            y = ag.tanh(y) * 1.5                   # gradients: eager frees them as it goes
        w.zero_grad()
        y.sum().backward()
        return y.sum()
    compiled = ag.compile(f)
    x = np.full(2**17, 0.5)
    compiled(x), compiled(x)
    tracemalloc.start()
    try:
        compiled(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the forward values stay (backward reads them), the gradients go as they are consumed:
    # about 21 + a few MiB, not the 21 + 60 MiB that keeping every value would take
    assert peak < 30 * 2**20, peak / 2**20


def test_eager_mode_is_untouched_after_a_trace_and_in_other_threads():
    import threading
    from autograph.core.node import Primitive
    eager_call = Primitive.__call__
    w = ag.parameter(np.ones(3))
    results = []
    started, release = threading.Event(), threading.Event()

    def slow(x):
        started.set()
        release.wait(5)               # keep the trace open while the other thread works
        return (w * x).sum()

    def other():
        started.wait(5)
        v = ag.parameter([1.0, 2.0])
        y = (v * v).sum()             # eager, in another thread, during the trace
        y.backward()
        results.append((type(y.value), v.grad.copy()))
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    np.testing.assert_allclose(ag.compile(slow)(np.ones(3)), 3.0)
    thread.join()
    assert results[0][0] is np.ndarray
    np.testing.assert_array_equal(results[0][1], [2.0, 4.0])
    assert Primitive.__call__ is eager_call          # no cost left on the hot path


def test_under_detect_anomaly_the_function_runs_eagerly_and_is_checked():
    w = ag.parameter(np.array([1.0, 0.0]))
    compiled = ag.compile(lambda x: ag.log(w * x).sum())
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(compiled(np.array([2.0, 1.0])), -np.inf)   # log 0
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="log: output is not finite"):
            compiled(np.array([2.0, 1.0]))


def test_a_python_number_changed_between_calls_is_not_frozen():
    w = ag.parameter(np.array([1.0, 2.0]))
    lr = 0.5

    def step(x):
        w.zero_grad()
        (w * x).sum().backward()
        value = ag.core.writable(w)
        value -= lr * w.grad                      # lr from the closure: a constant of a trace
        return w * 1.0
    compiled = ag.compile(step)
    x = np.array([1.0, 1.0])
    np.testing.assert_array_equal(compiled(x), [0.5, 1.5])
    np.testing.assert_array_equal(compiled(x), [0.0, 1.0])     # both programs made (grad None
    lr = 0.25                                                  # on entry, and not)
    np.testing.assert_array_equal(compiled(x), [-0.25, 0.75])  # not 0.5 again: traced anew
    np.testing.assert_array_equal(compiled(x), [-0.5, 0.5])


@pytest.mark.parametrize("kind", ["integer array", "list", "tuple of arrays",
                                  "array and slice"])
def test_an_index_array_changed_between_calls_is_read_afresh(kind):
    # getitem keeps a copy of an index array for its gradient rule (eager mode); a program
    # once kept that copy too, and went on picking the first call's positions
    index = {"integer array": np.array([0, 1]), "list": [0, 1],
             "tuple of arrays": (np.array([0, 1]),),
             "array and slice": (np.array([0, 1]), slice(None))}[kind]

    def make(w):
        def step(X):
            loss = (w[index] * X[index]).sum() + (w[index] ** 2).sum()
            w.grad = None
            loss.backward()
            return loss
        return step
    we, wc = (ag.parameter(np.arange(9.0).reshape(3, 3)) for _ in range(2))
    eager, compiled = make(we), ag.compile(make(wc))
    X = np.arange(9.0).reshape(3, 3) ** 2
    for k in range(4):
        positions = [k % 3, (k + 1) % 3]
        if isinstance(index, list):
            index[:] = positions
        else:
            (index[0] if isinstance(index, tuple) else index)[:] = positions
        np.testing.assert_array_equal(compiled(X), eager(X).value)
        np.testing.assert_array_equal(wc.grad, we.grad)


def test_a_number_that_changes_on_every_call_is_reported():
    scale = 1.0
    compiled = ag.compile(lambda x: x * scale)
    with pytest.warns(RuntimeWarning, match="learning rate"):
        for k in range(20):
            scale = float(k)
            np.testing.assert_array_equal(compiled(np.ones(2)), [k, k])


def test_a_recorded_parameter_is_read_only_as_in_eager_mode():
    w = ag.parameter(np.ones(2))

    def f(x):
        loss = (w * x).sum()
        w.value -= 0.1                 # eager: ValueError, the array is read-only
        loss.backward()
        return loss
    with pytest.raises(ValueError, match="read-only"):
        f(np.ones(2))
    w = ag.parameter(np.ones(2))
    with pytest.raises(TraceError, match="read-only"):
        ag.compile(f)(np.ones(2))


def test_changing_a_parameter_through_writable_before_backward_is_refused_as_in_eager():
    w = ag.parameter(np.ones(2))

    def f(x):
        loss = (w * x).sum()
        value = ag.core.writable(w)    # the gradient would mix old and new values of w
        value -= 0.1
        loss.backward()
        return loss
    with pytest.raises(ag.GraphError, match="changed in place"):
        f(np.ones(2))
    w = ag.parameter(np.ones(2))
    with pytest.raises(ag.GraphError, match="changed in place"):
        ag.compile(f)(np.ones(2))
    np.testing.assert_array_equal(w.value, np.ones(2))       # the trace changed nothing


def test_complex_results_are_refused_as_in_eager_mode():
    w = ag.parameter(np.ones(2))
    with pytest.raises(TypeError) as eager_error:
        w * 1j
    with pytest.raises(TypeError) as compiled_error:
        ag.compile(lambda x: (w * x).sum())(np.ones(2) * 1j)
    assert str(compiled_error.value).split(":")[0] == str(eager_error.value).split(":")[0]


SCALE = 2                 # read by a compiled function below as a global


def test_closure_numbers_equal_in_value_but_not_in_type_trace_anew():
    # 2 == 2.0 == np.float32(2) and True == 1, and they hash alike: as a cache key they once
    # replayed the first trace's program, and its dtype (int where numpy gives float)
    k = 2

    def step(x):
        return x * k
    compiled = ag.compile(step)
    x = np.array([1, 2, 3], dtype=np.int8)
    for k in [2, 2.0, np.float32(2), np.int8(2), 2, True, np.True_, 1, 2.0]:
        expected = x * k
        result = compiled(x)
        assert result.dtype == expected.dtype, (k, result.dtype)
        np.testing.assert_array_equal(result, expected)
    flags = np.array([True, False])
    for k in [True, 1, np.True_, 1.0]:
        assert compiled(flags).dtype == (flags * k).dtype


def test_global_numbers_equal_in_value_but_not_in_type_trace_anew():
    global SCALE
    compiled = ag.compile(lambda x: x * SCALE)
    x = np.array([1, 2, 3])
    try:
        for SCALE in [2, 2.0, 2, np.float64(2)]:
            assert compiled(x).dtype == (x * SCALE).dtype
            np.testing.assert_array_equal(compiled(x), x * SCALE)
    finally:
        SCALE = 2


SCALAR_KINDS = [bool, int, float, np.bool_, np.int8, np.uint8, np.int64, np.float16,
                np.float32, np.float64]
ARRAY_DTYPES = [np.bool_, np.int8, np.uint8, np.int64, np.float16, np.float32, np.float64]


@settings(max_examples=60, deadline=None)
@given(dtype=st.sampled_from(ARRAY_DTYPES), route=st.sampled_from(["closure", "global",
                                                                     "argument"]),
       numbers=st.lists(st.tuples(st.sampled_from(SCALAR_KINDS), st.integers(0, 3)),
                        min_size=2, max_size=7))
def test_any_sequence_of_scalar_kinds_gives_numpys_dtype_and_values(dtype, route, numbers):
    global SCALE
    x = np.arange(4).astype(dtype)
    k = None

    def closure(x):
        return x * k + k
    compiled = ag.compile({"closure": closure, "global": lambda x: x * SCALE + SCALE,
                           "argument": lambda x, k: x * k + k}[route])
    try:
        for kind, value in numbers:
            k = SCALE = kind(value)
            expected = x * k + k                       # numpy's own dtype and numbers
            result = compiled(x, k) if route == "argument" else compiled(x)
            assert result.dtype == expected.dtype, (kind, value, result.dtype)
            np.testing.assert_array_equal(result, expected)
    finally:
        SCALE = 2


def test_a_closure_number_assigned_after_compile_is_part_of_the_key():
    # a cell empty (or None) when the function is compiled was once never read again: the
    # first call's number was frozen into every later call
    def make():
        compiled = ag.compile(lambda x: x * k)
        k = 2
        yield compiled(np.array([1.0]))
        k = 3
        yield compiled(np.array([1.0]))
    assert [float(r[0]) for r in make()] == [2.0, 3.0]
