"""Data sets: the tutorial's generators, reproducing its arrays from its seeds."""

from autograph.data.tutorial import logistic_data, one_hot, three_clusters

__all__ = ["logistic_data", "one_hot", "three_clusters"]
