"""Shape primitives: reshape, transpose, broadcast, indexing, joining."""

from __future__ import annotations

import copy as copy_module      # `copy` is numpy.copy's name here

import numpy as np

from autograph.core.dispatch import constant_result, implements, reject
from autograph.core.modes import trace_var
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
def transpose(a, axes=None):
    """Permute the axes (reverse them by default), as `numpy.transpose`."""
    return _transpose(a, axes=None if axes is None else tuple(axes))


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    """Interchange two axes, as `numpy.swapaxes`."""
    return _swapaxes(a, axis1=axis1, axis2=axis2)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """`array` repeated along new or length-1 axes to `shape`, as `numpy.broadcast_to`."""
    return _broadcast_to(array, shape=(shape,) if isinstance(shape, (int, np.integer)) else
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


def _index_part(part, own: bool):
    if isinstance(part, Node):
        part = part.value
    if own and isinstance(part, np.ndarray):
        return part.copy()
    if own and isinstance(part, list):
        return copy_module.deepcopy(part)
    return part


def _unwrap_index(index):
    # getitem's gradient rule reads the index it was recorded with: an index array or list is
    # the caller's, to change afterwards (a batch's positions), so the graph keeps a copy. A
    # compiled program keeps the caller's own instead and reads it on every call, as eager
    # mode reads it each time it records (a copy would freeze the first call's positions).
    own = trace_var.get() is None
    if isinstance(index, tuple):
        return tuple(_index_part(i, own) for i in index)
    return _index_part(index, own)


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
                         kind="shape", explain=_join_failure)
_concatenate.vjps = _EachArgument(lambda i, g, ans, *xs, axis=0: _part(g, i, xs, axis, False))

_stack = Primitive("stack", lambda *xs, axis=0: np.stack(xs, axis=axis),
                   kind="shape",
                   explain=lambda *xs, axis=0: _join_failure(*xs, axis=axis, new_axis=True))
_stack.vjps = _EachArgument(lambda i, g, ans, *xs, axis=0: _part(g, i, xs, axis, True))


@implements(np.concatenate)
def concatenate(xs, axis=0, out=None, dtype=None, casting=None):
    """Join a sequence of arrays along an existing axis, as `numpy.concatenate`."""
    reject("concatenate", out=out, dtype=dtype, casting=casting)
    if axis is None:
        return _concatenate(*(reshape(x, (-1,)) for x in xs), axis=0)
    return _concatenate(*xs, axis=axis)


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting=None):
    """Join a sequence of same-shaped arrays along a new axis, as `numpy.stack`."""
    reject("stack", out=out, dtype=dtype, casting=casting)
    return _stack(*arrays, axis=axis)


@implements(np.expand_dims)
def expand_dims(a, axis):
    """Insert an axis of length 1 at `axis` (or at each of a tuple of axes)."""
    shape = list(np.shape(value_of(a)))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = len(shape) + len(axes)
    for ax in axes:     # numpy's rule; `ax % ndim` alone would put axis 9 of a 3-D result at 0
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
            raise ShapeError(f"expand_dims: {describe(a)}: axis {ax!r} is out of range for "
                             f"a result of {ndim} dimensions")
    if len({ax % ndim for ax in axes}) < len(axes):
        raise ShapeError(f"expand_dims: {describe(a)}: repeated axis in {axis!r}")
    for ax in sorted(ax % ndim for ax in axes):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


@implements(np.copy)
def copy(a, order="K", subok=False):
    """A new Node with the same value (numpy.copy): recorded, so gradients flow through it."""
    return reshape(a, np.shape(value_of(a)))


# --- numpy's rearrangements -----------------------------------------------------------------
# flip, roll, rot90, repeat, tile, diagonal, take, sort, pad ... only move entries around. Each
# is numpy's own function run on the positions 0, 1, ... of x's entries: the positions it
# returns pick x's entries with one getitem, so the semantics (keywords, negative axes, edge
# cases) are numpy's by construction, and the gradient is getitem's (a scatter).

def _array(x, name: str):
    """A Node as it is, anything else as an array (lists, scalars); complex numbers are
    refused, naming the function: autograph differentiates real arrays only."""
    x = x if isinstance(x, Node) else np.asarray(x)
    if value_of(x).dtype.kind == "c":
        raise TypeError(f"numpy.{name}: {describe(x)} is complex: complex numbers are out of "
                        "scope for autograph (real arrays only)")
    return x


