"""Contracts of the kernels beyond their values: a cached array cannot be written to."""

import numpy as np
import pytest

from autograph.ops.kernels import ones_vector, sum_along


def test_the_cached_ones_are_read_only():
    ones = ones_vector(3, np.dtype(np.float64))
    assert not ones.flags.writeable
    with pytest.raises(ValueError):
        ones[0] = 5.0


def test_a_sum_does_not_hand_out_the_cached_ones():
    # a (1, n) matrix summed along axis 0 is a product with ones(1): the result is new
    x = np.ones((1, 3))
    total = sum_along(x, axis=0)
    total += 1.0
    np.testing.assert_array_equal(sum_along(x, axis=0), [1.0, 1.0, 1.0])


class _Refusing:
    """numpy, except the functions a kernel exists to avoid: calling one is a test failure."""

    def __init__(self, *refused):
        self.refused = refused

    def __getattr__(self, name):
        if name in self.refused:
            raise AssertionError(f"the kernel fell back to np.{name}")
        return getattr(np, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_along_takes_its_fast_path_for_float_matrices(monkeypatch, dtype, axis, keepdims):
    # the kernels exist for a measured speed-up: a silent fallback to numpy is a regression
    from autograph.ops import kernels
    x = np.arange(12.0, dtype=dtype).reshape(3, 4) / 7
    expected = np.sum(x, axis=axis, keepdims=keepdims)
    monkeypatch.setattr(kernels, "np", _Refusing("sum"))
    got = sum_along(x, axis=axis, keepdims=keepdims)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("columns", [2, 3, 16])
@pytest.mark.parametrize("axis", [1, -1])
def test_max_along_takes_its_fast_path_for_narrow_float_matrices(monkeypatch, columns, axis):
    from autograph.ops import kernels
    x = np.random.default_rng(columns).standard_normal((5, columns)).astype(np.float32)
    expected = np.max(x, axis=axis, keepdims=True)
    monkeypatch.setattr(kernels, "np", _Refusing("max"))
    np.testing.assert_array_equal(kernels.max_along(x, axis=axis, keepdims=True), expected)


def test_dot_takes_its_fast_path_for_two_matrices(monkeypatch):
    from autograph.ops import kernels
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    expected = a @ b
    monkeypatch.setattr(kernels, "np", _Refusing("matmul"))
    np.testing.assert_array_equal(kernels.dot(a, b), expected)
