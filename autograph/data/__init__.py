"""Data sets: the tutorial's generators, reproducing its arrays from its seeds."""

from autograph.data.tutorial import logistic_data, one_hot, three_clusters, tutorial_parameters
from autograph.data.digits import digits

__all__ = ["digits", "logistic_data", "one_hot", "three_clusters", "tutorial_parameters"]
