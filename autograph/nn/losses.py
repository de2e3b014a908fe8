"""Losses and the tutorial's classification rate.

The classification losses take *logits*, the affine outputs before softmax or sigmoid, and are
fused with log-softmax / softplus so that they stay finite at logits of +-1000. A model whose
output unit is softmax (or sigmoid), such as the tutorial's network, can be passed as it is:
when `output` is a softmax (sigmoid) Node of a recorded graph, the loss reads the logits under
it. Under `no_grad()` no graph is recorded, so there pass logits (`MLP.logits(x)`); a softmax
or sigmoid output made under `no_grad()` is refused, never misread as logits.

Targets are class indices (n,) or one-hot rows (n, k), the tutorial's T.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograph.core import Node, ShapeError
from autograph.ops import log_softmax, reshape, sigmoid, softplus, sum, value_of
from autograph.ops.activations import _softmax_op


def _logits(output, unit):
    """The input of `output` if it is a softmax / sigmoid Node of a recorded graph, else
    `output`: losses then use the stable log_softmax(z) instead of log(softmax(z))."""
    if isinstance(output, Node) and output.op is unit:
        if not output.parents:
            raise ValueError(f"the output is a {unit.name} computed under no_grad(), which does "
                             "not keep its logits: pass the logits (model.logits(x)), or compute "
                             "the loss outside no_grad()")
        if unit is not _softmax_op or output.params["axis"] in (-1, output.ndim - 1):
            return output.parents[0]
    return output


def _reduce(total, count: int, reduction: str):
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / count
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


@lru_cache(maxsize=32)
def _identity(classes: int, dtype) -> np.ndarray:
    identity = np.eye(classes, dtype=dtype)
    identity.flags.writeable = False
    return identity


def one_hot_targets(targets, classes: int, dtype=np.float64) -> np.ndarray:
    """Targets as the tutorial's T (n, k): class indices are expanded, one-hot rows pass.

    >>> one_hot_targets(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    targets = value_of(targets)
    if not hasattr(targets, "__array_function__"):   # a list; arrays (and traced ones) pass
        targets = np.asarray(targets)
    if targets.ndim >= 2 and targets.shape[-1] == classes:
        return targets
    targets = np.asarray(targets)        # class indices: their numbers are read below
    if targets.ndim >= 2 and targets.shape[-1] == 1:          # indices as a column (n, 1)
        targets = targets[..., 0]
    if targets.dtype.kind not in "iub" and not np.array_equal(targets, np.round(targets)):
        raise ValueError(f"targets of shape {targets.shape} are neither class indices nor "
                         f"one-hot rows of {classes} classes")
    labels = targets.astype(np.intp, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"class indices must lie in [0, {classes}), got {labels.min()} .. "
                         f"{labels.max()}")
    return _identity(classes, np.dtype(dtype)).take(labels, axis=0)


def cross_entropy(logits, targets, reduction: str = "mean") -> Node:
    """The negative log-likelihood of the categorical distribution: -sum T log softmax(z),
    summed over the classes and then averaged (or summed) over the examples.

    This is minus the tutorial's cost J = sum T log Y, so its minimum is the maximum of the
    likelihood. Finite at logits of +-1000.

    >>> cross_entropy(Node([[1000.0, -1000.0]]), np.array([1]))     # not inf
    Node(2000., op=divide)
    """
    z = _logits(logits, _softmax_op)
    if isinstance(targets, Node):               # soft targets that may need a gradient
        T = _same_shape(targets, z, "cross_entropy")
    else:
        T = one_hot_targets(targets, np.shape(value_of(z))[-1], np.result_type(value_of(z)))
    shape = np.shape(value_of(T))
    return _reduce(-sum(T * log_softmax(z)), int(np.prod(shape[:-1])), reduction)


def _same_shape(targets, output, name: str):
    """Targets shaped as the output: (n,) and (n, 1) are the same data, and must never
    broadcast to (n, n). A Node stays a Node, so that its gradient is kept."""
    if not (isinstance(targets, Node) or hasattr(targets, "__array_function__")):
        targets = np.asarray(targets)        # a list; arrays (and traced ones) pass
    shape, given = np.shape(value_of(output)), np.shape(value_of(targets))
    if given == shape:
        return targets
    if [n for n in given if n != 1] == [n for n in shape if n != 1]:
        # the same data up to axes of length 1: (n,) against (n, 1), never (3, 2) against (2, 3)
        return reshape(targets, shape)
    raise ShapeError(f"{name}: targets {given} do not match the output {shape}")


def binary_cross_entropy(logits, targets, reduction: str = "mean") -> Node:
    """-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))] = softplus(z) - t z, per entry,
    averaged (or summed). Finite at logits of +-1000; the gradient is sigmoid(z) - t.

    >>> binary_cross_entropy(Node([[-1000.0]]), np.array([1.0]))
    Node(1000., op=divide)
    """
    z = _logits(logits, sigmoid)
    t = _same_shape(targets, z, "binary_cross_entropy")
    return _reduce(sum(softplus(z) - t * z), np.size(value_of(t)), reduction)


def mean_squared_error(output, targets, reduction: str = "mean") -> Node:
    """The mean (or sum) of (output - targets)^2: the loss for a linear output unit.

    >>> mean_squared_error(Node([1.0, 3.0]), np.array([0.0, 0.0]))
    Node(5., op=divide)
    """
    t = _same_shape(targets, output, "mean_squared_error")
    difference = output - t
    return _reduce(sum(difference * difference), np.size(value_of(t)), reduction)


def predict(output, threshold: float | None = None) -> np.ndarray:
    """Predicted classes: the argmax of each row; for one output column, 1 where the output
    exceeds `threshold` (by default 0.5 for a sigmoid Node, 0 for logits)."""
    values = np.asarray(value_of(output))
    if values.ndim >= 2 and values.shape[-1] > 1:
        return values.argmax(axis=-1)
    if threshold is None:
        threshold = 0.5 if isinstance(output, Node) and output.op is sigmoid else 0.0
    return (values.reshape(values.shape[:1] or (1,)) > threshold).astype(np.intp)


def class_labels(targets) -> np.ndarray:
    """Class indices from indices (n,) or (n, 1), or from one-hot rows (n, k)."""
    targets = np.asarray(value_of(targets))
    if targets.ndim >= 2 and targets.shape[-1] > 1:
        return targets.argmax(axis=-1)
    return targets.reshape(targets.shape[:1] or (1,)).astype(np.intp)


def classification_rate(output, targets, threshold: float | None = None) -> float:
    """The tutorial's metric: the fraction of examples whose predicted class is the target.

    >>> classification_rate(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    return float(np.mean(predict(output, threshold) == class_labels(targets)))


__all__ = ["binary_cross_entropy", "class_labels", "classification_rate", "cross_entropy",
           "mean_squared_error", "one_hot_targets", "predict"]
