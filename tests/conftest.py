import warnings

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def numpy_warnings_are_errors():
    """Stable ops must not warn: any numpy floating-point warning fails the test."""
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield
