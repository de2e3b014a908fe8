"""numpy's reductions and running totals on Nodes: numpy's signatures (axis None, int, negative,
tuple; keepdims; ddof; dtype) and values, gradients of first and second order against central
differences in float64, and zeros in products handled exactly."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag

rng = np.random.default_rng(19)
X = rng.standard_normal((2, 3, 4))


def first_derivative(f, projection):
    """x -> d/dx sum(f(x) * projection), to be differentiated once more."""
    return lambda x: ag.grad(lambda v: (f(v) * projection).sum())(x)


def check(f, x, second=True):
    if np.size(ag.value_of(f(x))) == 1:   # gradcheck takes a single entry for a scalar: make
        f = lambda v, f=f: f(v) * np.ones(2)   # it one, whatever the shape (1, 1, 1)
    result = ag.gradcheck(f, x)
    assert result.ok, str(result)
    if second:
        out_shape = np.shape(f(x).value if isinstance(f(x), ag.Node) else f(x))
        result = ag.gradcheck(first_derivative(f, rng.standard_normal(out_shape)), x)
        assert result.ok, "second order\n" + str(result)


AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]
REDUCTIONS = {
    "min": lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
    "amin": lambda x, axis, keepdims: np.amin(x, axis=axis, keepdims=keepdims),
    "prod": lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    "var": lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims),
    "var ddof=1": lambda x, axis, keepdims: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
    "std": lambda x, axis, keepdims: np.std(x, axis=axis, keepdims=keepdims),
    "std ddof=1": lambda x, axis, keepdims: np.std(x, axis=axis, ddof=1, keepdims=keepdims),
    "ptp": lambda x, axis, keepdims: np.ptp(x, axis=axis, keepdims=keepdims),
}


# --- values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_values_are_numpys(name, axis, keepdims):
    f = REDUCTIONS[name]
    y = f(ag.parameter(X), axis, keepdims)
    assert isinstance(y, ag.Node)
    np.testing.assert_array_equal(y.value, f(X, axis, keepdims))


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_total_values_are_numpys(name, axis):
    f = getattr(np, name)
    np.testing.assert_array_equal(f(ag.parameter(X), axis=axis).value, f(X, axis=axis))
    np.testing.assert_array_equal(getattr(ag.parameter(X), name)(axis).value, f(X, axis=axis))


@pytest.mark.parametrize("n,axis", [(0, -1), (1, -1), (2, -1), (1, 0), (3, 2), (5, -1)])
def test_diff_values_are_numpys(n, axis):
    np.testing.assert_array_equal(np.diff(ag.parameter(X), n=n, axis=axis).value,
                                  np.diff(X, n=n, axis=axis))


def test_diff_prepend_and_append():
    a = rng.standard_normal((3, 4))
    for kwargs in ({"prepend": 0.5}, {"append": [[1.0], [2.0], [3.0]]},
                   {"prepend": 1.0, "append": -1.0}):
        np.testing.assert_array_equal(np.diff(ag.parameter(a), axis=1, **kwargs).value,
                                      np.diff(a, axis=1, **kwargs))


def test_ufunc_methods_reduce_axis_0_by_default_as_numpy():
    # np.add.reduce(x) sums axis 0, unlike np.sum(x): a regression (it summed everything)
    node = ag.parameter(X)
    for ufunc in (np.add, np.multiply, np.maximum, np.minimum):
        np.testing.assert_array_equal(ufunc.reduce(node).value, ufunc.reduce(X))
        np.testing.assert_array_equal(ufunc.reduce(node, axis=None).value,
                                      ufunc.reduce(X, axis=None))
        np.testing.assert_array_equal(ufunc.reduce(node, 2, keepdims=True).value,
                                      ufunc.reduce(X, 2, keepdims=True))
    for ufunc in (np.add, np.multiply):
        np.testing.assert_array_equal(ufunc.accumulate(node).value, ufunc.accumulate(X))
        np.testing.assert_array_equal(ufunc.accumulate(node, axis=2).value,
                                      ufunc.accumulate(X, axis=2))
    np.testing.assert_allclose(np.logaddexp.reduce(node).value, np.logaddexp.reduce(X),
                               rtol=1e-15)
    np.testing.assert_allclose(np.logaddexp.reduce(node, axis=(0, 2)).value,
                               np.logaddexp.reduce(X, axis=(0, 2)), rtol=1e-15)


def test_average_values_are_numpys():
    w3 = rng.uniform(0.5, 2.0, 3)
    w = rng.uniform(0.5, 2.0, X.shape)
    node = ag.parameter(X)
    cases = [dict(), dict(axis=1), dict(axis=(0, 2), keepdims=True), dict(weights=w),
             dict(axis=1, weights=w3), dict(axis=-2, weights=w3, keepdims=True),
             dict(axis=(2, 0), weights=w[0, 0, :, None] * w[:, 0, 0]),
             dict(axis=(0, 2), weights=w[:, 0, :])]
    for kwargs in cases:
        np.testing.assert_allclose(np.average(node, **kwargs).value, np.average(X, **kwargs),
                                   rtol=1e-14, err_msg=str(kwargs))
    for kwargs in (dict(axis=1, returned=True), dict(axis=1, weights=w3, returned=True)):
        (avg, total), (expected_avg, expected_total) = (np.average(node, **kwargs),
                                                        np.average(X, **kwargs))
        np.testing.assert_allclose(avg.value, expected_avg, rtol=1e-14)
        np.testing.assert_allclose(np.asarray(ag.value_of(total)), expected_total, rtol=1e-14)
        assert np.shape(ag.value_of(total)) == np.shape(expected_total)


def test_float32_stays_float32_and_dtype_is_honoured():
    x32 = ag.parameter(X.astype(np.float32))
    for y in (np.min(x32, axis=1), np.prod(x32), np.var(x32, axis=0), np.std(x32),
              np.cumsum(x32), np.cumprod(x32, axis=2), np.diff(x32), np.ptp(x32, axis=-1),
              np.average(x32, axis=1), np.logaddexp.reduce(x32)):
        assert y.dtype == np.float32, y
        x32.zero_grad()
        y.sum().backward()
        assert x32.grad.dtype == np.float32
    assert np.prod(x32, dtype=np.float64).dtype == np.float64
    assert np.var(x32, dtype=np.float64).dtype == np.float64
    assert np.cumsum(x32, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.var(x32, axis=1, dtype=np.float64).value,
                                  np.var(X.astype(np.float32), axis=1, dtype=np.float64))


def test_node_methods():
    node = ag.parameter(X)
    np.testing.assert_array_equal(node.min(axis=1).value, X.min(axis=1))
    np.testing.assert_array_equal(node.prod(axis=(0, 1), keepdims=True).value,
                                  X.prod(axis=(0, 1), keepdims=True))
    np.testing.assert_array_equal(node.var(ddof=1).value, X.var(ddof=1))
    np.testing.assert_array_equal(node.std(axis=2).value, X.std(axis=2))


# --- gradients ------------------------------------------------------------------------------

@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradients(name, axis, keepdims):
    check(lambda x: REDUCTIONS[name](x, axis, keepdims), X, second=not keepdims)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=str)
def test_reduction_gradients_on_scalar_vector_matrix(name, shape):
    if name.endswith("ddof=1") and shape == ():
        return                                  # N - ddof = 0
    x = rng.standard_normal(shape)
    check(lambda v: REDUCTIONS[name](v, None, False), x)


@pytest.mark.parametrize("axis", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_total_gradients(name, axis):
    check(lambda x: getattr(np, name)(x, axis=axis), X)


@pytest.mark.parametrize("n,axis", [(1, -1), (2, 0), (3, 2)])
def test_diff_gradients(n, axis):
    check(lambda x: np.diff(x, n=n, axis=axis), X)
    end = rng.standard_normal((2, 3, 1))
    result = ag.gradcheck(lambda x, e: np.diff(x, n=n, axis=-1, prepend=e, append=1.0), X, end)
    assert result.ok, str(result)


def test_average_gradients_for_values_and_weights():
    w3 = rng.uniform(0.5, 2.0, 3)
    for kwargs in (dict(axis=1), dict(axis=(0, 2), keepdims=True)):
        check(lambda x: np.average(x, **kwargs), X)
    result = ag.gradcheck(lambda x, w: np.average(x, axis=1, weights=w), X, w3)
    assert result.ok, str(result)
    result = ag.gradcheck(lambda x, w: np.average(x, weights=w), X,
                          rng.uniform(0.5, 2.0, X.shape))
    assert result.ok, str(result)
    check(lambda w: np.average(X, axis=1, weights=w), w3)


@pytest.mark.parametrize("ufunc,method", [(np.add, "reduce"), (np.multiply, "reduce"),
                                          (np.minimum, "reduce"), (np.maximum, "reduce"),
                                          (np.logaddexp, "reduce"), (np.add, "accumulate"),
                                          (np.multiply, "accumulate")])
def test_ufunc_method_gradients(ufunc, method):
    check(lambda x: getattr(ufunc, method)(x, axis=1), X)
    check(lambda x: getattr(ufunc, method)(x), X, second=False)


def test_ties_share_the_gradient_and_nans_take_it():
    x = ag.parameter([[1.0, 0.5, 0.5], [2.0, np.nan, 3.0]])
    np.min(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [0.0, 1.0, 0.0]])
    x.zero_grad()
    np.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


# --- zeros in products: the product of the others, exactly ------------------------------------

def others(x):
    """prod of every entry of the vector x but the i-th, for each i: from the definition."""
    return np.array([np.prod(np.delete(x, i)) for i in range(len(x))])


def pair_others(x):
    """prod of every entry but the i-th and j-th (i != j): prod's second derivatives."""
    n = len(x)
    return np.array([[np.prod(np.delete(x, [i, j])) if i != j else 0.0 for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, -1.5], [0.0, 2.0, 0.0, 4.0], [0.0, 0.0, 0.0],
                               [0.0], [1.5, -2.0, 0.5, 3.0]], ids=str)
