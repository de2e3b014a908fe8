"""numpy kernels that the profile showed to be worth replacing."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


# Ones vectors up to this length are kept (at most 64 of them, 4 MiB in all); a longer one is
# made afresh, which costs less than the sum it serves.
_CACHED_ONES = 4096


def ones_vector(n: int, dtype) -> np.ndarray:
    """A read-only vector of n ones: a sum along an axis of a matrix is a product with it.

    >>> np.arange(6.0).reshape(2, 3) @ ones_vector(3, np.float64)
    array([ 3., 12.])
    """
    if n > _CACHED_ONES:
        return np.ones(n, dtype=dtype)
    return _cached_ones(n, dtype)


@lru_cache(maxsize=64)
def _cached_ones(n: int, dtype) -> np.ndarray:
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
    if type(x) is np.ndarray and x.ndim == 2 and x.dtype.kind == "f":
        if axis == 1 or axis == -1:
            total = x @ ones_vector(x.shape[1], x.dtype)
            return total[:, None] if keepdims else total
        if axis == 0 or axis == -2:
            total = ones_vector(x.shape[0], x.dtype) @ x
            return total[None, :] if keepdims else total
    return np.sum(x, axis=axis, keepdims=keepdims)


# Below this many columns, a row maximum is faster as a running maximum over the columns.
_NARROW = 16


def max_along(x, axis=None, keepdims=False):
    """`numpy.max(x, axis, keepdims)`, faster for matrices with few columns.

    numpy reduces each row of a 300 x 3 matrix in a loop of its own (13 us, more than an
    exponential of the whole matrix); a running `maximum` over the 3 columns is 5 times faster.

    >>> max_along(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), axis=1, keepdims=True)
    array([[5.],
           [7.]])
    """
    if type(x) is not np.ndarray or x.ndim != 2 or axis not in (1, -1) \
            or not 1 < x.shape[1] <= _NARROW or x.dtype.kind != "f":
        return np.max(x, axis=axis, keepdims=keepdims)
    out = np.maximum(x[:, 0], x[:, 1])
    for j in range(2, x.shape[1]):
        np.maximum(out, x[:, j], out=out)
    return out[:, None] if keepdims else out


# Up to this many entries, a strided view (W.T in backward) is copied before a product:
# BLAS on the copy, and the copy, cost less than BLAS on the view (300 x 3 by a transposed
# 3 x 3: 3.0 us, copied 1.2 us). BLAS rounds the two differently, so the compiled replay
# makes the same choice (compiler/program.py) and keeps eager's bits.
_SMALL_COPY = 64


def copied_for_dot(x: np.ndarray) -> bool:
    """Whether `dot` copies the matrix `x` before its product: a small strided view.

    >>> w = np.ones((3, 2))
    >>> copied_for_dot(w), copied_for_dot(w.T)
    (False, True)
    """
    return x.base is not None and x.size <= _SMALL_COPY and not x.flags.c_contiguous


def dot(a, b):
    """`a @ b`; for two matrices `ndarray.dot`, which skips matmul's gufunc machinery (about
    a third faster on the tutorial's small matrices), a small strided view copied first.

    >>> dot(np.eye(2), np.arange(4.0).reshape(2, 2).T)
    array([[0., 2.],
           [1., 3.]])
    """
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 == b.ndim:
        # copied_for_dot, written out: a call costs more than the test (`base` first: most
        # operands own their data, and it is the cheapest attribute to read)
        if a.base is not None and a.size <= _SMALL_COPY and not a.flags.c_contiguous:
            a = a.copy()
        if b.base is not None and b.size <= _SMALL_COPY and not b.flags.c_contiguous:
            b = b.copy()
        return a.dot(b)
    return np.matmul(a, b)


def broadcast(x, shape) -> np.ndarray:
    """`x` repeated to `shape` as a new array: `numpy.broadcast_to` makes a view, but its
    Python-level checks cost several times more than filling a small array."""
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    if x.ndim > len(shape):      # assignment would drop leading 1s; numpy's rule does not
        raise ValueError(f"cannot broadcast {x.shape} to {shape}: more dimensions")
    out = np.empty(shape, dtype=x.dtype)
    out[...] = x
    return out
