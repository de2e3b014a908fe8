"""Thread-local switches: gradient recording (`no_grad`) and `detect_anomaly`."""

from __future__ import annotations

import threading
from contextlib import contextmanager


class _Modes(threading.local):
    grad_enabled = True
    anomaly = False


modes = _Modes()


@contextmanager
def no_grad():
    """Run operations without recording a graph (inference, parameter updates).

    >>> with no_grad():
    ...     y = model(x)          # y is a plain constant Node: nothing to differentiate
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

    >>> with detect_anomaly():
    ...     loss = log(x - x).sum()   # FloatingPointError: log: output is not finite ...
    """
    previous = modes.anomaly
    modes.anomaly = True
    try:
        yield
    finally:
        modes.anomaly = previous