def test_prod_gradient_and_hessian_with_zeros(x):
    x = np.array(x)
    np.testing.assert_array_equal(ag.grad(np.prod)(x), others(x))
    np.testing.assert_allclose(ag.hessian(np.prod)(x), pair_others(x), rtol=1e-15, atol=0)


def test_prod_gradient_with_zeros_over_axes():
    x = rng.standard_normal((3, 4, 2))
    x[0, 1, 0] = x[2, 3, 1] = x[2, 0, 1] = 0.0
    for axis in (0, 1, -1, (0, 2), None):
        check(lambda v: np.prod(v, axis=axis), x)
    g = ag.grad(lambda v: np.prod(v, axis=1).sum())(x)
    expected = np.stack([np.stack([others(x[i, :, k]) for k in range(2)], axis=-1)
                         for i in range(3)])
    np.testing.assert_allclose(g, expected, rtol=1e-14, atol=0)


def test_prod_gradient_where_the_product_underflows():
    # the product is 0 (underflow) although no entry is: ans / x would give 0, not 1e-200
    x = np.array([1e-200, 1e-200, 1e200, 2.0])
    np.testing.assert_allclose(ag.grad(np.prod)(x), others(x), rtol=1e-14)


def running_gradient(x, w):
    """d/dx[k] of sum_i w[i] prod(x[:i+1]), from the definition."""
    n = len(x)
    return np.array([sum(w[i] * np.prod(np.delete(x[:i + 1], k)) for i in range(k, n))
                     for k in range(n)])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, -1.5], [0.0, 2.0, 0.0, 4.0], [1.0, 2.0, 0.0],
                               [1e-200, 1e-200, 1e200, 2.0], [1.5, -2.0, 0.5, 3.0]], ids=str)
