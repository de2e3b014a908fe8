"""gradcheck can be trusted: non-finite values and gradients fail, the step follows the scale
of x, and it shares its comparison with the verifier (core/compare.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph.core.compare import Tolerance, compare, tolerance_for

nan_rule = ag.Primitive("nan_rule", np.sin, lambda g, ans, x: g * np.nan, register=False)
inf_rule = ag.Primitive("inf_rule", np.sin, lambda g, ans, x: g * np.inf, register=False)


@pytest.mark.filterwarnings("error")        # gradcheck reports NaN; it does not warn about it
@pytest.mark.parametrize("f, x, says", [
    (lambda x: nan_rule(x), 0.5, "reverse-mode gradient for input 0: not finite (NaN)"),
    (lambda x: inf_rule(x), 0.5, "reverse-mode gradient for input 0: not finite (infinite)"),
    (lambda x: ag.log(x - 10.0), 0.3, "value of f: not finite (NaN)"),
    (ag.sqrt, 0.0, "reverse-mode gradient for input 0: not finite (infinite)"),
    (ag.sqrt, np.array([1.0, 0.0]), "not finite (infinite at (1,))"),
])
def test_non_finite_values_or_gradients_fail(f, x, says):
    result = ag.gradcheck(f, x)
    assert not result.ok and not bool(result)
    assert says in str(result)
    assert str(result).startswith("gradcheck: FAIL")


@pytest.mark.parametrize("f, x", [
    (lambda x: x ** 2, 1e5),
    (lambda x: 1.0 / x, 1e-4),
    (lambda x: 1.0 / x, -3e-7),
    (lambda x: (x ** 3).sum(), np.array([1e4, -2e4, 0.0, 5e3])),
    (lambda x: ag.sigmoid(x), 1e-10),            # scale 1: the absolute step is the right one
    (lambda x: x + 1.0, 1e-12),
    (lambda x: ag.exp(x), 300.0),
])
def test_right_gradients_pass_at_large_and_small_scales(f, x):
    result = ag.gradcheck(f, x)
    assert result.ok, str(result)


@settings(max_examples=40, deadline=None)
@given(st.floats(-12.0, 12.0), st.sampled_from([1, 2, 3, -1, -2, 0.5]))
def test_powers_pass_at_every_scale_and_a_wrong_rule_fails(log_scale, b):
    x = 10.0 ** log_scale
    if b == 0.5 or b < 0:
        x = abs(x)
    assert ag.gradcheck(lambda t: t ** b, x).ok
    wrong = ag.Primitive("wrong_power", lambda t: t ** b,
                         lambda g, ans, t: g * b * t ** (b - 1) * 1.01, register=False)
    slope = abs(b * x ** (b - 1))
    if 0.01 * slope > 2 * (1e-6 + 1e-5 * slope):      # an error the tolerance can see
        assert not ag.gradcheck(wrong, x).ok


def test_a_rule_off_by_one_percent_fails():
    almost = ag.Primitive("almost_exp", np.exp, lambda g, ans, x: g * ans * 1.01,
                          register=False)
    assert not ag.gradcheck(lambda x: almost(x).sum(), np.array([0.3, -1.0, 2.0])).ok


# --- the one comparison core -------------------------------------------------------------------

def test_compare_reports_errors_worst_entries_and_a_mask():
    reference = np.array([[1.0, 2.0], [3.0, 4.0]])
    actual = np.array([[1.0, 2.5], [3.0, np.nan]])
    result = compare(actual, reference, Tolerance(1e-7, 0.0), worst=3)
    assert not result.ok and result.disagreeing == 2 and result.nonfinite == 1
    np.testing.assert_array_equal(result.mask, [[False, True], [False, True]])
    assert [e.index for e in result.worst] == [(1, 1), (0, 1)]      # NaN first
    assert result.max_abs_error == 0.5 and result.max_rel_error == 0.5 / 2.5


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_non_finite_entries_never_agree_even_with_themselves(value):
    assert not compare(np.array([value]), np.array([value]), Tolerance(1.0, 1.0)).ok


def test_a_shape_mismatch_disagrees_everywhere():
    result = compare(np.ones(3), np.ones((3, 1)), Tolerance(1e-7))
    assert not result.ok and result.mask.shape == (3, 1) and result.mask.all()


def test_default_tolerances_follow_the_least_precise_dtype():
    assert tolerance_for([np.ones(2)]).rtol == 1e-7
    assert tolerance_for([np.ones(2), np.ones(2, np.float32)]).precision == "float32"
    assert tolerance_for([np.ones(2, np.float16)]).rtol == 1e-2


def test_the_verifier_and_gradcheck_use_the_same_comparison():
    import sys
    gradcheck_module = sys.modules["autograph.core.gradcheck"]
    check_module = sys.modules["autograph.verify.check"]
    diagnose_module = sys.modules["autograph.verify.diagnose"]
    assert check_module.compare is compare is gradcheck_module.compare
    assert diagnose_module.Tolerance is Tolerance is check_module.Tolerance


def test_the_verifier_refuses_an_infinite_hand_gradient_equal_to_autodiffs():
    w = ag.parameter([0.0, 1.0], name="w")
    loss = ag.sqrt(w).sum()                       # d/dw sqrt(w) is inf at 0
    with np.errstate(divide="ignore"):
        report = ag.check_gradients(loss, [w], {"w": 0.5 / np.sqrt(w.value)})
    assert not report.ok and report["w"].disagreeing == 1
