"""Check the tutorial's hand-derived backprop against reverse mode, and one's own derivation.

With autograph installed (pip install .):  python3 examples/verify_tutorial.py
"""

import numpy as np

import autograph as ag
from autograph.tutorial.data import one_hot, three_clusters, tutorial_parameters
from autograph.tutorial.derivations import run
from autograph.tutorial.seed import derivative_v_v2, ff_nn_2
from autograph.verify import check_gradients

# 1. All the tutorial's worked examples: right formulas pass, the printed mistakes are caught.
run(steps=100)

# 2. Your own derivation: the cross-entropy loss of the tutorial's network, and a hand-derived
#    gradient for V written as a mean over the samples instead of a sum.
data, classes = three_clusters()
T = one_hot(classes)
params = tutorial_parameters()


def loss(W, V, b1, b2):
    H = ag.sigmoid(data @ W + b1)
    H.name = "H"
    return -(T * ag.log_softmax(H @ V + b2)).sum()


H, Y = ff_nn_2(data, **params)
report = check_gradients(loss, params, {"V": -derivative_v_v2(H, T, Y) / len(data)})
print("\n" + str(report))          # V: an extra factor 1/300, a mean instead of a sum
print("exit code for scripts:", report.exit_code)
print("disagreeing entries of V:\n", np.argwhere(report["V"].mask))