def test_cumprod_gradient_with_zeros(x):
    x, w = np.array(x), np.array([0.5, -1.0, 2.0, 1.5])[:len(x)]
    np.testing.assert_allclose(ag.grad(lambda v: (np.cumprod(v) * w).sum())(x),
                               running_gradient(x, w), rtol=1e-14, atol=0)
    if abs(x).max() < 1e10:
        check(lambda v: np.cumprod(v), x)


def test_cumprod_zeros_along_an_axis_second_order():
    x = rng.standard_normal((3, 4))
    x[0, 1] = x[1, 0] = x[1, 2] = 0.0
    check(lambda v: np.cumprod(v, axis=1), x)
    check(lambda v: np.cumprod(v, axis=0), x)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 6),
                  elements=st.sampled_from([0.0, 0.0, -2.0, -0.5, 0.5, 1.0, 1.5, 3.0])))
@example(np.array([1.5, -0.5, -0.5, 0.0, -2.0, -0.5]))      # cancels to 0 against 1.1e-16
def test_prod_and_cumprod_gradients_equal_the_definition_for_any_zeros(x):
    np.testing.assert_allclose(ag.grad(np.prod)(x), others(x), rtol=1e-14, atol=0)
    w = np.linspace(-1.0, 2.0, len(x))
    # a sum of products of either sign cancels: its rounding is relative to the sum of their
    # magnitudes (x = [1.5, -.5, -.5, 0, -2, -.5] gives 0 here, 1.1e-16 by the definition)
    scale = running_gradient(np.abs(x), np.abs(w))
    np.testing.assert_allclose(ag.grad(lambda v: (np.cumprod(v) * w).sum())(x),
                               running_gradient(x, w), rtol=1e-14,
                               atol=1e-14 * float(scale.max(initial=0.0)) + 1e-300)
    np.testing.assert_allclose(ag.hessian(np.prod)(x), pair_others(x), rtol=1e-14, atol=0)


