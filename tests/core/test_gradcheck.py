"""gradcheck passes on correct gradients and, on a wrong rule, names the input and the worst
entries."""

import re

import numpy as np
import pytest

import autograph as ag

rng = np.random.default_rng(3)


def test_passes_on_correct_ops():
    result = ag.gradcheck(lambda x, w, b: ag.log_softmax(ag.tanh(x @ w) + b).sum(),
                          rng.standard_normal((4, 2)), rng.standard_normal((2, 3)),
                          rng.standard_normal(3))
    assert result.ok and bool(result)
    assert len(result.inputs) == 3
    assert [c.shape for c in result.inputs] == [(4, 2), (2, 3), (3,)]
    assert all(c.max_abs_error < 1e-6 for c in result.inputs)
    assert str(result).startswith("gradcheck: PASS")


def test_a_non_scalar_output_is_checked_whole():
    result = ag.gradcheck(lambda x: ag.softmax(x * x), rng.standard_normal((3, 4)))
    assert result.ok


def test_inputs_are_named_by_their_node_names_else_by_position():
    x = ag.constant(rng.standard_normal(3), name="x")
    result = ag.gradcheck(lambda a, b: (a * b).sum(), x, rng.standard_normal(3))
    assert [c.name for c in result.inputs] == ["x", "input 1"]


def test_inputs_are_not_modified():
    a = rng.standard_normal((2, 2))
    before = a.copy()
    ag.gradcheck(lambda x: (x ** 2).sum(), a)
    np.testing.assert_array_equal(a, before)


# An exp whose gradient rule is wrong at one entry only: the forward is right, the rule adds 1 to
# the gradient of entry (1, 2).
def _wrong_exp_rule(g, ans, x):
    wrong = np.zeros(np.shape(x))
    wrong[1, 2] = 1.0
    return g * ans + wrong


broken_exp = ag.Primitive("broken_exp", np.exp, _wrong_exp_rule)

# A sin with the gradient rule of cos (a sign error everywhere): the worst entries are where
# |cos x + sin x| is largest.
broken_sin = ag.Primitive("broken_sin", np.sin, lambda g, ans, x: g * np.sin(x))


def test_fails_on_a_wrong_rule_and_names_the_input_and_the_entry():
    x = ag.constant(rng.uniform(-1.0, 1.0, (2, 3)), name="logits")
    good = ag.constant(rng.standard_normal((2, 3)), name="scale")
    result = ag.gradcheck(lambda x, s: (broken_exp(x) * s).sum(), x, good)
    assert not result.ok and not bool(result)
    checked_x, checked_s = result.inputs
    assert checked_x.name == "logits" and not checked_x.ok
    assert checked_s.name == "scale" and checked_s.ok
    # the rule adds 1 to entry (1, 2) of the gradient, whatever comes in
    assert checked_x.worst[0].index == (1, 2)
    np.testing.assert_allclose(checked_x.max_abs_error, 1.0, rtol=1e-6)
    np.testing.assert_allclose(checked_x.worst[0].analytic - checked_x.worst[0].numeric, 1.0,
                               rtol=1e-6)
    report = str(result)
    assert report.startswith("gradcheck: FAIL")
    assert re.search(r"logits \(2, 3\): max abs error .* FAIL", report)
    assert re.search(r"scale \(2, 3\): max abs error .* ok", report)
    assert "at (1, 2): reverse mode" in report


def test_the_worst_entries_are_listed_worst_first():
    values = np.array([0.1, -2.0, 0.8, 1.2, -0.3])
    result = ag.gradcheck(lambda x: broken_sin(x).sum(), ag.constant(values, name="x"),
                          worst=3)
    assert not result.ok
    (checked,) = result.inputs
    error = np.abs(np.cos(values) - np.sin(values))        # true slope minus the rule's slope
    expected_order = [(int(i),) for i in np.argsort(error)[::-1][:3]]
    assert [m.index for m in checked.worst] == expected_order
    for m in checked.worst:
        np.testing.assert_allclose(m.analytic, np.sin(values[m.index]), rtol=1e-12)
        np.testing.assert_allclose(m.numeric, np.cos(values[m.index]), rtol=1e-6)
    np.testing.assert_allclose(checked.max_abs_error, error.max(), rtol=1e-6)


def test_a_rule_that_is_slightly_off_fails_with_a_tight_tolerance_only():
    off = ag.Primitive("off_by_1e-4", np.exp, lambda g, ans, x: g * ans * (1 + 1e-4))
    x = rng.standard_normal(4)
    assert not ag.gradcheck(lambda v: off(v).sum(), x).ok
    assert ag.gradcheck(lambda v: off(v).sum(), x, rtol=1e-3).ok


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_checks_in_float64_whatever_the_input_dtype(dtype):
    result = ag.gradcheck(lambda x: (x * x * x).sum(), np.array([1, 2, 3], dtype=dtype))
    assert result.ok
    assert result.inputs[0].max_abs_error < 1e-6
