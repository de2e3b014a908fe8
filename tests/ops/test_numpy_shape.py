"""numpy's shape functions on Nodes (autograph/ops/shape.py): values against numpy to the last
bit, gradients against central differences of numpy itself (first order) and of the engine's
first derivative (second order), float32, refusals; and a property: every rearrangement's
gradient is its adjoint."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag
from tests.helpers import assert_gradients_close
from tests.helpers import assert_second_derivatives_close as assert_second_order

rng = np.random.default_rng(99)


def normal(*shape):
    return rng.standard_normal(shape)


def distinct(*shape):
    """Entries far apart (for sort and partition: no ties within a finite difference)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) + 0.1 * rng.standard_normal(n)).reshape(shape)


def joined(parts):
    """A list or tuple of results as one array (numpy or Nodes), to compare and differentiate."""
    return np.concatenate([np.ravel(p) for p in parts])


UNARY = {
    "ravel": (np.ravel, (2, 3)),
    "squeeze": (np.squeeze, (1, 3, 1)),
    "squeeze axis": (lambda x: np.squeeze(x, axis=-1), (1, 3, 1)),
    "squeeze axes": (lambda x: np.squeeze(x, axis=(0, 2)), (1, 3, 1)),
    "repeat": (lambda x: np.repeat(x, 2), (2, 3)),
    "repeat axis": (lambda x: np.repeat(x, [1, 0, 3], axis=-1), (2, 3)),
    "tile": (lambda x: np.tile(x, 2), (2, 3)),
    "tile more axes": (lambda x: np.tile(x, (2, 1, 2)), (2, 3)),
    "roll": (lambda x: np.roll(x, 2), (2, 3)),
    "roll axes": (lambda x: np.roll(x, (1, -1), axis=(0, 1)), (2, 3)),
    "flip": (np.flip, (2, 3)),
    "flip axis": (lambda x: np.flip(x, axis=-1), (2, 3, 2)),
    "flip axes": (lambda x: np.flip(x, axis=(0, 2)), (2, 3, 2)),
    "fliplr": (np.fliplr, (2, 3)),
    "flipud": (np.flipud, (3,)),
    "rot90": (np.rot90, (2, 3)),
    "rot90 k=2": (lambda x: np.rot90(x, 2), (2, 3)),
    "rot90 k=-1 axes": (lambda x: np.rot90(x, -1, axes=(1, 2)), (2, 3, 4)),
    "moveaxis": (lambda x: np.moveaxis(x, 0, -1), (2, 3, 4)),
    "moveaxis several": (lambda x: np.moveaxis(x, [0, 1], [-1, -3]), (2, 3, 4)),
    "rollaxis": (lambda x: np.rollaxis(x, 2), (2, 3, 4)),
    "rollaxis start": (lambda x: np.rollaxis(x, 0, 3), (2, 3, 4)),
    "atleast_1d": (np.atleast_1d, ()),
    "atleast_2d": (np.atleast_2d, (3,)),
    "atleast_3d vector": (np.atleast_3d, (3,)),
    "atleast_3d matrix": (np.atleast_3d, (2, 3)),
    "diag of a matrix": (np.diag, (3, 3)),
    "diag k": (lambda x: np.diag(x, -1), (3, 4)),
    "diag of a vector": (np.diag, (3,)),
    "diag of a vector k": (lambda x: np.diag(x, 2), (3,)),
    "diagonal": (np.diagonal, (3, 3)),
    "diagonal offset axes": (lambda x: np.diagonal(x, 1, 2, 0), (3, 2, 4)),
    "trace": (np.trace, (3, 3)),
    "trace offset stack": (lambda x: np.trace(x, -1, 1, 2), (2, 3, 3)),
    "tril": (np.tril, (3, 4)),
    "tril k stack": (lambda x: np.tril(x, -1), (2, 3, 3)),
    "triu": (np.triu, (3, 4)),
    "triu k": (lambda x: np.triu(x, 1), (4, 3)),
    "tril of a vector": (np.tril, (3,)),
    "take": (lambda x: np.take(x, [0, 4, 4]), (2, 3)),
    "take axis": (lambda x: np.take(x, [[2, 0], [1, 1]], axis=1), (2, 3)),
    "take wrap": (lambda x: np.take(x, [5, -4], axis=0, mode="wrap"), (3, 2)),
    "take clip": (lambda x: np.take(x, [7, 1], mode="clip"), (3, 2)),
    "take_along_axis": (lambda x: np.take_along_axis(x, np.array([[1], [0]]), axis=1), (2, 3)),
    "sort": (np.sort, (2, 4)),
    "sort axis 0": (lambda x: np.sort(x, axis=0), (3, 2)),
    "sort flattened": (lambda x: np.sort(x, axis=None), (2, 3)),
    "sort stable": (lambda x: np.sort(x, kind="stable"), (5,)),
    "partition": (lambda x: np.partition(x, 2), (2, 5)),
    "partition several kth": (lambda x: np.partition(x, (0, 3), axis=0), (5, 2)),
    "partition flattened": (lambda x: np.partition(x, 4, axis=None), (2, 3)),
    "pad": (lambda x: np.pad(x, 1), (2, 3)),
    "pad widths and values": (lambda x: np.pad(x, ((0, 2), (1, 0)), constant_values=(3.0, 4.0)),
                              (2, 3)),
    "pad edge": (lambda x: np.pad(x, 2, mode="edge"), (2, 3)),
    "pad reflect": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="reflect"), (3, 3)),
    "pad symmetric": (lambda x: np.pad(x, 3, mode="symmetric"), (2, 2)),
    "pad wrap": (lambda x: np.pad(x, (1, 4), mode="wrap"), (3,)),
    "split": (lambda x: joined(np.split(x, 3, axis=1)), (2, 3)),
    "split at indices": (lambda x: joined(np.split(x, [1, 3])), (5,)),
    "array_split uneven": (lambda x: joined(np.array_split(x, 3)), (5, 2)),
    "hsplit": (lambda x: joined(np.hsplit(x, 2)), (2, 4)),
    "vsplit": (lambda x: joined(np.vsplit(x, [1])), (3, 2)),
    "dsplit": (lambda x: joined(np.dsplit(x, 2)), (2, 1, 4)),
    "unstack": (lambda x: joined(np.unstack(x, axis=1)), (2, 3)),
    "matrix_transpose": (np.matrix_transpose, (2, 3, 4)),
    "broadcast_arrays": (lambda x: joined(np.broadcast_arrays(x, np.ones((2, 1, 1)))), (3, 1)),
    "block": (lambda x: np.block([[x, x[:, :1]], [x[:1], x[:1, :1]]]), (2, 3)),
    "block of vectors and scalars": (lambda x: np.block([x, 2.0, x[::-1]]), (3,)),
    "diagflat": (lambda x: np.diagflat(x, -1), (2, 2)),
    "delete": (lambda x: np.delete(x, [0, 2], axis=1), (2, 4)),
    "delete flattened": (lambda x: np.delete(x, 3), (2, 3)),
    "insert": (lambda x: np.insert(x, 1, 7.0, axis=1), (2, 3)),
    "insert several": (lambda x: np.insert(x, [0, 2, 2], [5.0, 6.0, 7.0]), (4,)),
    "resize": (lambda x: np.resize(x, (3, 3)), (2, 2)),
    "compress": (lambda x: np.compress([True, False, True], x, axis=1), (2, 3)),
    "extract": (lambda x: np.extract(np.arange(6).reshape(2, 3) % 2 == 0, x), (2, 3)),
}


