"""numpy's elementwise functions called on Nodes: values as numpy's, gradients (first and second
order) against central differences in float64, float32 kept, refusals by name."""

import numpy as np
import pytest

import autograph as ag

rng = np.random.default_rng(9)


def normal(shape):
    return rng.standard_normal(shape)


def unit(shape):                 # |x| < 1: arcsin, arccos, arctanh, and tan away from its poles
    return rng.uniform(-0.9, 0.9, shape)


def positive(shape):
    return rng.uniform(0.5, 2.0, shape)


def above_one(shape):
    return rng.uniform(1.2, 3.0, shape)


def nonzero(shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


UNARY = {
    "sin": normal, "cos": normal, "tan": unit, "arcsin": unit, "arccos": unit, "arctan": normal,
    "sinh": normal, "cosh": normal, "arcsinh": normal, "arccosh": above_one, "arctanh": unit,
    "exp2": normal, "expm1": normal, "log2": positive, "log10": positive, "log1p": positive,
    "square": normal, "reciprocal": nonzero, "cbrt": nonzero, "fabs": nonzero,
    "deg2rad": normal, "rad2deg": normal, "degrees": normal, "radians": normal, "sinc": normal,
}
STEPS = ["sign", "floor", "ceil", "trunc", "rint", "fix", "round", "around"]

BINARY = {
    "arctan2": (normal, nonzero), "hypot": (nonzero, nonzero), "logaddexp": (normal, normal),
    "logaddexp2": (normal, normal), "mod": (normal, nonzero), "remainder": (normal, nonzero),
    "fmod": (normal, nonzero), "fmax": (normal, normal), "fmin": (normal, normal),
    "float_power": (positive, normal), "copysign": (nonzero, nonzero),
    "floor_divide": (normal, nonzero), "heaviside": (nonzero, normal),
}
SHAPES = [(), (5,), (3, 4)]
BINARY_SHAPES = [((), ()), ((4,), (4,)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3))]


def first_derivative(f, projection):
    """x -> d/dx sum(f(x) * projection), as a function a gradient check can differentiate."""
    return lambda x: ag.grad(lambda v: (f(v) * projection).sum())(x)


# --- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(UNARY) + STEPS)
def test_unary_values_are_numpys_to_the_last_bit(name):
    f = getattr(np, name)
    x = UNARY.get(name, normal)((3, 4)) * (3.0 if name in STEPS else 1.0)
    y = f(ag.parameter(x))
    assert isinstance(y, ag.Node) and y.op is not None
    np.testing.assert_array_equal(y.value, f(x))


@pytest.mark.parametrize("name", BINARY)
def test_binary_values_are_numpys_to_the_last_bit(name):
    f = getattr(np, name)
    a, b = BINARY[name][0]((3, 4)), BINARY[name][1]((4,))
    y = f(ag.parameter(a), ag.parameter(b))
    assert isinstance(y, ag.Node)
    np.testing.assert_array_equal(y.value, f(a, b))


