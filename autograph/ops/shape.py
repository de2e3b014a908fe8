"""Shape primitives: reshape, transpose, broadcast, indexing, joining."""

from __future__ import annotations

import numpy as np

from autograph.core.node import Node, Primitive, ShapeError, describe, value_of
from autograph.ops.kernels import broadcast


def _invert(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


_reshape = Primitive("reshape", lambda x, shape: np.reshape(x, shape),
                     lambda g, ans, x, shape: reshape(g, np.shape(x)),
                     explain=lambda x, shape: f"cannot reshape {np.size(x)} entries into {shape}")

_transpose = Primitive("transpose", lambda x, axes: np.transpose(x, axes),
                       lambda g, ans, x, axes: transpose(g, _invert(axes, np.ndim(x))),
                       explain=lambda x, axes: f"axes {axes} do not match {np.ndim(x)} dimensions")

_swapaxes = Primitive("swapaxes", lambda x, axis1, axis2: np.swapaxes(x, axis1, axis2),
                      lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))

# The engine sums a gradient back to its operand's shape, so broadcasting needs no rule of its own.
_broadcast_to = Primitive("broadcast_to", broadcast,
                          lambda g, ans, x, shape: g,
                          explain=lambda x, shape: f"cannot broadcast {np.shape(x)} to {shape}")


def reshape(x, shape):
    """`x` with a new shape holding the same entries, as `numpy.reshape`."""
    return _reshape(x, shape=shape)


def transpose(x, axes=None):
    """Permute the axes (reverse them by default), as `numpy.transpose`."""
    return _transpose(x, axes=axes)


def swapaxes(x, axis1, axis2):
    """Interchange two axes, as `numpy.swapaxes`."""
    return _swapaxes(x, axis1=axis1, axis2=axis2)


def broadcast_to(x, shape):
    """`x` repeated along new or length-1 axes to `shape`, as `numpy.broadcast_to`."""
    return _broadcast_to(x, shape=shape)


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
                        lambda g, ans, values, index, shape: take(g, index))

getitem = Primitive("getitem", lambda x, index: x[index],
                    lambda g, ans, x, index: scatter_add(g, index=index, shape=np.shape(x)),
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


def _join_failure(*xs, axis=0, new_axis=False):
    shapes = ", ".join(str(np.shape(x)) for x in xs)
    ndim = np.ndim(xs[0]) + new_axis if xs else 0
    if not -ndim <= axis < ndim:
        return f"axis {axis} is out of range for {ndim} dimensions"
    if new_axis:
        return f"shapes {shapes} differ; stack needs arrays of one shape"
    return f"shapes {shapes} do not line up along axis {axis}"


_concatenate = Primitive("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis),
                         explain=_join_failure)
_concatenate.vjps = _EachArgument(lambda i, g, ans, *xs, axis=0: _part(g, i, xs, axis, False))

_stack = Primitive("stack", lambda *xs, axis=0: np.stack(xs, axis=axis),
                   explain=lambda *xs, axis=0: _join_failure(*xs, axis=axis, new_axis=True))
_stack.vjps = _EachArgument(lambda i, g, ans, *xs, axis=0: _part(g, i, xs, axis, True))


def concatenate(xs, axis=0):
    """Join a sequence of arrays along an existing axis, as `numpy.concatenate`."""
    return _concatenate(*xs, axis=axis)


def stack(xs, axis=0):
    """Join a sequence of same-shaped arrays along a new axis, as `numpy.stack`."""
    return _stack(*xs, axis=axis)


def expand_dims(x, axis):
    """Insert an axis of length 1 at `axis`."""
    shape = list(np.shape(value_of(x)))
    if not -len(shape) - 1 <= axis <= len(shape):     # insert() would clip, % would wrap
        raise ShapeError(f"expand_dims: {describe(x)}, axis={axis}: axis {axis} is out of "
                         f"range for {len(shape) + 1} dimensions")
    shape.insert(axis % (len(shape) + 1), 1)
    return reshape(x, tuple(shape))
