"""The tutorial's hand-derived gradients, checked against reverse mode: `autograph verify`.

Sections 2.2.4 and 2.3 of *Building a Multilayer Perceptron* derive backpropagation by hand.
Its formulas differentiate the log-likelihood J = sum T log Y (its equation (11)), which its
training loop ascends, so they are checked here against that objective; checked as gradients
of the cross-entropy loss (minus J) they come out with the sign flipped, and the check says so.

Each worked example transcribes a formula, says whether it is right, and checks it. A right
formula must pass; a wrong one (as printed in the tutorial) must fail, and the report says how.

>>> examples = two_layer_examples()
>>> examples[0].title, examples[0].report.ok
('derivative_v, loop version (In [25])', True)
>>> all(e.as_expected for e in examples)
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

import autograph as ag
from autograph.tutorial.data import one_hot, three_clusters, tutorial_parameters
from autograph.tutorial.seed import (LEARNING_RATE, derivative_b1, derivative_b2, derivative_v,
                                     derivative_v_v2, derivative_w, ff_nn_2)
from autograph.verify.check import GradientReport, check_gradients


@dataclass
class WorkedExample:
    """A transcribed formula and its check. `expected[name]` is True where the formula is
    right (it must pass) and False where it is wrong (it must fail)."""
    title: str
    note: str
    expected: dict
    report: GradientReport
    network: Callable | None = field(default=None, repr=False)   # builds the network output

    @property
    def as_expected(self) -> bool:
        return all(self.report[name].ok == right for name, right in self.expected.items())

    def __str__(self) -> str:
        claims = ", ".join(f"{n} {'right' if r else 'wrong'}" for n, r in self.expected.items())
        verdict = "as expected" if self.as_expected else "NOT AS EXPECTED"
        return (f"== {self.title}\n   {self.note}\n   the formula is: {claims}; check: "
                f"{verdict}\n{self.report}")

    def diagram(self):
        """The network, its disagreeing weights highlighted (needs autograph.diagrams)."""
        return self.report.diagram(self.network(), title=self.title)


def log_likelihood(X, T, sign: float = 1.0):
    """J(W, V, b1, b2) = sum T log softmax(sigmoid(X W + b1) V + b2), the tutorial's cost;
    `sign=-1` gives the cross-entropy loss, which is what gradient descent minimises."""
    def J(W, V, b1, b2):
        H = _named(ag.sigmoid(X @ W + b1), "H")
        return sign * (T * ag.log_softmax(H @ V + b2)).sum()
    return J


def _named(x, name: str):
    """Name an activation so that a diagnosis can say "H"; arrays (no graph) pass through."""
    if isinstance(x, ag.Node):
        x.name = name
    return x


def two_layer_examples(steps: int = 100) -> list:
    """Section 2.2.4 and the training loop, at the training section's initial parameters."""
    data, classes = three_clusters()
    T = one_hot(classes)
    p = tutorial_parameters()
    J = log_likelihood(data, T)
    H, Y = ff_nn_2(data, **p)
    examples = []

    def example(title, note, expected, hand, objective=J, at=p, **options):
        report = check_gradients(objective, at, hand, title=title, **options)
        examples.append(WorkedExample(title, note, expected, report,
                                      lambda: two_layer_network(data, at)))

    example("derivative_v, loop version (In [25])",
            "dJ/dv_kj = sum_n (t_k - y_k) h_j, eq. (18), summed in three nested loops",
            {"V": True}, {"V": derivative_v(H, Y, T)})
    example("derivative_v_v2, derivative_w, derivative_b2, derivative_b1 (In [26]-[28])",
            "the vectorised formulas, eq. (18), (21) and their bias versions",
            {"V": True, "W": True, "b2": True, "b1": True},
            {"V": derivative_v_v2(H, T, Y), "W": derivative_w(data, T, Y, H, V=p["V"]),
             "b2": derivative_b2(T, Y), "b1": derivative_b1(T, Y, H, p["V"])})
    example("the same formulas as gradients of the loss being minimised (eq. (25)-(26))",
            "eq. (25)-(26) subtract them as if they were gradients of a loss; they are "
            "gradients of the log-likelihood (the code adds them: ascent)",
            {"V": False, "W": False, "b2": False, "b1": False},
            {"V": derivative_v_v2(H, T, Y), "W": derivative_w(data, T, Y, H, p["V"]),
             "b2": derivative_b2(T, Y), "b1": derivative_b1(T, Y, H, p["V"])},
            objective=log_likelihood(data, T, sign=-1.0))
    example("the tutorial's unit test calls derivative_v_v2(H, Y, T) (In [26])",
            "the signature is (H, T, Y): T and Y are swapped, giving H^T (Y - T); the test "
            "`(derivative_v - derivative_v_v2).sum() < 0.0001` cannot fail (no abs, and the "
            "rows of T - Y sum to 0)", {"V": False}, {"V": derivative_v_v2(H, Y, T)})

    dJ_dZ = _chain_eq_12_to_14(T, Y, H.dot(p["V"]) + p["b2"], printed=False)
    example("eq. (12)-(13) with the softmax derivative (15)",
            "dJ/dz_k = sum_k' t_k'/y_k' * y_k'(1(k = k') - y_k)", {"V": True, "b2": True},
            {"V": H.T.dot(dJ_dZ), "b2": dJ_dZ.sum(axis=0)})
    dJ_dZ = _chain_eq_12_to_14(T, Y, H.dot(p["V"]) + p["b2"], printed=True)
    example("eq. (14) as printed: diagonal exp(z_k)(1 - exp(z_k)) / (sum exp)^2",
            "the diagonal numerator should be exp(z_k)(sum_k exp(z_k) - exp(z_k)), i.e. "
            "y_k(1 - y_k) as (15) says", {"V": False, "b2": False},
            {"V": H.T.dot(dJ_dZ), "b2": dJ_dZ.sum(axis=0)})
    one_term = T * (1 - Y)            # t_k/y_k * y_k(1 - y_k): the k' = k term alone
    example("eq. (12) and (16)-(17) as printed: no sum over k'",
            "J_n depends on z_k through every y_k' (the softmax couples them), so the chain "
            "rule sums over k' = 1..C; without the sum, k' can only be k and the product is "
            "t_k(1 - y_k) h_j, which drops -t_k' y_k h_j of every other class k' (it is "
            "(t_k - y_k) h_j, eq. (18), only where t_k = 1)", {"V": False, "b2": False},
            {"V": H.T.dot(one_term), "b2": one_term.sum(axis=0)})
    E = np.exp(H.dot(p["V"]) + p["b2"])
    Y_two = E / E[:, :2].sum(axis=1, keepdims=True)      # normaliser over k = 1, 2 only
    example("eq. (8) as printed: the softmax normaliser sums k = 1..2 of three classes",
            "with three classes y_k = exp(z_k) / sum_{k=1}^{3} exp(z_k); summing to 2 (the "
            "two-class network it started from) leaves the y_k unnormalised (they sum to "
            "more than 1), so (t_k - y_k) h_j of eq. (18) is taken at the wrong y",
            {"V": False, "b2": False},
            {"V": derivative_v_v2(H, T, Y_two), "b2": derivative_b2(T, Y_two)})
    two = (T - Y)[:, :2].dot(p["V"][:, :2].T) * H * (1 - H)
    example("eq. (20)-(23) as printed: the sum over k runs 1..2 of three classes",
            "every output unit y_k is a path from J_n to w_ji (the figure of 2.2.4 draws "
            "three); summing k = 1..2 drops the paths through y_3 (with three classes the sum "
            "is k = 1..3, as derivative_w computes it)", {"W": False, "b1": False},
            {"W": data.T.dot(two), "b1": two.sum(axis=0)})
    example('"dz_k/dv_kj = v_j" (section 2.2.4)',
            "should be h_j (eq. (17) then uses h_j, rightly); read literally, v_j as the "
            "weight v_kj itself: dJ/dv_kj = sum_n (t_k - y_k) v_kj", {"V": False},
            {"V": (T - Y).sum(axis=0) * p["V"]})
    delta = (T - Y).dot(p["V"].T) * H * (1 - H)
    example("dh_j/da_j da_j/dw_ji = h_j(1 - h_j) w_ji (section 2.2.4)",
            "should be h_j(1 - h_j) x_i (as eq. (21) then has); with w_ji: "
            "dJ/dw_ji = sum_n sum_k (t_k - y_k) v_kj h_j(1 - h_j) w_ji", {"W": False},
            {"W": delta.sum(axis=0) * p["W"]})

    at, hand, history = training_loop_step(data, T, p, steps)
    example(f"the training loop (In [30]) at epoch {steps}",
            "it passes H, computed once before the loop, to derivative_v_v2, derivative_w "
            "and derivative_b1 (stale activations), and calls derivative_w and derivative_b1 "
            "after V has been updated; derivative_b2 does not use H (at epoch 0, H is "
            "still fresh)",
            {"V": steps == 0, "b2": True, "W": False, "b1": False}, hand, at=at,
            history=history)
    return examples


