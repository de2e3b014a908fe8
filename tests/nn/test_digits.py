"""The digits loader: a clear message without scikit-learn, the data when it is installed."""

import sys

import numpy as np
import pytest

from autograph.data import digits


def test_without_scikit_learn_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn$"):
        digits()


def test_digits_split_scaled_and_stratified():
    pytest.importorskip("sklearn")
    (X_train, y_train), (X_test, y_test) = digits(test_fraction=0.25, seed=0)
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    train_counts, test_counts = np.bincount(y_train), np.bincount(y_test)
    np.testing.assert_allclose(test_counts / (train_counts + test_counts), 0.25, atol=0.01)
    (again, _), _ = digits(test_fraction=0.25, seed=0)
    np.testing.assert_array_equal(again, X_train)
