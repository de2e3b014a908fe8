"""The tutorial's data: logistic data (section 1.3.1), three Gaussian clusters (1.3.3), the
weights it draws in each section, and the initial weights of its training section (2.2).

Each draws from a private legacy RandomState seeded as the tutorial seeds numpy's global
generator (np.random.seed), so the same seed gives the tutorial's arrays and numpy's global
state is left alone. Where a notebook cell goes on drawing from the stream a previous cell
left, the function draws the earlier cells' numbers first, in the tutorial's order.
"""

from __future__ import annotations

import numpy as np

from autograph.data.clusters import CLUSTER_CENTERS, one_hot, three_clusters


def _legacy(seed: int) -> np.random.RandomState:
    """A legacy RandomState seeded as np.random.seed(seed) would seed the global one."""
    return np.random.RandomState(seed)


def logistic_data(n: int = 100, seed: int = 123, bias: float = 0.2):
    """Section 1.3.1 (In [1]): x uniform in (-5, 5)^2, true weights w uniform [0, 1), labels
    round(sigmoid(x . w + bias)).

    Returns (x of shape (n, 2), y of shape (n,), w of shape (2,), bias).

    >>> x, y, w, b = logistic_data()
    >>> y[:10]
    array([1., 0., 1., 1., 1., 0., 0., 0., 0., 1.])
    """
    rng = _legacy(seed)
    x = rng.uniform(low=-5.0, high=5.0, size=2 * n).reshape(n, 2)
    w = rng.random_sample(2)
    activation = x @ w + bias
    y = np.round(1.0 / (1.0 + np.exp(-activation)))
    return x, y, w, bias


def section_1_3_3(n: int = 100) -> dict:
    """Section 1.3.3's draws after np.random.seed(1234): the clusters (randn), then
    w_11 .. w_32, v, b_1, b_2 (np.random.random), then In [15]'s x_temp (np.random.rand,
    rounded to 3 digits), all from one stream as the notebook drew them.

    `w` is the tutorial's (3, 2) matrix, row j = (w_j1, w_j2): unit j's weights.

    >>> p = section_1_3_3()
    >>> p["w"].shape, p["v"].shape, p["b_1"].shape, p["b_2"].shape, p["x_temp"].shape
    ((3, 2), (3,), (3,), (1,), (3, 2))
    """
    rng = _legacy(1234)
    k, dim = len(CLUSTER_CENTERS), 2
    rng.randn(n * k * dim)                               # the clusters (three_clusters)
    w = rng.random_sample(6).reshape(3, 2)
    v = rng.random_sample(3)
    b_1 = rng.random_sample(3)
    b_2 = rng.random_sample(1)
    x_temp = np.round(rng.random_sample(6).reshape(3, 2), 3)
    return {"w": w, "v": v, "b_1": b_1, "b_2": b_2, "x_temp": x_temp}


def softmax_network_parameters() -> dict:
    """Section 1.5, the 2-3-3 softmax network: np.random.seed(1234), then randn for w (2, 3),
    v (3, 3), b_1 (1, 3), b_2 (1, 3)."""
    rng = _legacy(1234)
    return {"w": rng.randn(2, 3), "v": rng.randn(3, 3), "b_1": rng.randn(1, 3),
            "b_2": rng.randn(1, 3)}


def three_layer_parameters() -> dict:
    """Section 1.5, the 2-3-3-3 networks: np.random.seed(1234), then randn for W1, W2, W3,
    b1, b2, b3 (biases (1, 3))."""
    rng = _legacy(1234)
    shapes = {"W1": (2, 3), "W2": (3, 3), "W3": (3, 3), "b1": (1, 3), "b2": (1, 3), "b3": (1, 3)}
    return {name: rng.randn(*shape) for name, shape in shapes.items()}


def tutorial_parameters(seed: int = 1) -> dict:
    """W (2, 3), V (3, 3), b1 (3,), b2 (3,) drawn as the tutorial's training section draws them
    (In [30]: np.random.seed(1), then randn for W, V, b1, b2).

    >>> p = tutorial_parameters()
    >>> p["W"].shape, p["b2"].shape
    ((2, 3), (3,))
    """
    rng = _legacy(seed)
    return {"W": rng.randn(2, 3), "V": rng.randn(3, 3), "b1": rng.randn(3), "b2": rng.randn(3)}


__all__ = ["CLUSTER_CENTERS", "logistic_data", "one_hot", "section_1_3_3",
           "softmax_network_parameters", "three_clusters", "three_layer_parameters",
           "tutorial_parameters"]
