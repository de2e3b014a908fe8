"""scikit-learn's 8x8 handwritten digits: a real data set that ships inside a package.

1797 images of the digits 0-9, 8x8 pixels with values 0..16, bundled with scikit-learn (the
optional extra `data`, or `pip install scikit-learn`), so nothing is downloaded.
scikit-learn is imported only when the data are asked for.
"""

from __future__ import annotations

import numpy as np


def digits(test_fraction: float = 0.25, seed: int = 0):
    """((X_train, y_train), (X_test, y_test)): pixels scaled to [0, 1] as rows of 64, and the
    digit of each image; a stratified split (each digit in proportion) fixed by `seed`.

    >>> (X_train, y_train), (X_test, y_test) = digits()    # needs scikit-learn  # doctest: +SKIP
    >>> X_train.shape, X_test.shape                         # doctest: +SKIP
    ((1347, 64), (450, 64))
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        # not `pip install "autograph[data]"`: on PyPI the name autograph is another project's
        raise ImportError("the digits data come with scikit-learn: pip install scikit-learn") \
            from error
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie between 0 and 1, got {test_fraction}")
    bunch = load_digits()
    X = bunch.data / 16.0
    y = bunch.target.astype(np.intp)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for digit in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == digit))
        test[members[:int(round(test_fraction * len(members)))]] = True
    return (X[~test], y[~test]), (X[test], y[test])
