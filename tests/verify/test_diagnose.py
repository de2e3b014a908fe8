"""Each usual derivation mistake is recognised on a constructed example, and only then."""

import numpy as np
import pytest

import autograph as ag
from autograph.verify import check_gradients
from autograph.verify.diagnose import Tolerance, fit_factor, tolerance_for
from autograph.verify.replay import reverse, topological_order

rng = np.random.default_rng(11)
N = 50
X = rng.standard_normal((N, 2))
T = np.eye(3)[rng.integers(0, 3, N)]
P = {"W": rng.standard_normal((2, 4)), "b1": rng.standard_normal(4),
     "V": rng.standard_normal((4, 3)), "b2": rng.standard_normal(3)}


def loss(W, b1, V, b2):
    """Summed cross-entropy of a 2 -> 4 sigmoid -> 3 softmax network."""
    H = ag.sigmoid(X @ W + b1)
    H.name = "H"
    return -(T * ag.log_softmax(H @ V + b2)).sum()


def forward(W, b1, V, b2):
    H = 1 / (1 + np.exp(-(X @ W + b1)))
    Z = H @ V + b2
    Y = np.exp(Z - Z.max(axis=1, keepdims=True))
    return H, Y / Y.sum(axis=1, keepdims=True)


def per_sample(p, H=None):
    """Per-sample gradients of the loss: dZ = Y - T, dA = dZ V^T * H(1 - H), derived by hand;
    `H` replaces the hidden values in the backward pass (a stale H)."""
    fresh, Y = forward(**p)
    H = fresh if H is None else H
    dZ = Y - T
    dA = dZ @ p["V"].T * H * (1 - H)
    return H, dZ, dA


def by_hand(p, H=None):
    H, dZ, dA = per_sample(p, H)
    return {"W": X.T @ dA, "b1": dA.sum(axis=0), "V": H.T @ dZ, "b2": dZ.sum(axis=0)}


def diagnosis(hand, **options):
    report = check_gradients(loss, P, hand, **options)
    assert not report.ok
    (check,) = report.checks
    return check.diagnosis


def test_the_constructed_derivation_is_right():
    assert check_gradients(loss, P, by_hand(P)).ok


@pytest.mark.parametrize("name", ["W", "b1", "V", "b2"])
def test_flipped_sign(name):
    words = diagnosis({name: -by_hand(P)[name]})
    assert "sign flipped" in words and "log-likelihood" in words


def test_transposed_matrix_of_another_shape():
    words = diagnosis({"W": by_hand(P)["W"].T})
    assert words == "hand-derived = the autodiff gradient transposed"


def test_transposed_square_matrix():
    square = dict(P, V=rng.standard_normal((4, 4)), b2=np.zeros(4))
    T4 = np.eye(4)[rng.integers(0, 4, N)]

    def loss4(W, b1, V, b2):
        return -(T4 * ag.log_softmax(ag.sigmoid(X @ W + b1) @ V + b2)).sum()

    hand = ag.grad(lambda V: loss4(square["W"], square["b1"], V, square["b2"]))(square["V"])
    report = check_gradients(loss4, square, {"V": -2 * hand.T})
    assert report["V"].diagnosis.startswith("hand-derived = the autodiff gradient transposed")
    assert "sign flipped and an extra factor 2" in report["V"].diagnosis


def test_extra_factor_2():
    assert "an extra factor 2 " in diagnosis({"V": 2 * by_hand(P)["V"]})


def test_missing_factor_2():
    assert "an extra factor 1/2 " in diagnosis({"V": by_hand(P)["V"] / 2})


def test_factor_one_over_n_is_a_mean():
    words = diagnosis({"W": by_hand(P)["W"] / N})
    assert f"an extra factor 1/{N}" in words and "mean over the 50 samples" in words


def test_sign_and_one_over_n_together():
    words = diagnosis({"b2": -by_hand(P)["b2"] / N})
    assert f"the sign flipped and an extra factor 1/{N}" in words


def test_any_constant_factor_is_fitted():
    assert "a constant factor 0.37" in diagnosis({"W": 0.37 * by_hand(P)["W"]})


def test_sum_over_the_wrong_axis():
    _, _, dA = per_sample(P)
    words = diagnosis({"b1": dA.sum(axis=1)})
    assert words.startswith("hand-derived = summed over axis 1 instead of axis 0")


def test_per_sample_gradients_not_summed():
    _, dZ, _ = per_sample(P)
    assert "not summed over axis 0" in diagnosis({"b2": dZ})


