"""Losses and the tutorial's classification rate.

The classification losses take *logits*, the affine outputs before softmax or sigmoid, and are
fused with log-softmax / softplus so that they stay finite at logits of +-1000. A model whose
output unit is softmax (or sigmoid), such as the tutorial's network, can be passed as it is:

- `cross_entropy` reads a `softmax(z)` Node of a recorded graph as its logits z, when the
  softmax runs over the last axis, the classes. A softmax over another axis is refused: its
  values are not the class probabilities the loss needs.
- `binary_cross_entropy` reads a `sigmoid(z)` Node as its logits z.
- A softmax given to `binary_cross_entropy`, or a sigmoid to `cross_entropy`, is refused.
- Under `no_grad()` no graph is recorded, so there pass logits (`MLP.logits(x)`): a softmax or
  sigmoid output made under `no_grad()` is refused, never misread as logits.

Any other array or Node is taken to be logits (`log_softmax(z)` may also be passed: it is its
own log-softmax). Targets are checked against the batch: class indices (n,) or (n, 1), or
one-hot rows (n, k) for logits (n, k); anything else is refused naming both shapes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from autograph.core import Node, ShapeError
from autograph.core.node import PRIMITIVES
from autograph.ops import log_softmax, reshape, sigmoid, softplus, sum, value_of, where

# The output unit each loss reads as its logits, found in the op registry (importing
# autograph.ops registered them): a Node is that unit if its op is this very Primitive.
_UNITS = {"cross_entropy": PRIMITIVES["softmax"], "binary_cross_entropy": PRIMITIVES["sigmoid"]}


def _logits(output, loss: str):
    """The logits under `output` if it is the output unit of `loss` in a recorded graph (a
    softmax over the classes, a sigmoid), else `output` itself; refused where reading either
    way would give a wrong number."""
    if not isinstance(output, Node) or output.op is None:
        return output
    unit = _UNITS[loss]
    for name, other in _UNITS.items():
        if output.op is other and other is not unit:
            raise ValueError(f"{loss}: the output is a {other.name}, which {loss} cannot read "
                             f"as logits or as probabilities: use {name}, or pass the logits")
    if output.op is not unit:
        return output
    if not output.parents:
        raise ValueError(f"{loss}: the output is a {unit.name} computed under no_grad(), which "
                         "does not keep its logits: pass the logits (model.logits(x)), or "
                         "compute the loss outside no_grad()")
    if unit.name == "softmax":                          # over the classes?
        axis = output.params["axis"]
        if output.ndim == 0 or axis not in (-1, output.ndim - 1):
            raise ValueError(f"{loss}: the output is softmax(z, axis={axis}) of shape "
                             f"{output.shape}, not a softmax over the classes (the last axis): "
                             "pass the logits z with the classes on the last axis")
    return output.parents[0]


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
        return _cast(targets, np.dtype(dtype), "one_hot_targets")
    targets = np.asarray(targets)        # class indices: their numbers are read below
    if targets.ndim >= 2 and targets.shape[-1] == 1:          # indices as a column (n, 1)
        targets = targets[..., 0]
    return _expand(targets, classes, np.dtype(dtype), "one_hot_targets")


def _expand(labels: np.ndarray, classes: int, dtype: np.dtype, name: str) -> np.ndarray:
    """Class indices of any shape as one-hot rows of `classes` along a new last axis."""
    if labels.dtype.kind not in "iub" and not (np.isfinite(labels).all()
                                              and np.array_equal(labels, np.round(labels))):
        raise ValueError(f"{name}: targets of shape {labels.shape} are neither class indices "
                         f"nor one-hot rows of {classes} classes")
    labels = labels.astype(np.intp, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        low, high = labels.min(), labels.max()
        fewer = f": {high + 1} classes need {high + 1} outputs" if low >= 0 else ""
        raise ValueError(f"{name}: class indices must lie in [0, {classes}) for an output of "
                         f"{classes} classes (its last axis), got {low} .. {high}{fewer}")
    return _identity(classes, dtype).take(labels, axis=0)


def _cast(targets: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """Array targets in the output's float type, so that float32 logits give a float32 loss;
    refused where a target does not fit the type (1e300 in float32 would become inf)."""
    if targets.dtype == dtype or dtype.kind != "f":
        return targets
    if np.can_cast(targets.dtype, dtype) or (targets.dtype.kind in "iub" and dtype.itemsize >= 4):
        # no value can overflow (int64's largest is far below float32's), so none is read:
        # inside ag.compile's trace they cannot be (integer targets of a compiled step)
        return targets.astype(dtype)
    if not isinstance(targets, np.ndarray):     # an argument of a compiled step, being traced
        raise ValueError(f"{name} inside ag.compile: targets {targets.dtype} "
                         f"{tuple(targets.shape)} for a {dtype} output cannot be checked for "
                         f"overflow while tracing; "
                         f"pass them as {dtype} (targets.astype(np.{dtype}))")
    with np.errstate(over="ignore", invalid="ignore"):
        cast = targets.astype(dtype)
    if np.count_nonzero(np.isinf(cast)) > np.count_nonzero(np.isinf(targets)):
        raise ValueError(f"{name}: targets hold values too large for the output's {dtype}")
    return cast


def cross_entropy(logits, targets, reduction: str = "mean") -> Node:
    """The negative log-likelihood of the categorical distribution: -sum T log softmax(z),
    summed over the classes (the last axis) and then averaged (or summed) over the examples.

    This is minus the tutorial's cost J = sum T log Y, so its minimum is the maximum of the
    likelihood. Finite at logits of +-1000; a logit of -inf is a class of probability 0.
    Targets: class indices (n,) or (n, 1), or one-hot (or soft) rows (n, k), as an array; soft
    rows that need a gradient as a Node (n, k).

    >>> cross_entropy(Node([[1000.0, -1000.0]]), np.array([1]))     # not inf
    Node(2000., op=divide)
    >>> round(cross_entropy(Node([[2.0, -np.inf, 0.5]]), [0]).item(), 4)
    0.2014
    """
    z = _logits(logits, "cross_entropy")
    shape = np.shape(value_of(z))
    if len(shape) == 0:
        raise ShapeError("cross_entropy: the logits are a scalar; they need a class axis "
                         "(the last), e.g. (n, k)")
    dtype = _dtype(value_of(z))
    log_p = log_softmax(z)
    # Inside ag.compile's trace the values cannot be read (a replay could not follow a branch
    # on them): there the loss is written for any logits, -inf or not.
    traced = not isinstance(value_of(log_p), np.ndarray)
    if isinstance(targets, Node):               # soft targets that may need a gradient
        T = _same_shape(targets, z, "cross_entropy")
        if not T.requires_grad:
            # as array targets below (fit(compile=True) passes its one-hot rows as a Node)
            if traced or np.isneginf(value_of(log_p)).any():
                log_p = where(T != 0, log_p, 0.0)
        elif not traced and np.isneginf(value_of(log_p)).any():
            raise ValueError("cross_entropy: logits of -inf with targets that need a gradient: "
                             "the gradient with respect to the targets is infinite there; "
                             "pass the targets as an array")
        terms = T * log_p
    else:
        targets = value_of(targets)
        if not hasattr(targets, "__array_function__"):   # a list; arrays (and traced ones) pass
            targets = np.asarray(targets)
        if targets.shape != shape and targets.shape not in (shape[:-1], shape[:-1] + (1,)):
            raise ShapeError(f"cross_entropy: targets {targets.shape} do not fit logits {shape}: "
                             f"pass class indices {shape[:-1]} or one-hot rows {shape}")
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        if targets.shape == shape:              # one-hot (or soft) rows
            T = _cast(targets, dtype, "cross_entropy")
        else:       # class indices (n,) or (n, 1): told by the shape, never by the values
            if traced and not isinstance(targets, np.ndarray):
                # an argument of a compiled step: its indices are not known while tracing,
                # and a replay could not check them (-1 would pick the last class silently)
                raise ValueError(
                    f"cross_entropy inside ag.compile: the targets {tuple(targets.shape)} are "
                    f"class indices passed to the compiled function, whose values cannot be "
                    f"checked while tracing; pass one-hot rows {shape} instead, e.g. "
                    f"step(X, autograph.data.one_hot(classes, {shape[-1]})) (fit(compile=True) "
                    f"does this itself)")
            T = _expand(targets.reshape(shape[:-1]), shape[-1], dtype, "cross_entropy")
        if traced or np.isneginf(value_of(log_p)).any():
            # a class of probability 0 (a logit of -inf, or a gap beyond the type's range)
            # that is not the target adds nothing: 0 * -inf would make the loss nan
            log_p = where(T != 0, log_p, 0.0)
        terms = T * log_p
    return _reduce(-sum(terms), int(np.prod(shape[:-1])), reduction)


def _dtype(x) -> np.dtype:
    """The dtype of an array, a traced value (inside ag.compile) or a list."""
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _same_shape(targets, output, name: str):
    """Targets shaped as the output: (n,) and (n, 1) are the same data, and must never
    broadcast to (n, n). A Node stays a Node, so that its gradient is kept; an array takes the
    output's float type."""
    if not isinstance(targets, Node):
        if not hasattr(targets, "__array_function__"):   # a list; arrays (and traced ones) pass
            targets = np.asarray(targets)
        targets = _cast(targets, _dtype(value_of(output)), name)
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
    z = _logits(logits, "binary_cross_entropy")
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
    predicted, labels = predict(output, threshold), class_labels(targets)
    shape, given = np.shape(value_of(output)), np.shape(value_of(targets))
    rows = len(given) >= 2 and given[-1] > 1                 # one-hot rows, not indices
    if predicted.shape != labels.shape or (rows and given != shape):
        raise ShapeError(f"classification_rate: targets {given} do not fit the output "
                         f"{shape}: pass class indices {predicted.shape}"
                         + (f" or one-hot rows {shape}" if len(shape) >= 2 and shape[-1] > 1
                            else ""))
    return float(np.mean(predicted == labels))


__all__ = ["binary_cross_entropy", "class_labels", "classification_rate", "cross_entropy",
           "mean_squared_error", "one_hot_targets", "predict"]
