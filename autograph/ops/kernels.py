"""numpy kernels that the profile showed to be worth replacing."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def _ones(n: int, dtype) -> np.ndarray:
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def sum_along(x, axis=None, keepdims=False):
    """`numpy.sum(x, axis, keepdims)`, faster for matrices.

    numpy pays a per-row overhead when it reduces a matrix along one axis (a 300 x 3 matrix
    takes longer to sum than to exponentiate); a product with a vector of ones makes the same
    sum one BLAS call, 2 to 3 times faster for the small matrices of the tutorial.

    >>> sum_along(np.arange(6.0).reshape(2, 3), axis=1, keepdims=True)
    array([[ 3.],
           [12.]])
    """
    if not isinstance(x, np.ndarray):
        return np.sum(x, axis=axis, keepdims=keepdims)
    if x.ndim != 2 or x.dtype.kind != "f" or not isinstance(axis, (int, np.integer)) \
            or not -2 <= axis < 2:
        return x.sum(axis=axis, keepdims=keepdims)      # the method skips np.sum's dispatch
    if axis % 2 == 1:
        total = x @ _ones(x.shape[1], x.dtype)
        return total[:, None] if keepdims else total
    total = _ones(x.shape[0], x.dtype) @ x
    return total[None, :] if keepdims else total


def broadcast(x, shape) -> np.ndarray:
    """`x` repeated to `shape` as a new array: `numpy.broadcast_to` makes a view, but its
    Python-level checks cost several times more than filling a small array."""
    if np.ndim(x) > len(shape):      # assignment would drop leading 1s; numpy's rule does not
        raise ValueError(f"cannot broadcast {np.shape(x)} to {shape}: more dimensions")
    out = np.empty(shape, dtype=np.result_type(x))
    out[...] = x
    return out
