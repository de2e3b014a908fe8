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


def watched(obj, name: str):
    """`obj.name`, read so that `autograph.compile` guards it: a function traced while it had
    one value is traced again when it has another (a module's `training` flag after
    `model.eval()`). Values are compared with `==`: flags, numbers, or objects (by identity).

    >>> class Layer:
    ...     training = True
    >>> watched(Layer(), "training")                 # outside a trace: a plain read
    True
    """
    value = getattr(obj, name)
    trace = trace_var.get()
    if trace is not None:
        trace.watch(obj, name, value)
    return value
