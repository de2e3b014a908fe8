import os
import warnings

import numpy as np
import pytest
from hypothesis import settings

# In CI every property test draws the same examples on every run (a failure there is then
# reproducible, never a flake of the draw); locally they explore new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def numpy_warnings_are_errors():
    """Stable ops must not warn: any numpy floating-point warning fails the test."""
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield
