"""check_gradients: correct derivations pass; failures name the parameter and the entries."""

import numpy as np
import pytest

import autograph as ag
from autograph.verify import assert_gradients_match, check_gradients
from tests.helpers import numeric_gradients

rng = np.random.default_rng(5)
X = rng.standard_normal((20, 3))
Y = rng.standard_normal((20, 2))
W0 = rng.standard_normal((3, 2))
B0 = rng.standard_normal(2)


def squared_error(W, b):
    """sum((X W + b - Y)^2); with arrays it is plain numpy, with Nodes a graph."""
    return ((X @ W + b - Y) ** 2).sum()


def by_hand(W, b):
    """d/dW = 2 X^T (X W + b - Y), d/db = 2 sum_n (X W + b - Y)."""
    residual = X @ W + b - Y
    return {"W": 2 * X.T @ residual, "b": 2 * residual.sum(axis=0)}


def test_the_hand_formula_is_right_by_finite_differences():
    (dW, db), _ = numeric_gradients(lambda W, b: squared_error(W, b), [W0, B0])
    # numeric_gradients projects a scalar output on a 0-d random number: undo it
    scale = np.random.default_rng(42).standard_normal(())
    np.testing.assert_allclose(by_hand(W0, B0)["W"], dW / scale, rtol=1e-6)
    np.testing.assert_allclose(by_hand(W0, B0)["b"], db / scale, rtol=1e-6)


def test_correct_derivation_passes_with_function_loss():
    report = check_gradients(squared_error, {"W": W0, "b": B0}, by_hand)
    assert report.ok and report.exit_code == 0
    assert [c.name for c in report.checks] == ["W", "b"]
    assert all(c.max_rel_error < 1e-12 and c.diagnosis is None for c in report.checks)
    assert "PASS" in str(report)


def test_correct_derivation_passes_with_node_loss():
    W, b = ag.parameter(W0, name="W"), ag.parameter(B0, name="b")
    assert check_gradients(squared_error(W, b), [W, b], by_hand(W0, B0)).ok
    assert check_gradients(squared_error(W, b), {"W": W, "b": b}, by_hand(W0, B0)).ok


def test_only_the_parameters_given_by_hand_are_checked():
    report = check_gradients(squared_error, {"W": W0, "b": B0}, {"b": by_hand(W0, B0)["b"]})
    assert [c.name for c in report.checks] == ["b"]


def test_failure_names_the_parameter_and_the_entries():
    hand = by_hand(W0, B0)
    hand["W"][1, 0] += 0.5
    hand["W"][2, 1] -= 2.0
    report = check_gradients(squared_error, {"W": W0, "b": B0}, hand)
    assert not report.ok and report.exit_code == 1
    w = report["W"]
    assert not w.ok and report["b"].ok
    assert w.disagreeing == 2
    assert [e.index for e in w.worst] == [(2, 1), (1, 0)]
    assert w.worst[0].hand - w.worst[0].autodiff == pytest.approx(-2.0)
    assert w.max_abs_error == pytest.approx(2.0)
    assert np.argwhere(w.mask).tolist() == [[1, 0], [2, 1]]
    text = str(report)
    assert "FAIL" in text and "W[2, 1]" in text and "W[1, 0]" in text
    assert "2 of 6 entries" in text
    assert "no known pattern" in w.diagnosis


def test_nan_in_the_hand_gradient_disagrees():
    hand = by_hand(W0, B0)
    hand["b"][0] = np.nan
    check = check_gradients(squared_error, {"W": W0, "b": B0}, hand)["b"]
    assert not check.ok and check.worst[0].index == (0,)


def test_float64_tolerance_is_tight():
    hand = by_hand(W0, B0)
    hand["W"] = hand["W"] * (1 + 1e-5)
    check = check_gradients(squared_error, {"W": W0, "b": B0}, hand)["W"]
    assert not check.ok and check.tolerance.precision == "float64"


def test_float32_derivation_passes_with_float32_tolerance():
    W32, b32 = W0.astype(np.float32), B0.astype(np.float32)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)

    def loss(W, b):
        return ((X32 @ W + b - Y32) ** 2).sum()

    residual = X32 @ W32 + b32 - Y32
    hand = {"W": np.zeros((3, 2), np.float32), "b": np.zeros(2, np.float32)}
    for n in range(len(X32)):            # another summation order than the engine's
        hand["W"] += 2 * np.outer(X32[n], residual[n])
        hand["b"] += 2 * residual[n]
    report = check_gradients(loss, {"W": W32, "b": b32}, hand)
    assert report.ok, str(report)
    assert {c.tolerance.precision for c in report.checks} == {"float32"}
    assert report["W"].autodiff.dtype == np.float32
    # float32 tolerance still catches a real mistake, and a per-mille error
    hand["W"][0, 0] *= 1.001
    assert not check_gradients(loss, {"W": W32, "b": b32}, hand)["W"].ok


