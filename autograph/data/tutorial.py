"""The tutorial's data: logistic data (section 1.3.1), three Gaussian clusters (1.3.3), and the
initial weights of its training section (2.2).

Each draws from a private legacy RandomState seeded as the tutorial seeds numpy's global
generator (np.random.seed), so the same seed gives the tutorial's arrays and numpy's global
state is left alone.
"""

from __future__ import annotations

import numpy as np

CLUSTER_CENTERS = ((-2.0, -2.0), (0.0, 2.0), (2.0, -2.0))


def _legacy(seed: int):
    """A legacy RandomState seeded as np.random.seed(seed) would seed the global one."""
    return np.random.RandomState(seed)


def three_clusters(n: int = 100, seed: int = 1234) -> tuple[np.ndarray, np.ndarray]:
    """`n` points per class around (-2, -2), (0, 2) and (2, -2), unit variance.

    Returns (data of shape (3n, 2), classes of shape (3n,)), the tutorial's `data` and
    `classes` for its seed 1234.

    >>> data, classes = three_clusters()
    >>> data.shape, classes[:3], classes[-3:]
    ((300, 2), array([0, 0, 0]), array([2, 2, 2]))
    """
    k, dim = len(CLUSTER_CENTERS), 2
    points = _legacy(seed).randn(n * k * dim).reshape(n * k, dim)
    data = np.vstack([points[i * n:(i + 1) * n] + center
                      for i, center in enumerate(CLUSTER_CENTERS)])
    classes = np.repeat(np.arange(k), n)
    return data, classes


def logistic_data(n: int = 100, seed: int = 123, bias: float = 0.2):
    """Section 1.3.1: x uniform in (-5, 5)^2, true weights w uniform [0, 1), labels
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


def one_hot(classes, k: int | None = None) -> np.ndarray:
    """The tutorial's target matrix T: T[n, classes[n]] = 1.

    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    classes = np.asarray(classes)
    k = int(classes.max()) + 1 if k is None else k
    return np.eye(k)[classes]


def tutorial_parameters(seed: int = 1) -> dict:
    """W (2, 3), V (3, 3), b1 (3,), b2 (3,) drawn as the tutorial's training section draws them
    (In [30]: np.random.seed(1), then randn for W, V, b1, b2).

    >>> p = tutorial_parameters()
    >>> p["W"].shape, p["b2"].shape
    ((2, 3), (3,))
    """
    rng = _legacy(seed)
    return {"W": rng.randn(2, 3), "V": rng.randn(3, 3), "b1": rng.randn(3), "b2": rng.randn(3)}
