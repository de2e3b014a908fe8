"""The diagnoser, table-driven: each diagnosis is named on the mistake that makes it, and no
other diagnosis is named there; near-misses (a factor 1.5, a factor 1/2, noise) get only what
they are. Parameters of four kinds: 1-D, 2-D, a bias and a keepdims bias.

Hand-derived gradients are built from numpy formulas written out here (`per_sample`), never from
the engine, so that a wrong engine gradient cannot make a case pass.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph.verify import check_gradients
from autograph.verify.diagnose import (Tolerance, _reduced_axes, factor_words, fit_factor,
                                       tolerance_for)

rng = np.random.default_rng(5)
N = 7                                   # samples: no other length of the model is 7
X = rng.standard_normal((N, 3))
P = {"w": rng.standard_normal(3),       # 1-D, scales the inputs: broadcast over the samples
     "W": rng.standard_normal((3, 2)),  # 2-D, not square
     "b": rng.standard_normal(2),       # bias
     "c": rng.standard_normal((1, 2))}  # keepdims bias


def model(w, b, W, c):
    H = ag.tanh(X * w)
    return ((H @ W + b + c) ** 2).sum() / 2


def per_sample(p):
    """Per-sample gradients by hand: Z = tanh(X w) W + b + c, loss = sum(Z^2) / 2."""
    H = np.tanh(X * p["w"])
    Z = H @ p["W"] + p["b"] + p["c"]
    dH = Z @ p["W"].T
    return {"w": dH * (1 - H ** 2) * X,                 # (N, 3), summed over axis 0
            "W": H[:, :, None] * Z[:, None, :],         # (N, 3, 2), summed over axis 0
            "b": Z, "c": Z}                             # (N, 2), summed over axis 0


def by_hand(p=P):
    full = per_sample(p)
    return {"w": full["w"].sum(axis=0), "W": full["W"].sum(axis=0), "b": full["b"].sum(axis=0),
            "c": full["c"].sum(axis=0, keepdims=True)}


G = by_hand()
FULL = per_sample(P)
EARLIER = {k: v - 0.05 * G[k] for k, v in P.items()}

# What each diagnosis says, by a phrase only it uses.
PHRASES = {
    "sign": "sign flipped",
    "factor 2": "an extra factor 2 ",
    "factor 1/2": "an extra factor 1/2 ",
    "mean": f"a mean over the {N} samples",
    "constant": re.compile(r"a constant factor \d"),
    "transposed": "transposed",
    "wrong shape": "wrong shape",
    "other axes": "instead of axis",
    "not summed": "not summed",
    "stale": "stale parameters",
    "none": "no known pattern",
}


def diagnose(name, hand, **options):
    report = check_gradients(model, P, {name: hand}, **options)
    assert not report.ok, "the constructed mistake passed as right"
    return report[name].diagnosis


def named(words):
    return {key for key, phrase in PHRASES.items()
            if (phrase.search(words) if isinstance(phrase, re.Pattern) else phrase in words)}


def test_the_hand_derivation_is_right():
    assert check_gradients(model, P, G).ok


def test_the_hand_derivation_agrees_with_finite_differences():
    def value(p):
        H = np.tanh(X * p["w"])
        return (((H @ p["W"] + p["b"] + p["c"]) ** 2).sum() / 2)
    for name, g in G.items():
        numeric = np.zeros_like(g)
        for i in np.ndindex(g.shape):
            up, down = dict(P), dict(P)
            up[name] = P[name].copy()
            down[name] = P[name].copy()
            up[name][i] += 1e-6
            down[name][i] -= 1e-6
            numeric[i] = (value(up) - value(down)) / 2e-6
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


KINDS = ["w", "W", "b", "c"]

# (kind or None for all kinds, label, hand from the right gradient g, exact diagnosis or None,
#  diagnoses named)
FACTOR_CASES = [
    ("sign flip", lambda g: -g,
     "hand-derived = autodiff with the sign flipped (the gradient of the negated objective, "
     "e.g. of the log-likelihood instead of the loss: ascent instead of descent)", {"sign"}),
    ("factor 2", lambda g: 2 * g,
     "hand-derived = autodiff with an extra factor 2 (hand = 2 x expected)", {"factor 2"}),
    ("factor -2", lambda g: -2 * g,
     "hand-derived = autodiff with the sign flipped and an extra factor 2 (hand = -2 x "
     "expected)", {"sign", "factor 2"}),
    ("factor 1/2", lambda g: g / 2,
     "hand-derived = autodiff with an extra factor 1/2 (hand = expected / 2)", {"factor 1/2"}),
    ("factor -1/2", lambda g: -g / 2,
     "hand-derived = autodiff with the sign flipped and an extra factor 1/2 (hand = expected "
     "/ -2)", {"sign", "factor 1/2"}),
    ("mean", lambda g: g / N,
     f"hand-derived = autodiff with an extra factor 1/{N} (hand = expected / {N}: a mean over "
     f"the {N} samples instead of a sum?)", {"mean"}),
    ("negated mean", lambda g: -g / N,
     f"hand-derived = autodiff with the sign flipped and an extra factor 1/{N} (hand = "
     f"expected / -{N}: a mean over the {N} samples instead of a sum?)", {"sign", "mean"}),
    ("factor 3", lambda g: 3 * g,
     "hand-derived = autodiff with an extra factor 3 (hand = 3 x expected)", set()),
    # near-misses
    ("factor 1.5 is not 2", lambda g: 1.5 * g,
     "hand-derived = autodiff with a constant factor 1.5 (hand = 1.5 x expected)", {"constant"}),
    ("factor 0.4 is not 1/2", lambda g: 0.4 * g,
     "hand-derived = autodiff with a constant factor 0.4 (hand = 0.4 x expected)", {"constant"}),
    ("factor -0.37", lambda g: -0.37 * g,
     "hand-derived = autodiff with the sign flipped and a constant factor 0.37 (hand = -0.37 x "
     "expected)", {"sign", "constant"}),
    ("2 with noise is no pattern", lambda g: 2 * g * (1 + 1e-4 * rng.standard_normal(g.shape)),
     None, {"none"}),
    ("one entry off is no pattern", lambda g: g + (np.arange(g.size) == 0).reshape(g.shape),
     None, {"none"}),
    ("random is no pattern", lambda g: rng.standard_normal(g.shape), None, {"none"}),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("label, make, sentence, expected", FACTOR_CASES,
                         ids=[case[0] for case in FACTOR_CASES])
def test_factor_diagnoses(kind, label, make, sentence, expected):
    words = diagnose(kind, make(G[kind]))
    if sentence is not None:
        assert words == sentence
    assert named(words) == expected, words


# Shape and axis mistakes: (label, kind, hand, exact diagnosis). Each is named, and nothing else.
SHAPE_CASES = [
    ("2-D transposed", "W", G["W"].T,
     "hand-derived = the autodiff gradient transposed"),
    ("2-D transposed, sign flipped", "W", -G["W"].T,
     "hand-derived = the autodiff gradient transposed, with the sign flipped (the gradient of "
     "the negated objective, e.g. of the log-likelihood instead of the loss: ascent instead of "
     "descent)"),
    ("keepdims bias given flat", "c", G["c"].ravel(),
     "hand-derived = the right values in the wrong shape ((2,) instead of (1, 2))"),
    ("bias given as a row", "b", G["b"][None, :],
     "hand-derived = the right values in the wrong shape ((1, 2) instead of (2,))"),
    ("1-D given as a column", "w", G["w"][:, None],
     "hand-derived = the right values in the wrong shape ((3, 1) instead of (3,))"),
    ("bias not summed", "b", FULL["b"],
     f"hand-derived = not summed over axis 0: the per-sample gradients ({N}, 2), which the "
     "parameter's gradient sums"),
    ("keepdims bias not summed", "c", FULL["c"],
     f"hand-derived = not summed over axis 0: the per-sample gradients ({N}, 2), which the "
     "parameter's gradient sums"),
    ("1-D not summed", "w", FULL["w"],
     f"hand-derived = not summed over axis 0: the per-sample gradients ({N}, 3), which the "
     "parameter's gradient sums"),
    ("bias summed over the wrong axis", "b", FULL["b"].sum(axis=1),
     f"hand-derived = summed over axis 1 instead of axis 0 of the per-sample gradients ({N}, 2)"),
    ("keepdims bias summed over the wrong axis", "c", FULL["c"].sum(axis=1, keepdims=True),
     f"hand-derived = summed over axis 1 instead of axis 0 of the per-sample gradients ({N}, 2)"),
    ("keepdims bias summed over the wrong axis, flat", "c", FULL["c"].sum(axis=1),
     f"hand-derived = summed over axis 1 instead of axis 0 of the per-sample gradients ({N}, 2)"),
    ("bias summed over every axis", "b", FULL["b"].sum(),
     f"hand-derived = summed over axes 0, 1 instead of axis 0 of the per-sample gradients "
     f"({N}, 2)"),
    ("keepdims bias summed over every axis, kept", "c", FULL["c"].sum(keepdims=True),
     f"hand-derived = summed over axes 0, 1 instead of axis 0 of the per-sample gradients "
     f"({N}, 2)"),
    ("1-D summed over the wrong axis, halved", "w", FULL["w"].sum(axis=1) / 2,
     f"hand-derived = summed over axis 1 instead of axis 0 of the per-sample gradients ({N}, 3),"
     " with an extra factor 1/2 (hand = expected / 2)"),
]


@pytest.mark.parametrize("label, kind, hand, sentence", SHAPE_CASES,
                         ids=[case[0] for case in SHAPE_CASES])
def test_shape_and_axis_diagnoses(label, kind, hand, sentence):
    assert diagnose(kind, hand) == sentence


@pytest.mark.parametrize("kind", KINDS)
def test_stale_parameters_named_only_with_history(kind):
    hand = by_hand(EARLIER)[kind]
    assert named(diagnose(kind, hand)) == {"none"}
    words = diagnose(kind, hand, history={"step 3": EARLIER})
    assert words == "hand-derived = the gradient at the parameters of step 3 (stale parameters)"


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_shape_with_no_pattern_says_both_shapes(kind):
    hand = np.ones(G[kind].size + 1)
    assert diagnose(kind, hand) == (
        f"wrong shape: the hand-derived gradient is {hand.shape} but {kind} is "
        f"{G[kind].shape}, and it is no transpose, reshape or other sum of the per-sample "
        "gradients")


def test_no_pattern_with_history_says_what_was_tried():
    words = diagnose("b", rng.standard_normal(2), history=[EARLIER])
    assert words == ("the entries disagree with no known pattern (not a sign flip, a constant "
                     "factor, a transpose, a sum over other axes, nor the gradient at the given "
                     "earlier values)")


# --- the defects of issue 14, each one fails on the code before its fix --------------------

def test_an_all_zero_hand_gradient_is_no_pattern_not_a_crash():
    assert named(diagnose("W", np.zeros((3, 2)))) == {"none"}
    tolerance = tolerance_for([np.zeros(3)])
    assert fit_factor(np.zeros(3), np.array([1.0, 2.0, 3.0]), tolerance, (1.0, 0.5)) is None


def test_a_vanishing_factor_is_no_crash():
    # 1e-310 x the gradient: 1/c overflows a float; the words must not need it as an integer
    assert factor_words(1e-310) == "a constant factor 1e-310 (hand = 1e-310 x expected)"
    assert factor_words(-1e-310).startswith("the sign flipped and a constant factor 1e-310")


def test_huge_factors_read_as_constants():
    assert factor_words(1e12) == "a constant factor 1e+12 (hand = 1e+12 x expected)"
    assert factor_words(1e-12) == "a constant factor 1e-12 (hand = 1e-12 x expected)"


@pytest.mark.parametrize("c, words", [
    (1.0, ""),
    (-1.0, "the sign flipped (the gradient of the negated objective, e.g. of the "
           "log-likelihood instead of the loss: ascent instead of descent)"),
    (2.0, "an extra factor 2 (hand = 2 x expected)"),
    (-3.0, "the sign flipped and an extra factor 3 (hand = -3 x expected)"),
    (0.5, "an extra factor 1/2 (hand = expected / 2)"),
    (-0.5, "the sign flipped and an extra factor 1/2 (hand = expected / -2)"),
    (0.25, "an extra factor 1/4 (hand = expected / 4)"),
    (1.5, "a constant factor 1.5 (hand = 1.5 x expected)"),
    (-1.5, "the sign flipped and a constant factor 1.5 (hand = -1.5 x expected)"),
    (2.001, "a constant factor 2.001 (hand = 2.001 x expected)"),
    (0.4, "a constant factor 0.4 (hand = 0.4 x expected)"),
    (0.999, "a constant factor 0.999 (hand = 0.999 x expected)"),
    (-0.999, "the sign flipped and a constant factor 0.999 (hand = -0.999 x expected)"),
])
def test_factor_words(c, words):
    assert factor_words(c) == words


def test_factor_words_name_the_mean_only_for_a_sample_count():
    assert factor_words(1 / 3, samples={3}) == ("an extra factor 1/3 (hand = expected / 3: a "
                                                "mean over the 3 samples instead of a sum?)")
    assert factor_words(1 / 3, samples={4}) == "an extra factor 1/3 (hand = expected / 3)"
    assert factor_words(-1 / 3, samples={3}).endswith("(hand = expected / -3: a mean over the "
                                                      "3 samples instead of a sum?)")


def test_fit_factor_prefers_nice_values_only_when_they_fit():
    tolerance = tolerance_for([np.zeros(3)])
    x = np.array([1.0, 2.0, 3.0])
    nice = (1.0, -1.0, 2.0, -2.0, 0.5, -0.5)
    assert fit_factor(2 * x, x, tolerance, nice) == 2.0
    assert fit_factor(-0.5 * x, x, tolerance, nice) == -0.5
    c = fit_factor(1.5 * x, x, tolerance, nice)
    assert c == pytest.approx(1.5, rel=1e-12)
    # within 1e-3 of 2 but not within tolerance of 2 x: the fitted value, not the nice one
    c = fit_factor(2.0005 * x, x, tolerance, nice)
    assert c == pytest.approx(2.0005, rel=1e-12)
    # within tolerance of 2 x under a loose tolerance: the nice value
    loose = Tolerance(1e-2, None, 0.0, "float64")
    assert fit_factor(2.0005 * x, x, loose, nice) == 2.0
    assert fit_factor(x, x[:2], tolerance, nice) is None                       # shapes differ
    assert fit_factor(x, np.array([np.inf, 1.0, 1.0]), tolerance, nice) is None


def test_fit_factor_needs_two_entries_for_a_fitted_value():
    tolerance = tolerance_for([np.zeros(3)])
    two = np.array([0.0, 2.0, 4.0])
    assert fit_factor(0.3 * two, two, tolerance) == pytest.approx(0.3, rel=1e-12)
    one = np.array([0.0, 2.0, 0.0])
    assert fit_factor(0.3 * one, one, tolerance) is None
    assert fit_factor(2 * one, one, tolerance, (2.0,)) == 2.0


def test_an_explicit_atol_is_used():
    assert tolerance_for([np.zeros(2)], atol=0.5).atol == 0.5
    assert tolerance_for([np.zeros(2)], atol=0.0).atol == 0.0
    assert tolerance_for([np.zeros(2)]).atol is None
    assert tolerance_for([np.zeros(2)], rtol=0.25).rtol == 0.25
    # off by 1e-3 everywhere: wrong at the default tolerance, right within atol 1e-2
    hand = dict(G, b=G["b"] + 1e-3)
    assert not check_gradients(model, P, hand)["b"].ok
    assert check_gradients(model, P, hand, atol=1e-2)["b"].ok
    assert not check_gradients(model, P, hand, atol=1e-4)["b"].ok


@pytest.mark.parametrize("dtypes, rtol, scaled, precision", [
    ([np.float64], 1e-7, 1e-9, "float64"),
    ([np.float64, np.float32], 1e-4, 1e-5, "float32"),
    ([np.float16, np.float64], 1e-2, 1e-3, "float16"),
    ([np.int64], 1e-7, 1e-9, "float64"),              # no floats: float64's
    ([np.int64, np.float32], 1e-4, 1e-5, "float32"),
])
def test_default_tolerances(dtypes, rtol, scaled, precision):
    tolerance = tolerance_for([np.zeros(2, d) for d in dtypes])
    assert (tolerance.rtol, tolerance.atol, tolerance.scaled_atol, tolerance.precision) == \
        (rtol, None, scaled, precision)


def test_tolerance_bound_and_words():
    scaled = Tolerance(1e-3, None, 1e-2, "float64")
    np.testing.assert_allclose(scaled.bound(np.array([-4.0, 1.0])), [0.04 + 4e-3, 0.04 + 1e-3])
    assert scaled.bound(np.zeros(0)).shape == (0,)
    assert str(scaled) == "float64: rtol 0.001, atol 0.01 x max|gradient|"
    fixed = Tolerance(1e-3, 0.5, 1e-2, "float32")
    np.testing.assert_allclose(fixed.bound(np.array([-4.0, 1.0])), [0.5 + 4e-3, 0.5 + 1e-3])
    assert str(fixed) == "float32: rtol 0.001, atol 0.5"
    # the bound is inclusive
    assert Tolerance(0.0, 0.5, 0.0, "float64").fits(np.array([1.5]), np.array([1.0]))
    assert not Tolerance(0.0, 0.5, 0.0, "float64").fits(np.array([1.5001]), np.array([1.0]))


@pytest.mark.parametrize("full, shape, axes", [
    ((5, 3), (3,), (0,)),
    ((5, 3), (1, 3), (0,)),
    ((5, 3), (5, 1), (1,)),
    ((5, 3), (1, 1), (0, 1)),
    ((5, 3), (), (0, 1)),
    ((4, 5, 3), (3,), (0, 1)),
    ((4, 5, 3), (5, 1), (0, 2)),
    ((4, 5, 3), (1, 5, 3), (0,)),
    ((5, 1), (1,), (0,)),                 # a length-1 axis that stays is not summed
    ((1, 4, 5), (4, 1), (0, 2)),          # the stretched axis counted from the right
    ((3, 1, 5), (1, 1), (0, 2)),
    ((5, 3), (5, 3), ()),
])
def test_reduced_axes(full, shape, axes):
    assert _reduced_axes(full, shape) == axes
    assert np.zeros(full).sum(axis=axes, keepdims=True).reshape(shape).shape == shape


def test_one_dimensional_data_counts_its_samples():
    x = rng.standard_normal(N)
    y = rng.standard_normal(N)
    w = ag.parameter(0.5, name="w")
    loss = ((w * x - y) ** 2).sum()
    hand = (2 * (0.5 * x - y) * x).sum()
    words = check_gradients(loss, [w], {"w": hand / N})["w"].diagnosis
    assert words.endswith(f"(hand = expected / {N}: a mean over the {N} samples instead of a "
                          "sum?)")


def test_a_parameter_used_twice_sums_its_per_sample_gradients():
    # b is broadcast twice, over X and over Y: its per-sample gradients add up
    Y = rng.standard_normal((N, 2))
    b = ag.parameter(rng.standard_normal(2), name="b")
    loss = ((X[:, :2] + b) ** 2).sum() + ((Y * b) ** 2).sum() / 2
    full = 2 * (X[:, :2] + b.value) + Y * Y * b.value
    np.testing.assert_allclose(ag.gradients(loss, [b])[0], full.sum(axis=0), rtol=1e-12)
    words = check_gradients(loss, [b], {"b": full})["b"].diagnosis
    assert words == (f"hand-derived = not summed over axis 0: the per-sample gradients ({N}, 2), "
                     "which the parameter's gradient sums")
    words = check_gradients(loss, [b], {"b": full.sum(axis=1)})["b"].diagnosis
    assert words == (f"hand-derived = summed over axis 1 instead of axis 0 of the per-sample "
                     f"gradients ({N}, 2)")


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e300, 1e300, allow_nan=False).filter(lambda c: c != 0)
       | st.sampled_from([1e-310, -1e-310, 5e-324, 1.0, -1.0]),
       st.integers(0, 2 ** 32 - 1))
def test_any_factor_is_fitted_and_read_without_error(c, seed):
    words = factor_words(c, samples={7})            # never raises, however large or small
    assert ("sign flipped" in words) == (c < 0) and (words == "") == (c == 1)
    x = np.random.default_rng(seed).uniform(0.5, 2.0, 4)
    if not np.isfinite(c * x).all() or abs(c) < 1e-290:
        return                             # c * x over- or underflows: no exact multiple
    fitted = fit_factor(c * x, x, tolerance_for([x]), (1.0, -1.0, 2.0, -2.0, 0.5, -0.5))
    assert fitted is not None and abs(fitted - c) <= 1e-6 * abs(c)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 10 ** 6), st.booleans(), st.booleans())
def test_whole_factors_and_their_inverses_are_named(n, inverse, negative):
    c = (1 / n if inverse else float(n)) * (-1 if negative else 1)
    words = factor_words(c)
    if inverse:
        assert f"an extra factor 1/{n} (hand = expected / {'-' if negative else ''}{n})" in words
    else:
        assert f"an extra factor {n} (hand = {c:g} x expected)" in words
    assert words.startswith("the sign flipped and ") == negative


# --- near the thresholds: each test sits between the constant and a value beside it ------------

@pytest.mark.parametrize("c, words", [
    (2 * (1 + 4e-10), "an extra factor 2 (hand = 2 x expected)"),           # within 1e-9
    (2 * (1 + 1.5e-9), "a constant factor 2 (hand = 2 x expected)"),         # beyond 1e-9
    (0.5 / (1 + 4e-10), "an extra factor 1/2 (hand = expected / 2)"),
    (0.5 / (1 + 1.5e-9), "a constant factor 0.5 (hand = 0.5 x expected)"),
    (1e6, "an extra factor 1000000 (hand = 1e+06 x expected)"),              # the largest named
    (1e6 + 1, "a constant factor 1e+06 (hand = 1e+06 x expected)"),
    (1e-6, "an extra factor 1/1000000 (hand = expected / 1000000)"),
    (1 / (1e6 + 1), "a constant factor 9.99999e-07 (hand = 9.99999e-07 x expected)"),
])
def test_factor_words_at_the_thresholds(c, words):
    assert factor_words(c) == words


def test_fit_factor_snaps_only_within_a_thousandth():
    x = np.array([1.0, 2.0, 3.0])
    loose = Tolerance(1e-2, None, 0.0, "float64")
    nice = (1.0, -1.0, 2.0, -2.0)
    assert fit_factor(2.0015 * x, x, loose, nice) == 2.0               # 0.0015 < 2.0015e-3
    assert fit_factor(2.003 * x, x, loose, nice) == pytest.approx(2.003, rel=1e-12)
    # two nice values in the window and within tolerance: the nearer one
    assert fit_factor(2.0009 * x, x, loose, (2.0, 2.001)) == 2.001
    assert fit_factor(2.0001 * x, x, loose, (2.001, 2.0)) == 2.0


def test_a_zero_prediction_fits_nothing():
    tolerance = tolerance_for([np.zeros(3)])
    assert fit_factor(np.ones(3), np.zeros(3), tolerance, (1.0, 2.0)) is None
    assert fit_factor(np.zeros(3), np.zeros(3), tolerance, (1.0, 2.0)) is None


def test_tolerance_is_immutable_and_hashable():
    tolerance = tolerance_for([np.zeros(2)])
    assert hash(tolerance) == hash(tolerance_for([np.zeros(2)]))
    with pytest.raises(AttributeError):
        tolerance.rtol = 1.0


# A scalar parameter: its gradient has one entry, which any factor fits; only the factors the
# diagnoser knows (1, -1, 2, N and their inverses) may be named.
S = rng.standard_normal(N)


def scalar_model(s):
    return ((s * S - 1.0) ** 2).sum()


S0 = {"s": np.array(0.3)}
GS = (2 * (0.3 * S - 1.0) * S).sum()


@pytest.mark.parametrize("hand, sentence", [
    (-GS, "hand-derived = autodiff with the sign flipped (the gradient of the negated "
          "objective, e.g. of the log-likelihood instead of the loss: ascent instead of "
          "descent)"),
    (2 * GS, "hand-derived = autodiff with an extra factor 2 (hand = 2 x expected)"),
    (GS / 2, "hand-derived = autodiff with an extra factor 1/2 (hand = expected / 2)"),
    (-GS / 2, "hand-derived = autodiff with the sign flipped and an extra factor 1/2 (hand = "
              "expected / -2)"),
    (-2 * GS, "hand-derived = autodiff with the sign flipped and an extra factor 2 (hand = -2 x "
              "expected)"),
    (GS / N, f"hand-derived = autodiff with an extra factor 1/{N} (hand = expected / {N}: a mean "
             f"over the {N} samples instead of a sum?)"),
    (-GS / N, f"hand-derived = autodiff with the sign flipped and an extra factor 1/{N} (hand = "
              f"expected / -{N}: a mean over the {N} samples instead of a sum?)"),
    (N * GS, f"hand-derived = autodiff with an extra factor {N} (hand = {N} x expected)"),
    (-N * GS, f"hand-derived = autodiff with the sign flipped and an extra factor {N} (hand = "
              f"-{N} x expected)"),
    (1.5 * GS, "the entries disagree with no known pattern (not a sign flip, a constant factor, "
               "a transpose, a sum over other axes)"),
    (GS / 3, "the entries disagree with no known pattern (not a sign flip, a constant factor, "
             "a transpose, a sum over other axes)"),
])
def test_a_one_entry_gradient_names_only_known_factors(hand, sentence):
    report = check_gradients(scalar_model, S0, {"s": np.array(hand)})
    assert report["s"].diagnosis == sentence


def test_factor_of_a_parameter_length_is_not_a_mean():
    # w has length 3 but is no data: 1/3 is a constant, not "a mean over 3 samples"
    assert diagnose("w", G["w"] / 3) == ("hand-derived = autodiff with an extra factor 1/3 "
                                         "(hand = expected / 3)")


def test_activations_of_one_snapshot_with_parameters_of_another():
    A = {k: v + 0.05 * rng.standard_normal(v.shape) for k, v in P.items()}
    B = {k: v - 0.05 * rng.standard_normal(v.shape) for k, v in P.items()}
    H_A = np.tanh(X * A["w"])
    H = np.tanh(X * P["w"])
    Z = H @ P["W"] + P["b"] + P["c"]                    # the current forward values
    hand = (Z @ B["W"].T * (1 - H_A ** 2) * X).sum(axis=0)
    words = diagnose("w", hand, history={"A": A, "B": B})
    assert words == ("hand-derived = computed with the tanh output as at A and the parameters "
                     "as at B")


def test_the_search_is_truncated_only_beyond_the_cap(monkeypatch):
    from autograph.verify import diagnose as module
    nodes = {k: ag.parameter(v, name=k) for k, v in P.items()}
    root = model(**nodes)
    history = [("A", EARLIER)]
    # plans: stale parameters, the tanh output as at A, the parameters as at A
    monkeypatch.setattr(module, "MAX_REPLAYS", 3)
    diagnoser = module.Diagnoser(root, nodes, {}, history)
    assert len(diagnoser._plan()) == 3 and not diagnoser.truncated
    monkeypatch.setattr(module, "MAX_REPLAYS", 2)
    diagnoser = module.Diagnoser(root, nodes, {}, history)
    assert len(diagnoser._plan()) == 2 and diagnoser.truncated