def _failure(name: str, x, error: Exception, **params) -> ShapeError:
    given = "".join(f", {k}={v!r}" for k, v in params.items())
    return ShapeError(f"{name}: {describe(x)}{given}: {error}")


def _positions(x) -> np.ndarray:
    shape = np.shape(value_of(x))
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)


def _gather(x, index):
    """The entries of `x` at flat positions `index` (an integer array, any shape)."""
    return getitem(reshape(x, (-1,)), index=np.asarray(index))


def _rearranged(name: str, x, numpy_function, *args, **kwargs):
    """`numpy_function(x, *args, **kwargs)` for a function that only moves entries around."""
    x = _array(x, name)
    try:
        index = numpy_function(_positions(x), *args, **kwargs)
    except (ValueError, IndexError, TypeError) as error:
        raise _failure(name, x, error, **kwargs) from error
    return _gather(x, index)


@implements(np.ravel)
def ravel(a, order="C"):
    """The entries of `a` as a vector, as `numpy.ravel`."""
    if order not in ("C", "A", "K"):     # a Node's value is C-contiguous: A and K mean C
        raise TypeError(f"numpy.ravel: order={order!r} is not supported on Nodes")
    return reshape(_array(a, "ravel"), (-1,))


def _new_shape(name, x, numpy_function, *args, **kwargs) -> tuple:
    """The shape numpy's `numpy_function` gives x (for functions that only reshape)."""
    probe = np.broadcast_to(np.zeros((), dtype=bool), np.shape(value_of(x)))   # no memory
    try:
        return np.shape(numpy_function(probe, *args, **kwargs))
    except (ValueError, IndexError, TypeError) as error:
        raise _failure(name, x, error, **kwargs) from error


@implements(np.squeeze)
def squeeze(a, axis=None):
    """`a` without its axes of length 1 (or only those in `axis`), as `numpy.squeeze`."""
    a = _array(a, "squeeze")
    return reshape(a, _new_shape("squeeze", a, np.squeeze, axis=axis))


def _at_least(name, numpy_function, arys):
    out = [reshape(_array(a, name), _new_shape(name, a, numpy_function)) for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.atleast_1d)
def atleast_1d(*arys):
    """Each argument with at least one dimension, as `numpy.atleast_1d`."""
    return _at_least("atleast_1d", np.atleast_1d, arys)


@implements(np.atleast_2d)
def atleast_2d(*arys):
    """Each argument with at least two dimensions ((N,) becomes (1, N))."""
    return _at_least("atleast_2d", np.atleast_2d, arys)


@implements(np.atleast_3d)
def atleast_3d(*arys):
    """Each argument with at least three dimensions ((N,) becomes (1, N, 1), (M, N) becomes
    (M, N, 1))."""
    return _at_least("atleast_3d", np.atleast_3d, arys)


def _permuted(name, a, numpy_function, *args, **kwargs):
    """`numpy_function(a, ...)` for a function that permutes axes, as one transpose: numpy's
    function runs on a view (no memory) whose axis lengths 2, 3, 4, ... tell the axes apart."""
    a = _array(a, name)
    ndim = np.ndim(value_of(a))
    probe = np.broadcast_to(np.zeros((), dtype=bool), tuple(range(2, ndim + 2)))
    try:
        moved = numpy_function(probe, *args, **kwargs)
    except (ValueError, IndexError, TypeError) as error:
        raise _failure(name, a, error, **kwargs) from error
    return transpose(a, tuple(n - 2 for n in moved.shape))


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    """Move axes to new positions, the others keeping their order, as `numpy.moveaxis`.

    >>> moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    return _permuted("moveaxis", a, np.moveaxis, source=source, destination=destination)


@implements(np.rollaxis)
def rollaxis(a, axis, start=0):
    """Roll `axis` backwards until it lies before position `start`, as `numpy.rollaxis`."""
    return _permuted("rollaxis", a, np.rollaxis, axis=axis, start=start)


@implements(np.flip)
def flip(m, axis=None):
    """Reverse the order of entries along `axis` (all axes by default), as `numpy.flip`.

    >>> flip(np.arange(3.0))
    array([2., 1., 0.])
    """
    return _rearranged("flip", m, np.flip, axis=axis)


@implements(np.fliplr)
def fliplr(m):
    """Reverse the order of the columns (axis 1), as `numpy.fliplr`."""
    return _rearranged("fliplr", m, np.fliplr)


@implements(np.flipud)
def flipud(m):
    """Reverse the order of the rows (axis 0), as `numpy.flipud`."""
    return _rearranged("flipud", m, np.flipud)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees `k` times in the plane of `axes`, as `numpy.rot90`."""
    return _rearranged("rot90", m, np.rot90, k=k, axes=axes)


