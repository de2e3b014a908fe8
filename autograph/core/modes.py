"""Switches: gradient recording (`no_grad`) and `detect_anomaly`, held in a context variable.

A `contextvars.ContextVar` is right for threads and for asyncio tasks alike: each thread starts
with recording on, and each task works on its own copy of the context it was created in, so a
`no_grad` block in one task or thread never switches recording off in another.

Every operation reads the switches, so they live in ONE context variable holding an immutable
`Modes` (one `get` per operation, about 20 ns; a thread-local's two attributes cost 75 ns).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np


class Modes:
    """The switches in effect: `grad_enabled` (record graphs) and `anomaly` (check values).

    Immutable, and one instance per combination: a block sets another one and restores the
    previous one when it ends.
    """

    __slots__ = ("grad_enabled", "anomaly")

    def __init__(self, grad_enabled: bool, anomaly: bool):
        object.__setattr__(self, "grad_enabled", grad_enabled)
        object.__setattr__(self, "anomaly", anomaly)

    def __setattr__(self, name, value):
        raise AttributeError("Modes is immutable: use no_grad(), enable_grad() or "
                             "detect_anomaly()")

    def replace(self, grad_enabled: bool | None = None, anomaly: bool | None = None) -> "Modes":
        return _MODES[self.grad_enabled if grad_enabled is None else grad_enabled,
                      self.anomaly if anomaly is None else anomaly]

    def __repr__(self) -> str:
        return f"Modes(grad_enabled={self.grad_enabled}, anomaly={self.anomaly})"


_MODES = {(g, a): Modes(g, a) for g in (True, False) for a in (True, False)}
_modes: ContextVar[Modes] = ContextVar("autograph_modes", default=_MODES[True, False])

current_modes = _modes.get

# The trace that autograph.compile is recording in this thread or task, if any (compiler/
# trace.py sets it; backward, gradients and replayable methods hand their work to it).
trace_var: ContextVar = ContextVar("autograph_trace", default=None)
"""The `Modes` in effect in this thread or task: ``current_modes().grad_enabled``."""


class _Current:
    """`modes.grad_enabled` and `modes.anomaly`, read-only, for code that reads one switch."""

    __slots__ = ()

    @property
    def grad_enabled(self) -> bool:
        return _modes.get().grad_enabled

    @property
    def anomaly(self) -> bool:
        return _modes.get().anomaly


modes = _Current()


@contextmanager
def _switched(**changes):
    token = _modes.set(_modes.get().replace(**changes))
    try:
        yield
    finally:
        _modes.reset(token)


def no_grad():
    """Run operations without recording a graph (inference, parameter updates).

    >>> model, x = ag.MLP([2, 3, 3], rng=0), np.ones((5, 2))
    >>> with no_grad():
    ...     y = model(x)
    >>> y.requires_grad, y.is_leaf      # a plain constant Node: nothing to differentiate
    (False, True)
    """
    return _switched(grad_enabled=False)


def enable_grad():
    """Re-enable graph recording inside a `no_grad` block."""
    return _switched(grad_enabled=True)


@contextmanager
def detect_anomaly():
    """Raise `FloatingPointError` at the first operation whose value or gradient is not finite.

    >>> x = ag.parameter([1.0, 2.0], name="x")
    >>> with detect_anomaly():
    ...     loss = ag.log(x - x).sum()
    Traceback (most recent call last):
    FloatingPointError: log: output is not finite: infinite at index (0,) (inputs: subtract (2,))
    """
    with _switched(anomaly=True):
        # numpy's own warnings would only repeat, less precisely, what the check reports
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            yield
