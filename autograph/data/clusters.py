"""Gaussian clusters: a small classification data set, and one-hot targets.

`three_clusters()` with its defaults gives the three clusters of *Building a Multilayer
Perceptron* (seed 1234), which many examples and tests here train on; the generator itself is
general: any centres, any number of points, any seed.
"""

from __future__ import annotations

import numpy as np

CLUSTER_CENTERS = ((-2.0, -2.0), (0.0, 2.0), (2.0, -2.0))


def three_clusters(n: int = 100, seed: int = 1234,
                   centers=CLUSTER_CENTERS) -> tuple[np.ndarray, np.ndarray]:
    """`n` points per class around each of `centers` (by default (-2, -2), (0, 2), (2, -2)),
    unit variance, drawn from a legacy RandomState(seed) as `np.random.seed(seed)` then
    `np.random.randn` would draw them, so numpy's global state is left alone.

    Returns (data of shape (k n, 2), classes of shape (k n,)).

    >>> data, classes = three_clusters()
    >>> data.shape, classes[:3], classes[-3:]
    ((300, 2), array([0, 0, 0]), array([2, 2, 2]))
    """
    centers = np.asarray(centers, dtype=float)
    k, dim = centers.shape
    points = np.random.RandomState(seed).randn(n * k * dim).reshape(n * k, dim)
    data = np.vstack([points[i * n:(i + 1) * n] + center for i, center in enumerate(centers)])
    classes = np.repeat(np.arange(k), n)
    return data, classes


def one_hot(classes, k: int | None = None) -> np.ndarray:
    """Target rows with a 1 in each example's class: T[n, classes[n]] = 1.

    >>> one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    classes = np.asarray(classes)
    k = int(classes.max()) + 1 if k is None else k
    return np.eye(k)[classes]


__all__ = ["CLUSTER_CENTERS", "one_hot", "three_clusters"]
