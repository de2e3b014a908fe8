"""The tutorial's derivations: right ones pass, the printed mistakes fail and are diagnosed."""

import numpy as np
import pytest

from autograph.cli import main
from autograph.tutorial import derivations as tutorial
from autograph.tutorial.data import one_hot, three_clusters, tutorial_parameters
from autograph.verify import check_gradients
from tests.helpers import numeric_gradients


@pytest.fixture(scope="module")
def examples():
    return {e.title: e for e in tutorial.two_layer_examples(steps=20) + tutorial.deep_examples()}


def find(examples, start):
    (example,) = [e for title, e in examples.items() if title.startswith(start)]
    return example.report


def test_transcriptions_reproduce_the_printed_numbers():
    # the numbers the seed prints for derivative_v (In [25]) and derivative_w (In [27]), and
    # the first cost of its training loop (In [30]), all at the training section's parameters
    data, classes = three_clusters()
    T = one_hot(classes)
    p = tutorial_parameters()
    H, Y = tutorial.ff_nn_2(data, **p)
    assert (T * np.log(Y)).sum() == pytest.approx(-320.5080195131097, rel=1e-12)
    np.testing.assert_allclose(tutorial.derivative_v(H, Y, T), [
        [-5.77182772e+01, -1.46908800e+01, 7.24091572e+01],
        [8.48206695e+00, -8.55365889e+00, 7.15919389e-02],
        [5.21896533e+00, -5.63958175e+01, 5.11768522e+01]], rtol=1e-8)
    np.testing.assert_allclose(tutorial.derivative_w(data, T, Y, H, p["V"]), [
        [-31.39030402, 18.07760568, 21.62027152],
        [-37.09958634, 41.53504906, -12.72079506]], rtol=1e-9)


def test_right_two_layer_formulas_pass(examples):
    assert find(examples, "derivative_v, loop version").ok
    assert find(examples, "derivative_v_v2, derivative_w").ok
    assert find(examples, "eq. (12)-(13) with the softmax derivative (15)").ok


def test_as_gradients_of_the_loss_the_sign_is_flipped(examples):
    report = find(examples, "the same formulas as gradients of the loss")
    assert [c.ok for c in report.checks] == [False] * 4
    assert all("sign flipped" in c.diagnosis for c in report.checks)


def test_the_tutorials_unit_test_swaps_T_and_Y(examples):
    assert "sign flipped" in find(examples, "the tutorial's unit test")["V"].diagnosis


@pytest.mark.parametrize("start, names", [
    ("eq. (14) as printed", ["V", "b2"]),
    ('"dz_k/dv_kj = v_j"', ["V"]),
    ("dh_j/da_j da_j/dw_ji = h_j(1 - h_j) w_ji", ["W"]),
    ("eq. (12) and (16)-(17) as printed: no sum over k'", ["V", "b2"]),
    ("eq. (8) as printed: the softmax normaliser sums k = 1..2", ["V", "b2"]),
    ("eq. (20)-(23) as printed: the sum over k runs 1..2", ["W", "b1"]),
])
def test_printed_mistakes_fail(examples, start, names):
    report = find(examples, start)
    for name in names:
        assert not report[name].ok
        assert report[name].disagreeing > 0 and report[name].worst
        assert report[name].diagnosis.startswith("the entries disagree with no known pattern")


def test_training_loop_reuses_a_stale_H(examples):
    report = find(examples, "the training loop")
    assert report["b2"].ok
    assert report["V"].diagnosis == (
        "hand-derived = computed with H as at epoch 0 (before the loop, where H was computed) "
        "(stale activations), everything else current")
    for name in ("W", "b1"):
        assert report[name].diagnosis == (
            "hand-derived = computed with H as at epoch 0 (before the loop, where H was "
            "computed) and the parameters as at epoch 20 after the updates of V and b2")


