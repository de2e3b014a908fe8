"""`autograph demo`: the tutorial's 2-layer sigmoid/softmax network on the three clusters.

Builds the network as an expression, prints its cost and reverse-mode gradients, checks the
tutorial's hand-derived formulas (derivative_v_v2, derivative_w, derivative_b1, derivative_b2)
against them, and checks reverse mode itself against finite differences.
"""

from __future__ import annotations

import numpy as np

import autograph as ag
from autograph.data import one_hot, three_clusters, tutorial_parameters


def two_layer_loss(X, T, W, V, b1, b2):
    """Summed cross-entropy of softmax(sigmoid(X W + b1) V + b2): minus the tutorial's cost.

    >>> X, T = np.ones((4, 2)), np.eye(3)[[0, 1, 2, 0]]
    >>> loss = two_layer_loss(X, T, *[ag.parameter(v) for v in tutorial_parameters().values()])
    >>> loss.shape
    ()
    """
    H = ag.sigmoid(X @ W + b1)
    return -(T * ag.log_softmax(H @ V + b2)).sum()


def run(out=print) -> bool:
    from autograph.verify import check_gradients, tutorial as seed

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
    out(f"  cost J = sum T log Y, as the tutorial prints it: {-loss.item():.10f}")
    out(f"  cross-entropy loss -J, minimised here:           {loss.item():.10f}")
    out("\nGradients of the loss by reverse mode:")
    for name, p in params.items():
        out(f"  dloss/d{name} {p.shape}:\n    "
            + np.array2string(p.grad, precision=4, prefix="    "))

    # The tutorial's formulas differentiate its cost J (it ascends), so they are checked
    # against the gradient of J = -loss.
    W, V, b1, b2 = (p.value for p in params.values())
    H, Y = seed.ff_nn_2(data, W, V, b1, b2)
    hand = {"W": seed.derivative_w(data, T, Y, H, V), "V": seed.derivative_v_v2(H, T, Y),
            "b1": seed.derivative_b1(T, Y, H, V), "b2": seed.derivative_b2(T, Y)}
    report = check_gradients(-loss, list(params.values()), hand,
                             title="the tutorial's hand-derived gradients of J against reverse "
                                   "mode")
    out("\n" + str(report))

    check = ag.gradcheck(lambda W, V, b1, b2: two_layer_loss(X, targets, W, V, b1, b2),
                         *params.values())
    out("\n" + str(check))
    ok = report.ok and check.ok
    out("\nall gradients agree" if ok else "\nSOME GRADIENTS DISAGREE")
    return ok
