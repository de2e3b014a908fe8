"""The power rule at every order, including x = 0 and exponents 0 and 1 (no 0 * inf)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag


def derivative(f, order):
    for _ in range(order):
        f = ag.grad(f)
    return f


def falling_factorial(b, k):
    return math.prod(b - j for j in range(k))


def truth(x, b, k):
    """d^k/dx^k x**b = b (b-1) ... (b-k+1) x**(b-k), transcribed from the math."""
    c = falling_factorial(b, k)
    return 0.0 if c == 0 else c * x ** (b - k)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("f, order, expected", [
    (lambda x: x ** 0, 1, 0.0),          # was nan: 0 * 0**-1
    (lambda x: x ** 1, 2, 0.0),
    (lambda x: x ** 2, 3, 0.0),
    (lambda x: x ** 2, 2, 2.0),
    (lambda x: x ** 3, 3, 6.0),
    (lambda x: x ** 3, 2, 0.0),
])
def test_power_at_zero(f, order, expected):
    assert float(derivative(f, order)(0.0)) == expected


@pytest.mark.filterwarnings("error")
def test_hessian_and_hvp_of_a_linear_power_at_zero():
    np.testing.assert_array_equal(ag.hessian(lambda x: (x ** 1).sum())(np.zeros(3)),
                                  np.zeros((3, 3)))
    np.testing.assert_array_equal(ag.hvp(lambda x: (x ** 1).sum())(np.zeros(3), np.ones(3)),
                                  np.zeros(3))


@pytest.mark.filterwarnings("error")
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5), st.integers(1, 3),
       st.one_of(st.just(0.0), st.floats(-2.0, 2.0, allow_nan=False)))
def test_integer_exponents_at_every_order(b, k, x):
    np.testing.assert_allclose(float(derivative(lambda t: t ** b, k)(x)), truth(x, b, k),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("error")
@settings(max_examples=60, deadline=None)
@given(st.floats(-2.5, 3.5, allow_nan=False), st.integers(1, 3), st.floats(0.25, 3.0))
def test_real_exponents_at_every_order_against_the_math_and_finite_differences(b, k, x):
    d = derivative(lambda t: t ** b, k)
    np.testing.assert_allclose(float(d(x)), truth(x, b, k), rtol=1e-10, atol=1e-12)
    lower = derivative(lambda t: t ** b, k - 1)
    h = 1e-5 * x
    numeric = (float(lower(x + h)) - float(lower(x - h))) / (2 * h)
    np.testing.assert_allclose(float(d(x)), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("error")
def test_a_variable_exponent_at_a_zero_base():
    b = ag.parameter([1.0, 2.0, 3.0], name="b")
    x = ag.parameter([0.0, 0.0, 0.0], name="x")
    (x ** b).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0])     # b x**(b-1) at 0
    np.testing.assert_array_equal(b.grad, [0.0, 0.0, 0.0])     # 0**b is 0 all around b > 0


@pytest.mark.parametrize("base, exponent", [(-2.0, 2.0), (-0.5, 3.0), (0.0, 0.0), (0.0, -1.0)])
def test_the_exponents_gradient_where_it_has_none_is_refused(base, exponent):
    b = ag.parameter(exponent, name="b")
    with np.errstate(divide="ignore"):                 # 0 ** -1 is inf, on purpose
        y = ag.constant([base, 2.0]) ** b
    with pytest.raises(FloatingPointError, match=r"power: no gradient for the exponent where "
                                                 rf"the base is {base:g} \(at \(0,\)\)"):
        y.sum().backward()
    assert b.grad is None


def test_a_masked_negative_base_passes_no_gradient_and_is_not_refused():
    b = ag.parameter(2.0, name="b")
    x = ag.constant([-2.0, 3.0])
    ag.where(x.value > 0, x ** b, 0.0).sum().backward()
    np.testing.assert_allclose(float(b.grad), 9.0 * np.log(3.0))
