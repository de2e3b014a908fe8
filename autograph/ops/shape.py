"""Shape primitives: reshape, transpose, broadcast, indexing, joining."""

from __future__ import annotations

import numpy as np

from autograph.core.dispatch import implements, reject
from autograph.core.node import Node, Primitive, ShapeError, describe, value_of
from autograph.ops.kernels import broadcast


def _invert(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


_reshape = Primitive("reshape", lambda x, shape: np.reshape(x, shape),
                     lambda g, ans, x, shape: reshape(g, np.shape(x)),
                     kind="shape",
                     explain=lambda x, shape: f"cannot reshape {np.size(x)} entries into {shape}")

_transpose = Primitive("transpose", lambda x, axes: np.transpose(x, axes),
                       lambda g, ans, x, axes: transpose(g, _invert(axes, np.ndim(x))),
                       kind="shape",
                       explain=lambda x, axes: f"axes {axes} do not match {np.ndim(x)} dimensions")

_swapaxes = Primitive("swapaxes", lambda x, axis1, axis2: np.swapaxes(x, axis1, axis2),
                      lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2), kind="shape")

# The engine sums a gradient back to its operand's shape, so broadcasting needs no rule of its own.
_broadcast_to = Primitive("broadcast_to", broadcast,
                          lambda g, ans, x, shape: g, kind="shape",
                          explain=lambda x, shape: f"cannot broadcast {np.shape(x)} to {shape}")


@implements(np.reshape)
def reshape(x, shape=None, order="C", *, newshape=None, copy=None):
    """`x` with a new shape holding the same entries, as `numpy.reshape`."""
    if order != "C":
        raise TypeError("numpy.reshape: order= other than 'C' is not supported on Nodes")
    shape = newshape if shape is None else shape
    return _reshape(x, shape=(shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))


@implements(np.transpose)
def transpose(x, axes=None):
    """Permute the axes (reverse them by default), as `numpy.transpose`."""
    return _transpose(x, axes=None if axes is None else tuple(axes))


@implements(np.swapaxes)
def swapaxes(x, axis1, axis2):
    """Interchange two axes, as `numpy.swapaxes`."""
    return _swapaxes(x, axis1=axis1, axis2=axis2)


@implements(np.broadcast_to)
def broadcast_to(x, shape, subok=False):
    """`x` repeated along new or length-1 axes to `shape`, as `numpy.broadcast_to`."""
    return _broadcast_to(x, shape=(shape,) if isinstance(shape, (int, np.integer)) else
                         tuple(shape))


def _is_basic(index) -> bool:
    """Basic (view) indexing: no entry can be selected twice, so scattering needs no add.at."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def _scatter_forward(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)     # repeated indices add up
    return out


# scatter_add is getitem's gradient and getitem is scatter_add's: higher derivatives of indexing.
scatter_add = Primitive("scatter_add", _scatter_forward,
                        lambda g, ans, values, index, shape: take(g, index), kind="shape")

getitem = Primitive("getitem", lambda x, index: x[index],
                    lambda g, ans, x, index: scatter_add(g, index=index, shape=np.shape(x)),
                    kind="shape",
                    explain=lambda x, index: f"index {index!r} does not fit shape {np.shape(x)}")


def _unwrap_index(index):
    if isinstance(index, Node):
        return index.value
    if isinstance(index, tuple):
        return tuple(i.value if isinstance(i, Node) else i for i in index)
    return index


def take(x, index):
    """`x[index]`: basic and integer-array indexing; repeated entries add their gradients."""
    return getitem(x, index=_unwrap_index(index))


def _part(g, i, xs, axis, stacked):
    axis = axis % np.ndim(g)
    if stacked:
        return g[(slice(None),) * axis + (i,)]
    start = int(np.sum([np.shape(x)[axis] for x in xs[:i]], dtype=int))
    return g[(slice(None),) * axis + (slice(start, start + np.shape(xs[i])[axis]),)]


class _EachArgument:
    """The gradient rules of a variadic op: the rule for argument i is rule(i, ...)."""

    def __init__(self, rule):
        self.rule = rule

    def __getitem__(self, i):
        return lambda g, ans, *xs, **params: self.rule(i, g, ans, *xs, **params)


def _join_failure(*xs, axis=0):
    shapes = ", ".join(str(np.shape(x)) for x in xs)
    return f"shapes {shapes} do not line up along axis {axis}"


_concatenate = Primitive("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis),
                         kind="shape", explain=_join_failure)
_concatenate.vjps = _EachArgument(lambda i, g, ans, *xs, axis=0: _part(g, i, xs, axis, False))

_stack = Primitive("stack", lambda *xs, axis=0: np.stack(xs, axis=axis),
                   kind="shape", explain=_join_failure)
_stack.vjps = _EachArgument(lambda i, g, ans, *xs, axis=0: _part(g, i, xs, axis, True))


@implements(np.concatenate)
def concatenate(xs, axis=0, out=None, dtype=None, casting=None):
    """Join a sequence of arrays along an existing axis, as `numpy.concatenate`."""
    reject("concatenate", out=out, dtype=dtype, casting=casting)
    if axis is None:
        return _concatenate(*(reshape(x, (-1,)) for x in xs), axis=0)
    return _concatenate(*xs, axis=axis)


@implements(np.stack)
def stack(xs, axis=0, out=None, *, dtype=None, casting=None):
    """Join a sequence of same-shaped arrays along a new axis, as `numpy.stack`."""
    reject("stack", out=out, dtype=dtype, casting=casting)
    return _stack(*xs, axis=axis)


@implements(np.expand_dims)
def expand_dims(x, axis):
    """Insert an axis of length 1 at `axis` (or at each of a tuple of axes)."""
    shape = list(np.shape(value_of(x)))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = len(shape) + len(axes)
    for a in axes:      # numpy's rule; `a % ndim` alone would put axis 9 of a 3-D result at 0
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ShapeError(f"expand_dims: {describe(x)}: axis {a!r} is out of range for "
                             f"a result of {ndim} dimensions")
    if len({a % ndim for a in axes}) < len(axes):
        raise ShapeError(f"expand_dims: {describe(x)}: repeated axis in {axis!r}")
    for a in sorted(a % ndim for a in axes):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


@implements(np.copy)
def copy(x, order="K", subok=False):
    """A new Node with the same value (numpy.copy): recorded, so gradients flow through it."""
    return reshape(x, np.shape(value_of(x)))
