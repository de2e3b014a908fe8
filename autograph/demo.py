"""`autograph demo`: the tutorial's 2-layer sigmoid/softmax network on the three clusters.

Builds the network as an expression, prints its cost and reverse-mode gradients, compares them
with the tutorial's hand-derived formulas (derivative_v, derivative_w, derivative_b1,
derivative_b2) and checks them against finite differences.
"""

from __future__ import annotations

import numpy as np

import autograph as ag
from autograph.data import one_hot, three_clusters


def tutorial_parameters(seed: int = 1) -> dict:
    """W (2, 3), V (3, 3), b1 (3,), b2 (3,) drawn as the tutorial's training section does."""
    rng = np.random.RandomState(seed)
    return {"W": rng.randn(2, 3), "V": rng.randn(3, 3), "b1": rng.randn(3), "b2": rng.randn(3)}


def two_layer_loss(X, T, W, V, b1, b2):
    """Summed cross-entropy of softmax(sigmoid(X W + b1) V + b2): minus the tutorial's cost."""
    H = ag.sigmoid(X @ W + b1)
    return -(T * ag.log_softmax(H @ V + b2)).sum()


def hand_derived(X, T, W, V, b1, b2) -> dict:
    """The tutorial's vectorised formulas; they ascend the log-likelihood, so they are minus
    the gradient of the cross-entropy."""
    H = 1 / (1 + np.exp(-(X @ W + b1)))
    A = H @ V + b2
    Y = np.exp(A - A.max(axis=1, keepdims=True))
    Y /= Y.sum(axis=1, keepdims=True)
    delta_hidden = (T - Y) @ V.T * H * (1 - H)
    return {"W": X.T @ delta_hidden, "V": H.T @ (T - Y),
            "b1": delta_hidden.sum(axis=0), "b2": (T - Y).sum(axis=0)}


def run(out=print) -> bool:
    data, classes = three_clusters()
    T = one_hot(classes)
    X = ag.constant(data, name="X")
    targets = ag.constant(T, name="T")
    params = {name: ag.parameter(value, name=name)
              for name, value in tutorial_parameters().items()}

    loss = two_layer_loss(X, targets, **params)
    loss.backward()
    out("autograph demo: the tutorial's 2-layer network, 2 -> 3 sigmoid -> 3 softmax, "
        "on 300 points in three clusters")
    out(f"  cost (log-likelihood, as the tutorial prints it): {-loss.item():.10f}")
    out(f"  cross-entropy loss minimised here:                {loss.item():.10f}")

    ok = True
    hand = hand_derived(data, T, **{k: p.value for k, p in params.items()})
    out("\nGradients of the loss, by reverse mode, against the tutorial's hand-derived ones:")
    for name, p in params.items():
        difference = np.max(np.abs(p.grad - (-hand[name])))
        agree = difference < 1e-9
        ok &= agree
        out(f"  d loss / d {name} {p.shape}: max |autograph - (-tutorial)| = {difference:.2e}"
            f"  {'ok' if agree else 'DISAGREE'}")
        out("    " + np.array2string(p.grad, precision=4, prefix="    "))

    check = ag.gradcheck(lambda W, V, b1, b2: two_layer_loss(X, targets, W, V, b1, b2),
                         *params.values())
    out("\n" + str(check))
    ok &= check.ok
    out("\nall gradients agree" if ok else "\nSOME GRADIENTS DISAGREE")
    return ok
