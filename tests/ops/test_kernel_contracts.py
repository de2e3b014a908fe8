"""Contracts of the kernels beyond their values: a cached array cannot be written to."""

import numpy as np
import pytest

from autograph.ops.kernels import _ones, sum_along


def test_the_cached_ones_are_read_only():
    ones = _ones(3, np.dtype(np.float64))
    assert not ones.flags.writeable
    with pytest.raises(ValueError):
        ones[0] = 5.0


def test_a_sum_does_not_hand_out_the_cached_ones():
    # a (1, n) matrix summed along axis 0 is a product with ones(1): the result is new
    x = np.ones((1, 3))
    total = sum_along(x, axis=0)
    total += 1.0
    np.testing.assert_array_equal(sum_along(x, axis=0), [1.0, 1.0, 1.0])