@pytest.mark.parametrize("name", [n for n in UNARY if n != "sinc"] + STEPS[:5])
def test_float32_stays_float32_and_so_does_its_gradient(name):
    x = ag.parameter(UNARY.get(name, normal)(4).astype(np.float32))
    y = getattr(np, name)(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_stays_float32_in_the_functions():
    x = ag.parameter(normal(4).astype(np.float32))
    for y in (np.sinc(x), np.clip(x, -0.5, 0.5), np.nan_to_num(x), np.round(x, 1),
              np.arctan2(x, 2.0), np.logaddexp(x, x), np.hypot(x, 1.0)):
        assert y.dtype == np.float32
        x.zero_grad()
        y.sum().backward()
        assert x.grad.dtype == np.float32


# --- gradients ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient(name, shape):
    result = ag.gradcheck(getattr(np, name), UNARY[name](shape))
    assert result.ok, str(result)


@pytest.mark.parametrize("name", UNARY)
def test_unary_second_derivative(name):
    x = UNARY[name]((2, 3))
    result = ag.gradcheck(first_derivative(getattr(np, name), normal((2, 3))), x)
    assert result.ok, str(result)


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradient(name, shapes):
    a, b = BINARY[name][0](shapes[0]), BINARY[name][1](shapes[1])
    if name in ("fmax", "fmin"):            # away from ties
        b = np.where(np.abs(a - b) < 0.05, b + 0.2, b)
    result = ag.gradcheck(getattr(np, name), a, b)
    assert result.ok, str(result)


@pytest.mark.parametrize("name", BINARY)
def test_binary_second_derivative(name):
    f = getattr(np, name)
    a, b = BINARY[name][0]((3, 2)), BINARY[name][1]((2,))
    wa, wb = normal(a.shape), normal(b.shape)

    def first(a, b):     # both first derivatives, projected to one number
        ga, gb = ag.grad(lambda u, v: (f(u, v) * wa).sum(), argnums=(0, 1))(a, b)
        return (ga * wa).sum() + (gb * wb).sum()

    result = ag.gradcheck(first, a, b)
    assert result.ok, str(result)


@pytest.mark.parametrize("name", STEPS)
def test_step_functions_are_recorded_with_a_zero_gradient(name):
    x = ag.parameter(normal((2, 3)) * 3.0)
    y = getattr(np, name)(x)
    assert y.op is not None and y.requires_grad      # in the graph, drawn like any op
    (y * x).sum().backward()                         # d/dx (step(x) x) = step(x)
    np.testing.assert_array_equal(x.grad, getattr(np, name)(x.value))


def test_round_keeps_numpys_decimals():
    x = np.array([1.2345, -2.5, 2.5, 0.125])
    np.testing.assert_array_equal(np.round(ag.parameter(x), 2).value, np.round(x, 2))
    np.testing.assert_array_equal(np.around(ag.parameter(x), decimals=-1).value,
                                  np.around(x, -1))


def test_sinc_slope_near_zero_against_long_double():
    # sinc'(x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2), evaluated in extended precision
    x = np.array([1e-3, -0.01, 0.05, 0.0999, 0.1, 0.1001, 0.3, -0.7, 1.5])
    t = np.pi * x.astype(np.longdouble)
    reference = (t * np.cos(t) - np.sin(t)) / (np.longdouble(np.pi) * x.astype(np.longdouble) ** 2)
    slope = ag.grad(lambda v: np.sinc(v).sum())(x)
    np.testing.assert_allclose(slope, reference.astype(np.float64), rtol=1e-13, atol=1e-16)
    # closer to 0 the long double formula cancels too: two terms of the series are exact there
    x = np.array([1e-8, -1e-5, 3e-5])
    slope = ag.grad(lambda v: np.sinc(v).sum())(x)
    np.testing.assert_allclose(slope, -np.pi ** 2 * x / 3 + np.pi ** 4 * x ** 3 / 30,
                               rtol=1e-15)


def test_sinc_derivatives_at_zero():
    # sinc(x) = 1 - (pi x)^2 / 6 + (pi x)^4 / 120 - ...: the derivatives at 0, from the series
    d1 = ag.grad(lambda v: np.sinc(v))
    d2 = ag.grad(d1)
    d3 = ag.grad(d2)
    assert d1(0.0) == 0.0
    np.testing.assert_allclose(d2(0.0), -np.pi ** 2 / 3, rtol=1e-14)
    np.testing.assert_allclose(d3(0.0), 0.0, atol=1e-14)
    np.testing.assert_allclose(ag.grad(d3)(0.0), np.pi ** 4 / 5, rtol=1e-12)


# --- NaNs and infinities --------------------------------------------------------------------

@pytest.mark.parametrize("name,other", [("fmax", "a"), ("fmin", "a")])
def test_fmax_fmin_pass_the_gradient_to_the_number_not_the_nan(name, other):
    a = ag.parameter([np.nan, 1.0, 2.0, np.nan])
    b = ag.parameter([3.0, np.nan, 1.0, np.nan])
    y = getattr(np, name)(a, b)
    np.testing.assert_array_equal(y.value, getattr(np, name)(a.value, b.value))
    y.sum().backward()
    if name == "fmax":
        np.testing.assert_array_equal(a.grad, [0.0, 1.0, 1.0, 1.0])
        np.testing.assert_array_equal(b.grad, [1.0, 0.0, 0.0, 0.0])
    else:
        np.testing.assert_array_equal(a.grad, [0.0, 1.0, 0.0, 1.0])
        np.testing.assert_array_equal(b.grad, [1.0, 0.0, 1.0, 0.0])


def test_ties_send_the_gradient_to_the_first_operand_as_maximum_does():
    a, b = ag.parameter([1.0, 2.0]), ag.parameter([1.0, 2.0])
    (np.fmax(a, b) + np.fmin(a, b)).sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad, [0.0, 0.0])


def test_nan_to_num_values_and_gradient():
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0])
    node = ag.parameter(x)
    with np.errstate(invalid="ignore"):
        y = np.nan_to_num(node, nan=-1.0, posinf=7.0, neginf=-7.0)
    np.testing.assert_array_equal(y.value, [1.5, -1.0, 7.0, -7.0, -2.0])
    (y * np.arange(5.0)).sum().backward()
    np.testing.assert_array_equal(node.grad, [0.0, 0.0, 0.0, 0.0, 4.0])
    np.testing.assert_array_equal(np.nan_to_num(ag.parameter(x)).value, np.nan_to_num(x))


# --- clip ------------------------------------------------------------------------------------