def test_mean_over_the_wrong_axis():
    _, _, dA = per_sample(P)
    words = diagnosis({"b1": dA.mean(axis=1)})
    assert "summed over axis 1 instead of axis 0" in words and "1/4" in words


def test_right_values_wrong_shape():
    words = diagnosis({"b1": by_hand(P)["b1"].reshape(1, 4)})
    assert "right values in the wrong shape ((1, 4) instead of (4,))" in words


def test_stale_parameters_are_recognised_from_history():
    earlier = {k: v - 0.01 * by_hand(P)[k] for k, v in P.items()}
    hand = {"V": by_hand(earlier)["V"]}
    assert "no known pattern" in diagnosis(hand)
    words = diagnosis(hand, history={"step 3": earlier})
    assert words == "hand-derived = the gradient at the parameters of step 3 (stale parameters)"


def test_stale_activations_are_recognised_from_history():
    earlier = {k: v + 0.05 * rng.standard_normal(v.shape) for k, v in P.items()}
    stale_H, _ = forward(**earlier)
    hand = by_hand(P, H=stale_H)
    report = check_gradients(loss, P, hand, history=[P, earlier])
    assert report["b2"].ok                      # b2 never reads H
    for name in ("W", "b1", "V"):
        assert report[name].diagnosis == ("hand-derived = computed with H as at history[1] "
                                          "(stale activations), everything else current")


def test_each_parameter_sees_every_replay():
    # b1 matches the first replay, V a later one: the replays cached while b1 was diagnosed
    # must not stop V's search early
    earlier = {k: v + 0.05 * rng.standard_normal(v.shape) for k, v in P.items()}
    stale_H, _ = forward(**earlier)
    hand = {"b1": by_hand(earlier)["b1"], "V": by_hand(P, H=stale_H)["V"]}
    report = check_gradients(loss, P, hand, history={"before": earlier})
    assert [c.name for c in report.checks] == ["b1", "V"]
    assert "stale parameters" in report["b1"].diagnosis
    assert "computed with H as at before (stale activations)" in report["V"].diagnosis


def test_a_near_miss_is_not_claimed():
    # 2 x the gradient up to a relative error of 1e-4: beyond float64 tolerance, so no claim
    hand = 2 * by_hand(P)["W"] * (1 + 1e-4 * rng.standard_normal((2, 4)))
    assert "no known pattern" in diagnosis({"W": hand})


def test_random_entries_have_no_pattern():
    words = diagnosis({"V": rng.standard_normal((4, 3))}, history=[P])
    assert words.startswith("the entries disagree with no known pattern")


def test_fit_factor():
    tolerance = tolerance_for([np.zeros(3)])
    x = np.array([1.0, 2.0, 3.0])
    assert fit_factor(-2 * x, x, tolerance) == -2
    assert fit_factor(x + [0, 0, 1e-3], x, tolerance) is None
    single = np.array([0.0, 5.0, 0.0])
    assert fit_factor(0.123 * single, single, tolerance) is None        # any c would fit
    assert fit_factor(-single, single, tolerance, nice=(1.0, -1.0)) == -1.0
    assert fit_factor(x, np.zeros(3), tolerance) is None


def test_tolerances_follow_the_least_precise_dtype():
    assert tolerance_for([np.zeros(2), np.zeros(2, np.float32)]).precision == "float32"
    assert tolerance_for([np.zeros(2)]).rtol == 1e-7
    assert Tolerance(1e-3, 0.5, 0.0, "float64").fits(np.array([1.4]), np.array([1.0]))
    assert not Tolerance(1e-3, 0.1, 0.0, "float64").fits(np.array([1.4]), np.array([1.0]))


def test_replay_without_substitutions_is_the_engine_gradient():
    nodes = {k: ag.parameter(v, name=k) for k, v in P.items()}
    root = loss(**nodes)
    grads, unreduced = reverse(topological_order(root))
    for node, expected in zip(nodes.values(), ag.gradients(root, list(nodes.values()))):
        np.testing.assert_allclose(grads[node], expected, rtol=1e-12)
    assert [u.shape for u in unreduced[nodes["b1"]]] == [(N, 4)]


def test_a_capped_search_says_so(monkeypatch):
    from autograph.verify import diagnose
    monkeypatch.setattr(diagnose, "MAX_REPLAYS", 1)
    earlier = {k: v + 0.05 * rng.standard_normal(v.shape) for k, v in P.items()}
    stale_H, _ = forward(**earlier)
    words = diagnosis({"V": by_hand(P, H=stale_H)["V"]}, history=[earlier])
    assert "no known pattern" in words and "only the first 1 replays were tried" in words
