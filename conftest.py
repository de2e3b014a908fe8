"""Names every docstring example may use without importing them: np, ag and Node.

Examples otherwise see their own module's names (pytest's --doctest-modules runs each one in a
copy of its module's globals), and build any model or data they need in the example itself.
"""
import numpy as np
import pytest

import autograph as ag


@pytest.fixture(autouse=True)
def add_doctest_names(doctest_namespace):
    doctest_namespace.update(np=np, ag=ag, Node=ag.Node)