@pytest.mark.parametrize("f,shape", UNARY.values(), ids=UNARY.keys())
def test_matches_numpy_to_the_last_bit(f, shape):
    x = distinct(*shape)
    expected = f(x)
    got = f(ag.parameter(x))
    assert isinstance(got, ag.Node)
    assert got.shape == np.shape(expected) and got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got.value, expected)


@pytest.mark.parametrize("f,shape", UNARY.values(), ids=UNARY.keys())
def test_gradient_against_finite_differences(f, shape):
    assert_gradients_close(f, distinct(*shape))


SECOND = ["repeat axis", "tile", "roll axes", "flip axes", "rot90", "moveaxis several",
          "squeeze", "diag of a vector k", "diagonal offset axes", "trace", "tril k stack",
          "take axis", "sort flattened", "partition", "pad widths and values", "pad reflect",
          "array_split uneven", "block", "insert", "delete"]


@pytest.mark.parametrize("name", SECOND)
def test_second_order(name):
    f, shape = UNARY[name]
    assert_second_order(lambda x: f(x) ** 3, distinct(*shape) * 0.1)


@pytest.mark.parametrize("name", ["flip", "tile", "diag of a vector", "tril", "sort", "pad",
                                  "pad edge", "trace"])
def test_float32_stays_float32(name):
    f, shape = UNARY[name]
    x = distinct(*shape).astype(np.float32)
    node = ag.parameter(x)
    out = f(node)
    assert out.dtype == np.float32 == np.asarray(f(x)).dtype
    np.testing.assert_array_equal(out.value, f(x))
    out.sum().backward()
    assert node.grad.dtype == np.float32