# --- moments ---------------------------------------------------------------------------------

def test_var_gradient_from_the_formula():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    for ddof in (0, 1, 2):
        np.testing.assert_allclose(ag.grad(lambda v: np.var(v, ddof=ddof))(x),
                                   2 * (x - x.mean()) / (len(x) - ddof), rtol=1e-15)
        np.testing.assert_allclose(ag.hessian(lambda v: np.var(v, ddof=ddof))(x),
                                   2 * (np.eye(4) - 1 / 4) / (4 - ddof), rtol=1e-14, atol=1e-15)


def test_correction_is_ddof():
    node = ag.parameter(X)
    np.testing.assert_array_equal(np.var(node, axis=1, correction=1).value,
                                  np.var(X, axis=1, ddof=1))
    np.testing.assert_array_equal(np.std(node, correction=1.5).value, np.std(X, correction=1.5))
    with pytest.raises(ValueError, match="ddof and correction"):
        np.var(node, ddof=1, correction=1)


# --- refusals -------------------------------------------------------------------------------

def test_unsupported_keywords_are_refused_by_name():
    node = ag.parameter(X)
    with pytest.raises(TypeError, match="numpy.prod: initial="):
        np.prod(node, initial=2.0)
    with pytest.raises(TypeError, match="numpy.min: where="):
        np.min(node, where=X > 0)
    with pytest.raises(TypeError, match="numpy.var: mean="):
        np.var(node, mean=np.mean(X, keepdims=True))
    with pytest.raises(TypeError, match="numpy.cumsum: out="):
        np.cumsum(node, out=np.empty(X.size))
    with pytest.raises(TypeError, match="out="):
        np.add.accumulate(node, out=np.empty(X.shape))


def test_bad_axes_and_weights_are_named():
    node = ag.parameter(X)
    with pytest.raises(ag.ShapeError, match="prod: .*axis 3 is out of range for 3 dimensions"):
        np.prod(node, axis=3)
    with pytest.raises(ag.ShapeError, match="cumprod: .*axis 5 is out of range"):
        np.cumprod(node, axis=5)
    with pytest.raises(ValueError, match="shape of weights"):
        np.average(node, axis=1, weights=np.ones(4))
    with pytest.raises(TypeError, match="axis must be specified"):
        np.average(node, weights=np.ones(3))
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        np.average(node, axis=1, weights=np.array([1.0, -1.0, 0.0]))
    with pytest.raises(ValueError, match="at least one dimensional"):
        np.diff(ag.parameter(1.0))


@pytest.mark.filterwarnings("error")
def test_logaddexp_reduce_of_all_minus_infinity_is_minus_infinity_without_a_warning():
    with np.errstate(all="raise"):
        y = np.logaddexp.reduce(ag.parameter([[-np.inf, -np.inf], [0.0, 1.0]]), axis=1)
    np.testing.assert_array_equal(y.value, np.logaddexp.reduce([[-np.inf, -np.inf], [0.0, 1.0]],
                                                               axis=1))


def test_all_combinations_of_axis_pairs_for_prod_with_a_zero():
    x = rng.standard_normal((2, 3, 2))
    x[1, 2, 0] = 0.0
    for axis in itertools.combinations(range(3), 2):
        result = ag.gradcheck(lambda v: np.prod(v, axis=axis), x)
        assert result.ok, str(result)


