"""Data sets: Gaussian clusters (the tutorial's three, by default) and scikit-learn's digits.

The tutorial's other recipes (its logistic data, its initial weights) live with the tutorial,
in `autograph.tutorial.data`.
"""

from autograph.data.clusters import one_hot, three_clusters
from autograph.data.digits import digits

__all__ = ["digits", "one_hot", "three_clusters"]
