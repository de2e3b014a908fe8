"""Methods that change state outside the graph, and how a compiled function replays them.

An optimizer's `step()` updates parameter arrays in place and `zero_grad()` forgets gradients:
neither is an operation on Nodes, so a trace of a training step (`autograph.compile`) cannot
see inside them. Marked `replayable`, such a method is recorded as a call when it runs inside
a trace, and called again, at the same point, every time the compiled function runs.

>>> class Counter:
...     def __init__(self):
...         self.calls = 0
...     @replayable
...     def tick(self):
...         self.calls += 1
>>> counter = Counter(); counter.tick(); counter.calls       # outside a trace: a plain call
1
"""

from __future__ import annotations

import functools
from typing import Callable

from autograph.core.modes import trace_var


def replayable(method: Callable) -> Callable:
    """Mark `method` as a side effect that `autograph.compile` replays on every call."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        trace = trace_var.get()
        if trace is None:
            return method(*args, **kwargs)
        return trace.effect(method, args, kwargs)
    return wrapper
