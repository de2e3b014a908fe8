"""Random draws that stay random inside `autograph.compile`: `uniform` and `bernoulli`.

Each takes a numpy `Generator` and returns a plain array (no gradient: a mask or noise is
a constant of the graph). Eagerly, that is `rng.random(...)`. Inside a trace the draw is an
instruction of the program that calls the Generator anew on every call, never folded into a
constant and never dropped, in the order the function drew: so a compiled step draws the
same numbers as the eager step given an identically seeded Generator, and a Generator used
outside the step between calls stays in step too. Tracing itself draws from a copy, so it
leaves the Generator where it was.

(`autograph.random` is this module, `autograph.ops.random`: it uses only core.)

>>> rng = np.random.default_rng(0)
>>> bernoulli((2, 4), 0.5, rng)
array([[0., 1., 1., 1.],
       [0., 0., 0., 0.]])
>>> bool(np.all(bernoulli((2, 4), 0.5, np.random.default_rng(0)) ==
...             (np.random.default_rng(0).random((2, 4)) < 0.5)))
True
"""

from __future__ import annotations

import operator

import numpy as np

from autograph.core.modes import trace_var

__all__ = ["bernoulli", "uniform"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def uniform(shape, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """Uniform numbers on [0, 1) of `shape`, drawn from `rng`: `rng.random(shape, dtype)`.

    >>> uniform(3, np.random.default_rng(0)).round(3)
    array([0.637, 0.27 , 0.041])
    """
    shape, dtype = _shape(shape, "uniform"), np.dtype(dtype)
    if dtype not in _FLOATS:
        raise TypeError(f"uniform: dtype must be float32 or float64, got {dtype}")
    return _draw(_uniform, rng, shape, dtype, "uniform")


def bernoulli(shape, p: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """1 with probability `p`, else 0, in an array of `shape` and `dtype`: entries where a
    float64 uniform draw from `rng` is below `p` (so `p=0` gives no ones and `p=1` all).

    >>> bernoulli(4, 0.3, np.random.default_rng(0), dtype=np.float32)
    array([0., 1., 1., 1.], dtype=float32)
    """
    shape, dtype = _shape(shape, "bernoulli"), np.dtype(dtype)
    p = _probability(p, "bernoulli")
    return _draw(_bernoulli, rng, shape, p, dtype, "bernoulli")


def _uniform(rng, shape, dtype):
    return rng.random(shape, dtype)


def _bernoulli(rng, shape, p, dtype):
    return (rng.random(shape) < p).astype(dtype)


def _draw(function, rng, *args):
    """`function(rng, *args)` now, or, inside a trace, as an instruction drawn on every call."""
    *args, name = args
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name}: rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    trace = trace_var.get()
    if trace is None:
        return function(rng, *args)
    return trace.draw(function, rng, tuple(args))


def _shape(shape, name: str) -> tuple:
    try:     # (operator.index: whole numbers only, not 2.5 or "3")
        shape = (operator.index(shape),) if np.ndim(shape) == 0 else \
            tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be a whole number or a tuple of them, got "
                        f"{shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}: shape {shape} has a negative size")
    return shape


def _probability(p, name: str) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: p must be a number, got {p!r}") from None
    if not 0.0 <= p <= 1.0:        # also refuses nan
        raise ValueError(f"{name}: p must be in [0, 1], got {p}")
    return p