def two_layer_network(X, params: dict):
    """softmax(sigmoid(X W + b1) V + b2) over parameters named W, V, b1, b2: for drawing."""
    p = {name: ag.parameter(value, name=name) for name, value in params.items()}
    H = ag.sigmoid(ag.constant(X, name="X") @ p["W"] + p["b1"])
    return ag.softmax(H @ p["V"] + p["b2"])


def _chain_eq_12_to_14(T, Y, Z, printed: bool):
    """dJ_n/dz_k = sum_k' dJ_n/dy_k' dy_k'/dz_k with (13) and either (14) as printed or (15)."""
    K = T.shape[1]
    if printed:
        E = np.exp(Z)
        S = E.sum(axis=1)[:, None, None]
        jacobian = -E[:, :, None] * E[:, None, :] / S ** 2          # [n, k', k]
        jacobian[:, range(K), range(K)] = (E * (1 - E)) / S[:, :, 0] ** 2
    else:
        jacobian = Y[:, :, None] * (np.eye(K) - Y[:, None, :])
    return np.einsum("nq,nqk->nk", T / Y, jacobian)


def training_loop_step(data, T, p: dict, steps: int):
    """Run the tutorial's loop and return (parameters at epoch `steps`, the four derivatives
    it computes there, snapshots of earlier and intermediate parameter values)."""
    W, V, b1, b2 = (p[k].copy() for k in ("W", "V", "b1", "b2"))
    H, _ = ff_nn_2(data, W, V, b1, b2)       # before the loop: never recomputed
    for epoch in range(steps + 1):
        hidden, output = ff_nn_2(data, W, V, b1, b2)
        at = {"W": W.copy(), "V": V.copy(), "b1": b1.copy(), "b2": b2.copy()}
        dv = derivative_v_v2(H, T, output)
        V += LEARNING_RATE * dv
        db2 = derivative_b2(T, output)
        b2 += LEARNING_RATE * db2
        updated = {"W": W.copy(), "V": V.copy(), "b1": b1.copy(), "b2": b2.copy()}
        dw = derivative_w(data, T, output, H, V)
        W += LEARNING_RATE * dw
        db1 = derivative_b1(T, output, H, V)
        b1 += LEARNING_RATE * db1
    history = {"epoch 0 (before the loop, where H was computed)": p,
               f"epoch {steps} after the updates of V and b2": updated}
    return at, {"V": dv, "b2": db2, "W": dw, "b1": db1}, history


