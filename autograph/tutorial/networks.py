"""The tutorial's networks as expressions, for the report, `autograph draw` and the tests.

Each function returns the output (or loss) Node of one network of *Building a Multilayer
Perceptron*, on the tutorial's data, with parameters drawn as the tutorial draws them where it
says how (np.random.seed(1234) then randn, in its order), else as its printed values.
"""

from __future__ import annotations

import numpy as np

import autograph as ag
from autograph.tutorial.data import (logistic_data, one_hot, three_clusters,
                                     tutorial_parameters)


def two_layer_loss(X, T, W, V, b1, b2):
    """Summed cross-entropy of softmax(sigmoid(X W + b1) V + b2): minus the tutorial's cost.

    >>> X, T = np.ones((4, 2)), np.eye(3)[[0, 1, 2, 0]]
    >>> loss = two_layer_loss(X, T, *[ag.parameter(v) for v in tutorial_parameters().values()])
    >>> loss.shape
    ()
    """
    H = ag.sigmoid(X @ W + b1)
    return -(T * ag.log_softmax(H @ V + b2)).sum()


def logistic_unit() -> ag.Node:
    """Section 1.3.1: y = sigmoid(x . w + 0.2), two inputs x1, x2 and one output y."""
    x, _, w, bias = logistic_data()
    X = ag.constant(x, name="x")
    return ag.sigmoid(X @ ag.parameter(w, name="w") + bias)


def two_layer() -> ag.Node:
    """Section 1.3.3: the 2-3-1 sigmoid network, with the W and V the tutorial prints (its
    w_ji is W[i, j] here); the biases, which it does not print, are drawn with seed 1."""
    data, _ = three_clusters()
    w_ji = np.array([[0.98436901, 0.61562226], [0.15471633, 0.83146947],
                     [0.81569707, 0.09204188]])
    v = np.array([0.8877899, 0.01643906, 0.86393011])
    rng = np.random.RandomState(1)
    X = ag.constant(data, name="X")
    W, b1 = ag.parameter(w_ji.T, name="W"), ag.parameter(rng.random_sample(3), name="b1")
    V, b2 = ag.parameter(v, name="V"), ag.parameter(rng.random_sample(1), name="b2")
    H = ag.sigmoid(X @ W + b1)
    return ag.sigmoid(H @ V + b2)


def _randn(rng, *shape):
    return rng.randn(int(np.prod(shape))).reshape(shape)


def softmax_network() -> ag.Node:
    """Section 1.5: the 2-3-3 network, sigmoid hidden units and a softmax output."""
    data, _ = three_clusters()
    rng = np.random.RandomState(1234)
    W, V = ag.parameter(_randn(rng, 2, 3), name="W"), ag.parameter(_randn(rng, 3, 3), name="V")
    b1, b2 = ag.parameter(_randn(rng, 1, 3), name="b1"), ag.parameter(_randn(rng, 1, 3), name="b2")
    H = ag.sigmoid(ag.constant(data, name="X") @ W + b1)
    return ag.softmax(H @ V + b2)


def three_layer(hidden: str = "sigmoid") -> ag.Node:
    """Section 1.5: the 2-3-3-3 network (two sigmoid, or ReLU, hidden layers, softmax out)."""
    data, _ = three_clusters()
    rng = np.random.RandomState(1234)
    W1, W2, W3 = (ag.parameter(_randn(rng, *shape), name=f"W{i}")
                  for i, shape in enumerate([(2, 3), (3, 3), (3, 3)], start=1))
    b1, b2, b3 = (ag.parameter(_randn(rng, 1, 3), name=f"b{i}") for i in (1, 2, 3))
    act = getattr(ag, hidden)
    h1 = act(ag.constant(data, name="X") @ W1 + b1)
    h2 = act(h1 @ W2 + b2)
    return ag.softmax(h2 @ W3 + b3)


def four_layer_loss() -> ag.Node:
    """Section 2.3: the 4-layer network x -> h1 -> h2 -> h3 -> y (weights w^0 .. w^3, as the
    tutorial numbers them), sigmoid hidden units, softmax output, and its cross-entropy J.
    The tutorial gives no sizes; 2-3-3-3-3 keeps the three clusters' shapes."""
    data, classes = three_clusters()
    rng = np.random.RandomState(1234)
    sizes = [2, 3, 3, 3, 3]
    h = ag.constant(data, name="X")
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        W = ag.parameter(_randn(rng, n_in, n_out), name=f"W{i}")
        b = ag.parameter(_randn(rng, n_out), name=f"b{i}")
        z = h @ W + b
        h = ag.sigmoid(z) if i < len(sizes) - 2 else z
    T = ag.constant(one_hot(classes), name="T")
    loss = -(T * ag.log_softmax(h)).sum()
    loss.name = "J"
    return loss


def training_loss() -> ag.Node:
    """Section 2.2: the 2-3-3 network with the training section's parameters, and its
    summed cross-entropy J (minus the tutorial's cost), gradients computed."""
    data, classes = three_clusters()
    params = {name: ag.parameter(value, name=name)
              for name, value in tutorial_parameters().items()}
    loss = two_layer_loss(ag.constant(data, name="X"), ag.constant(one_hot(classes), name="T"),
                          **params)
    loss.name = "J"
    loss.backward()
    return loss


NETWORKS = {
    "logistic-unit": ("logistic unit (section 1.3.1)", logistic_unit),
    "two-layer-2-3-1": ("2-layer network 2-3-1 (section 1.3.3)", two_layer),
    "softmax-2-3-3": ("softmax network 2-3-3 (section 1.5)", softmax_network),
    "three-layer-2-3-3-3": ("3-layer network 2-3-3-3 (section 1.5)", three_layer),
    "three-layer-relu-2-3-3-3": ("3-layer ReLU network 2-3-3-3 (section 1.5, ff_nn_3_v2)",
                                 lambda: three_layer("relu")),
    "four-layer-2-3-3-3-3": ("4-layer network and its loss J (section 2.3)", four_layer_loss),
}