def test_clip_values_and_gradient_including_the_ends():
    x = ag.parameter([-2.0, -1.0, 0.0, 1.0, 3.0])
    y = np.clip(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.value, np.clip(x.value, -1.0, 1.0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_bounds_that_are_nodes_receive_the_gradient_where_taken():
    x = ag.parameter([[-2.0, 0.5, 3.0], [0.0, 2.5, -0.5]])
    lo, hi = ag.parameter([-1.0, 0.0, 1.0]), ag.parameter(2.0)
    np.clip(x, lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(lo.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(hi.grad, 2.0)
    result = ag.gradcheck(lambda x, lo: np.clip(x, lo, 0.8), normal((3, 4)), normal(4) - 0.5)
    assert result.ok, str(result)


def test_clip_one_sided_keywords_and_the_method():
    x = normal(6)
    node = ag.parameter(x)
    np.testing.assert_array_equal(np.clip(node, None, 0.2).value, np.clip(x, None, 0.2))
    np.testing.assert_array_equal(np.clip(node, min=-0.1).value, np.clip(x, min=-0.1))
    np.testing.assert_array_equal(np.clip(node, max=0.3).value, np.clip(x, max=0.3))
    np.testing.assert_array_equal(node.clip(-0.2, 0.2).value, x.clip(-0.2, 0.2))
    with pytest.raises(ValueError, match="a_min or min"):
        np.clip(node, 0.0, 1.0, min=0.0)


# --- dispatch and refusals -------------------------------------------------------------------

def test_aliases_reach_the_same_operation():
    x = ag.parameter(normal(3))
    assert np.mod(x, 2.0).op is np.remainder(x, 2.0).op
    assert np.degrees(x).op is np.rad2deg(x).op and np.radians(x).op is np.deg2rad(x).op
    assert np.fix(x).op is np.trunc(x).op


def test_out_and_where_are_refused_by_name():
    x = ag.parameter(normal(3))
    with pytest.raises(TypeError, match="numpy.sin: out="):
        np.sin(x, out=np.empty(3))
    with pytest.raises(TypeError, match="numpy.hypot: where="):
        np.hypot(x, x, where=np.array([True, False, True]))
    with pytest.raises(TypeError, match="numpy.clip: out="):
        np.clip(x, 0, 1, out=np.empty(3))
    with pytest.raises(TypeError, match="numpy.round: out="):
        np.round(x, out=np.empty(3))


def test_broadcasting_failure_names_the_operation_and_shapes():
    with pytest.raises(ag.ShapeError, match=r"arctan2: .*\(3,\).*\(4,\).*do not broadcast"):
        np.arctan2(ag.parameter(normal(3)), ag.parameter(normal(4)))


@pytest.mark.filterwarnings("error")
def test_extremes_do_not_warn():
    with np.errstate(all="raise", under="ignore"):
        big = ag.parameter([700.0, -700.0, 1000.0])
        np.logaddexp(big, big).sum().backward()
        np.testing.assert_allclose(big.grad, [1.0, 1.0, 1.0])
        x = ag.parameter([1e-300, 1e300])
        np.hypot(x, x).sum().backward()
        np.testing.assert_allclose(x.grad, [np.sqrt(2.0), np.sqrt(2.0)])   # d/dx hypot(x, x)


# --- real numbers seen as complex ones -----------------------------------------------------

def test_parts_of_a_real_node():
    x = ag.parameter([-1.5, 2.0, -0.0, 3.0])
    assert np.real(x) is x and np.conj(x) is x and np.conjugate(x) is x
    assert np.real_if_close(x) is x
    for f in (np.imag, np.angle, lambda v: np.angle(v, deg=True)):
        y = f(x)
        assert isinstance(y, ag.Node)
        np.testing.assert_array_equal(y.value, f(x.value))
        x.zero_grad()
        (y * x).sum().backward()        # y is constant in x: d/dx (y x) = y
        np.testing.assert_array_equal(x.grad, f(x.value))


def test_complex_values_are_refused_by_name():
    # A complex Node is refused when it is made (issue 10, item 8), before numpy.real & co.
    with pytest.raises(TypeError, match="complex values"):
        ag.constant(np.array([1.0 + 2.0j]))
    x = ag.parameter([1.0, -2.0])
    for f in (np.real, np.conj):                       # of a real Node: the Node's values
        np.testing.assert_array_equal(ag.value_of(f(x)), [1.0, -2.0])


def test_heaviside_passes_the_gradient_to_h0_where_x_is_zero():
    x, h0 = ag.parameter([-1.0, 0.0, 2.0, 0.0]), ag.parameter(0.5)
    y = np.heaviside(x, h0)
    np.testing.assert_array_equal(y.value, [0.0, 0.5, 1.0, 0.5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 0.0])
    assert h0.grad == 2.0