@implements(np.roll)
def roll(a, shift, axis=None):
    """Shift entries along `axis`, those pushed off one end coming back at the other."""
    return _rearranged("roll", a, np.roll, shift=shift, axis=axis)


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    """Repeat each entry `repeats` times (along `axis`, or of the flattened array).

    >>> repeat(np.array([1.0, 2.0]), 2)
    array([1., 1., 2., 2.])
    """
    return _rearranged("repeat", a, np.repeat, repeats=value_of(repeats), axis=axis)


@implements(np.tile)
def tile(A, reps):
    """`A` repeated whole `reps` times along each axis, as `numpy.tile`."""
    return _rearranged("tile", A, np.tile, reps=reps)


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the planes of `axis1` and `axis2`, as a new last axis (numpy.diagonal)."""
    return _rearranged("diagonal", a, np.diagonal, offset=offset, axis1=axis1, axis2=axis2)


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of the diagonal, as `numpy.trace`.

    >>> trace(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.float64(5.0)
    """
    reject("trace", out=out)
    from autograph.ops.reductions import sum
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


@implements(np.diag)
def diag(v, k=0):
    """The `k`-th diagonal of a matrix, or a square matrix with vector `v` on that diagonal.

    >>> diag(np.array([1.0, 2.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    v = _array(v, "diag")
    ndim = np.ndim(value_of(v))
    if ndim == 2:
        return diagonal(v, k)
    if ndim != 1:
        raise ShapeError(f"diag: {describe(v)}: needs a vector (to make a matrix) or a matrix "
                         "(to take its diagonal)")
    m = np.shape(value_of(v))[0]
    n = m + abs(k)
    rows = np.arange(m) + max(-k, 0)
    return scatter_add(v, index=(rows, rows + k), shape=(n, n))


def _triangle(name, m, k, lower):
    m = _array(m, name)
    shape = np.shape(value_of(m))
    if len(shape) < 1:
        raise ShapeError(f"{name}: {describe(m)}: needs at least one dimension")
    mask = np.tri(*shape[-2:], k=k if lower else k - 1, dtype=bool)
    from autograph.ops.elementwise import where
    zero = np.zeros(1, dtype=value_of(m).dtype)
    return where(mask, m, zero) if lower else where(mask, zero, m)


@implements(np.tril)
def tril(m, k=0):
    """`m` with the entries above the `k`-th diagonal set to zero (the last two axes).

    >>> tril(np.ones((2, 2)))
    array([[1., 0.],
           [1., 1.]])
    """
    return _triangle("tril", m, k, lower=True)


@implements(np.triu)
def triu(m, k=0):
    """`m` with the entries below the `k`-th diagonal set to zero (the last two axes)."""
    return _triangle("triu", m, k, lower=False)


@implements(np.take)
def numpy_take(a, indices, axis=None, out=None, mode="raise"):
    """Entries of `a` at `indices` along `axis` (of the flattened array by default), as
    `numpy.take`; repeated indices add up their gradients.

    >>> numpy_take(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, 1], axis=1)
    array([[2., 2.],
           [4., 4.]])
    """
    reject("take", out=out)
    return _rearranged("take", a, np.take, indices=value_of(indices), axis=axis, mode=mode)


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """Entries of `arr` at `indices` matched along `axis`, as `numpy.take_along_axis` (the
    indices argsort gives, for instance)."""
    return _rearranged("take_along_axis", arr, np.take_along_axis, indices=value_of(indices),
                       axis=axis)


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """`a` sorted along `axis`, as `numpy.sort`; the gradient follows each entry to where the
    sort moved it.

    >>> x = ag.parameter([3.0, 1.0, 2.0])
    >>> (sort(x) * np.array([1.0, 10.0, 100.0])).sum().backward(); x.grad
    array([100.,   1.,  10.])
    """
    reject("sort", order=order)
    a = _array(a, "sort")
    try:
        if axis is None:
            return _gather(a, np.argsort(value_of(a), axis=None, kind=kind, stable=stable))
        index = np.argsort(value_of(a), axis=axis, kind=kind, stable=stable)
        return _gather(a, np.take_along_axis(_positions(a), index, axis=axis))
    except (ValueError, IndexError, TypeError) as error:
        raise _failure("sort", a, error, axis=axis) from error


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """`a` with the entry at each `kth` position where sorting would put it, smaller entries
    before and larger after (in no particular order), as `numpy.partition`."""
    reject("partition", order=order)
    a = _array(a, "partition")
    try:
        if axis is None:
            return _gather(a, np.argpartition(value_of(a), kth, axis=None, kind=kind))
        index = np.argpartition(value_of(a), kth, axis=axis, kind=kind)
        return _gather(a, np.take_along_axis(_positions(a), index, axis=axis))
    except (ValueError, IndexError, TypeError) as error:
        raise _failure("partition", a, error, kth=kth, axis=axis) from error


# --- splitting and joining -----------------------------------------------------------------

def _pieces(name, ary, numpy_split, *args, **kwargs) -> list:
    ary = _array(ary, name)
    try:
        parts = numpy_split(_positions(ary), *args, **kwargs)
    except (ValueError, IndexError, TypeError) as error:
        raise _failure(name, ary, error, **kwargs) from error
    return [_gather(ary, part) for part in parts]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    """`ary` cut into equal sections, or at the given indices, along `axis` (numpy.split).

    >>> split(np.arange(4.0), 2)
    [array([0., 1.]), array([2., 3.])]
    """
    return _pieces("split", ary, np.split, indices_or_sections, axis=axis)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    """As `split`, but sections may differ in length by one (numpy.array_split)."""
    return _pieces("array_split", ary, np.array_split, indices_or_sections, axis=axis)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    """`split` along axis 1 (axis 0 for a vector), as `numpy.hsplit`."""
    return _pieces("hsplit", ary, np.hsplit, indices_or_sections)


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    """`split` along axis 0 of an array of two or more dimensions, as `numpy.vsplit`."""
    return _pieces("vsplit", ary, np.vsplit, indices_or_sections)


@implements(np.dsplit)
def dsplit(ary, indices_or_sections):
    """`split` along axis 2 of an array of three or more dimensions, as `numpy.dsplit`."""
    return _pieces("dsplit", ary, np.dsplit, indices_or_sections)


def _joined(name, arrays, axis, dtype, casting):
    if dtype is not None or casting not in (None, "same_kind"):
        raise TypeError(f"numpy.{name}: dtype= and casting= are not supported on Nodes")
    if not arrays:
        raise ValueError(f"{name}: need at least one array to concatenate")
    return concatenate(arrays, axis=axis)


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """Join along axis 1 (axis 0 for vectors), as `numpy.hstack`.

    >>> hstack([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    arrays = [atleast_1d(_array(a, "hstack")) for a in tup]
    axis = 0 if arrays and np.ndim(value_of(arrays[0])) == 1 else 1
    return _joined("hstack", arrays, axis, dtype, casting)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    """Join along axis 0, vectors becoming rows, as `numpy.vstack`."""
    return _joined("vstack", [atleast_2d(_array(a, "vstack")) for a in tup], 0, dtype, casting)


@implements(np.dstack)
def dstack(tup):
    """Join along axis 2, as `numpy.dstack` ((M, N) becomes (M, N, 1) first)."""
    return _joined("dstack", [atleast_3d(_array(a, "dstack")) for a in tup], 2, None, None)


@implements(np.column_stack)
def column_stack(tup):
    """Vectors as columns, joined along axis 1 with the matrices, as `numpy.column_stack`."""
    columns = []
    for a in tup:
        a = _array(a, "column_stack")
        if np.ndim(value_of(a)) < 2:
            a = reshape(a, (-1, 1)) if np.ndim(value_of(a)) == 1 else reshape(a, (1, 1))
        columns.append(a)
    return _joined("column_stack", columns, 1, None, None)


@implements(np.append)
def append(arr, values, axis=None):
    """`values` joined to the end of `arr` along `axis` (flattened by default), as
    `numpy.append`."""
    arr, values = _array(arr, "append"), _array(values, "append")
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# Modes of np.pad that copy entries of the array (the others compute new values).
_PAD_BY_POSITION = ("edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """`array` padded with `pad_width` entries before and after each axis, as `numpy.pad`:
    modes "constant" (with `constant_values`), "edge", "reflect", "symmetric" and "wrap".

    >>> pad(np.array([1.0, 2.0]), 1)
    array([0., 1., 2., 0.])
    """
    array = _array(array, "pad")
    if mode == "constant":
        fill = kwargs.pop("constant_values", 0)
        if isinstance(fill, Node) or kwargs:
            raise TypeError("numpy.pad: in constant mode only constant_values= (numbers, not "
                            "Nodes) is supported on Nodes")
        try:
            index = np.pad(_positions(array), pad_width, mode="constant", constant_values=-1)
            filled = np.pad(np.zeros(np.shape(value_of(array)), dtype=value_of(array).dtype),
                            pad_width, mode="constant", constant_values=fill)
        except (ValueError, IndexError, TypeError) as error:
            raise _failure("pad", array, error, pad_width=pad_width) from error
        from autograph.ops.elementwise import where
        inside = index >= 0
        return where(inside, _gather(array, np.where(inside, index, 0)), filled)
    if mode in _PAD_BY_POSITION:
        if kwargs.get("reflect_type", "even") != "even":
            raise TypeError("numpy.pad: reflect_type='odd' computes new values; only 'even' "
                            "is supported on Nodes")
        return _rearranged("pad", array, np.pad, pad_width=pad_width, mode=mode, **kwargs)
    raise TypeError(f"numpy.pad: mode={mode!r} has no gradient rule in autograph; modes "
                    f"'constant', {', '.join(repr(m) for m in _PAD_BY_POSITION)} are supported")


@implements(np.select)
def select(condlist, choicelist, default=0):
    """From each choice where its condition holds (the first that holds), else `default`, as
    `numpy.select`; the gradient flows to the choice taken.

    >>> select([np.array([True, False]), np.array([True, True])], [np.ones(2), np.zeros(2)], 5.0)
    array([1., 0.])
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select: select with an empty condition list is not possible")
    from autograph.ops.elementwise import where
    conditions = [np.asarray(value_of(c)) for c in condlist]
    for i, c in enumerate(conditions):
        if c.dtype.type is not np.bool_:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray")
    # numpy's result dtype, with Python numbers weak (a default of 0 keeps float32 choices)
    dtype = np.result_type(*(x if type(x) in (int, float) else np.asarray(value_of(x))
                             for x in list(choicelist) + [default]))
    choices = [c if isinstance(c, Node) else np.asarray(_array(c, "select"), dtype=dtype)
               for c in choicelist]
    result = default if isinstance(default, Node) else np.asarray(default, dtype=dtype)
    # from the last condition to the first, so that the first that holds wins (as numpy does)
    for condition, choice in zip(conditions[::-1], choices[::-1]):
        result = where(condition, choice, result)
    return result


@implements(np.unstack)
def unstack(x, /, *, axis=0):
    """The slices of `x` along `axis`, as a tuple (numpy.unstack)."""
    return tuple(_pieces("unstack", x, np.unstack, axis=axis))


@implements(np.matrix_transpose, np.linalg.matrix_transpose)
def matrix_transpose(x, /):
    """Each matrix of a stack transposed (the last two axes swapped), as
    `numpy.matrix_transpose`."""
    x = _array(x, "matrix_transpose")
    if np.ndim(value_of(x)) < 2:
        raise ShapeError(f"matrix_transpose: {describe(x)}: needs at least two dimensions")
    return swapaxes(x, -1, -2)


@implements(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """The arguments broadcast against each other, as `numpy.broadcast_arrays` (a tuple)."""
    args = [_array(a, "broadcast_arrays") for a in args]
    try:
        shape = np.broadcast_shapes(*(np.shape(value_of(a)) for a in args))
    except ValueError as error:
        shapes = ", ".join(describe(a) for a in args)
        raise ShapeError(f"broadcast_arrays: {shapes}: {error}") from error
    return tuple(a if np.shape(value_of(a)) == shape else broadcast_to(a, shape) for a in args)


@implements(np.block)
def block(arrays):
    """One array from nested lists of blocks, as `numpy.block`: the innermost lists are
    joined along the last axis, the lists of those along the one before, and so on.

    >>> block([[np.zeros((1, 1)), np.ones((1, 2))]])
    array([[0., 1., 1.]])
    """
    def depth_of(x):
        depth = 0
        while isinstance(x, list):
            if not x:
                raise ValueError("block: lists cannot be empty")
            x, depth = x[0], depth + 1
        return depth

    depth = depth_of(arrays)
    leaves, pending = [], [arrays]          # no recursion: walk the nested lists with a stack
    while pending:
        x = pending.pop()
        if isinstance(x, list):
            pending.extend(x)
        else:
            leaves.append(x)
    ndim = max([depth] + [np.ndim(value_of(x)) for x in leaves])

    def joined(x, level):      # recursion as deep as the lists are nested, not the graph
        if (level == depth) == isinstance(x, list):
            raise ValueError(f"block: list depths are mismatched: the first array is at depth "
                             f"{depth}, another at depth {level}")
        if level == depth:
            x = _array(x, "block")
            shape = np.shape(value_of(x))
            return reshape(x, (1,) * (ndim - len(shape)) + shape)
        return concatenate([joined(item, level + 1) for item in x], axis=level - depth)

    return joined(arrays, 0)


@implements(np.diagflat)
def diagflat(v, k=0):
    """A square matrix with the flattened `v` on its `k`-th diagonal, as `numpy.diagflat`."""
    return diag(ravel(_array(v, "diagflat")), k)


@implements(np.delete)
def delete(arr, obj, axis=None):
    """`arr` without the entries (along `axis`; of the flattened array by default) at `obj`,
    as `numpy.delete`."""
    return _rearranged("delete", arr, np.delete, obj=value_of(obj), axis=axis)


@implements(np.insert)
def insert(arr, obj, values, axis=None):
    """`arr` with constant `values` inserted before `obj` along `axis`, as `numpy.insert`
    (values that are Nodes are not supported: insert into a Node made with concatenate)."""
    if isinstance(values, Node):
        raise TypeError("numpy.insert: values= as a Node is not supported; build the result "
                        "with np.concatenate of slices instead")
    arr = _array(arr, "insert")
    obj = value_of(obj)
    try:
        index = np.insert(_positions(arr), obj, -1, axis=axis)
        filled = np.insert(np.zeros(np.shape(value_of(arr)), dtype=value_of(arr).dtype), obj,
                           values, axis=axis)
    except (ValueError, IndexError, TypeError) as error:
        raise _failure("insert", arr, error, axis=axis) from error
    from autograph.ops.elementwise import where
    inside = index >= 0
    return where(inside, _gather(arr, np.where(inside, index, 0)), filled)


@implements(np.resize)
def resize(a, new_shape):
    """`a`'s entries, repeated in order as needed, in `new_shape` (numpy.resize)."""
    return _rearranged("resize", a, np.resize, new_shape=new_shape)


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    """The slices of `a` along `axis` where `condition` holds, as `numpy.compress`."""
    reject("compress", out=out)
    return _rearranged("compress", a, lambda p: np.compress(value_of(condition), p, axis=axis))


@implements(np.extract)
def extract(condition, arr):
    """The entries of `arr` where `condition` holds, flattened, as `numpy.extract`."""
    return _rearranged("extract", arr, lambda p: np.extract(value_of(condition), p))


# Index results: no gradient, they run on the values.
constant_result(np.argpartition, np.lexsort, np.triu_indices_from, np.tril_indices_from,
                np.diag_indices_from)


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from coordinate vectors, as `numpy.meshgrid` (a tuple)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'.")
    xi = [_array(x, "meshgrid") for x in xi]
    ndim = len(xi)
    shapes = [[1] * ndim for _ in xi]
    for i, x in enumerate(xi):
        shapes[i][i] = np.size(value_of(x))
    if indexing == "xy" and ndim > 1:      # the first two axes swapped, as numpy does
        for shape in shapes:
            shape[0], shape[1] = shape[1], shape[0]
    grids = [reshape(x, tuple(shape)) for x, shape in zip(xi, shapes)]
    if sparse:
        return tuple(grids)
    return broadcast_arrays(*grids)
