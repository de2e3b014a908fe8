"""kernels keeps ones vectors for fast row sums: bounded (issue 10, item 12)."""

import tracemalloc

import numpy as np

from autograph.ops import kernels


def test_row_sums_of_many_wide_matrices_keep_no_ones_vectors():
    # before: every width's ones vector stayed cached, 64 x 1.6 MB here
    tracemalloc.start()
    try:
        for width in range(200_000, 200_064):
            x = np.ones((2, width))
            assert kernels.sum_along(x, axis=1).tolist() == [width, width]
            assert kernels.sum_along(x.T, axis=0).tolist() == [width, width]
            del x
        retained = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert retained < 4 * 2 ** 20


def test_narrow_ones_vectors_are_still_shared_and_read_only():
    a, b = kernels.ones_vector(3, np.dtype(np.float64)), kernels.ones_vector(3, np.dtype(np.float64))
    assert a is b and not a.flags.writeable
    assert kernels.ones_vector(kernels._CACHED_ONES + 1, np.dtype(np.float32)).dtype == np.float32
