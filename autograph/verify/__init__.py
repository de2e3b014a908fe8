"""Verifying hand-derived gradients against reverse mode, and naming the mistakes.

>>> import autograph as ag
>>> w = ag.parameter([1.0, 2.0], name="w")
>>> check_gradients((w * w).sum(), [w], {"w": 2 * w.value}).ok
True
"""

from autograph.verify.check import (Entry, GradientReport, ParameterCheck, assert_gradients_match,
                                    check_gradients)
from autograph.verify.diagnose import Tolerance

__all__ = ["Entry", "GradientReport", "ParameterCheck", "Tolerance", "assert_gradients_match",
           "check_gradients"]