# --- section 2.3: a 4-layer network, three hidden layers --------------------------------------
# Notation of the tutorial: x_i -> (w^0_ji) h^1_j -> (w^1_kj) h^2_k -> (w^2_lk) h^3_l
# -> (w^3_ml) y_m. In code, as in the tutorial's, a weight matrix is (from, to): W3[l, m] = w^3_ml.
DEEP_SIZES = (2, 3, 3, 3, 3)    # equal hidden widths: the printed indices are then computable


def deep_parameters(seed: int = 0) -> dict:
    rng = np.random.RandomState(seed)
    return {f"W{i}": rng.randn(a, b) for i, (a, b) in enumerate(zip(DEEP_SIZES, DEEP_SIZES[1:]))}


def deep_log_likelihood(X, T, activation: str):
    f = {"sigmoid": ag.sigmoid, "relu": ag.relu}[activation]

    def J(W0, W1, W2, W3):
        h = X
        for i, W in enumerate((W0, W1, W2), start=1):
            h = _named(f(h @ W), f"h{i}")
        return (T * ag.log_softmax(h @ W3)).sum()
    return J


def deep_network(X, params: dict, activation: str):
    """The 4-layer network's softmax output over parameters named W0..W3: for drawing."""
    f = {"sigmoid": ag.sigmoid, "relu": ag.relu}[activation]
    h = ag.constant(X, name="X")
    for i in range(3):
        h = f(h @ ag.parameter(params[f"W{i}"], name=f"W{i}"))
    return ag.softmax(h @ ag.parameter(params["W3"], name="W3"))


