"""The numpy kernels that replace numpy calls for speed give numpy's results, bit for bit, on
every shape, axis and dtype (hypothesis), including NaN, ties, 0-d and integer inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag
from autograph.ops.activations import _sigmoid
from autograph.ops.kernels import broadcast, dot, max_along, sum_along

modest = settings(max_examples=40, deadline=None)

dtypes = st.sampled_from([np.float64, np.float32, np.int64])
axes = st.sampled_from([None, 0, 1, -1, -2, (0, 1)])


def matrices(dtype, max_side=20):
    elements = st.integers(-5, 5) if dtype is np.int64 else \
        st.floats(-1e3, 1e3, width=32, allow_nan=False)
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=2, max_dims=2, max_side=max_side),
                      elements=elements)


@pytest.mark.parametrize("kernel, reference", [(sum_along, np.sum), (max_along, np.max)],
                         ids=["sum_along", "max_along"])
@modest
@given(data=st.data(), dtype=dtypes, axis=axes, keepdims=st.booleans())
def test_a_reduction_kernel_is_numpys(kernel, reference, data, dtype, axis, keepdims):
    x = data.draw(matrices(dtype))
    expected = reference(x, axis=axis, keepdims=keepdims)
    got = kernel(x, axis=axis, keepdims=keepdims)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    # a product with ones adds in another order than numpy's pairwise sum; maxima are exact
    exact = kernel is max_along or dtype is np.int64
    rtol = 0 if exact else 1e-5 if dtype is np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol)


def test_max_along_propagates_nan_and_keeps_ties_like_numpy():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 2.0, -np.inf], [-0.0, 0.0, -1.0]])
    np.testing.assert_array_equal(max_along(x, axis=1), np.max(x, axis=1))


def test_max_along_leaves_wide_rows_and_other_inputs_to_numpy():
    wide = np.arange(40.0).reshape(2, 20)
    np.testing.assert_array_equal(max_along(wide, axis=-1, keepdims=True),
                                  np.max(wide, axis=-1, keepdims=True))
    assert max_along([[1.0, 4.0], [3.0, 2.0]], axis=1).tolist() == [4.0, 3.0]
    cube = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(max_along(cube, axis=-1), cube.max(axis=-1))


@pytest.mark.parametrize("a_shape, b_shape", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)),
                                              ((2, 3, 4), (4, 5)), ((4,), (4,))])
def test_dot_is_matmul(a_shape, b_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    np.testing.assert_allclose(dot(a, b), np.matmul(a, b), rtol=1e-14)
    assert np.shape(dot(a, b)) == np.matmul(a, b).shape
    assert dot(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32


def test_dot_of_misaligned_matrices_fails_as_matmul_does():
    with pytest.raises(ValueError):
        dot(np.ones((3, 2)), np.ones((3, 3)))


@pytest.mark.parametrize("source, shape", [(np.float64(2.0), (2, 3)), (np.ones(3), (4, 3)),
                                           (np.arange(4.0).reshape(4, 1), (4, 3)), (1.5, (2,)),
                                           (np.ones((1, 3), np.float32), (2, 3))])
def test_broadcast_is_a_filled_copy(source, shape):
    out = broadcast(source, shape)
    np.testing.assert_array_equal(out, np.broadcast_to(source, shape))
    assert out.dtype == np.result_type(source) and out.flags.writeable and out.flags.owndata


def test_broadcast_refuses_more_dimensions_than_the_target():
    with pytest.raises(ValueError, match=r"cannot broadcast \(2, 3\) to \(3,\)"):
        broadcast(np.ones((2, 3)), (3,))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_sigmoid_keeps_the_dtype_and_matches_the_textbook_formula(dtype):
    x = np.linspace(-30, 30, 61).astype(dtype)
    with np.errstate(over="ignore"):
        textbook = 1 / (1 + np.exp(-x.astype(np.float64)))
    got = _sigmoid(x)
    assert got.dtype == dtype
    # float16 stops at sigmoid(-11) = 1.7e-5 (a subnormal) below -11: exp(11) is its limit
    atol = 2e-5 if dtype is np.float16 else 1e-30
    np.testing.assert_allclose(got, textbook, rtol={np.float64: 1e-15, np.float32: 1e-6,
                                                    np.float16: 2e-3}[dtype], atol=atol)


def test_sigmoid_of_scalars_and_integers():
    assert _sigmoid(np.float64(0.0)) == 0.5
    assert _sigmoid(0) == 0.5
    np.testing.assert_allclose(_sigmoid(np.array([0, 2])), [0.5, 1 / (1 + np.exp(-2.0))])
    assert ag.sigmoid(ag.Node(0.0)).item() == 0.5
