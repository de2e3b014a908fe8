"""check_grads, HIPS autograd's and JAX's convention: silent when right, AssertionError with
the report when a derivative of any checked order is wrong."""

import numpy as np
import pytest

import autograph as ag
from autograph.core.node import Primitive, value_of
from autograph.test_util import check_grads

# x^3 with a right gradient rule, written with autograph operations: every order is right
cube = Primitive("cube", lambda x: x ** 3, lambda g, ans, x: 3.0 * g * x * x, register=False)
# the same first derivative, but computed from the plain value: its own derivative is lost
flat_cube = Primitive("flat_cube", lambda x: x ** 3,
                      lambda g, ans, x: 3.0 * g * value_of(x) ** 2, register=False)
# a wrong first derivative (2x^2 instead of 3x^2)
wrong_cube = Primitive("wrong_cube", lambda x: x ** 3, lambda g, ans, x: 2.0 * g * x * x,
                       register=False)

x = np.array([[0.3, -1.2], [2.0, 0.7]])


def test_right_derivatives_pass_silently_up_to_the_order_asked():
    assert check_grads(cube, order=3)(x) is None
    check_grads(lambda a, w: ag.softmax(ag.tanh(a @ w) * 2.0), modes=["rev"], order=2)(
        x, np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -1.0]]))
    check_grads(lambda a: ag.log_softmax(a).sum() + ag.logsumexp(a, axis=0).sum())(x)


def test_a_wrong_gradient_is_an_assertion_error_with_the_report():
    with pytest.raises(AssertionError, match=r"the gradient of wrong_cube disagrees") as error:
        check_grads(wrong_cube, order=1)(x)
    report = str(error.value)
    assert "gradcheck: FAIL" in report and "finite differences" in report


def test_a_wrong_second_derivative_is_caught_at_order_2_only():
    check_grads(flat_cube, order=1)(x)
    with pytest.raises(AssertionError, match=r"derivative of order 2 of flat_cube"):
        check_grads(flat_cube, order=2)(x)


def test_unsupported_modes_and_orders_are_refused():
    with pytest.raises(NotImplementedError, match=r"modes \['fwd', 'rev'\].*reverse mode only"):
        check_grads(cube, modes=["fwd", "rev"])
    with pytest.raises(ValueError, match="order must be a positive integer"):
        check_grads(cube, order=0)


def test_a_function_of_a_constant_argument_has_zero_derivatives():
    check_grads(lambda a, b: a * 2.0, order=2)(x, np.ones(3))