def test_explicit_tolerances_are_used():
    hand = by_hand(W0, B0)
    hand["W"] = hand["W"] * (1 + 1e-5)
    assert check_gradients(squared_error, {"W": W0, "b": B0}, hand, rtol=1e-4)["W"].ok
    assert not check_gradients(squared_error, {"W": W0, "b": B0}, hand, rtol=0, atol=1e-9)["W"].ok


def test_shape_mismatch_fails_and_says_so():
    hand = {"b": np.ones((2, 2))}
    check = check_gradients(squared_error, {"W": W0, "b": B0}, hand)["b"]
    assert not check.ok and check.hand_shape == (2, 2) and check.shape == (2,)
    assert check.mask.all()
    assert "wrong shape" in check.diagnosis


def test_unknown_names_and_unnamed_nodes_are_errors():
    with pytest.raises(ValueError, match="not parameters"):
        check_gradients(squared_error, {"W": W0, "b": B0}, {"V": W0})
    W = ag.parameter(W0)
    with pytest.raises(ValueError, match="named"):
        check_gradients((X @ W).sum(), [W], {"W": W0})
    with pytest.raises(ValueError, match="history"):
        check_gradients(squared_error, {"W": W0, "b": B0}, {"W": W0}, history=[{"Z": W0}])


def test_assert_gradients_match_raises_with_the_report():
    report = assert_gradients_match(squared_error, {"W": W0, "b": B0}, by_hand)
    assert report.ok
    hand = by_hand(W0, B0)
    hand["b"] = -hand["b"]
    with pytest.raises(AssertionError) as failure:
        assert_gradients_match(squared_error, {"W": W0, "b": B0}, hand)
    message = str(failure.value)
    assert message == "\n" + str(check_gradients(squared_error, {"W": W0, "b": B0}, hand))
    assert "b[" in message and "sign flipped" in message


def test_report_diagram_highlights_the_disagreeing_weights():
    hand = by_hand(W0, B0)
    hand["W"][0, 1] += 1.0
    W, b = ag.parameter(W0, name="W"), ag.parameter(B0, name="b")
    output = X @ W + b
    report = check_gradients(((output - Y) ** 2).sum(), [W, b], hand)
    try:
        from autograph.diagrams import network_diagram  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="autograph.diagrams"):
            report.diagram(output)
    else:
        assert "digraph" in report.diagram(output).source


def test_report_diagram_passes_the_disagreeing_entries_as_highlight(monkeypatch):
    import sys
    import types
    calls = []
    fake = types.ModuleType("autograph.diagrams")
    fake.network_diagram = lambda output, **options: calls.append((output, options)) or "drawn"
    monkeypatch.setitem(sys.modules, "autograph.diagrams", fake)
    hand = by_hand(W0, B0)
    hand["W"][0, 1] += 1.0
    report = check_gradients(squared_error, {"W": W0, "b": B0}, hand)
    assert report.diagram("the output", title="t") == "drawn"
    (output, options), = calls
    assert output == "the output" and options["title"] == "t"
    assert list(options["highlight"]) == ["W"]
    assert np.argwhere(options["highlight"]["W"]).tolist() == [[0, 1]]


@pytest.mark.parametrize("wrong_shape", [(1, 2), (2, 1), (2, 2)])
def test_a_hand_gradient_of_another_shape_fails_even_when_it_broadcasts(wrong_shape):
    right = by_hand(W0, B0)["b"]                            # shape (2,)
    hand = {"b": np.broadcast_to(right, (2, 2))[:wrong_shape[0], :wrong_shape[1]].copy()
            if wrong_shape != (2, 1) else right.reshape(2, 1)}
    report = check_gradients(squared_error, {"W": W0, "b": B0}, hand)
    check = report["b"]
    assert not check.ok and check.hand_shape == wrong_shape and check.shape == (2,)
    assert check.disagreeing == 2 and check.mask.shape == (2,) and check.mask.all()
    assert check.worst == [] and np.isnan(check.max_abs_error)
    assert "wrong shape" in check.diagnosis
    text = str(report)
    assert f"{wrong_shape} != (2,)" in text and "FAIL (2 of 2 entries)" in text