def test_std_of_a_constant_lane_has_gradient_zero_not_nan():
    x = ag.parameter([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]])
    np.std(x, axis=1).sum().backward()
    row = np.array([1.0, 2.0, 6.0])
    np.testing.assert_allclose(x.grad, [[0.0, 0.0, 0.0], (row - row.mean()) / (3 * row.std())],
                               rtol=1e-15)
    assert ag.grad(np.std)(np.array(4.0)) == 0.0          # one entry: std is 0 everywhere


# --- numpy.gradient ------------------------------------------------------------------------

@pytest.mark.parametrize("shape,args,kwargs", [
    ((10,), (), {}), ((5, 6), (0.5,), {}), ((4, 5, 6), (2.0, 0.3), {"axis": (0, -1)}),
    ((4, 5, 6), (), {"axis": 1, "edge_order": 2}), ((7,), (0.1,), {"edge_order": 2}),
    ((3, 4), (), {"axis": -1})], ids=str)
def test_numpy_gradient_values_and_gradients(shape, args, kwargs):
    x = rng.standard_normal(shape)
    got, expected = np.gradient(ag.parameter(x), *args, **kwargs), np.gradient(x, *args, **kwargs)
    got = got if isinstance(got, tuple) else (got,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g.value, e)

    def first(v):
        out = np.gradient(v, *args, **kwargs)
        return out[-1] if isinstance(out, tuple) else out
    check(first, x, second=False)


def test_numpy_gradient_refusals():
    with pytest.raises(ValueError, match="at least \\(edge_order \\+ 1\\)"):
        np.gradient(ag.parameter([1.0, 2.0]), edge_order=2)
    with pytest.raises(TypeError, match="coordinate arrays"):
        np.gradient(ag.parameter([1.0, 2.0, 4.0]), np.array([0.0, 1.0, 3.0]))


# --- NaN-skipping reductions and numpy 2's cumulative functions -------------------------------

NANS = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, np.nan, np.nan, np.nan],
                 [0.5, 2.0, -1.0, np.nan]])
NAN_FUNCTIONS = ["nansum", "nanprod", "nanmean", "nanmax", "nanmin", "nanvar", "nanstd",
                 "nancumsum", "nancumprod"]


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": 1}, {"axis": -1, "keepdims": True},
                                    {"axis": 1, "ddof": 1}], ids=str)
@pytest.mark.parametrize("name", NAN_FUNCTIONS)
def test_nan_functions_values_are_numpys(name, kwargs):
    if ("keepdims" in kwargs and name.startswith("nancum")) or \
            ("ddof" in kwargs and name not in ("nanvar", "nanstd")):
        return
    f = getattr(np, name)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # numpy's own, on the all-NaN row
        got, expected = f(ag.parameter(NANS), **kwargs), f(NANS, **kwargs)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got.value, expected, rtol=1e-15, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", NAN_FUNCTIONS)
def test_nan_functions_gradients_skip_the_nans(name):
    x = np.array([[1.0, np.nan, 3.0, 2.0], [0.5, 2.0, -1.0, np.nan], [1.5, -0.5, 0.7, 2.5]])
    f = getattr(np, name)
    for axis in (0, 1):
        result = ag.gradcheck(lambda v: f(v, axis=axis), x)
        assert result.ok, str(result)
        g = ag.grad(lambda v: f(v, axis=axis).sum())(x)
        assert np.all(g[np.isnan(x)] == 0.0)


def test_nanmax_of_an_all_nan_slice_is_nan_with_numpys_warning():
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        y = np.nanmax(ag.parameter(NANS), axis=1)
    np.testing.assert_array_equal(y.value, [3.0, np.nan, 2.0])


def test_nanmean_keeps_float32():
    assert np.nanmean(ag.parameter(NANS[0].astype(np.float32))).dtype == np.float32


@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
def test_cumulative_functions(name):
    f = getattr(np, name)
    x = rng.standard_normal((3, 4))
    for kwargs in ({"axis": 1}, {"axis": 0, "include_initial": True}):
        np.testing.assert_array_equal(f(ag.parameter(x), **kwargs).value, f(x, **kwargs))
        check(lambda v: f(v, **kwargs), x)
    np.testing.assert_array_equal(f(ag.parameter(x[0]), include_initial=True).value,
                                  f(x[0], include_initial=True))
    with pytest.raises(ValueError, match="axis must be specified"):
        f(ag.parameter(x))


