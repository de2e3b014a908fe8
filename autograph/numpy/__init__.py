"""numpy, differentiable: `import autograph.numpy as anp`, as `autograd.numpy` or `jax.numpy`.

Every name is numpy's own: a numpy function called with a Node runs autograph's version of it
(the override protocols, see `autograph.core.dispatch`), so this module only adds what numpy
cannot do by itself, building an array from a list that holds Nodes, and passes everything else
(constructors, `random`, constants, dtypes) through. A function with no gradient rule is
refused by name when it meets a Node.

>>> import autograph as ag, autograph.numpy as anp
>>> def tanh(x):
...     y = anp.exp(-2.0 * x)
...     return (1.0 - y) / (1.0 + y)
>>> ag.grad(tanh)(0.0)                  # 1 - tanh(0)^2
array(1.)
>>> ag.grad(lambda x: anp.sum(anp.array([x, 2.0 * x]) ** 2))(1.0)
array(10.)
"""

from __future__ import annotations

import numpy as _np

import autograph.ops as _ops          # registers every op with the dispatch
from autograph.core.node import Node as _Node
from autograph.numpy import linalg  # noqa: F401  (anp.linalg)


def _holds_node(x) -> bool:
    if isinstance(x, _Node):
        return True
    return isinstance(x, (list, tuple)) and any(_holds_node(item) for item in x)


def array(object, dtype=None, *args, **kwargs):
    """`numpy.array`, except that a (nested) list holding Nodes is stacked into a Node."""
    if isinstance(object, (list, tuple)) and _holds_node(object):
        if args or kwargs:
            raise TypeError("autograph.numpy.array: only dtype= is supported for lists of Nodes")
        result = _ops.stack([array(item) if isinstance(item, (list, tuple)) else item
                             for item in object])
        return result if dtype is None else _ops.astype(result, dtype)
    if isinstance(object, _Node):
        return object if dtype is None else _ops.astype(object, dtype)
    return _np.array(object, dtype, *args, **kwargs)


def asarray(a, dtype=None, *args, **kwargs):
    """`numpy.asarray`, except that a Node (or a list holding Nodes) stays in the graph."""
    if isinstance(a, _Node) or _holds_node(a):
        return array(a, dtype)
    return _np.asarray(a, dtype, *args, **kwargs)


def __getattr__(name: str):
    return getattr(_np, name)


def __dir__():
    return sorted(set(dir(_np)) | {"array", "asarray", "linalg"})
