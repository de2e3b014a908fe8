"""Thread-local switches: gradient recording (`no_grad`) and `detect_anomaly`."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np


class _Modes(threading.local):
    grad_enabled = True
    anomaly = False
    transforms = 0     # how many grad/jacobian calls are evaluating their function right now
    trace = None       # the trace `autograph.compile` is recording in this thread, if any


modes = _Modes()


@contextmanager
def no_grad():
    """Run operations without recording a graph (inference, parameter updates).

    >>> model, x = ag.MLP([2, 3, 3], rng=0), np.ones((5, 2))
    >>> with no_grad():
    ...     y = model(x)
    >>> y.requires_grad, y.is_leaf      # a plain constant Node: nothing to differentiate
    (False, True)
    """
    previous = modes.grad_enabled
    modes.grad_enabled = False
    try:
        yield
    finally:
        modes.grad_enabled = previous


@contextmanager
def enable_grad():
    """Re-enable graph recording inside a `no_grad` block."""
    previous = modes.grad_enabled
    modes.grad_enabled = True
    try:
        yield
    finally:
        modes.grad_enabled = previous


@contextmanager
def detect_anomaly():
    """Raise `FloatingPointError` at the first operation whose value or gradient is not finite.

    >>> x = ag.parameter([1.0, 2.0], name="x")
    >>> with detect_anomaly():
    ...     loss = ag.log(x - x).sum()
    Traceback (most recent call last):
    FloatingPointError: log: output is not finite: infinite at index (0,) (inputs: subtract (2,))
    """
    previous = modes.anomaly
    modes.anomaly = True
    try:
        # numpy's own warnings would only repeat, less precisely, what the check reports
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            yield
    finally:
        modes.anomaly = previous