# --- linspace with Node endpoints ----------------------------------------------------------

@pytest.mark.parametrize("start,stop,num,kwargs", [
    (1.2, 3.4, 5, {}), (1.2, -3.4, 5, {}), (1.2, 1.2, 5, {}), (1.2, 3.4, 1, {}),
    (1.2, 3.4, 0, {}), (0.0, 1.0, 7, {"endpoint": False}),
    (np.array([1.0, 2.0]), np.array([3.0, 7.0]), 4, {"axis": 1}),
    (np.array([1.0, 2.0]), 9.0, 4, {"axis": -1})], ids=str)
def test_linspace(start, stop, num, kwargs):
    got = np.linspace(ag.parameter(start), ag.parameter(stop), num, **kwargs)
    np.testing.assert_array_equal(got.value, np.linspace(start, stop, num, **kwargs))
    result = ag.gradcheck(lambda a, b: np.linspace(a, b, num, **kwargs), start, stop)
    assert result.ok, str(result)
    y, step = np.linspace(ag.parameter(start), stop, num, retstep=True, **kwargs)
    np.testing.assert_array_equal(ag.value_of(step), np.linspace(start, stop, num, retstep=True,
                                                                 **kwargs)[1])


# --- order statistics ------------------------------------------------------------------------

@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_median_quantile_percentile_values_are_numpys(axis, keepdims):
    node = ag.parameter(X)
    np.testing.assert_array_equal(np.median(node, axis=axis, keepdims=keepdims).value,
                                  np.median(X, axis=axis, keepdims=keepdims))
    for q in (0.3, [0.0, 0.25, 0.5, 1.0], np.array([[0.1, 0.9]]), 0.999):
        got = np.quantile(node, q, axis=axis, keepdims=keepdims)
        expected = np.quantile(X, q, axis=axis, keepdims=keepdims)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got.value, expected)
        np.testing.assert_array_equal(
            np.percentile(node, np.multiply(q, 100), axis=axis, keepdims=keepdims).value,
            np.percentile(X, np.multiply(q, 100), axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
def test_median_and_quantile_gradients(axis):
    check(lambda v: np.median(v, axis=axis), X)
    check(lambda v: np.quantile(v, [0.3, 0.8], axis=axis), X)
    check(lambda v: np.percentile(v, 65.0, axis=axis, keepdims=True), X, second=False)


def test_median_and_quantile_gradients_go_to_the_entries_used():
    x = np.array([3.0, 1.0, 4.0, 1.5, 9.0])            # sorted: 1, 1.5, 3, 4, 9
    np.testing.assert_array_equal(ag.grad(np.median)(x), [1.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ag.grad(np.median)(x[:4]), [0.5, 0.0, 0.0, 0.5])
    # quantile 0.3 of 5 entries: rank 1.2, i.e. 0.8 of the 2nd smallest and 0.2 of the 3rd
    np.testing.assert_allclose(ag.grad(lambda v: np.quantile(v, 0.3))(x),
                               [0.2, 0.0, 0.0, 0.8, 0.0], rtol=1e-15)


def test_median_of_a_lane_with_nan_is_nan_and_float32_stays():
    y = np.median(ag.parameter([[1.0, np.nan, 2.0], [3.0, 1.0, 2.0]]), axis=1)
    np.testing.assert_array_equal(y.value, [np.nan, 2.0])
    assert np.median(ag.parameter(np.float32([1, 2, 3, 4]))).dtype == np.float32
    assert np.quantile(ag.parameter(np.float32([1, 2, 3, 4])), 0.3).dtype == np.float32


def test_quantile_refusals():
    node = ag.parameter(X)
    with pytest.raises(TypeError, match="method='nearest' is not supported"):
        np.quantile(node, 0.5, method="nearest")
    with pytest.raises(ValueError, match="range \\[0, 1\\]"):
        np.quantile(node, 1.5)
    with pytest.raises(ValueError, match="range \\[0, 100\\]"):
        np.percentile(node, -5)
    with pytest.raises(TypeError, match="q as a Node"):
        np.quantile(node, ag.parameter(0.5))
    with pytest.raises(TypeError, match="q as a Node"):
        np.percentile(node, ag.constant(50.0))