def test_training_loop_at_epoch_0_uses_a_fresh_H():
    data, classes = three_clusters()
    T = one_hot(classes)
    at, hand, _ = tutorial.training_loop_step(data, T, tutorial_parameters(), steps=0)
    report = check_gradients(tutorial.log_likelihood(data, T), at, hand)
    assert report["V"].ok and report["b2"].ok and not report["W"].ok


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_deep_recursion_is_right_by_finite_differences(activation):
    data, classes = three_clusters(n=10)
    T = one_hot(classes)
    p = tutorial.deep_parameters()
    J = tutorial.deep_log_likelihood(data, T, activation)
    numeric, projection = numeric_gradients(lambda *w: J(*w), list(p.values()))
    hand = tutorial.deep_backprop(data, T, p, activation)
    for name, g in zip(p, numeric):
        np.testing.assert_allclose(hand[name] * projection, g, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("activation, equations", [("sigmoid", "(29)-(32)"),
                                                   ("relu", "(33)-(36)")])
def test_deep_formulas(examples, activation, equations):
    assert find(examples, f"section 2.3, {activation} hidden units: the recursion").ok
    printed = find(examples, f"section 2.3, {activation} hidden units: eq. {equations}")
    assert printed["W3"].ok                               # (29) and (33) are right
    assert not any(printed[n].ok for n in ("W2", "W1", "W0"))


def test_every_example_is_as_expected(examples):
    assert all(e.as_expected for e in examples.values())


def test_cli_verify_exit_code_and_output(capsys):
    assert main(["verify", "--steps", "5"]) == 0
    out = capsys.readouterr().out
    assert "right formulas pass and wrong ones are caught" in out
    assert "stale activations" in out and "sign flipped" in out


def test_cli_verify_fails_when_a_right_formula_breaks(monkeypatch, capsys):
    monkeypatch.setattr(tutorial, "derivative_v", lambda H, Y, T: H.T.dot(T - Y) * 1.01)
    assert main(["verify", "--steps", "5"]) == 1
    assert "NOT AS EXPECTED: derivative_v, loop version" in capsys.readouterr().out


def test_example_diagram_highlights_the_failed_entries(monkeypatch, examples):
    import sys
    import types
    calls = []
    fake = types.ModuleType("autograph.diagrams")
    fake.network_diagram = lambda output, **options: calls.append((output, options))
    monkeypatch.setitem(sys.modules, "autograph.diagrams", fake)
    example = examples["section 2.3, relu hidden units: eq. (33)-(36) as printed"]
    example.diagram()
    (output, options), = calls
    assert output.op.name == "softmax" and options["title"] == example.title
    assert sorted(options["highlight"]) == ["W0", "W1", "W2"]          # W3, eq. (33), is right
    assert (options["highlight"]["W2"] == example.report["W2"].mask).all()


def test_cli_verify_draws_the_failed_networks(tmp_path, capsys):
    assert main(["verify", "--steps", "5", "--diagrams", str(tmp_path)]) == 0
    drawn = sorted(tmp_path.glob("*.svg"))                     # svg, as `autograph draw`
    assert len(drawn) == 11 == capsys.readouterr().out.count("   drawn: ")
    assert all("<svg" in path.read_text() for path in drawn)
    assert main(["verify", "--steps", "5", "--diagrams", str(tmp_path), "--format", "dot"]) == 0
    assert all(path.read_text().startswith("digraph") for path in tmp_path.glob("*.dot"))


def test_cli_verify_without_diagrams_still_checks(tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "autograph.diagrams", None)     # import fails
    assert main(["verify", "--steps", "5", "--diagrams", str(tmp_path)]) == 0
    assert "not drawn: report.diagram needs autograph.diagrams" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_eq_12_without_the_sum_is_right_only_for_the_target_class():
    # t_k(1 - y_k) h_j equals (t_k - y_k) h_j, eq. (18), exactly where t_k = 1: with every
    # target in class 0, the column of dJ/dV for class 0 agrees and the others do not
    data, _ = three_clusters(n=5)
    classes = np.zeros(len(data), dtype=int)
    T = one_hot(classes, 3)
    p = tutorial_parameters()
    H, Y = tutorial.ff_nn_2(data, **p)
    one_term = H.T.dot(T * (1 - Y))
    right = H.T.dot(T - Y)
    np.testing.assert_allclose(one_term[:, 0], right[:, 0], rtol=1e-12)
    assert np.all(np.abs(one_term[:, 1:] - right[:, 1:]) > 1e-3)
