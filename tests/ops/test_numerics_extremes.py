"""softmax, log_softmax, logsumexp and sigmoid at the edges of each dtype, with warnings as
errors: the right value or a refusal naming the op, never a warning and a NaN."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag

pytestmark = pytest.mark.filterwarnings("error")

FLOATS = [np.float16, np.float32, np.float64]


def backward_ones(y, x):
    x.grad = None
    y.backward(np.ones(y.shape, dtype=y.dtype))
    return x.grad


@pytest.mark.parametrize("dtype", FLOATS)
def test_the_largest_finite_values_of_each_dtype(dtype):
    M = float(np.finfo(dtype).max)
    x = ag.parameter(np.array([[M, -M, 0.0]], dtype=dtype), name="x")
    # by hand: exp(-M - M) and exp(0 - M) are 0 to any precision
    np.testing.assert_array_equal(ag.softmax(x).value, [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(ag.log_softmax(x).value, [[0.0, -np.inf, -M]])
    np.testing.assert_array_equal(ag.logsumexp(x, axis=-1).value, [M])
    assert ag.softmax(x).dtype == dtype == ag.logsumexp(x).dtype
    # gradients: logsumexp's is softmax; log_softmax's of a ones seed is 1 - 3 softmax
    np.testing.assert_array_equal(backward_ones(ag.logsumexp(x, axis=-1), x), [[1, 0, 0]])
    np.testing.assert_array_equal(backward_ones(ag.log_softmax(x), x), [[-2.0, 1.0, 1.0]])
    np.testing.assert_array_equal(backward_ones(ag.softmax(x), x), [[0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_minus_infinity_entries_are_probability_zero(dtype):
    x = ag.parameter(np.array([[-np.inf, 0.0, 0.0], [1.0, -np.inf, 1.0]], dtype=dtype))
    np.testing.assert_array_equal(ag.softmax(x).value, [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    log_half = np.log(np.array(0.5, dtype))
    np.testing.assert_array_equal(ag.log_softmax(x).value,
                                  [[-np.inf, log_half, log_half], [log_half, -np.inf, log_half]])
    np.testing.assert_allclose(ag.logsumexp(x, axis=1).value, [math.log(2), 1 + math.log(2)],
                               rtol=np.finfo(dtype).eps * 4)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(backward_ones(ag.logsumexp(x, axis=1), x),
                               [[0, 0.5, 0.5], [0.5, 0, 0.5]], rtol=2 * eps, atol=0)
    np.testing.assert_allclose(backward_ones(ag.log_softmax(x), x),
                               [[1.0, -0.5, -0.5], [-0.5, 1.0, -0.5]], rtol=2 * eps, atol=0)


def test_logsumexp_gradient_where_its_value_rounds_to_the_largest_entry():
    # 65504 + log 2 is 65504 in float16: exp(x - logsumexp) would be [1, 1], not [1/2, 1/2]
    x = ag.parameter(np.array([65504.0, 65504.0], dtype=np.float16))
    np.testing.assert_array_equal(backward_ones(ag.logsumexp(x), x), [0.5, 0.5])


def test_logsumexp_of_a_row_of_minus_infinities_is_minus_infinity_and_has_no_gradient():
    x = ag.parameter([[-np.inf, -np.inf], [0.0, 0.0]], name="x")
    np.testing.assert_array_equal(ag.logsumexp(x, axis=1).value, [-np.inf, math.log(2)])
    with pytest.raises(FloatingPointError, match="logsumexp: no gradient .* at \\(0,\\)"):
        ag.logsumexp(x, axis=1).sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("op", [ag.softmax, ag.log_softmax])
def test_softmax_of_a_row_of_minus_infinities_is_refused_by_name(op):
    x = ag.parameter([[0.0, 1.0], [-np.inf, -np.inf]], name="logits")
    with pytest.raises(ValueError, match=rf"{op.__name__}: logits \(2, 2\).*every entry is "
                                          r"-inf in row \[1, :\]"):
        op(x)
    with pytest.raises(ValueError, match=r"an entry is \+inf in row \[:, 0\]"):
        op(ag.parameter([[np.inf, 1.0], [0.0, 2.0]]), axis=0)


def test_nan_passes_on_as_nan_without_a_warning():
    assert np.isnan(ag.softmax(ag.parameter([np.nan, 1.0])).value).all()
    assert np.isnan(ag.logsumexp(ag.parameter([np.nan, 1.0])).value)


@pytest.mark.parametrize("shape, axis, reduced", [((0,), 0, ()), ((2, 0), 1, (2,)),
                                                  ((0, 3), 0, (3,)), ((0, 3), None, ())])
def test_logsumexp_over_an_empty_axis_is_minus_infinity(shape, axis, reduced):
    x = ag.parameter(np.zeros(shape), name="x")
    y = ag.logsumexp(x, axis=axis)
    assert y.shape == reduced and (y.value == -np.inf).all()
    assert ag.logsumexp(x, axis=axis, keepdims=True).shape == np.sum(np.zeros(shape), axis=axis,
                                                                      keepdims=True).shape


@pytest.mark.parametrize("op", [ag.softmax, ag.log_softmax])
@pytest.mark.parametrize("shape, axis", [((2, 0), 1), ((0, 3), 1), ((0,), 0)])
def test_softmax_over_an_empty_axis_is_empty_with_gradients(op, shape, axis):
    x = ag.parameter(np.zeros(shape), name="x")
    y = op(x, axis=axis)
    assert y.shape == shape and y.dtype == np.float64
    y.backward(np.zeros(shape))
    assert x.grad.shape == shape


# --- the class: random rows with extreme entries, against a float64 reference ----------------

def reference(row):
    """softmax, log_softmax and logsumexp of one row, by hand in Python floats."""
    m = max(row)
    e = [math.exp(v - m) if v > -math.inf else 0.0 for v in row]
    total = math.fsum(e)
    lse = m + math.log(total)
    return [v / total for v in e], [v - lse if v > -math.inf else -math.inf for v in row], lse


@st.composite
def extreme_rows(draw):
    dtype = draw(st.sampled_from(FLOATS))
    M = float(np.finfo(dtype).max)
    entry = st.one_of(st.sampled_from([M, -M, M / 2, -M / 2, 0.0, -math.inf]),
                      st.floats(-60.0, 60.0))
    rows = draw(hnp.arrays(dtype, st.tuples(st.integers(1, 3), st.integers(1, 4)),
                           elements=entry))
    rows[:, 0] = np.where(np.isinf(rows[:, 0]), 0.0, rows[:, 0])   # a finite entry per row
    return rows


@settings(max_examples=80, deadline=None)
@given(extreme_rows())
def test_softmax_family_at_extremes_against_a_reference(rows):
    dtype = rows.dtype
    eps = float(np.finfo(dtype).eps)
    x = ag.parameter(rows)
    soft, log_soft, lse = ag.softmax(x).value, ag.log_softmax(x).value, \
        ag.logsumexp(x, axis=1).value
    for i, row in enumerate(rows.astype(np.float64).tolist()):
        s, ls, l = reference(row)
        np.testing.assert_allclose(soft[i], s, rtol=8 * eps, atol=8 * eps)
        # log of a sum near 1: an absolute error of a few eps, whatever the size of the result
        np.testing.assert_allclose(lse[i], l, rtol=8 * eps, atol=8 * eps)
        M = float(np.finfo(dtype).max)
        for got, want in zip(log_soft[i].astype(np.float64).tolist(), ls):
            if want == -math.inf:                          # a -inf entry
                assert got == -math.inf
            elif got == -math.inf:                         # overflowed: -2M is -inf in float16
                assert want < -M * (1 - 2 * eps)
            else:
                np.testing.assert_allclose(got, want, rtol=8 * eps, atol=8 * eps * max(1, abs(l)))
    grad = backward_ones(ag.logsumexp(x, axis=1), x)
    np.testing.assert_allclose(grad, soft, rtol=8 * eps, atol=8 * eps)


# --- sigmoid in float16 (item 9) ----------------------------------------------------------

def test_float16_sigmoid_below_minus_eleven():
    y = ag.sigmoid(ag.parameter(np.array([-12.0, -15.0, -20.0], dtype=np.float16)))
    truth = 1 / (1 + np.exp(np.array([12.0, 15.0, 20.0])))       # 6.1e-6, 3.1e-7, 2.1e-9
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y.value, truth.astype(np.float16))


def test_float16_sigmoid_is_correctly_rounded_over_every_float16():
    x = np.arange(-2**15, 2**15, dtype=np.int32).astype(np.int16).view(np.float16)
    x = x[np.isfinite(x)]
    y = ag.sigmoid(ag.Node(x)).value
    with np.errstate(over="ignore"):                  # exp(65504) is inf: 1 / inf = 0
        truth = (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float16)
    # float32 arithmetic then rounding: within one float16 step of the rounded truth
    assert (np.abs(y.astype(np.float64) - truth) <= np.spacing(truth)).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_goes_on_down_below_the_cap_of_its_exponential(dtype):
    """The capped exponential used to floor sigmoid (float32 at 1.7e-38 below -87, float64 at
    3e-308 below -708); the truth goes on down through the subnormals to 0."""
    x = np.concatenate([np.linspace(-1000.0, 40.0, 2081), [-745.1, -744.4, -103.9, -87.5]])
    x = x.astype(dtype)
    y = ag.sigmoid(ag.Node(x)).value
    wide = x.astype(np.longdouble)                    # 80-bit here: exp(-1000) is ~5e-435
    truth = (np.exp(np.minimum(wide, 0)) / (1 + np.exp(-np.abs(wide)))).astype(dtype)
    assert y.dtype == dtype
    assert (np.abs(y - truth) <= 4 * np.spacing(truth)).all()   # a few units in the last place
    assert ag.log(ag.sigmoid(ag.Node(np.array(-700.0)))).item() == pytest.approx(-700.0)
