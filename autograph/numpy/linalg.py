"""`numpy.linalg`, differentiable on Nodes wherever autograph has a gradient rule
(`autograph.ops.linalg`); other functions are refused by name when they meet a Node."""

import numpy.linalg as _linalg


def __getattr__(name: str):
    return getattr(_linalg, name)


def __dir__():
    return dir(_linalg)