def _deep_forward(X, p, activation):
    """Hidden values h1..h3, their derivatives s1..s3 (h(1 - h) or 1(a > 0)), output Y."""
    hs, ss, h = [], [], X
    for W in (p["W0"], p["W1"], p["W2"]):
        a = h.dot(W)
        if activation == "sigmoid":
            h = 1 / (1 + np.exp(-a))
            s = h * (1 - h)
        else:
            h = np.maximum(a, 0.0)
            s = (a > 0).astype(float)
        hs.append(h)
        ss.append(s)
    z = h.dot(p["W3"])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return hs, ss, e / e.sum(axis=1, keepdims=True)


def deep_backprop(X, T, p, activation):
    """The recursion done right: delta_l = (delta_{l+1} W_{l+1}^T) * s_l; dW_l = h_l^T delta."""
    (h1, h2, h3), (s1, s2, s3), Y = _deep_forward(X, p, activation)
    e = T - Y
    d3 = e.dot(p["W3"].T) * s3
    d2 = d3.dot(p["W2"].T) * s2
    d1 = d2.dot(p["W1"].T) * s1
    return {"W3": h3.T.dot(e), "W2": h2.T.dot(d3), "W1": h1.T.dot(d2), "W0": X.T.dot(d1)}


def deep_as_printed(X, T, p, activation):
    """Eq. (29)-(32) (sigmoid) or (33)-(36) (ReLU) with their indices read literally:
    w^3_lm = W3[m, l] (the printed index order), w^2_lj = W2[j, l] (j where k belongs), and
    x_ji read as x_i."""
    (h1, h2, h3), (s1, s2, s3), Y = _deep_forward(X, p, activation)
    e = T - Y
    d3 = e.dot(p["W3"]) * s3                    # sum_m (t_m - y_m) w^3_lm s_l
    u = d3.dot(p["W2"].T)                       # u[n, j] = sum_l d3[n, l] w^2_lj
    return {"W3": h3.T.dot(e),                                       # (29) / (33)
            "W2": h2.T.dot(d3),                                      # (30) / (34)
            "W1": (u * h1).T.dot(s2),                                # (31) / (35)
            "W0": X.T.dot(s1 * u * s2.dot(p["W1"].T))}               # (32) / (36)


def deep_examples() -> list:
    data, classes = three_clusters()
    T = one_hot(classes)
    p = deep_parameters()
    examples = []
    for activation, equations in (("sigmoid", "(29)-(32)"), ("relu", "(33)-(36)")):
        J = deep_log_likelihood(data, T, activation)

        def network(activation=activation):
            return deep_network(data, p, activation)
        report = check_gradients(J, p, deep_backprop(data, T, p, activation),
                                 title=f"4-layer {activation} network, recursive backprop")
        examples.append(WorkedExample(
            f"section 2.3, {activation} hidden units: the recursion written correctly",
            "delta_3 = (T - Y) W3^T * s3, delta_2 = delta_3 W2^T * s2, delta_1 = delta_2 W1^T "
            "* s1", {"W3": True, "W2": True, "W1": True, "W0": True}, report, network))
        report = check_gradients(J, p, deep_as_printed(data, T, p, activation),
                                 title=f"4-layer {activation} network, eq. {equations} as printed")
        examples.append(WorkedExample(
            f"section 2.3, {activation} hidden units: eq. {equations} as printed",
            "w^3_lm should be w^3_ml in all three; w^2_lj should be w^2_lk in the last two "
            "(j is the index of the layer below); (29)/(33) are right",
            {"W3": True, "W2": False, "W1": False, "W0": False}, report, network))
    return examples


def run(out=print, steps: int = 100, diagrams=None, format: str = "dot") -> bool:
    """Print every worked example; True when right formulas pass and wrong ones fail.

    With `diagrams` (a folder), draw the network of each example that has disagreeing
    gradients, those weights in red, as `format` ('dot', 'svg' or 'png').
    """
    examples = two_layer_examples(steps) + deep_examples()
    for example in examples:
        out(str(example))
        if diagrams is not None and not example.report.ok:
            name = re.sub(r"[^a-z0-9]+", "-", example.title.lower()).strip("-")[:60]
            try:
                path = Path(diagrams) / f"{name}.{format}"
                out(f"   drawn: {example.diagram().render(path)}")
            except (RuntimeError, OSError) as error:   # no autograph.diagrams, no Graphviz
                out(f"   not drawn: {error}")
        out("")
    surprises = [e.title for e in examples if not e.as_expected]
    out(f"{len(examples)} worked examples: " + ("right formulas pass and wrong ones are caught"
                                                if not surprises else
                                                "NOT AS EXPECTED: " + "; ".join(surprises)))
    return not surprises