def test_sort_gradient_follows_each_entry():
    """sort([3, 1, 2]) = [1, 2, 3]: the weights 1, 10, 100 go to the entries 1, 2, 3."""
    x = ag.parameter([3.0, 1.0, 2.0])
    (np.sort(x) * np.array([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [100.0, 1.0, 10.0])
    x = ag.parameter([[3.0, 1.0], [0.0, 5.0]])
    (np.sort(x, axis=0) * np.array([[1.0, 2.0], [10.0, 20.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[10.0, 2.0], [1.0, 20.0]])


def test_repeated_entries_add_their_gradients():
    x = ag.parameter([1.0, 2.0])
    np.repeat(x, 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x = ag.parameter([1.0, 2.0])
    np.pad(x, 2, mode="edge").sum().backward()       # each edge entry appears 3 times
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x = ag.parameter(np.ones((2, 2)))
    np.tile(x, (3, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 6.0))


# --- joining ------------------------------------------------------------------------------

JOIN = {
    "hstack vectors": (np.hstack, [(2,), (3,)]),
    "hstack matrices": (np.hstack, [(2, 1), (2, 3)]),
    "vstack vectors": (np.vstack, [(3,), (3,)]),
    "vstack mixed": (np.vstack, [(3,), (2, 3)]),
    "dstack": (np.dstack, [(2, 3), (2, 3, 2)]),
    "column_stack": (np.column_stack, [(3,), (3, 2), (3,)]),
    "append": (np.append, [(2, 2), (3,)]),
    "append axis": (lambda a, b: np.append(a, b, axis=0), [(2, 3), (1, 3)]),
    "concatenate axis None": (lambda a, b: np.concatenate([a, b], axis=None), [(2, 2), (3,)]),
}


@pytest.mark.parametrize("f,shapes", JOIN.values(), ids=JOIN.keys())
def test_joining(f, shapes):
    arrays = [distinct(*s) for s in shapes]

    def g(*xs):
        return f(list(xs)) if f in (np.hstack, np.vstack, np.dstack, np.column_stack) else f(*xs)
    expected = g(*arrays)
    got = g(*[ag.parameter(a) for a in arrays])
    assert isinstance(got, ag.Node)
    np.testing.assert_array_equal(got.value, expected)
    assert_gradients_close(g, *arrays)


def test_joining_a_node_with_plain_arrays_and_lists():
    x = ag.parameter([1.0, 2.0])
    out = np.hstack([x, np.array([3.0]), [4.0]])
    np.testing.assert_array_equal(out.value, [1.0, 2.0, 3.0, 4.0])
    (out * np.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_split_gives_nodes_with_their_own_gradients():
    x = ag.parameter(np.arange(6.0))
    a, b, c = np.split(x, 3)
    (a.sum() + 10 * c.sum()).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0, 0.0, 10.0, 10.0])


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    x, y, z = distinct(2), distinct(3), distinct(4)

    def f(a, b, c):
        grids = np.meshgrid(a, b, c, indexing=indexing, sparse=sparse)
        return sum((k + 1) * g for k, g in enumerate(grids))
    got = np.meshgrid(*[ag.parameter(v) for v in (x, y, z)], indexing=indexing, sparse=sparse)
    for g, e in zip(got, np.meshgrid(x, y, z, indexing=indexing, sparse=sparse)):
        np.testing.assert_array_equal(g.value, e)
    assert_gradients_close(f, x, y, z)


def test_atleast_with_several_arguments_gives_a_tuple():
    a, b = np.atleast_2d(ag.parameter(1.0), ag.parameter([1.0, 2.0]))
    assert a.shape == (1, 1) and b.shape == (1, 2)


# --- select ----------------------------------------------------------------------------------

def test_select_matches_numpy_and_sends_the_gradient_to_the_choice_taken():
    x = distinct(5) - 2.0
    conditions = [x < -1, x < 1]            # the first that holds wins where both do

    def f(a):
        return np.select(conditions, [a * 2.0, a ** 2], default=-1.0)
    got = f(ag.parameter(x))
    np.testing.assert_array_equal(got.value, f(x))
    assert_gradients_close(f, x)
    assert_second_order(f, x)


@pytest.mark.parametrize("default", [0, 0.5, np.float64(2.0), np.zeros(3)])
def test_select_gives_numpy_s_dtype(default):
    x = np.arange(3, dtype=np.float32)
    out = np.select([x > 0], [ag.parameter(x)], default)
    expected = np.select([x > 0], [x], default)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.value, expected)


def test_select_refuses_conditions_that_are_not_boolean():
    with pytest.raises(TypeError, match="condlist"):
        np.select([np.array([1, 0])], [ag.parameter([1.0, 2.0])])


# --- refusals and errors ------------------------------------------------------------------

def test_errors_name_the_function_and_the_shapes():
    x = ag.parameter(np.ones((2, 3)), name="x")
    with pytest.raises(ag.ShapeError, match=r"squeeze: x \(2, 3\)"):
        np.squeeze(x, axis=0)
    with pytest.raises(ag.ShapeError, match=r"moveaxis: x \(2, 3\)"):
        np.moveaxis(x, 0, 5)
    with pytest.raises(ag.ShapeError, match=r"split: x \(2, 3\)"):
        np.split(x, 2, axis=1)
    with pytest.raises(ag.ShapeError, match=r"take: x \(2, 3\)"):
        np.take(x, [9])
    with pytest.raises(ag.ShapeError, match=r"flip: x \(2, 3\)"):
        np.flip(x, axis=2)
    with pytest.raises(ag.ShapeError, match=r"diag: x \(\)|diag: .*\(\)"):
        np.diag(ag.parameter(1.0, name="x"))


def test_pad_refuses_the_modes_that_compute_values():
    x = ag.parameter(np.ones(3))
    for mode in ("mean", "maximum", "linear_ramp", "median", "minimum", "empty"):
        with pytest.raises(TypeError, match=f"numpy.pad: mode='{mode}'"):
            np.pad(x, 1, mode=mode)
    with pytest.raises(TypeError, match="reflect_type"):
        np.pad(x, 1, mode="reflect", reflect_type="odd")


def test_insert_refuses_node_values():
    with pytest.raises(TypeError, match="numpy.insert: values"):
        np.insert(ag.parameter(np.ones(3)), 1, ag.parameter(2.0))


def test_block_refuses_mismatched_depths():
    x = ag.parameter(np.ones((2, 2)))
    with pytest.raises(ValueError, match="block: list depths"):
        np.block([[x, x], x])


def test_index_functions_run_on_values():
    x = ag.parameter([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(np.argpartition(x, 0)[:1], [1])
    np.testing.assert_array_equal(np.lexsort(ag.parameter([[3.0, 1.0, 2.0]])), [1, 2, 0])


def test_sort_refuses_order():
    with pytest.raises(TypeError, match="numpy.sort: order="):
        np.sort(ag.parameter([1.0, 2.0]), order="x")


def test_node_methods_reach_the_numpy_functions():
    x = ag.parameter([[1.0], [2.0]])
    assert x.squeeze().shape == (2,)
    assert x.repeat(2, axis=1).shape == (2, 2)
    assert x.ravel().shape == (2,)
    np.testing.assert_array_equal(ag.parameter(np.eye(2)).trace().value, 2.0)


# --- property: the gradient of a rearrangement is its adjoint ---------------------------------

REARRANGEMENTS = [
    lambda x: np.flip(x, axis=-1), lambda x: np.roll(x, 3), lambda x: np.rot90(x, 3),
    lambda x: np.repeat(x, 2, axis=0), lambda x: np.tile(x, (2, 1)), np.ravel,
    lambda x: np.pad(x, ((1, 0), (0, 2)), mode="reflect"), lambda x: np.pad(x, 1),
    lambda x: np.pad(x, 2, mode="wrap"), np.transpose, lambda x: np.moveaxis(x, 0, 1),
    lambda x: np.diagonal(x), np.tril, lambda x: np.triu(x, -1),
    lambda x: np.take(x, [0, -1, 0], axis=1), lambda x: joined(np.array_split(x, 2, axis=1)),
    lambda x: np.sort(x, axis=0), lambda x: np.partition(x, 0, axis=1),
]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(range(len(REARRANGEMENTS))),
       hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=4),
                  elements=st.floats(-10, 10, allow_nan=False, allow_subnormal=False)),
       st.integers(0, 2 ** 32 - 1))
def test_the_gradient_of_a_rearrangement_is_its_adjoint(k, x, seed):
    """For a linear map f, sum(f(x) * w) = sum(x * grad): the gradient is f's transpose. (sort
    and partition are linear near x.) The reference is numpy's own f(x)."""
    f = REARRANGEMENTS[k]
    w = np.random.default_rng(seed).standard_normal(np.shape(f(x)))
    node = ag.parameter(x)
    out = f(node)
    np.testing.assert_array_equal(out.value, f(x))
    (out * w).sum().backward()
    np.testing.assert_allclose(np.sum(x * node.grad), np.sum(f(x) * w), rtol=1e-9, atol=1e-9)
